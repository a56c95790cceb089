/**
 * retries/until on all-local hosts: every failed attempt that will be retried is a `task:retry`
 * event as it happens (attempt, retries left, delay, the reason; no_log hides the reason), and
 * waiting between attempts leaves no abort listener behind on the run's signal.
 */
import test from 'ava';
import { getEventListeners } from 'node:events';
import { runEngine } from '../helpers/quorum.js';
import { writeScenario } from '../fixtures/playbooks/engine/scenario.js';
import { NO_LOG_MESSAGE } from '../../runner/executor/task-result.js';
import { sleep } from '../../runner/executor/executor.js';

const ONE_HOST = { hosts: { a: {} } };

test('a failing task with retries: one task:retry per failed attempt, in order, before its result', async (t) => {
  const s = writeScenario(`
- hosts: nodes
  gather_facts: false
  tasks:
    - name: never true
      assert: { that: ["false"], fail_msg: "member infra2 unhealthy" }
      retries: 3
      delay: 0
`, ONE_HOST);
  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
  const retries = run.events.filter((e) => e.kind === 'task:retry');
  t.deepEqual(retries, [1, 2, 3].map((attempt) => ({
    kind: 'task:retry', task: 'never true', host: 'a', attempt, retriesLeft: 4 - attempt, delaySeconds: 0,
    msg: 'member infra2 unhealthy (false evaluated to false)',
  })));
  const result = run.events.findIndex((e) => e.kind === 'task:host' && e.task === 'never true');
  t.true(run.events.map((e) => e.kind).lastIndexOf('task:retry') < result, 'the retries come before the result');
  t.is(run.results('never true')[0]!.status, 'failed');
  t.is(run.summary.exitCode, 2);
});

test('until still false on a task that succeeds: the reason is the condition; none after the attempt that makes it true', async (t) => {
  const s = writeScenario(`
- hosts: nodes
  gather_facts: false
  tasks:
    - name: count
      command: { argv: [sh, -c, 'n=$(cat "$0" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$0"; echo $n', "{{ workdir }}/a/n"] }
      register: c
      until: c.stdout_lines[0] == "3"
      retries: 5
      delay: 0
`, ONE_HOST);
  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
  const retries = run.events.filter((e) => e.kind === 'task:retry');
  t.deepEqual(retries.map((e) => [e.attempt, e.retriesLeft, e.msg]), [
    [1, 5, 'not yet true: c.stdout_lines[0] == "3"'],
    [2, 4, 'not yet true: c.stdout_lines[0] == "3"'],
  ]);
  t.is(run.summary.exitCode, 0);
});

test('no_log: the retry event carries the no_log notice, never the message; loop items are labelled', async (t) => {
  const s = writeScenario(`
- hosts: nodes
  gather_facts: false
  tasks:
    - name: secret check
      assert: { that: ["false"], fail_msg: "token=hunter2" }
      no_log: true
      retries: 1
      delay: 0
`, ONE_HOST);
  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
  const hidden = run.events.filter((e) => e.kind === 'task:retry' && e.task === 'secret check');
  t.deepEqual(hidden, [{ kind: 'task:retry', task: 'secret check', host: 'a', attempt: 1, retriesLeft: 1, delaySeconds: 0, msg: NO_LOG_MESSAGE, censored: true }]);
  t.false(JSON.stringify(run.events).includes('hunter2'));
  const s2 = writeScenario(`
- hosts: nodes
  gather_facts: false
  tasks:
    - name: per item
      assert: { that: ["false"], fail_msg: "bad {{ item }}" }
      loop: [x, y]
      retries: 1
      delay: 0
`, ONE_HOST);
  const looped = await runEngine({ playbookFile: s2.playbookFile, inventoryFile: s2.inventoryFile });
  t.deepEqual(looped.events.filter((e) => e.kind === 'task:retry').map((e) => e.kind === 'task:retry' && [e.item, e.msg]), [
    ['x', 'bad x (false evaluated to false)'],
    ['y', 'bad y (false evaluated to false)'],
  ]);
});

test('60 retries under an AbortSignal leave no abort listener behind and no MaxListenersExceededWarning', async (t) => {
  const s = writeScenario(`
- hosts: nodes
  gather_facts: false
  tasks:
    - name: sixty
      assert: { that: ["false"] }
      retries: 60
      delay: 0
`, ONE_HOST);
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);
  const controller = new AbortController();
  try {
    const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile, signal: controller.signal });
    t.is(run.events.filter((e) => e.kind === 'task:retry').length, 60);
    t.is(run.results('sixty')[0]!.status, 'failed');
    // Warnings are emitted on the next tick.
    await new Promise((resolve) => setImmediate(resolve));
    t.deepEqual(getEventListeners(controller.signal, 'abort'), [], 'the engine and every wait removed their listeners');
    t.deepEqual(warnings.map((w) => `${w.name}: ${w.message}`), []);
  } finally {
    process.off('warning', onWarning);
  }
});

test('sleep: resolves at once on an aborted signal, early on abort, and removes its listener either way', async (t) => {
  const controller = new AbortController();
  await sleep(1, controller.signal);
  t.is(getEventListeners(controller.signal, 'abort').length, 0, 'timer fired: listener removed');
  const started = performance.now();
  const waiting = sleep(60_000, controller.signal);
  t.is(getEventListeners(controller.signal, 'abort').length, 1);
  controller.abort();
  await waiting;
  t.true(performance.now() - started < 1000);
  t.is(getEventListeners(controller.signal, 'abort').length, 0);
  await sleep(60_000, controller.signal);
  t.pass('an aborted signal does not wait');
});
