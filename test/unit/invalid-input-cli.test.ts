/**
 * Every case of the invalid-input corpus through the BUILT executable (`npm run build` first):
 * test/fixtures/invalid/*.yaml (broken playbooks, also checked in-process by
 * invalid-corpus.test.ts) and test/fixtures/invalid/cli/* (options, inventories, vars files,
 * -e @file, encodings, sizes, depth). For each: exit 5 (never 1), the problem's `file:line:col`
 * or the option's name in the output, under 2 s and 300 MB peak RSS, and no host touched: the
 * inventory's hosts are a TCP listener of this test that must never see a connection. The
 * cases run two at a time; one over 2 s (the machine is shared) is timed again alone.
 *
 * A case's leading comment lines say what it needs (placeholders: {case} this file, {dir} the
 * directory it runs in, {cli} test/fixtures/invalid/cli, {inventory} the listener's inventory):
 *   # args: run -f 0 {case}        the arguments (default: run -i {inventory} {case})
 *   # expect: TEXT                 must be in the output (paths shown relative to {dir})
 *   # absent: TEXT                 must not be (a secret of the file, a stack trace)
 *   # generate: KIND NAME          a file made by this test, beside a copy of the case in a
 *                                  temporary directory (too big, a FIFO or a link to commit)
 */
import test from 'ava';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBuiltCli, type CliResult } from '../helpers/quorum.js';

const corpus = fileURLToPath(new URL('../fixtures/invalid', import.meta.url));
const cliCorpus = join(corpus, 'cli');
const MAX_MS = 2000;
const MAX_RSS_KB = 300 * 1024;
/** Two cores shared with other work: two processes at a time keeps each one's time honest. */
const CONCURRENCY = 2;

interface Case {
  name: string;
  file: string;
  args: string[];
  expect: string[];
  absent: string[];
  generate: Array<[kind: string, name: string]>;
}

function readCase(dir: string, name: string): Case {
  const file = join(dir, name);
  const text = readFileSync(file).toString('latin1');
  const header = text.split('\n').filter((l) => l.startsWith('# '));
  const values = (key: string) => header.filter((l) => l.startsWith(`# ${key}: `)).map((l) => l.slice(`# ${key}: `.length).trimEnd());
  const args = values('args')[0]?.split(/\s+/) ?? ['run', '-i', '{inventory}', '{case}'];
  return {
    name: dir === corpus ? name : `cli/${name}`,
    file,
    args,
    expect: values('expect'),
    absent: values('absent'),
    generate: values('generate').map((g) => g.split(/\s+/) as [string, string]),
  };
}

const cases = [
  ...readdirSync(corpus).filter((f) => f.endsWith('.yaml')).sort().map((f) => readCase(corpus, f)),
  ...readdirSync(cliCorpus).filter((f) => f.endsWith('.case')).sort().map((f) => readCase(cliCorpus, f)),
];

/** Files too big, too odd or too dangerous to commit, made in the case's temporary directory. */
function generate(kind: string, path: string): void {
  const tasks = (n: number) => '- hosts: all\n  tasks:\n' + Array.from({ length: n }, (_, i) => `    - debug: {msg: task ${i}}\n`).join('');
  switch (kind) {
    case 'tasks-130k': return writeFileSync(path, tasks(130_000));
    case 'tasks-4k': return writeFileSync(path, tasks(4_000).split('\n').slice(2).join('\n'));
    case 'vars-200k': return writeFileSync(path, Array.from({ length: 10_000 }, (_, i) => `v${i}: value number ${i}\n`).join(''));
    case 'inventory-9m': return writeFileSync(path, 'all:\n  hosts:\n' + Array.from({ length: 260_000 }, (_, i) => `    host${i}: {ansible_host: 192.0.2.1}\n`).join(''));
    case 'block-depth-150': return writeFileSync(path, '- hosts: all\n  vars:\n    x:\n' + Array.from({ length: 150 }, (_, i) => `${' '.repeat(6 + i * 2)}k${i}:\n`).join('') + `${' '.repeat(6 + 150 * 2)}leaf\n  tasks: []\n`);
    case 'flow-depth-60k': return writeFileSync(path, `- hosts: all\n  vars:\n    x: ${'['.repeat(60_000)}${']'.repeat(60_000)}\n  tasks: []\n`);
    case 'fifo': return void execFileSync('mkfifo', [path]);
    case 'link-dev-zero': return symlinkSync('/dev/zero', path);
    case 'directory': return void execFileSync('mkdir', [path]);
    default: throw new Error(`unknown generator ${kind}`);
  }
}

/** The inventory every case runs against: its hosts are `listener`, which counts connections. */
function writeInventory(dir: string, port: number): string {
  const file = join(dir, 'inventory.yaml');
  const host = (name: string) => `    ${name}: {ansible_host: 127.0.0.1, ansible_port: ${port}, ansible_user: root}\n`;
  writeFileSync(file, `all:\n  vars:\n    etcd_data_dir: /var/lib/etcd\n  hosts:\n${host('node1')}${host('node2')}  children:\n    etcd:\n      hosts:\n        node1: {}\n        node2: {}\n`);
  return file;
}

