/**
 * The linear strategy's failure policy on all-local hosts: a failed host leaves the play,
 * any_errors_fatal, max_fail_percentage, later plays, serial batches, block/rescue/always.
 */
import test from 'ava';
import { runEngine, type EngineRun } from '../helpers/quorum.js';
import { writeScenario } from '../fixtures/playbooks/engine/scenario.js';

async function run(playbook: string): Promise<EngineRun> {
  const s = writeScenario(playbook);
  return runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
}

/** Hosts on which a task produced a non-skipped result, sorted. */
function hostsOf(r: EngineRun, task: string): string[] {
  return r.results(task).filter((e) => e.status !== 'skipped').map((e) => e.host).sort();
}

/** One line (so it fits any indentation): fails on host b only. */
const FAIL_ON_B = 'command: { argv: [test, "{{ inventory_hostname }}", "!=", "b"] }';

test('a failing host leaves the play; the others go on; exit 2', async (t) => {
  const r = await run(`
- hosts: nodes
  gather_facts: false
  tasks:
    - name: one
      ${FAIL_ON_B}
    - name: two
      debug: { msg: two }
`);
  t.deepEqual(hostsOf(r, 'one'), ['a', 'b', 'c']);
  t.deepEqual(hostsOf(r, 'two'), ['a', 'c']);
  t.is(r.summary.exitCode, 2);
  t.deepEqual(r.summary.recap['b'], { ok: 0, changed: 0, unreachable: 0, failed: 1, skipped: 0, rescued: 0, ignored: 0 });
  t.is(r.summary.recap['a']!.ok, 2);
});

test('any_errors_fatal (play): the task finishes on every host, then the play stops for all', async (t) => {
  const r = await run(`
- hosts: nodes
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - name: one
      ${FAIL_ON_B}
    - name: two
      debug: { msg: two }
`);
  t.deepEqual(hostsOf(r, 'one'), ['a', 'b', 'c']);
  t.deepEqual(hostsOf(r, 'two'), []);
  t.is(r.summary.exitCode, 2);
  t.true(r.events.some((e) => e.kind === 'warning' && /any_errors_fatal/.test(e.message)));
});

test('any_errors_fatal on the task only', async (t) => {
  const r = await run(`
- hosts: nodes
  gather_facts: false
  tasks:
    - name: zero
      ${FAIL_ON_B}
      ignore_errors: true
    - name: one
      ${FAIL_ON_B}
      any_errors_fatal: true
    - name: two
      debug: { msg: two }
`);
  t.deepEqual(hostsOf(r, 'zero'), ['a', 'b', 'c']);
  t.deepEqual(hostsOf(r, 'two'), []);
});

