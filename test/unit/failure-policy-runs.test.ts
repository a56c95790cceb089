/**
 * The failure policy across plays and across a play's tasks, with the engine in-process on
 * all-local hosts (as in executor-failures.test.ts):
 * - a play stopped by any_errors_fatal or max_fail_percentage ends the run: no later play runs
 *   (a rolling restart after a failed join must not start), and a warning names what did not run;
 * - any_errors_fatal fires for hosts that fail in the task (or block) at hand: a host already out
 *   of the play (failed earlier, or unreachable) does not stop a later fatal task for the others.
 */
import test from 'ava';
import { runEngine, type EngineRun } from '../helpers/quorum.js';
import { writeScenario, type ScenarioOptions } from '../fixtures/playbooks/engine/scenario.js';

async function run(playbook: string, options: ScenarioOptions = {}): Promise<EngineRun> {
  const s = writeScenario(playbook, options);
  return runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
}

/** Hosts on which a task produced a non-skipped result, sorted. */
function hostsOf(r: EngineRun, task: string): string[] {
  return r.results(task).filter((e) => e.status !== 'skipped').map((e) => e.host).sort();
}

function warnings(r: EngineRun): string[] {
  return r.events.flatMap((e) => (e.kind === 'warning' ? [e.message] : []));
}

/** One line (so it fits any indentation): fails on host NAME only. */
const failOn = (name: string) => `command: { argv: [test, "{{ inventory_hostname }}", "!=", "${name}"] }`;

/** Host d: ssh to a closed local port, unreachable at once. */
const UNREACHABLE_D: ScenarioOptions = { hosts: { a: {}, c: {}, d: { ansible_connection: 'ssh', ansible_host: '127.0.0.1', ansible_port: 1, ansible_user: 'root' } } };

// ---- (a) a play stopped by its failure policy ends the run ----