/** Where a problem is: a file:line:col, or the option, argument or command line value named. */
const LOCATED = /[^\s:]+:\d+:\d+|option '[^']+'|argument '?[^' ]+'?|unknown command '[^']+'|(^|\s)-e[ :]/m;

test('at least 120 invalid inputs exist', (t) => {
  t.true(cases.length >= 120, `only ${cases.length} cases`);
});

test('every invalid input: exit 5 and a location, fast, small, no host touched', async (t) => {
  t.timeout(180_000);
  let connections = 0;
  const listener: Server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as { port: number }).port;
  const scratch = mkdtempSync(join(tmpdir(), 'quorum-invalid-'));
  const inventory = writeInventory(scratch, port);
  const failures: string[] = [];
  let maxMs = 0;
  let maxRssKb = 0;
  let slowest = '';
  let largest = '';

  /** Cases over the time limit while another process competed for the CPU: run again alone. */
  const retryAlone: Array<[Case, number]> = [];
  const runCase = async (c: Case, index: number, alone = false): Promise<void> => {
    let dir = c.file === join(corpus, c.name) ? corpus : cliCorpus;
    let caseFile = c.file;
    if (c.generate.length > 0) {
      dir = mkdtempSync(join(scratch, `case-${index}-`));
      caseFile = join(dir, c.name.replace(/^cli\//, ''));
      copyFileSync(c.file, caseFile);
      for (const [kind, name] of c.generate) generate(kind, join(dir, name));
    }
    const args = c.args.map((a) => a.replaceAll('{case}', caseFile).replaceAll('{dir}', dir).replaceAll('{cli}', cliCorpus).replaceAll('{inventory}', inventory));
    let result: CliResult;
    try {
      result = await runBuiltCli(args, { measure: true, timeoutMs: 20_000 });
    } catch (err) {
      failures.push(`${c.name}: ${(err as Error).message}`);
      return;
    }
    const output = `${result.stdout}${result.stderr}`.split(`${dir}/`).join('');
    const problems: string[] = [];
    if (result.code !== 5) problems.push(`exit ${result.code}, expected 5`);
    if (!LOCATED.test(output)) problems.push('no file:line:col or option name in the output');
    for (const e of c.expect) if (!output.includes(e)) problems.push(`missing: ${e}`);
    for (const a of [...c.absent, 'internal error', '    at ']) if (output.includes(a)) problems.push(`must not print: ${a}`);
    if (c.expect.length === 0) problems.push('a case must expect something (# expect: ...)');
    if (result.elapsedMs! > MAX_MS) {
      if (!alone && problems.length === 0) {
        retryAlone.push([c, index]);
        return;
      }
      problems.push(`took ${Math.round(result.elapsedMs!)} ms${alone ? ' when run alone' : ''}`);
    }
    if (result.peakRssKb! > MAX_RSS_KB) problems.push(`peak RSS ${result.peakRssKb} KiB`);
    if (result.elapsedMs! > maxMs) [maxMs, slowest] = [result.elapsedMs!, c.name];
    if (result.peakRssKb! > maxRssKb) [maxRssKb, largest] = [result.peakRssKb!, c.name];
    if (problems.length > 0) failures.push(`${c.name}: ${problems.join('; ')}\n    output: ${output.split('\n').slice(0, 6).join('\n            ')}`);
  };

  // The first start after a build compiles the V8 code cache (runner/launch.ts): a one-time
  // cost, not the time an input takes to be refused.
  await runBuiltCli(['--version']);
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < cases.length) {
          const index = next++;
          await runCase(cases[index]!, index);
        }
      }),
    );
    // Other test files (and other users of the machine) share the two cores: a case slow in
    // the pool is timed again with nothing else of ours running. Its second time is the one kept.
    for (const [c, index] of retryAlone) await runCase(c, index, true);
  } finally {
    listener.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  t.log(`${retryAlone.length} case(s) timed again alone: ${retryAlone.map(([c]) => c.name).join(', ') || 'none'}`);
  t.log(`${cases.length} cases; slowest ${Math.round(maxMs)} ms (${slowest}); largest peak RSS ${Math.round(maxRssKb / 1024)} MiB (${largest})`);
  t.deepEqual(failures, []);
  t.is(connections, 0, 'a case reached a host');
});

test('the listener sees a connection when a valid playbook runs: the "no host touched" check can fail', async (t) => {
  let connections = 0;
  const listener: Server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const scratch = mkdtempSync(join(tmpdir(), 'quorum-invalid-'));
  try {
    const inventory = writeInventory(scratch, (listener.address() as { port: number }).port);
    const result = await runBuiltCli(['run', '-i', inventory, '-T', '2', join(cliCorpus, 'ok-playbook.yaml')], { timeoutMs: 30_000 });
    t.is(result.code, 4, result.stderr);
    t.true(connections > 0);
  } finally {
    listener.close();
    rmSync(scratch, { recursive: true, force: true });
  }
});
