/**
 * Reading many paths in one command (runner/facts/path-state-batch.ts) and reading a play's
 * paths ahead (runner/strategy/prefetch.ts), for real with /bin/sh and coreutils on this
 * machine: the batch must say exactly what the one-path script says, on every kind of path;
 * output that does not add up must be refused; a re-run must find its paths read ahead (counted
 * with a sha256sum on PATH that logs each run), and a clear during the read must win.
 */
import test from 'ava';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { buildPathStateScript, parsePathState, pathState } from '../../runner/facts/path-state.js';
import { buildPathStatesScript, parsePathStates } from '../../runner/facts/path-state-batch.js';
import { createHostFactCache } from '../../runner/facts/cache.js';
import { readPathsAhead } from '../../runner/strategy/prefetch.js';
import { LocalConnection } from '../../runner/connection/local.js';
import { runEngine } from '../helpers/quorum.js';
import { recordingLocal } from '../helpers/module-run.js';
import { writeScenario } from '../fixtures/playbooks/engine/scenario.js';

const conn = new LocalConnection('here');

/** A tree with every kind of path the file module meets, and odd names. */
function makeTree(): { dir: string; paths: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-batch-'));
  writeFileSync(join(dir, 'file.conf'), 'key = value\n');
  writeFileSync(join(dir, 'empty'), '');
  mkdirSync(join(dir, 'dir'));
  chmodSync(join(dir, 'dir'), 0o700);
  symlinkSync('file.conf', join(dir, 'link-to-file'));
  symlinkSync('dir', join(dir, 'link-to-dir'));
  symlinkSync('nowhere', join(dir, 'dangling'));
  execFileSync('mkfifo', [join(dir, 'fifo')]);
  const odd = ['with space', "quote'd", 'new\nline', 'back\\slash', '-dash', '::sha256', 'ünï'];
  for (const name of odd) writeFileSync(join(dir, name), `content of ${name}\n`);
  symlinkSync('target\nwith newline', join(dir, 'odd-link'));
  const paths = [
    ...['file.conf', 'empty', 'dir', 'link-to-file', 'link-to-dir', 'dangling', 'fifo', 'odd-link', ...odd].map((n) => join(dir, n)),
    join(dir, 'absent'),
    join(dir, 'no-parent', 'absent'),
    join(dir, 'dir', 'inside-absent'),
    dir,
  ];
  return { dir, paths };
}

/** What the one-path script says of each path, one command each. */
async function readOneByOne(paths: string[]) {
  return Promise.all(paths.map(async (p) => {
    const r = await conn.exec(buildPathStateScript(p));
    return parsePathState(r.stdout.toString(), p);
  }));
}

test('one command for many paths says exactly what the one-path script says, on every kind of path', async (t) => {
  const { paths } = makeTree();
  const r = await conn.exec(buildPathStatesScript(paths));
  t.is(r.exitCode, 0, r.stderr.toString());
  const batch = parsePathStates(r.stdout.toString(), paths);
  t.deepEqual(batch, await readOneByOne(paths));
  t.deepEqual([...new Set(batch.map((s) => s.type))].sort(), ['absent', 'directory', 'file', 'link', 'other']);
  t.is(batch.find((s) => s.path.endsWith('odd-link'))?.target, 'target\nwith newline', 'a target is read whole, newline included');
});

test('all paths absent: builtins only, no tool runs, and the answer is still the same', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-batch-'));
  const paths = [join(dir, 'a'), join(dir, 'b', 'c')];
  const r = await conn.exec(buildPathStatesScript(paths));
  t.deepEqual(parsePathStates(r.stdout.toString(), paths), await readOneByOne(paths));
});

test('output that does not add up is refused, never guessed at', (t) => {
  const paths = ['/a', '/b'];
  const stat = (type: string) => `type=${type}\nmode=644\nowner=root\ngroup=root\nuid=0\ngid=0\nsize=3\n`;
  const hash = 'a'.repeat(64);
  // Kinds say two files, stat printed one record.
  t.throws(() => parsePathStates(`yf\nyf\n::stat\n${stat('regular file')}::sha256\n${hash}  /a\n${hash}  /b\n::link\n`, paths), { message: /stat lines/ });
  // The path became a directory between the kind test and stat.
  t.throws(() => parsePathStates(`yf\nya\n::stat\n${stat('directory')}::sha256\n${hash}  /a\n::link\n`, paths), { message: /changed while it was read/ });
  // A kind line too few, and a missing section.
  t.throws(() => parsePathStates(`yf\n::stat\n::sha256\n::link\n`, paths), { message: /kind lines/ });
  t.throws(() => parsePathStates(`ya\nya\n::stat\n::sha256\n`, paths), { message: /::link/ });
  // An absent path whose parent is missing names where creating it starts (an index into its ancestors).
  const deep = ['/a', '/x/y/b'];
  t.deepEqual(parsePathStates(`ya\nna2\n::stat\n::sha256\n::link\n`, deep), [
    { path: '/a', type: 'absent', parentExists: true },
    { path: '/x/y/b', type: 'absent', parentExists: false, existingAncestor: '/' },
  ]);
  t.throws(() => parsePathStates(`ya\nna\n::stat\n::sha256\n::link\n`, deep), { message: /kind lines/ });
  t.throws(() => parsePathStates(`ya\nna7\n::stat\n::sha256\n::link\n`, deep), { message: /no directory above it/ });
});

