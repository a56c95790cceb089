/**
 * Planning from answers read before a change (runner/facts/kept-reads.ts): the cache keeps
 * guarded answers across a change without handing them to `get`; the shell checks a plan's
 * guards and requirements in the change's own command (connection/preconditions.ts); the
 * path-state guard holds exactly while the path is what was read; and a task planned from a
 * kept answer costs one command, but plans again when the host changed behind the cache.
 * Everything runs on this machine's own sh and coreutils through LocalConnection.
 */
import test from 'ava';
import { mkdtemp, mkdir, readFile, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../../runner/connection/local.js';
import type { Connection, ExecOptions } from '../../runner/connection/types.js';
import { createHostFactCache } from '../../runner/facts/cache.js';
import { pathState, pathStateGuard } from '../../runner/facts/path-state.js';
import { invokeModule } from '../../runner/executor/run-module.js';
import { file } from '../../modules/file.js';
import type { Fact } from '../../runner/types.js';
import type { TaskNode } from '../../runner/playbook.js';
import { runEngine } from '../helpers/quorum.js';
import { writeScenario } from '../fixtures/playbooks/engine/scenario.js';

/** A LocalConnection that counts its commands (the round trips a remote host would see). */
function countingLocal(): { conn: Connection; commands: () => number } {
  const inner = new LocalConnection('counted');
  let n = 0;
  const conn: Connection = {
    host: inner.host,
    checksPreconditions: true,
    exec: (command, options?: ExecOptions) => {
      n++;
      return inner.exec(command, options);
    },
    put: (dest, content, options) => {
      n++;
      return inner.put(dest, content, options);
    },
    get: (path, options) => inner.get(path, options),
    close: () => inner.close(),
  };
  return { conn, commands: () => n };
}

const echoFact = (guard: boolean): Fact<string, { k: number }> => ({
  name: guard ? 'echo-guarded' : 'echo-unguarded',
  command: ({ k }) => `echo ${k}`,
  parse: (o) => o.stdout.trim(),
  ...(guard ? { guard: () => 'true' } : {}),
});

test('after a change, get reads again; kept gives the earlier answer only for a fact with a guard', async (t) => {
  const { conn, commands } = countingLocal();
  const cache = createHostFactCache(conn).forTask(false);
  const guarded = echoFact(true);
  const plain = echoFact(false);
  t.is(await cache.get(guarded, { k: 1 }), '1');
  await cache.get(plain, { k: 1 });
  t.is(cache.kept?.(guarded, { k: 1 }), undefined, 'nothing is "kept" before a change: get answers from the cache');
  t.is(commands(), 2);
  cache.clear();
  t.deepEqual(cache.kept?.(guarded, { k: 1 }), { value: '1' });
  t.is(cache.kept?.(plain, { k: 1 }), undefined, 'a fact without a guard is not kept');
  t.is(await cache.get(guarded, { k: 1 }), '1');
  t.is(commands(), 3, 'get never answers from before the change');
  t.is(cache.kept?.(guarded, { k: 1 }), undefined, 'read again since: the fresh answer is what get gives');
});

test('once the cache grows, it keeps at most 256 answers from before a change, the newest, and every answer since', async (t) => {
  const { conn } = countingLocal();
  const cache = createHostFactCache(conn).forTask(false);
  const guarded = echoFact(true);
  for (let k = 0; k < 300; k++) await cache.get(guarded, { k });
  cache.clear();
  for (let k = 300; k < 600; k++) await cache.get(guarded, { k });
  const kept = Array.from({ length: 300 }, (_, k) => cache.kept?.(guarded, { k }) !== undefined);
  t.is(kept.filter(Boolean).length, 256);
  t.false(kept[43]!);
  t.true(kept[44]! && kept[299]!);
  const { conn: counted, commands } = countingLocal();
  const again = createHostFactCache(counted).forTask(false);
  for (let k = 0; k < 600; k++) await again.get(guarded, { k });
  for (let k = 0; k < 600; k++) await again.get(guarded, { k });
  t.is(commands(), 600, 'answers read since the last change are never pruned');
});

test('preconditions: a stale guard stops the command with nothing run; a requirement fails with its message; a command of its own exiting 97 is not stale', async (t) => {
  const conn = new LocalConnection();
  const dir = await mkdtemp(join(tmpdir(), 'quorum-pre-'));
  const marker = join(dir, 'ran');
  const stale = await conn.exec(['touch', marker], { preconditions: { unchanged: 'false' } });
  t.true(stale.stale);
  await t.throwsAsync(readFile(marker), { code: 'ENOENT' });
  const unmet = await conn.exec(['touch', marker], { preconditions: { unchanged: 'true', requires: [{ test: `[ -d ${dir}/nope ]`, message: "it's missing" }] } });
  t.is(unmet.exitCode, 1);
  t.is(unmet.stderr.toString(), "it's missing\n");
  t.is(unmet.stale, undefined);
  await t.throwsAsync(readFile(marker), { code: 'ENOENT' });
  const own = await conn.exec('touch "$1"; printf quorum-stale-0000000000000000; exit 97'.replace('"$1"', marker), { preconditions: { unchanged: 'true' } });
  t.is(own.exitCode, 97);
  t.is(own.stale, undefined, 'only the mark of this command counts');
  await readFile(marker);
  await t.throwsAsync(conn.put(join(dir, 'f'), Buffer.from('x'), { preconditions: { unchanged: 'false' } }), { name: 'StaleStateError' });
  await t.throwsAsync(readFile(join(dir, 'f')), { code: 'ENOENT' });
  await rm(dir, { recursive: true });
});

test('the path-state guard holds while the path is as read, and fails after each kind of change', async (t) => {
  const conn = new LocalConnection();
  const dir = await mkdtemp(join(tmpdir(), 'quorum-guard-'));
  const holds = async (path: string, state: Awaited<ReturnType<typeof read>>) => (await conn.exec(pathStateGuard(path, state)!)).exitCode === 0;
  const read = (path: string) => createHostFactCache(conn).forTask(false).get(pathState, { path });
  const cases: Array<[string, (p: string) => Promise<void>, (p: string) => Promise<unknown>]> = [
    ['absent, then created', async () => {}, (p) => writeFile(p, 'x')],
    ['file, then new content', (p) => writeFile(p, 'a\n'), (p) => writeFile(p, 'b\n')],
    ['file, then new mode', (p) => writeFile(p, 'a\n'), (p) => chmod(p, 0o600)],
    ['empty file, then removed', (p) => writeFile(p, ''), (p) => rm(p)],
    ['directory, then mode', (p) => mkdir(p, { mode: 0o755 }), (p) => chmod(p, 0o700)],
    ['link, then retargeted', (p) => symlink('one\n', p), async (p) => (await rm(p), symlink('one', p))],
    ['absent with its parent there, then the parent gone', async () => {}, (p) => rm(join(p, '..'), { recursive: true })],
  ];
  for (const [name, make, change] of cases) {
    const parent = join(dir, name.replace(/\W+/g, '-'));
    await mkdir(parent);
    const path = join(parent, 'p');
    await make(path);
    const state = await read(path);
    t.true(await holds(path, state), `${name}: holds as read`);
    await change(path);
    t.false(await holds(path, state), `${name}: fails after the change`);
  }
  await rm(dir, { recursive: true });
});

test('a file task planned from a kept read writes in one command, and plans again when the host changed behind the cache', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'quorum-kept-'));
  const { conn, commands } = countingLocal();
  const host = createHostFactCache(conn);
  const paths = ['new.conf', 'same.conf', 'other.conf'].map((f) => join(dir, f));
  for (const p of paths) await host.forTask(false).get(pathState, { path: p }); // as the play's read-ahead does
  host.forTask(false).clear(); // a change somewhere in the run
  await writeFile(paths[1]!, 'wanted\n'); // behind the cache: as a command or a bind mount would
  await writeFile(paths[2]!, 'old\n');
  const task = { name: 'file', module: 'file', args: {}, keywords: {} } as unknown as TaskNode;
  const run = (path: string) =>
    invokeModule({ task, module: file as never, args: { path, content: 'wanted\n' }, vars: {}, inventoryHost: 'counted', targetHost: 'counted', conn, facts: host.forTask(false), become: false, check: false, playbookDir: dir });

  const before = commands();
  const created = await run(paths[0]!);
  t.is(created.status, 'changed');
  t.is(commands() - before, 1, 'planned from the kept read: one command, no read');
  t.is(await readFile(paths[0]!, 'utf8'), 'wanted\n');

  const same = await run(paths[1]!);
  t.is(same.status, 'ok', 'the guard saw the file appear; read again, nothing to do');
  const other = await run(paths[2]!);
  t.is(other.status, 'changed');
  t.regex(other.changes.join(), /^update /, 'planned again from what is there now');
  t.is(await readFile(paths[2]!, 'utf8'), 'wanted\n');
  await rm(dir, { recursive: true });
});

