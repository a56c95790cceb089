/**
 * `task:retry` in every reporter: plain prints Ansible's "FAILED - RETRYING" as one line with
 * the reason, listr2 shows it on the host's line as it happens, JSON emits the event. Host text
 * with terminal escape sequences (a title change, a screen clear) never reaches the output raw.
 */
import test from 'ava';
import { Writable } from 'node:stream';
import type { Reporter, RunEvent } from '../../runner/report/events.js';
import { createPlainReporter, formatRetry } from '../../runner/report/plain.js';
import { createJsonReporter } from '../../runner/report/json.js';
import { createListrReporter, showRetries } from '../../runner/report/listr.js';
import { escapeControl, oneTerminalLine } from '../../runner/report/terminal-text.js';

type TaskRetry = Extract<RunEvent, { kind: 'task:retry' }>;

function createBuffer(): { stream: Writable; text(): string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

async function feed(reporter: Reporter, events: RunEvent[]): Promise<void> {
  for (const e of events) reporter.emit(e);
  await reporter.close?.();
}

/** What a hostile or broken host could put in a message: set the window title, clear the screen, CSI in C1 form. */
const HOSTILE = 'bad\u001b]0;pwned\u0007 \u001b[2Jcleared \u009b31mred';

function retry(attempt: number, msg: string, extra: Partial<TaskRetry> = {}): TaskRetry {
  return { kind: 'task:retry', task: 'cluster health', host: 'infra0', attempt, retriesLeft: 60 - attempt, delaySeconds: 2, msg, ...extra };
}

function stream(): RunEvent[] {
  const hosts = ['infra0', 'infra1'];
  return [
    { kind: 'run:start', playbook: 'pb.yaml', check: false, diff: false, hosts },
    { kind: 'play:start', play: 'etcd', hosts },
    { kind: 'task:start', play: 'etcd', task: 'cluster health', location: 'pb.yaml:190:7', hosts },
    retry(1, 'degraded, quorum kept: infra2 (https://10.0.0.8:2379) unhealthy: context deadline exceeded'),
    retry(2, HOSTILE),
    { kind: 'task:host', task: 'cluster health', host: 'infra1', status: 'ok', changes: [], diffs: [], durationMs: 3 },
    { kind: 'task:host', task: 'cluster health', host: 'infra0', status: 'failed', msg: 'still not true after 3 attempts', changes: [], diffs: [], durationMs: 3 },
    { kind: 'task:end', task: 'cluster health', durationMs: 5 },
    // A retry for a task no view is open for (a late event) is still printed.
    retry(7, 'late'),
    {
      kind: 'run:end', recap: { infra0: { ok: 0, changed: 0, unreachable: 0, failed: 1, skipped: 0, rescued: 0, ignored: 0 }, infra1: { ok: 1, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 } },
      durationMs: 1000, exitCode: 2, changesPending: false, interrupted: false,
    },
  ];
}

/** No raw control character but newline reaches the output (colors are off in these runs). */
function assertNoRawControls(t: { false(v: boolean, m?: string): void }, text: string): void {
  t.false(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/.test(text), JSON.stringify(text.match(/.{0,20}[\u0000-\u0009\u000b-\u001f\u007f-\u009f].{0,20}/)?.[0]));
}

test('terminal text: controls escaped visibly, newlines folded, long lines cut', (t) => {
  t.is(escapeControl(HOSTILE), 'bad\\x1b]0;pwned\\x07 \\x1b[2Jcleared \\x9b31mred');
  t.is(escapeControl('keeps\ttabs and\nnewlines, ünïcode'), 'keeps\ttabs and\nnewlines, ünïcode');
  t.is(oneTerminalLine('first\r\n  second\nthird'), 'first / second / third');
  t.is(oneTerminalLine('x'.repeat(50), 10), 'xxxxxxx...');
});

test('plain: a retry is one line as it happens, between the task header and the result', async (t) => {
  const buf = createBuffer();
  await feed(createPlainReporter(buf.stream, { verbosity: 0, diff: false, color: false }), stream());
  const text = buf.text();
  t.true(text.includes(`TASK [cluster health] (pb.yaml:190:7)
infra0 | cluster health: retrying (59 left): degraded, quorum kept: infra2 (https://10.0.0.8:2379) unhealthy: context deadline exceeded
infra0 | cluster health: retrying (58 left): bad\\x1b]0;pwned\\x07 \\x1b[2Jcleared \\x9b31mred
ok: [infra1]
failed: [infra0] => still not true after 3 attempts
infra0 | cluster health: retrying (53 left): late
`), text);
  assertNoRawControls(t, text);
});

test('plain: the reason is cut at about a line without -v and whole with -v; items and no_log are shown as such', (t) => {
  const long = retry(1, `degraded: ${'x'.repeat(400)} END`);
  t.true(formatRetry(long, { verbosity: 0, color: false }).length < 300);
  t.true(formatRetry(long, { verbosity: 0, color: false }).endsWith('...'));
  t.true(formatRetry(long, { verbosity: 1, color: false }).endsWith(' END'));
  t.is(formatRetry(retry(3, 'multi\nline', { item: 'b', retriesLeft: 1 }), { verbosity: 0, color: false }), 'infra0 | cluster health (item=b): retrying (1 left): multi / line');
  t.is(formatRetry(retry(1, 'ok', { task: 'evil \u001b[2J name' }), { verbosity: 0, color: false }), 'infra0 | evil \\x1b[2J name: retrying (59 left): ok');
  t.is(formatRetry(retry(1, 'hidden', { censored: true }), { verbosity: 1, color: false }), 'infra0 | cluster health: retrying (59 left): hidden');
  t.is(formatRetry(retry(1, 'x'), { verbosity: 0, color: true }), '\u001b[33minfra0 | cluster health: retrying (59 left): x\u001b[0m', 'only our own color codes');
});

test('listr (line renderer): each retry is an output line of the host, before its result', async (t) => {
  const buf = createBuffer();
  await feed(createListrReporter({ verbosity: 0, diff: false, color: false, renderer: 'simple', out: buf.stream }), stream());
  const text = buf.text();
  const first = text.indexOf('retrying (59 left): degraded, quorum kept: infra2');
  const second = text.indexOf('retrying (58 left): bad\\x1b]0;pwned\\x07 \\x1b[2Jcleared \\x9b31mred');
  const result = text.indexOf('failed: [infra0] => still not true after 3 attempts');
  t.true(first >= 0 && second > first && result > second, text);
  t.true(text.includes('infra0 | cluster health: retrying (53 left): late'), 'a retry outside any open task view is printed as a plain line');
  // listr2's own icons are the only non-text characters it writes here.
  assertNoRawControls(t, text);
});

test('listr (live view): the host line shows the latest attempt, escaped, and nothing is logged per attempt', (t) => {
  const wrapper = { title: '[infra0]', output: '' };
  const outputs: string[] = [];
  const logged = new Proxy(wrapper, { set: (target, key, value) => ((key === 'output' ? outputs.push(value) : 0), Reflect.set(target, key, value)) });
  const slot = { host: 'infra0', wrapper: logged, retries: [retry(1, 'first'), retry(2, HOSTILE)], shownRetries: 0 };
  showRetries(slot, { verbosity: 0, diff: false, color: false, live: true });
  t.is(wrapper.title, '[infra0] retrying (58 left): bad\\x1b]0;pwned\\x07 \\x1b[2Jcleared \\x9b31mred');
  t.deepEqual(outputs, []);
  t.is(slot.shownRetries, 2);
  slot.retries.push(retry(3, 'third', { item: 'x' }));
  showRetries(slot, { verbosity: 0, diff: false, color: false, live: true });
  t.is(wrapper.title, '[infra0] (item=x) retrying (57 left): third');
});

test('json: the retry is an event line with its fields; host escapes arrive escaped by JSON', async (t) => {
  const buf = createBuffer();
  await feed(createJsonReporter(buf.stream, { now: () => new Date('2026-12-07T00:00:00Z') }), stream());
  const lines = buf.text().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const retries = lines.filter((l) => l['kind'] === 'task:retry');
  t.is(retries.length, 3);
  t.deepEqual(retries[0], {
    ts: '2026-12-07T00:00:00.000Z', kind: 'task:retry', task: 'cluster health', host: 'infra0', attempt: 1, retriesLeft: 59, delaySeconds: 2,
    msg: 'degraded, quorum kept: infra2 (https://10.0.0.8:2379) unhealthy: context deadline exceeded',
  });
  t.is(retries[1]!['msg'], HOSTILE, 'JSON keeps the data exact');
  assertNoRawControls(t, buf.text().replace(/\n/g, ''));
});

test('plain and listr: a result, a warning and a connection error from a host are printed with their controls escaped too', async (t) => {
  const events: RunEvent[] = [
    { kind: 'run:start', playbook: 'pb.yaml', check: false, diff: false, hosts: ['infra0'] },
    { kind: 'play:start', play: 'etcd', hosts: ['infra0'] },
    { kind: 'host:connect', host: 'infra0', ok: false, durationMs: 1, error: `banner ${HOSTILE}` },
    { kind: 'task:start', play: 'etcd', task: 'probe', location: 'pb.yaml:1:1', hosts: ['infra0'] },
    { kind: 'task:host', task: 'probe', host: 'infra0', status: 'failed', msg: HOSTILE, changes: [], diffs: [], result: { stdout: HOSTILE, stderr: 'line1\nline2 \u001b[1A' }, durationMs: 1 },
    { kind: 'task:end', task: 'probe', durationMs: 1 },
    { kind: 'warning', host: 'infra0', message: HOSTILE },
  ];
  for (const verbosity of [0, 1, 2]) {
    const plain = createBuffer();
    await feed(createPlainReporter(plain.stream, { verbosity, diff: false, color: false }), events);
    t.true(plain.text().includes('failed: [infra0] => bad\\x1b]0;pwned\\x07 \\x1b[2Jcleared \\x9b31mred'), plain.text());
    // The connection error is its own line only at -vv (the task's result says it otherwise).
    t.is(plain.text().includes('unreachable: [infra0] => banner bad\\x1b]0;pwned'), verbosity >= 2, plain.text());
    assertNoRawControls(t, plain.text());
    const listr = createBuffer();
    await feed(createListrReporter({ verbosity, diff: false, color: false, renderer: 'simple', out: listr.stream }), events);
    t.true(listr.text().includes('\\x1b[2Jcleared'), listr.text());
    assertNoRawControls(t, listr.text());
  }
});