test('max_fail_percentage: at the limit the play goes on, above it the play stops', async (t) => {
  const play = (pct: number) => `
- hosts: nodes
  gather_facts: false
  max_fail_percentage: ${pct}
  tasks:
    - name: one
      ${FAIL_ON_B}
    - name: two
      debug: { msg: two }
`;
  // 1 of 3 hosts = 33.3%: not above 34, above 33.
  const under = await run(play(34));
  t.deepEqual(hostsOf(under, 'two'), ['a', 'c']);
  const over = await run(play(33));
  t.deepEqual(hostsOf(over, 'two'), []);
  t.true(over.events.some((e) => e.kind === 'warning' && /max_fail_percentage 33% exceeded \(1\/3/.test(e.message)));
  t.is(over.summary.exitCode, 2);
});

test('a host failed in one play is skipped by the later plays', async (t) => {
  const r = await run(`
- hosts: nodes
  gather_facts: false
  tasks:
    - name: one
      ${FAIL_ON_B}
- hosts: all
  gather_facts: false
  tasks:
    - name: later play
      debug: { msg: hi }
`);
  t.deepEqual(hostsOf(r, 'later play'), ['a', 'c']);
  t.is(r.summary.recap['b']!.failed, 1);
});

test('serial: batches run one after the other, handlers at the end of each batch', async (t) => {
  const r = await run(`
- hosts: nodes
  gather_facts: false
  serial: 2
  handlers:
    - name: h
      debug: { msg: handled }
  tasks:
    - name: t1
      debug: { msg: one }
      changed_when: true
      notify: h
    - name: t2
      debug: { msg: two }
`);
  const order = r.results().map((e) => `${e.task}:${e.host}`);
  t.deepEqual(order, ['t1:a', 't1:b', 't2:a', 't2:b', 'h:a', 'h:b', 't1:c', 't2:c', 'h:c']);
  t.is(r.summary.exitCode, 0);
});

test('serial with max_fail_percentage: a batch over the limit stops the later batches', async (t) => {
  const r = await run(`
- hosts: nodes
  gather_facts: false
  serial: 2
  max_fail_percentage: 40
  tasks:
    - name: one
      debug: { msg: boom }
      failed_when: inventory_hostname == "a"
    - name: two
      debug: { msg: two }
`);
  t.deepEqual(hostsOf(r, 'one'), ['a', 'b']);
  t.deepEqual(hostsOf(r, 'two'), []);
  t.deepEqual(r.results(undefined, 'c'), []);
  t.is(r.summary.exitCode, 2);
});

// BUG (runner/strategy/linear.ts runPlay): when every host of a serial batch fails, Ansible
// stops the play (PlaybookExecutor: "break out ... if the entire batch failed"); quorum goes
// on with the next batch.
test('serial: a batch whose hosts all failed stops the later batches (no max_fail_percentage)', async (t) => {
  const r = await run(`
- hosts: nodes
  gather_facts: false
  serial: 1
  tasks:
    - name: one
      debug: { msg: boom }
      failed_when: inventory_hostname == "a"
`);
  t.deepEqual(hostsOf(r, 'one'), ['a']);
});

test('block/rescue/always: the rescue runs on the failed host only, always on all; counted rescued', async (t) => {
  const r = await run(`
- hosts: nodes
  gather_facts: false
  tasks:
    - name: guarded
      block:
        - name: try
          ${FAIL_ON_B}
        - name: after try
          debug: { msg: x }
      rescue:
        - name: rescue
          debug: { msg: r }
      always:
        - name: always
          debug: { msg: a }
    - name: after block
      debug: { msg: y }
`);
  t.deepEqual(hostsOf(r, 'after try'), ['a', 'c']);
  t.deepEqual(hostsOf(r, 'rescue'), ['b']);
  t.deepEqual(hostsOf(r, 'always'), ['a', 'b', 'c']);
  t.deepEqual(hostsOf(r, 'after block'), ['a', 'b', 'c']);
  t.is(r.summary.exitCode, 0);
  t.is(r.summary.recap['b']!.rescued, 1);
  t.is(r.summary.recap['b']!.failed, 0);
  t.is(r.summary.recap['a']!.rescued, 0);
});

test('always runs after an unrescued failure; the host stays failed afterwards', async (t) => {
  const r = await run(`
- hosts: nodes
  gather_facts: false
  tasks:
    - block:
        - name: try
          ${FAIL_ON_B}
      always:
        - name: always
          debug: { msg: a }
    - name: after block
      debug: { msg: y }
`);
  t.deepEqual(hostsOf(r, 'always'), ['a', 'b', 'c']);
  t.deepEqual(hostsOf(r, 'after block'), ['a', 'c']);
  t.is(r.summary.recap['b']!.failed, 1);
  t.is(r.summary.exitCode, 2);
});

test('a failing rescue leaves the host failed; always still runs', async (t) => {
  const r = await run(`
- hosts: nodes
  gather_facts: false
  tasks:
    - block:
        - name: try
          ${FAIL_ON_B}
      rescue:
        - name: rescue fails too
          command: { argv: ["false"] }
      always:
        - name: always
          debug: { msg: a }
    - name: after block
      debug: { msg: y }
`);
  t.deepEqual(hostsOf(r, 'rescue fails too'), ['b']);
  t.deepEqual(hostsOf(r, 'always'), ['a', 'b', 'c']);
  t.deepEqual(hostsOf(r, 'after block'), ['a', 'c']);
  t.true(r.summary.recap['b']!.failed > 0);
  t.is(r.summary.exitCode, 2);
});

// BUG (runner/strategy/linear.ts record/runBlock): a block task whose failure sends the host
// into rescue, then a failing rescue task, gives failed=2 rescued=0. Ansible counts the first
// failure as `rescued` (StrategyBase._process_pending_results: run_state RESCUE -> rescued,
// else failures) and only the rescue task's failure as `failures`: failed=1 rescued=1.
test('a failing rescue: recap failed=1 rescued=1, as in Ansible', async (t) => {
  const r = await run(`
- hosts: nodes
  gather_facts: false
  tasks:
    - block:
        - name: try
          ${FAIL_ON_B}
      rescue:
        - name: rescue fails too
          command: { argv: ["false"] }
`);
  t.is(r.summary.recap['b']!.failed, 1);
  t.is(r.summary.recap['b']!.rescued, 1);
});

test('a failure in always fails the host', async (t) => {
  const r = await run(`
- hosts: nodes
  gather_facts: false
  tasks:
    - block:
        - name: try
          debug: { msg: fine }
      always:
        - name: always fails on b
          ${FAIL_ON_B}
    - name: after block
      debug: { msg: y }
`);
  t.deepEqual(hostsOf(r, 'after block'), ['a', 'c']);
  t.is(r.summary.recap['b']!.failed, 1);
  t.is(r.summary.exitCode, 2);
});

test('an unreachable host leaves the run; the others go on; exit 4', async (t) => {
  const s = writeScenario(`
- hosts: nodes
  gather_facts: false
  tasks:
    - name: one
      command: { argv: ["true"] }
    - name: two
      debug: { msg: two }
`, { hosts: { a: {}, d: { ansible_connection: 'ssh', ansible_host: '127.0.0.1', ansible_port: 1, ansible_user: 'root' } } });
  const r = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
  t.deepEqual(r.results('one').map((e) => [e.host, e.status]).sort(), [['a', 'changed'], ['d', 'unreachable']]);
  t.deepEqual(hostsOf(r, 'two'), ['a']);
  t.is(r.summary.recap['d']!.unreachable, 1);
  t.is(r.summary.exitCode, 4);
});

test('a failing handler fails its host', async (t) => {
  const r = await run(`
- hosts: nodes
  gather_facts: false
  handlers:
    - name: h
      ${FAIL_ON_B}
  tasks:
    - name: change
      debug: { msg: x }
      changed_when: true
      notify: h
`);
  t.deepEqual(r.results('h').map((e) => [e.host, e.status]).sort(), [['a', 'changed'], ['b', 'failed'], ['c', 'changed']]);
  t.is(r.summary.recap['b']!.failed, 1);
  t.is(r.summary.exitCode, 2);
});
