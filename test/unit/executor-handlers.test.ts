/**
 * Handlers in the linear strategy: notified by name or listen topic, run once per host at the
 * end of the play (or at meta: flush_handlers), in definition order, only on hosts that
 * changed, never on hosts that failed afterwards.
 */
import test from 'ava';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { runEngine, type EngineRun } from '../helpers/quorum.js';
import { writeScenario } from '../fixtures/playbooks/engine/scenario.js';

/** Each handler appends its name to WORKDIR/HOST/log, so order and count are on disk. */
const HANDLERS = `
  handlers:
    - name: first
      command: { cmd: "echo first >> {{ workdir }}/{{ inventory_hostname }}/log" }
    - name: second
      listen: restart things
      command: { cmd: "echo second >> {{ workdir }}/{{ inventory_hostname }}/log" }
    - name: third
      listen: [restart things, other topic]
      command: { cmd: "echo third >> {{ workdir }}/{{ inventory_hostname }}/log" }
`;

async function run(tasks: string): Promise<{ r: EngineRun; log: (h: string) => string[] }> {
  const s = writeScenario(`- hosts: nodes\n  gather_facts: false\n${HANDLERS}  tasks:\n${tasks}`);
  const r = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
  const log = (h: string) => {
    const f = join(s.workdir, h, 'log');
    return existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n') : [];
  };
  return { r, log };
}

test('notified by name and by a topic only one handler listens to: once per host, at the end, in definition order, only where changed', async (t) => {
  const { r, log } = await run(`
    - name: change
      debug: { msg: x }
      changed_when: inventory_hostname != "c"
      notify: [other topic, first]
    - name: change again
      debug: { msg: y }
      changed_when: true
      notify: first
    - name: last task
      command: { cmd: "echo task >> {{ workdir }}/{{ inventory_hostname }}/log" }
`);
  t.is(r.summary.exitCode, 0);
  for (const h of ['a', 'b']) t.deepEqual(log(h), ['task', 'first', 'third']);
  t.deepEqual(log('c'), ['task', 'first']);
  const handlerStarts = r.events.filter((e) => e.kind === 'task:start' && e.handler === true).map((e) => e.kind === 'task:start' ? `${e.task}:${e.hosts.join(',')}` : '');
  t.deepEqual(handlerStarts, ['first:a,b,c', 'third:a,b']);
});

// BUG (runner/strategy/linear.ts flushHandlers): after running a handler, every topic it
// listens to is deleted from the host's notifications, so a second handler listening to the
// same topic never runs. Ansible runs every handler that listens to a notified topic
// (here: second and third both listen to "restart things").
test('a topic several handlers listen to runs all of them', async (t) => {
  const { r, log } = await run(`
    - name: change
      debug: { msg: x }
      changed_when: inventory_hostname != "c"
      notify: [restart things, first]
    - name: change again
      debug: { msg: y }
      changed_when: true
      notify: first
    - name: last task
      command: { cmd: "echo task >> {{ workdir }}/{{ inventory_hostname }}/log" }
`);
  t.is(r.summary.exitCode, 0);
  for (const h of ['a', 'b']) t.deepEqual(log(h), ['task', 'first', 'second', 'third']);
  // c changed only in "change again", which notifies `first` alone.
  t.deepEqual(log('c'), ['task', 'first']);
  const handlerStarts = r.events.filter((e) => e.kind === 'task:start' && e.handler === true).map((e) => e.kind === 'task:start' ? `${e.task}:${e.hosts.join(',')}` : '');
  t.deepEqual(handlerStarts, ['first:a,b,c', 'second:a,b', 'third:a,b']);
});

test('a task that does not change notifies nothing', async (t) => {
  const { r, log } = await run(`
    - name: no change
      debug: { msg: x }
      notify: first
`);
  t.is(r.results('first').length, 0);
  for (const h of ['a', 'b', 'c']) t.deepEqual(log(h), []);
});

test('meta: flush_handlers runs the notified handlers there, and not again at the end', async (t) => {
  const { r, log } = await run(`
    - name: change
      debug: { msg: x }
      changed_when: true
      notify: other topic
    - meta: flush_handlers
    - name: after flush
      command: { cmd: "echo task >> {{ workdir }}/{{ inventory_hostname }}/log" }
`);
  t.is(r.summary.exitCode, 0);
  for (const h of ['a', 'b', 'c']) t.deepEqual(log(h), ['third', 'task']);
  t.is(r.results('third').length, 3);
});

test('a host that fails after notifying does not run the handler', async (t) => {
  const { r, log } = await run(`
    - name: change
      debug: { msg: x }
      changed_when: true
      notify: first
    - name: fail on b
      command: { argv: [test, "{{ inventory_hostname }}", "!=", "b"] }
`);
  t.is(r.summary.exitCode, 2);
  t.deepEqual(log('a'), ['first']);
  t.deepEqual(log('b'), []);
  t.deepEqual(r.results('first').map((e) => e.host).sort(), ['a', 'c']);
});

test('a handler notified in a loop runs once', async (t) => {
  const { log } = await run(`
    - name: loop
      debug: { msg: "{{ item }}" }
      loop: [1, 2, 3]
      changed_when: true
      notify: first
`);
  for (const h of ['a', 'b', 'c']) t.deepEqual(log(h), ['first']);
});

// BUG (runner/strategy/linear.ts runPlay): after any_errors_fatal ends the play, the notified
// handlers still run on the hosts that did not fail. Ansible marks every remaining host failed
// (linear strategy, any_errors_fatal) so no handler runs (unless force_handlers).
test('any_errors_fatal: no handler runs after the play was stopped', async (t) => {
  const s = writeScenario(`- hosts: nodes\n  gather_facts: false\n  any_errors_fatal: true\n${HANDLERS}  tasks:
    - name: change
      debug: { msg: x }
      changed_when: true
      notify: first
    - name: fail on b
      command: { argv: [test, "{{ inventory_hostname }}", "!=", "b"] }
`);
  const r = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
  t.is(r.summary.exitCode, 2);
  t.deepEqual(r.results('first'), []);
});
