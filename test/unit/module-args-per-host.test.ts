/**
 * Arguments are validated after templating (runner/executor/run-module.ts): once per task when they
 * hold no template (they are the same on every host), on every host and loop item when they do.
 */
import test from 'ava';
import { runEngine } from '../helpers/quorum.js';
import { writeScenario } from '../fixtures/playbooks/engine/scenario.js';

test('templated arguments are validated per host: one host valid, the other not', async (t) => {
  const s = writeScenario(`
- hosts: nodes
  gather_facts: false
  tasks:
    - name: fixed
      stat: { path: /tmp }
    - name: per host
      stat: { path: "{{ which }}" }
    - name: per item
      stat: { path: "{{ item }}" }
      loop: "{{ items }}"
`, { hosts: { a: { which: '/tmp', items: ['/tmp', '/'] }, b: { which: ['not', 'a', 'path'], items: ['/tmp'] } } });
  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
  t.deepEqual(['a', 'b'].map((h) => run.results('fixed', h)[0]!.status), ['ok', 'ok']);
  t.is(run.results('per host', 'a')[0]!.status, 'ok');
  const bad = run.results('per host', 'b')[0]!;
  t.is(bad.status, 'failed');
  t.regex(bad.msg ?? '', /invalid arguments for stat after templating: \/path: must be string/);
  // b is out of the play after its failure: a's loop items are checked one by one.
  t.deepEqual(run.results('per item', 'a').map((r) => r.status), ['ok', 'ok']);
});

test('a loop item that makes the arguments invalid fails that item only, after valid ones', async (t) => {
  const s = writeScenario(`
- hosts: nodes
  gather_facts: false
  tasks:
    - name: per item
      stat: { path: "{{ item }}" }
      loop: [/tmp, [1, 2], /]
      ignore_errors: true
`, { hosts: { a: {} } });
  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
  t.deepEqual(run.results('per item', 'a').map((r) => r.status), ['ok', 'failed', 'ok']);
});
