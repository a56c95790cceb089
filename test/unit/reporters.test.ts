/**
 * Reporters fed a synthetic event stream (ok, changed with diffs, failed, skipped, unreachable,
 * an ignored failure, loop items, a secret diff, a no_log result), each writing into a buffer.
 */
import test from 'ava';
import { Writable } from 'node:stream';
import { Secret } from '../../runner/secret.js';
import type { HostRecap, Reporter, RunEvent } from '../../runner/report/events.js';
import { createPlainReporter } from '../../runner/report/plain.js';
import { createJsonReporter, serializeEvent, replaceForJson } from '../../runner/report/json.js';
import { createListrReporter } from '../../runner/report/listr.js';
import { createCollector } from '../../runner/report/collect.js';
import { formatDuration, formatRecap, formatRunSummary } from '../../runner/report/recap.js';
import { renderDiff, SECRET_DIFF_NOTICE } from '../../runner/report/render-diff.js';
import { chooseReporter, resolveOutputKind } from '../../runner/report/choose.js';

const SECRET_TEXT = 'S3CR3T-peer-key-material';

/** A writable that keeps everything written to it. */
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

function stripAnsi(text: string): string {
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
}

const zero: HostRecap = { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
const RECAP: Record<string, HostRecap> = {
  infra0: { ...zero, ok: 4, changed: 2, ignored: 1 },
  infra1: { ...zero, ok: 1, skipped: 1, unreachable: 1 },
  infra2: { ...zero, failed: 1 },
  'infra-long10': { ...zero, unreachable: 1 },
};

/** The synthetic run; Secrets are hidden in results, a diff, a msg and a nested array. */
function syntheticStream(opts: { end?: boolean } = {}): RunEvent[] {
  const secret = new Secret(SECRET_TEXT);
  const hosts = ['infra0', 'infra1', 'infra2', 'infra-long10'];
  const events: RunEvent[] = [
    { kind: 'run:start', playbook: 'pb.yaml', check: true, diff: true, hosts },
    { kind: 'play:start', play: 'etcd', hosts },
    { kind: 'host:connect', host: 'infra0', ok: true, durationMs: 12 },
    { kind: 'host:connect', host: 'infra-long10', ok: false, durationMs: 5, error: 'connection refused' },
    { kind: 'task:start', play: 'etcd', task: 'write config', location: 'pb.yaml:3:5', hosts: ['infra0', 'infra1', 'infra2'] },
    { kind: 'task:host', task: 'write config', host: 'infra0', status: 'ok', msg: 'already there', changes: [], diffs: [], durationMs: 3 },
    {
      kind: 'task:host', task: 'write config', host: 'infra1', status: 'changed', changes: ['write /etc/x', 'restart etcd'],
      diffs: [
        { label: '/etc/x', before: 'a\nb\n', after: 'a\nc\n' },
        { label: '/etc/key', before: SECRET_TEXT, after: 'new', secret: true },
        { label: '/etc/token', before: secret as unknown as string, after: 'x' },
      ],
      result: { stdout: Buffer.from('done\n'), token: secret, nested: { list: [secret] } },
      durationMs: 4,
    },
    { kind: 'task:host', task: 'write config', host: 'infra2', status: 'failed', msg: 'exit 1: boom', changes: [], diffs: [], result: { stderr: 'boom\n' }, durationMs: 4 },
    { kind: 'task:end', task: 'write config', durationMs: 10 },
    { kind: 'task:start', play: 'etcd', task: 'loop', location: 'pb.yaml:9:5', hosts: ['infra0', 'infra1'] },
    { kind: 'task:host', task: 'loop', host: 'infra0', item: 'a', status: 'ok', changes: [], diffs: [], durationMs: 1 },
    { kind: 'task:host', task: 'loop', host: 'infra0', item: 'b', status: 'changed', changes: ['touch b'], diffs: [], durationMs: 1 },
    { kind: 'task:host', task: 'loop', host: 'infra1', status: 'skipped', msg: 'when was false', changes: [], diffs: [], durationMs: 1 },
    { kind: 'task:end', task: 'loop', durationMs: 10 },
    { kind: 'task:start', play: 'etcd', task: 'hidden', location: 'pb.yaml:14:5', hosts: ['infra0', 'infra1'], handler: true },
    { kind: 'task:host', task: 'hidden', host: 'infra0', status: 'failed', ignored: true, msg: secret as unknown as string, changes: [], diffs: [], result: { censored: 'hidden by no_log' }, durationMs: 1 },
    { kind: 'task:host', task: 'hidden', host: 'infra1', status: 'unreachable', msg: 'ssh dropped', changes: [], diffs: [], durationMs: 1 },
    { kind: 'task:end', task: 'hidden', durationMs: 10 },
    { kind: 'warning', message: 'facts are predicted', host: 'infra0' },
  ];
  if (opts.end !== false) {
    events.push({ kind: 'run:end', recap: RECAP, durationMs: 12345, exitCode: 2, changesPending: true, interrupted: false });
  }
  return events;
}

async function feed(reporter: Reporter, events: RunEvent[]): Promise<void> {
  for (const e of events) reporter.emit(e);
  await reporter.close?.();
}

const PLAIN_EXPECTED = `
PLAY [etcd]

TASK [write config] (pb.yaml:3:5)
ok: [infra0] => already there
changed: [infra1] => 2 changes
--- before: /etc/x
+++ after: /etc/x
@@ -1,2 +1,2 @@
 a
-b
+c
/etc/key: ${SECRET_DIFF_NOTICE}
/etc/token: ${SECRET_DIFF_NOTICE}
failed: [infra2] => exit 1: boom

TASK [loop] (pb.yaml:9:5)
ok: [infra0] (item=a)
changed: [infra0] (item=b) => 1 change
skipping: [infra1]

RUNNING HANDLER [hidden] (pb.yaml:14:5)
failed: [infra0] => the output has been hidden (no_log)
...ignoring
unreachable: [infra1] => ssh dropped
[WARNING]: [infra0] facts are predicted

PLAY RECAP
infra0       : ok=4  changed=2  unreachable=0  failed=0  skipped=0  rescued=0  ignored=1
infra1       : ok=1  changed=0  unreachable=1  failed=0  skipped=1  rescued=0  ignored=0
infra2       : ok=0  changed=0  unreachable=0  failed=1  skipped=0  rescued=0  ignored=0
infra-long10 : ok=0  changed=0  unreachable=1  failed=0  skipped=0  rescued=0  ignored=0
Finished in 12.3s; check mode: changes pending
`;

test('plain: exact Ansible-like lines, diffs, recap and summary', async (t) => {
  const buf = createBuffer();
  await feed(createPlainReporter(buf.stream, { verbosity: 0, diff: true, color: false }), syntheticStream());
  t.is(buf.text(), PLAIN_EXPECTED);
});

test('plain -v: change descriptions, registered output, skip reason; no_log shows only the censored notice', async (t) => {
  const buf = createBuffer();
  await feed(createPlainReporter(buf.stream, { verbosity: 1, diff: false, color: false }), syntheticStream());
  const text = buf.text();
  t.true(text.includes('changed: [infra1] => 2 changes\n    - write /etc/x\n    - restart etcd\n    stdout: done\n'));
  t.true(text.includes('failed: [infra2] => exit 1: boom\n    stderr: boom\n'));
  t.true(text.includes('skipping: [infra1] => when was false\n'));
  t.true(text.includes('changed: [infra0] (item=b) => 1 change\n    - touch b\n'));
  t.true(text.includes('...ignoring\n    censored: hidden by no_log\n'));
  t.false(text.includes('--- before'), 'no diff without --diff');
});

test('plain: colors only when asked, and the colored text strips to the plain text', async (t) => {
  const colored = createBuffer();
  await feed(createPlainReporter(colored.stream, { verbosity: 0, diff: true, color: true }), syntheticStream());
  const text = colored.text();
  t.true(text.includes('\u001b[32mok: [infra0] => already there\u001b[0m'));
  t.true(text.includes('\u001b[33mchanged: [infra1] => 2 changes\u001b[0m'));
  t.true(text.includes('\u001b[31mfailed: [infra2] => exit 1: boom\u001b[0m'));
  t.true(text.includes('\u001b[36mskipping: [infra1]\u001b[0m'));
  t.true(text.includes('\u001b[31munreachable: [infra1] => ssh dropped\u001b[0m'));
  t.true(text.includes('\u001b[31m-b\u001b[0m') && text.includes('\u001b[32m+c\u001b[0m'));
  t.is(stripAnsi(text), PLAIN_EXPECTED);
});

test('plain: a run that ends without run:end still gets a recap counted from the results', async (t) => {
  const buf = createBuffer();
  await feed(createPlainReporter(buf.stream, { verbosity: 0, diff: false, color: false }), syntheticStream({ end: false }));
  const recap = buf.text().split('PLAY RECAP\n')[1]!;
  // Loop items count once per (task, host) at their worst status; changed counts as ok too.
  t.is(
    recap,
    'infra0 : ok=2  changed=1  unreachable=0  failed=0  skipped=0  rescued=0  ignored=1\n' +
      'infra1 : ok=1  changed=1  unreachable=1  failed=0  skipped=1  rescued=0  ignored=0\n' +
      'infra2 : ok=0  changed=0  unreachable=0  failed=1  skipped=0  rescued=0  ignored=0\n' +
      '(the run ended without a recap from the engine: counts are from the results reported above)\n',
  );
});

test('recap: columns line up across hosts, with and without color', (t) => {
  const recap = { a: { ...zero, ok: 12345, changed: 1 }, 'long-host-name': { ...zero, ok: 1, failed: 22 } };
  for (const color of [false, true]) {
    const lines = stripAnsi(formatRecap(recap, { color })).split('\n');
    t.is(lines[0], 'PLAY RECAP');
    t.is(lines.length, 3);
    for (const key of [':', 'ok=', 'changed=', 'unreachable=', 'failed=', 'skipped=', 'rescued=', 'ignored=']) {
      t.is(lines[1]!.indexOf(key), lines[2]!.indexOf(key), `column ${key} (color ${color})`);
    }
    t.is(lines[1], 'a              : ok=12345  changed=1  unreachable=0  failed=0   skipped=0  rescued=0  ignored=0');
  }
  t.true(formatRecap(recap, { color: true }).includes('\u001b[31mlong-host-name\u001b[0m'), 'a failed host is red');
  t.is(formatRecap({}, { color: false }), 'PLAY RECAP\n(no hosts)');
});

test('summary line: time, check-mode verdict, interruption', (t) => {
  t.is(formatRunSummary({ durationMs: 400, changesPending: false, interrupted: false }, false, { color: false }), 'Finished in 0.4s');
  t.is(formatRunSummary({ durationMs: 400, changesPending: false, interrupted: false }, true, { color: false }), 'Finished in 0.4s; check mode: no changes pending');
  t.is(formatRunSummary({ durationMs: 125000, changesPending: true, interrupted: true }, true, { color: false }), 'Interrupted after 2m05s; check mode: changes pending');
  t.is(formatDuration(59_949), '59.9s');
});

test('render-diff: unified diff, secret notice, identical content', (t) => {
  t.is(renderDiff({ label: 'f', before: 'x\n', after: 'y\n' }, { color: false }), '--- before: f\n+++ after: f\n@@ -1,1 +1,1 @@\n-x\n+y');
  t.is(renderDiff({ label: 'k', before: SECRET_TEXT, after: 'z', secret: true }, { color: false }), `k: ${SECRET_DIFF_NOTICE}`);
  t.is(renderDiff({ label: 'k', before: 'a', after: new Secret(SECRET_TEXT) as unknown as string }, { color: false }), `k: ${SECRET_DIFF_NOTICE}`);
  t.is(renderDiff({ label: 'same', before: 'a\n', after: 'a\n' }, { color: false }), '');
  const colored = renderDiff({ label: 'f', before: 'x\n', after: 'y\n' }, { color: true });
  t.true(colored.includes('\u001b[36m@@ -1,1 +1,1 @@\u001b[0m'));
  t.is(stripAnsi(colored), '--- before: f\n+++ after: f\n@@ -1,1 +1,1 @@\n-x\n+y');
});

test('render-diff: a host file holding escape sequences is shown escaped, with or without color', (t) => {
  const before = 'title \u001b]0;owned\u0007 clear \u001b[2J csi \u009b31m\n';
  const plain = renderDiff({ label: '/etc/motd\u001b[1A', before, after: 'clean\n' }, { color: false });
  // The diff library quotes a header holding a control character itself (\033).
  t.is(plain, '--- "before: /etc/motd\\033[1A"\n+++ "after: /etc/motd\\033[1A"\n@@ -1,1 +1,1 @@\n-title \\x1b]0;owned\\x07 clear \\x1b[2J csi \\x9b31m\n+clean');
  const colored = renderDiff({ label: 'f', before, after: 'clean\n' }, { color: true });
  t.is(stripAnsi(colored).includes('\u001b'), false, 'the only escapes left are the colors');
  t.true(colored.includes('\\x1b]0;owned\\x07'));
  t.is(renderDiff({ label: 'k\u001b[2J', before: 'a', after: 'b', secret: true }, { color: false }), `k\\x1b[2J: ${SECRET_DIFF_NOTICE}`);
});

test('json: one parseable object per event with ts; Buffers as text; secrets masked', async (t) => {
  const buf = createBuffer();
  const events = syntheticStream();
  await feed(createJsonReporter(buf.stream, { now: () => new Date('2026-01-02T03:04:05.000Z') }), events);
  const lines = buf.text().split('\n');
  t.is(lines.pop(), '', 'ends with a newline');
  t.is(lines.length, events.length);
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.deepEqual(parsed.map((p) => p.kind), events.map((e) => e.kind));
  t.true(parsed.every((p) => p.ts === '2026-01-02T03:04:05.000Z'));
  const results = parsed.filter((p) => p.kind === 'task:host');
  t.deepEqual(results.map((r) => `${r.task}/${r.host}/${r.item ?? ''}/${r.status}`), [
    'write config/infra0//ok',
    'write config/infra1//changed',
    'write config/infra2//failed',
    'loop/infra0/a/ok',
    'loop/infra0/b/changed',
    'loop/infra1//skipped',
    'hidden/infra0//failed',
    'hidden/infra1//unreachable',
  ]);
  const changed = results[1] as { result: Record<string, unknown>; diffs: Array<Record<string, unknown>>; changes: string[] };
  t.deepEqual(changed.result, { stdout: 'done\n', token: '<secret>', nested: { list: ['<secret>'] } });
  t.deepEqual(changed.diffs[1], { label: '/etc/key', before: '<secret>', after: '<secret>', secret: true });
  t.is(changed.diffs[2]!.before, '<secret>');
  t.deepEqual(changed.changes, ['write /etc/x', 'restart etcd']);
  t.deepEqual((parsed.at(-1) as { recap: unknown }).recap, RECAP);
});

test('json: each line is byte for byte the event with ts first, through the replacer, C1 controls escaped', (t) => {
  const at = new Date('2026-01-02T03:04:05.000Z');
  const withC1: RunEvent = { kind: 'task:host', task: 't\u009b2J', host: 'h', status: 'ok', changes: [], diffs: [], msg: 'del \u007f, nel \u0085', result: { out: Buffer.from('caf\u00e9\u009b') }, durationMs: 1 };
  const events: RunEvent[] = [
    ...syntheticStream(),
    withC1,
    // Plain data is written without the replacer (json.ts isPlainData): it must come out the
    // same, and everything the replacer changes must still go through it, however deep.
    ...[
      { plain: { a: [1, 'x', null, true, undefined, { b: [[]] }], n: NaN, inf: -Infinity, u: undefined, f: () => 1 } },
      { nullProto: Object.assign(Object.create(null) as object, { k: 'v' }) },
      { deep: { list: [{ ok: 1 }, { diff: { label: 'k', before: 'old key', after: 'new key', secret: true } }] } },
      { deep: [[[{ token: new Secret('hunter2') }]]] },
      { deep: { bytes: [Uint8Array.from([104, 105])] } },
      { deep: { when: new Date('2026-01-02T00:00:00Z') } },
      { deep: { big: 12n } },
      { deep: { err: new Error('boom') } },
      { getter: Object.defineProperty({}, 'lazy', { get: () => 'rendered', enumerable: true }) },
      { large: Array.from({ length: 20_000 }, (_, i) => ({ i })) },
      { largeWithSecret: [...Array.from({ length: 20_000 }, (_, i) => i), new Secret('late')] },
      { array: Object.assign([1, 2], { toJSON: () => 'replaced' }) },
    ].map((result): RunEvent => ({ kind: 'task:host', task: 't', host: 'h', status: 'ok', changes: [], diffs: [], result, durationMs: 1 })),
  ];
  for (const event of events) {
    const expected = JSON.stringify({ ts: at.toISOString(), ...event }, replaceForJson).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    t.is(serializeEvent(event, at), expected, event.kind);
  }
  t.false(/[\u007f-\u009f]/.test(serializeEvent(withC1, at)));
  const written = events.slice(events.indexOf(withC1) + 1).map((e) => serializeEvent(e, at)).join('\n');
  for (const secret of ['old key', 'new key', 'hunter2', 'late']) t.false(written.includes(secret), secret);
});

test('json: an event that cannot be serialised becomes an error line, not a crash', async (t) => {
  const buf = createBuffer();
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  // Wide as well as deep: the plain-data walk must stop on its own, not follow every path.
  cyclic.again = cyclic;
  const reporter = createJsonReporter(buf.stream);
  reporter.emit({ kind: 'task:host', task: 't', host: 'h', status: 'ok', changes: [], diffs: [], result: cyclic, durationMs: 1 });
  await reporter.close?.();
  const line = JSON.parse(buf.text()) as Record<string, string>;
  t.is(line.kind, 'task:host');
  t.regex(line.error!, /^event could not be serialised: /);
});

test('collector: keeps every event; results filter by task and host', async (t) => {
  const c = createCollector();
  const events = syntheticStream();
  t.false(c.closed);
  await feed(c.reporter, events);
  t.true(c.closed);
  t.deepEqual(c.events, events);
  t.is(c.results().length, 8);
  t.deepEqual(c.results('loop').map((r) => r.item ?? r.status), ['a', 'b', 'skipped']);
  t.deepEqual(c.results(undefined, 'infra1').map((r) => r.status), ['changed', 'skipped', 'unreachable']);
  t.deepEqual(c.results('loop', 'infra0').map((r) => r.item), ['a', 'b']);
  t.deepEqual(c.ofKind('task:start').map((e) => e.task), ['write config', 'loop', 'hidden']);
});

test('choose: auto is listr in a TTY, plain otherwise, plain under CI; explicit choices win', async (t) => {
  t.is(resolveOutputKind({ output: 'auto', tty: true, env: {} }), 'listr');
  t.is(resolveOutputKind({ output: 'auto', tty: false, env: {} }), 'plain');
  t.is(resolveOutputKind({ output: 'auto', tty: true, env: { CI: 'true' } }), 'plain');
  t.is(resolveOutputKind({ output: 'auto', tty: true, env: { CI: 'false' } }), 'listr');
  t.is(resolveOutputKind({ output: 'json', tty: true, env: { CI: 'true' } }), 'json');
  t.is(resolveOutputKind({ output: 'listr', tty: false, env: {} }), 'listr');

  const json = createBuffer();
  await feed(chooseReporter({ output: 'json', tty: false, verbosity: 0, diff: false, color: false, out: json.stream }), syntheticStream());
  t.is(JSON.parse(json.text().split('\n')[0]!).kind, 'run:start');
  const plain = createBuffer();
  await feed(chooseReporter({ output: 'auto', tty: false, verbosity: 0, diff: true, color: false, out: plain.stream, env: {} }), syntheticStream());
  t.is(plain.text(), PLAIN_EXPECTED);
});

test('listr (simple renderer): every host result shown, then the recap', async (t) => {
  const buf = createBuffer();
  await feed(createListrReporter({ verbosity: 1, diff: true, color: false, renderer: 'simple', out: buf.stream }), syntheticStream());
  const text = stripAnsi(buf.text());
  for (const line of [
    'PLAY [etcd]',
    'TASK [write config] (pb.yaml:3:5)',
    'ok: [infra0] => already there',
    'changed: [infra1] => 2 changes',
    'failed: [infra2] => exit 1: boom',
    'ok: [infra0] (item=a)',
    'changed: [infra0] => 1 change (2 items)',
    'skipping: [infra1] => when was false',
    'HANDLER [hidden] (pb.yaml:14:5)',
    'failed: [infra0] => the output has been hidden (no_log)',
    'unreachable: [infra1] => ssh dropped',
    '+c',
    `/etc/key: ${SECRET_DIFF_NOTICE}`,
    '[WARNING]: [infra0] facts are predicted',
  ]) {
    t.true(text.includes(line), line);
  }
  t.true(text.endsWith(`${formatRecap(RECAP, { color: false })}\nFinished in 12.3s; check mode: changes pending\n`));
  // The live list of a task is drawn before the next task's.
  t.true(text.indexOf('exit 1: boom') < text.indexOf('TASK [loop]'));
});

test('listr: a run cut short (no task:end, no run:end) still finishes and prints a recap', async (t) => {
  const buf = createBuffer();
  const events = syntheticStream({ end: false }).slice(0, 7); // stops inside "write config"
  await feed(createListrReporter({ verbosity: 0, diff: false, color: false, renderer: 'simple', out: buf.stream }), events);
  const text = stripAnsi(buf.text());
  t.true(text.includes('changed: [infra1] => 2 changes'));
  t.true(text.includes('[infra2]: no result (the task or run ended first)'));
  t.true(text.includes('PLAY RECAP\ninfra0 : ok=1'));
  t.true(text.includes('(the run ended without a recap from the engine'));
});

test('listr (test renderer) completes with listr2 state events for each host', async (t) => {
  const buf = createBuffer();
  await feed(createListrReporter({ verbosity: 0, diff: false, color: false, renderer: 'test', out: buf.stream }), syntheticStream());
  const text = buf.text();
  t.true(text.includes('PLAY RECAP'));
  t.regex(text, /"title":"failed: \[infra2\] => exit 1: boom"/);
  t.regex(text, /"event":"STATE","data":"FAILED"/);
  t.regex(text, /"event":"MESSAGE","data":\{"error":"unreachable"\}/);
});

test('no reporter ever prints a secret, at any verbosity', async (t) => {
  const outputs: string[] = [];
  for (const verbosity of [0, 1, 2]) {
    const plain = createBuffer();
    await feed(createPlainReporter(plain.stream, { verbosity, diff: true, color: true }), syntheticStream());
    const listr = createBuffer();
    await feed(createListrReporter({ verbosity, diff: true, color: true, renderer: 'simple', out: listr.stream }), syntheticStream({ end: false }));
    outputs.push(plain.text(), listr.text());
  }
  const json = createBuffer();
  await feed(createJsonReporter(json.stream), syntheticStream());
  outputs.push(json.text());
  for (const text of outputs) {
    t.true(text.length > 500, 'the reporter wrote something');
    t.false(text.includes(SECRET_TEXT));
  }
  t.true(outputs.some((o) => o.includes('<secret>')), 'secrets show as the mask');
});