test('a task whose kept read says there is nothing to do reads again before it says so', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'quorum-kept-noop-'));
  const { conn, commands } = countingLocal();
  const host = createHostFactCache(conn);
  const path = join(dir, 'app.conf');
  await writeFile(path, 'wanted\n');
  await host.forTask(false).get(pathState, { path }); // read while it was as wanted
  host.forTask(false).clear(); // a change somewhere in the run
  await writeFile(path, 'edited by hand\n'); // behind the cache
  const task = { name: 'file', module: 'file', args: {}, keywords: {} } as unknown as TaskNode;
  const before = commands();
  const r = await invokeModule({ task, module: file as never, args: { path, content: 'wanted\n', mode: '0644' }, vars: {}, inventoryHost: 'counted', targetHost: 'counted', conn, facts: host.forTask(false), become: false, check: false, playbookDir: dir });
  t.is(r.status, 'changed', 'the noop planned from the kept read was not trusted');
  t.is(await readFile(path, 'utf8'), 'wanted\n');
  t.true(commands() - before >= 2, 'a read, then the write');
  await rm(dir, { recursive: true });
});

test('a path reached through a directory link is read again when the same file was written by its other name', async (t) => {
  const s = writeScenario(
    `
- hosts: nodes
  gather_facts: false
  tasks:
    - name: through the real directory
      file: { path: "{{ workdir }}/a/real/x.conf", content: "one\\n" }
    - name: through the link
      file: { path: "{{ workdir }}/a/alias/x.conf", content: "one\\n" }
    - name: through the link, other content
      file: { path: "{{ workdir }}/a/alias/y.conf", content: "two\\n" }
    - name: through the real directory again
      file: { path: "{{ workdir }}/a/real/y.conf", content: "two\\n" }
`,
    { hosts: { a: {} } },
  );
  await mkdir(join(s.workdir, 'a', 'real'));
  await symlink('real', join(s.workdir, 'a', 'alias'));
  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
  t.is(run.summary.exitCode, 0);
  t.is(run.results('through the real directory', 'a')[0]?.status, 'changed');
  t.is(run.results('through the link', 'a')[0]?.status, 'ok', 'read ahead as absent; the guard saw it exist');
  t.is(run.results('through the link, other content', 'a')[0]?.status, 'changed');
  t.is(run.results('through the real directory again', 'a')[0]?.status, 'ok');
  t.is(await readFile(join(s.workdir, 'a', 'real', 'y.conf'), 'utf8'), 'two\n');
  await rm(s.dir, { recursive: true });
});
