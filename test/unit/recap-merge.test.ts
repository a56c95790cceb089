/**
 * `quorum recap` (runner/report/recap-merge.ts, runner/cli/recap.ts) on real `-o json` outputs: the
 * slices of one run, made here by the CLI with `--slice K/N`, merge into one recap and the exit
 * code a single run over all the hosts gives.
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mergeRunStreams } from '../../runner/report/recap-merge.js';
import { runCli } from '../helpers/quorum.js';
import { writeScenario, type Scenario } from '../fixtures/playbooks/engine/scenario.js';

const HOSTS = { h1: {}, h2: {}, h3: {}, h4: {}, h5: {} };

const MKDIR = `    - name: mkdir
      file: { path: "{{ workdir }}/{{ inventory_hostname }}/made", state: directory }
`;
const FAIL_ON_H4 = `    - name: fail on h4
      command: { argv: [test, "{{ inventory_hostname }}", "!=", "h4"] }
`;

function scenario(tasks: string): Scenario {
  return writeScenario(`- hosts: nodes\n  gather_facts: false\n  tasks:\n${tasks}`, { hosts: HOSTS });
}

/** Run every slice of `count` with -o json; the files written, and each slice's own exit code. */
async function runSlices(s: Scenario, count: number, ...args: string[]): Promise<{ files: string[]; codes: number[] }> {
  const files: string[] = [];
  const codes: number[] = [];
  for (let k = 1; k <= count; k++) {
    const r = await runCli(['run', s.playbookFile, '-i', s.inventoryFile, '-o', 'json', '--slice', `${k}/${count}`, ...args]);
    const file = join(s.dir, `slice-${k}.jsonl`);
    writeFileSync(file, r.stdout);
    files.push(file);
    codes.push(r.code);
  }
  return { files, codes };
}

const streams = (files: string[]) => files.map((file) => ({ file, text: readFileSync(file, 'utf8') }));

test('two clean slices: every host once, ok and changed summed as in one run, exit 0', async (t) => {
  const s = scenario(MKDIR);
  const { files, codes } = await runSlices(s, 2);
  t.deepEqual(codes, [0, 0]);
  const merged = mergeRunStreams(streams(files));
  t.deepEqual(merged.problems, []);
  t.deepEqual(Object.keys(merged.recap), ['h1', 'h2', 'h3', 'h4', 'h5']);
  for (const h of Object.keys(HOSTS)) t.like(merged.recap[h], { ok: 1, changed: 1, failed: 0 });
  t.deepEqual(merged.slices.map((x) => x.hosts), [2, 3]);
  t.is(merged.exitCode, 0);
  // Compared with the run over all hosts at once (a second implementation of the same recap).
  const whole = await runCli(['run', s.playbookFile, '-i', s.inventoryFile, '-o', 'json']);
  const end = whole.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.kind === 'run:end');
  t.deepEqual(Object.keys(end.recap).sort(), Object.keys(merged.recap));
});

test('a host failed in one slice: the merge exits 2 like a single run, naming the host and task', async (t) => {
  const s = scenario(MKDIR + FAIL_ON_H4);
  const { files, codes } = await runSlices(s, 3);
  t.deepEqual(codes, [0, 0, 2], 'slices h1 | h2 h3 | h4 h5: h4 is in the last');
  const merged = mergeRunStreams(streams(files));
  t.is(merged.exitCode, 2);
  t.is(merged.recap.h4!.failed, 1);
  t.deepEqual(merged.failures.map((f) => [f.host, f.task]), [['h4', 'fail on h4']]);
  const r = await runCli(['recap', '--no-color', ...files]);
  t.is(r.code, 2, r.stderr);
  t.regex(r.stdout, /failed: \[h4\] fail on h4/);
  t.regex(r.stdout, /^h4 +: ok=1 +changed=1 +unreachable=0 +failed=1/m);
  t.regex(r.stdout, /3 slices merged, exit 2/);
});

test('--check --detailed-exitcode slices merge to 10 when changes are pending, 0 when none', async (t) => {
  const s = scenario(MKDIR);
  const pending = await runSlices(s, 2, '--check', '--detailed-exitcode');
  t.deepEqual(pending.codes, [10, 10]);
  const merged = mergeRunStreams(streams(pending.files));
  t.true(merged.check);
  t.is(merged.exitCode, 10);
  await runSlices(s, 2);
  const none = await runSlices(s, 2, '--check', '--detailed-exitcode');
  t.is(mergeRunStreams(streams(none.files)).exitCode, 0);
});

test('a slice that did not finish (no run:end) makes the merge exit 99, never 0', async (t) => {
  const s = scenario(MKDIR);
  const { files } = await runSlices(s, 2);
  const lines = readFileSync(files[1]!, 'utf8').trim().split('\n');
  writeFileSync(files[1]!, lines.filter((l) => JSON.parse(l).kind !== 'run:end').join('\n') + '\n');
  const r = await runCli(['recap', '--no-color', ...files]);
  t.is(r.code, 99, r.stdout + r.stderr);
  t.regex(r.stderr, /did not finish/);
  // Its hosts are still in the recap, counted from their task results.
  t.regex(r.stdout, /^h5 +: ok=1 +changed=1/m);
});

test('bad input exits 5 with file:line:col: not JSON, an empty slice, a file given twice, a missing file', async (t) => {
  const s = scenario(MKDIR);
  const { files } = await runSlices(s, 2);
  const broken = join(s.dir, 'broken.jsonl');
  writeFileSync(broken, readFileSync(files[0]!, 'utf8') + '{"kind": "task:host", oops}\n');
  let r = await runCli(['recap', broken, files[1]!]);
  t.is(r.code, 5);
  t.true(r.stderr.includes(`${broken}:${readFileSync(files[0]!, 'utf8').trim().split('\n').length + 1}:`), r.stderr);
  t.regex(r.stderr, /not a line of JSON/);
  const empty = join(s.dir, 'empty.jsonl');
  writeFileSync(empty, '');
  r = await runCli(['recap', files[0]!, empty]);
  t.is(r.code, 5);
  t.regex(r.stderr, /empty\.jsonl:1:1 .*never started/);
  r = await runCli(['recap', files[0]!, files[0]!]);
  t.is(r.code, 5);
  t.regex(r.stderr, /host h1 is also in/);
  r = await runCli(['recap', join(s.dir, 'nope.jsonl')]);
  t.is(r.code, 5);
  t.regex(r.stderr, /cannot read .*nope\.jsonl: ENOENT/);
  const forged = join(s.dir, 'forged.jsonl');
  writeFileSync(forged, '{"kind":"run:start","playbook":"p","check":false,"diff":false,"hosts":["x"]}\n{"kind":"run:end","recap":{"x":{"ok":"1"}},"exitCode":0,"changesPending":false,"interrupted":false,"durationMs":1}\n');
  t.is(mergeRunStreams([{ file: forged, text: readFileSync(forged, 'utf8') }]).exitCode, 5, 'a recap with a missing or non-number column is refused');
});