test('any_errors_fatal stops its play and the run: the later plays do not run, a warning says which', async (t) => {
  const r = await run(`
- name: first
  hosts: nodes
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - name: one
      ${failOn('b')}
    - name: two
      debug: { msg: two }
- name: second
  hosts: nodes
  gather_facts: false
  tasks:
    - name: later play
      debug: { msg: hi }
- hosts: all
  gather_facts: false
  tasks:
    - name: unnamed later play
      debug: { msg: hi }
`);
  t.deepEqual(hostsOf(r, 'one'), ['a', 'b', 'c']);
  t.deepEqual(hostsOf(r, 'two'), []);
  t.deepEqual(r.results('later play'), [], 'a and c did not fail, yet the second play does not run');
  t.deepEqual(r.results('unnamed later play'), []);
  t.false(r.events.some((e) => e.kind === 'task:start' && (e.task === 'later play' || e.task === 'unnamed later play')));
  t.true(warnings(r).includes('any_errors_fatal: the run ends here; not run: second, all'), warnings(r).join('\n'));
  t.is(r.summary.exitCode, 2);
  t.deepEqual(r.summary.recap['a'], { ok: 1, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
});

test('any_errors_fatal on one task of a play ends the run too', async (t) => {
  const r = await run(`
- hosts: nodes
  gather_facts: false
  tasks:
    - name: join
      ${failOn('c')}
      any_errors_fatal: true
- name: rolling restart
  hosts: nodes
  gather_facts: false
  tasks:
    - name: restart
      debug: { msg: restart }
`);
  t.deepEqual(hostsOf(r, 'join'), ['a', 'b', 'c']);
  t.deepEqual(r.results('restart'), []);
  t.true(warnings(r).includes('any_errors_fatal: the run ends here; not run: rolling restart'), warnings(r).join('\n'));
});

test('max_fail_percentage exceeded ends the run too', async (t) => {
  const r = await run(`
- hosts: nodes
  gather_facts: false
  max_fail_percentage: 33
  tasks:
    - name: one
      ${failOn('b')}
- name: second
  hosts: nodes
  gather_facts: false
  tasks:
    - name: later play
      debug: { msg: hi }
`);
  t.deepEqual(r.results('later play'), []);
  t.true(warnings(r).includes('max_fail_percentage 33%: the run ends here; not run: second'), warnings(r).join('\n'));
  t.is(r.summary.exitCode, 2);
});

test('a fatal failure in the first serial batch: no later batch and no later play', async (t) => {
  const r = await run(`
- hosts: nodes
  gather_facts: false
  serial: 1
  any_errors_fatal: true
  tasks:
    - name: one
      ${failOn('a')}
- name: second
  hosts: nodes
  gather_facts: false
  tasks:
    - name: later play
      debug: { msg: hi }
`);
  t.deepEqual(hostsOf(r, 'one'), ['a']);
  t.deepEqual(r.results('later play'), []);
  t.true(warnings(r).includes('any_errors_fatal: the run ends here; not run: second'));
});

test('without a failure policy a failed host does not end the run: the later play runs on the others, no warning', async (t) => {
  const r = await run(`
- hosts: nodes
  gather_facts: false
  tasks:
    - name: one
      ${failOn('b')}
- name: second
  hosts: nodes
  gather_facts: false
  tasks:
    - name: later play
      debug: { msg: hi }
`);
  t.deepEqual(hostsOf(r, 'later play'), ['a', 'c']);
  t.false(warnings(r).some((w) => /the run ends here/.test(w)));
});

test('any_errors_fatal in the last play: no "not run" warning (nothing was left to run)', async (t) => {
  const r = await run(`
- hosts: nodes
  gather_facts: false
  any_errors_fatal: true
  tasks:
    - name: one
      ${failOn('b')}
`);
  t.true(warnings(r).some((w) => /^any_errors_fatal: a host failed/.test(w)));
  t.false(warnings(r).some((w) => /the run ends here/.test(w)), warnings(r).join('\n'));
  t.is(r.summary.exitCode, 2);
});

// ---- (b) a host already out of the play does not make a later fatal task stop it ----

test('a host that failed an earlier task (not fatal) does not make a later fatal task stop the play', async (t) => {
  const r = await run(`
- hosts: nodes
  gather_facts: false
  tasks:
    - name: one
      ${failOn('b')}
    - name: fatal
      debug: { msg: fine }
      any_errors_fatal: true
    - name: three
      debug: { msg: three }
- name: second
  hosts: nodes
  gather_facts: false
  tasks:
    - name: later play
      debug: { msg: hi }
`);
  t.deepEqual(hostsOf(r, 'fatal'), ['a', 'c']);
  t.deepEqual(hostsOf(r, 'three'), ['a', 'c']);
  t.deepEqual(hostsOf(r, 'later play'), ['a', 'c']);
  t.false(warnings(r).some((w) => /any_errors_fatal/.test(w)), warnings(r).join('\n'));
  t.is(r.summary.recap['b']!.failed, 1);
  t.is(r.summary.exitCode, 2);
});

test('a host that failed before a fatal block does not make the block stop the play (an ignored failure never counted)', async (t) => {
  // b's failure in `one` is ignored (b stays in the play); `two` fails b without any_errors_fatal.
  const r = await run(`
- hosts: nodes
  gather_facts: false
  tasks:
    - name: one
      ${failOn('b')}
      ignore_errors: true
    - name: two
      ${failOn('b')}
    - name: fatal block
      any_errors_fatal: true
      block:
        - name: inside
          debug: { msg: fine }
    - name: after block
      debug: { msg: after }
`);
  t.deepEqual(hostsOf(r, 'inside'), ['a', 'c']);
  t.deepEqual(hostsOf(r, 'after block'), ['a', 'c'], 'b, out before the block, does not stop the play after it');
  t.false(warnings(r).some((w) => /any_errors_fatal/.test(w)), warnings(r).join('\n'));
});

test('a host unreachable in an earlier task does not make a later fatal task stop the play', async (t) => {
  const r = await run(`
- hosts: nodes
  gather_facts: false
  tasks:
    - name: one
      command: { argv: ["true"] }
    - name: fatal
      debug: { msg: fine }
      any_errors_fatal: true
    - name: three
      debug: { msg: three }
`, UNREACHABLE_D);
  t.deepEqual(r.results('one').map((e) => [e.host, e.status]).sort(), [['a', 'changed'], ['c', 'changed'], ['d', 'unreachable']]);
  t.deepEqual(hostsOf(r, 'fatal'), ['a', 'c']);
  t.deepEqual(hostsOf(r, 'three'), ['a', 'c']);
  t.false(warnings(r).some((w) => /any_errors_fatal/.test(w)), warnings(r).join('\n'));
  t.is(r.summary.recap['d']!.unreachable, 1);
  t.is(r.summary.exitCode, 4);
});

test('a host unreachable at fact gathering does not make the first fatal task stop the play', async (t) => {
  const r = await run(`
- hosts: nodes
  gather_facts: true
  tasks:
    - name: fatal
      debug: { msg: fine }
      any_errors_fatal: true
    - name: two
      debug: { msg: two }
`, UNREACHABLE_D);
  t.is(r.summary.recap['d']!.unreachable, 1);
  t.deepEqual(hostsOf(r, 'fatal'), ['a', 'c']);
  t.deepEqual(hostsOf(r, 'two'), ['a', 'c']);
  t.false(warnings(r).some((w) => /any_errors_fatal/.test(w)), warnings(r).join('\n'));
});

test('with a host already out, a host failing in the fatal task itself still stops the play and the run', async (t) => {
  const r = await run(`
- hosts: nodes
  gather_facts: false
  tasks:
    - name: one
      ${failOn('b')}
    - name: fatal
      ${failOn('c')}
      any_errors_fatal: true
    - name: three
      debug: { msg: three }
- name: second
  hosts: nodes
  gather_facts: false
  tasks:
    - name: later play
      debug: { msg: hi }
`);
  t.deepEqual(hostsOf(r, 'fatal'), ['a', 'c']);
  t.deepEqual(hostsOf(r, 'three'), []);
  t.deepEqual(r.results('later play'), []);
  t.true(warnings(r).includes('any_errors_fatal: a host failed, the play stops for every host'));
  t.true(warnings(r).includes('any_errors_fatal: the run ends here; not run: second'));
});

test('with a host already out, a fatal block with a host failing inside it still stops the play', async (t) => {
  const r = await run(`
- hosts: nodes
  gather_facts: false
  tasks:
    - name: one
      ${failOn('b')}
    - name: fatal block
      any_errors_fatal: true
      block:
        - name: inside
          ${failOn('a')}
    - name: after block
      debug: { msg: after }
`);
  t.deepEqual(hostsOf(r, 'inside'), ['a', 'c']);
  t.deepEqual(hostsOf(r, 'after block'), []);
  t.true(warnings(r).includes('any_errors_fatal: a host failed, the play stops for every host'));
});