test('paths read ahead are found by the tasks without a command; a clear during the read drops them', async (t) => {
  const { paths } = makeTree();
  const { conn: counted, calls } = recordingLocal();
  const facts = createHostFactCache(counted);
  await readPathsAhead(counted, facts, paths.map((path) => ({ path, become: false })));
  t.is(calls.length, 1, 'one command for every path');
  const fromCache = await Promise.all(paths.map((path) => facts.forTask(false).get(pathState, { path })));
  t.is(calls.length, 1, 'no task needed a command of its own');
  t.deepEqual(fromCache, await readOneByOne(paths));
  // Read as root ahead does not answer a task that reads as the login user.
  await facts.forTask(true).get(pathState, { path: paths[0]! });
  t.is(calls.length, 2);

  // A change applied while the batch runs (the cache is cleared): nothing read before it is kept.
  const racing = createHostFactCache(counted);
  const reading = readPathsAhead(counted, racing, [{ path: paths[0]!, become: false }]);
  racing.forTask(false).clear();
  await reading;
  const before = calls.length;
  await racing.forTask(false).get(pathState, { path: paths[0]! });
  t.is(calls.length, before + 1, 'the task read its path again');
});

/** A sha256sum on PATH that logs each run, then runs the real one. */
function countSha256sumRuns(): { log: string; restore(): void } {
  const bin = mkdtempSync(join(tmpdir(), 'quorum-shabin-'));
  const log = join(bin, 'runs');
  const real = execFileSync('sh', ['-c', 'command -v sha256sum'], { encoding: 'utf8' }).trim();
  writeFileSync(join(bin, 'sha256sum'), `#!/bin/sh\necho run >> ${log}\nexec ${real} "$@"\n`, { mode: 0o755 });
  const saved = process.env.PATH;
  process.env.PATH = `${bin}:${saved}`;
  return { log, restore: () => void (process.env.PATH = saved) };
}

for (const gatherFacts of [true, false]) {
  const when = gatherFacts ? 'with the facts' : 'before the first task (gather_facts: false)';
  test.serial(`a re-run of file tasks reads every path of the play in one sha256sum per host, ${when}, and changes nothing`, async (t) => {
    const s = writeScenario(`
- hosts: nodes
  gather_facts: ${gatherFacts}
  tasks:
    - name: directory
      file: { path: "{{ workdir }}/{{ inventory_hostname }}/d", state: directory, mode: "0755" }
    - name: files
      block:
        - name: one
          file: { path: "{{ workdir }}/{{ inventory_hostname }}/d/one.conf", content: "one\\n" }
        - name: two
          file: { path: "{{ workdir }}/{{ inventory_hostname }}/d/two.conf", content: "two\\n" }
    - name: link
      file: { path: "{{ workdir }}/{{ inventory_hostname }}/d/current", target: one.conf }
`);
    const first = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
    t.is(first.summary.exitCode, 0);
    const counter = countSha256sumRuns();
    try {
      const second = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
      t.is(second.summary.exitCode, 0);
      t.deepEqual(Object.values(second.summary.recap).map((r) => r.changed), [0, 0, 0]);
      // Three hosts, one batch each; without reading ahead it would be two files per host.
      t.is(readFileSync(counter.log, 'utf8').split('\n').filter(Boolean).length, 3);
    } finally {
      counter.restore();
    }
    t.is(readFileSync(join(s.workdir, 'a', 'd', 'two.conf'), 'utf8'), 'two\n');
  });
}

test('hosts reading the same paths share one script; other paths or another order get their own', async (t) => {
  const { paths } = makeTree();
  const scripts: string[] = [];
  const recorder: typeof conn = Object.assign(Object.create(conn) as typeof conn, {
    exec: (command: string, options?: Parameters<typeof conn.exec>[1]) => {
      scripts.push(command);
      return conn.exec(command, options);
    },
  });
  const read = (list: string[]) => readPathsAhead(recorder, createHostFactCache(recorder), list.map((path) => ({ path, become: false })));
  await read(paths);
  await read(paths);
  await read(paths.slice(1));
  await read([...paths].reverse());
  await read(paths);
  t.deepEqual(scripts, [paths, paths, paths.slice(1), [...paths].reverse(), paths].map((list) => buildPathStatesScript(list)));
  // Each host's cache got its own answers from its own script.
  const facts = createHostFactCache(recorder);
  await readPathsAhead(recorder, facts, [{ path: paths[1]!, become: false }]);
  t.deepEqual(await facts.forTask(false).get(pathState, { path: paths[1]! }), (await readOneByOne([paths[1]!]))[0]);
});
