/**
 * The file module for real: gather -> plan -> applyPlan over LocalConnection in a temporary
 * directory. Every case also runs a second time to prove the module is idempotent, and check
 * mode (gather + plan only) must leave the tree byte-identical.
 */
import test from 'ava';
import { mkdtemp, mkdir, readFile, readlink, rm, stat, lstat, symlink, writeFile, readdir, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { file } from '../../modules/file.js';
import { pathState } from '../../runner/facts/path-state.js';
import { renderDiff, SECRET_DIFF_NOTICE } from '../../runner/report/render-diff.js';
import { localModuleContext, planModule, runModule } from '../helpers/module-run.js';

async function createTempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'quorum-file-'));
}

async function readMode(path: string): Promise<string> {
  return ((await lstat(path)).mode & 0o7777).toString(8).padStart(4, '0');
}

/** Everything observable about a tree: type, mode, owner, content hash, link target. */
async function snapshotTree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(root, { recursive: true })).sort()) {
    const p = join(root, name);
    const s = await lstat(p);
    const what = s.isSymbolicLink() ? `link ${await readlink(p)}` : s.isFile() ? `file ${createHash('sha256').update(await readFile(p)).digest('hex')}` : 'dir';
    out[name] = `${what} ${s.mode.toString(8)} ${s.uid}:${s.gid} ${s.mtimeMs}`;
  }
  return out;
}

test('content: create, then the second run is a noop with a reason', async (t) => {
  const dir = await createTempDir();
  const ctx = localModuleContext(dir);
  const params = { path: join(dir, 'app.conf'), content: 'hello\n', mode: '0640' };
  const first = await runModule(file, params, ctx);
  t.deepEqual(first.outcome.applied, [`create ${params.path} (6 bytes)`]);
  t.is(first.outcome.failure, undefined);
  t.is(await readFile(params.path, 'utf8'), 'hello\n');
  t.is(await readMode(params.path), '0640');
  const second = await runModule(file, params, ctx);
  t.deepEqual(second.plan.changes, []);
  t.is(second.plan.noop, `${params.path}: content and mode 0640 already as wanted`);
  await rm(dir, { recursive: true });
});

test('content change keeps the existing mode and shows a unified diff', async (t) => {
  const dir = await createTempDir();
  const path = join(dir, 'app.conf');
  await writeFile(path, 'line1\nold\n');
  await chmod(path, 0o604);
  const { plan, outcome } = await runModule(file, { path, content: 'line1\nnew\n' }, localModuleContext(dir));
  t.deepEqual(outcome.applied, [`update ${path} (10 bytes)`]);
  t.is(await readFile(path, 'utf8'), 'line1\nnew\n');
  t.is(await readMode(path), '0604');
  const text = renderDiff(plan.diffs![0]!, { color: false });
  t.regex(text, /^-old$/m);
  t.regex(text, /^\+new$/m);
  await rm(dir, { recursive: true });
});

test('mode only: one chmod, content untouched, then noop', async (t) => {
  const dir = await createTempDir();
  const path = join(dir, 'x');
  await writeFile(path, 'keep\n', { mode: 0o600 });
  const ctx = localModuleContext(dir);
  const { plan, outcome } = await runModule(file, { path, mode: '0644' }, ctx);
  t.deepEqual(outcome.applied, [`chmod 0644 ${path}`]);
  t.deepEqual(plan.diffs, [{ label: `attributes of ${path}`, before: 'mode: 0600\n', after: 'mode: 0644\n' }]);
  t.is(await readMode(path), '0644');
  t.is(await readFile(path, 'utf8'), 'keep\n');
  t.deepEqual((await planModule(file, { path, mode: '0644' }, ctx)).changes, []);
  await rm(dir, { recursive: true });
});

test('owner and group: chown to nobody:nogroup, then noop', async (t) => {
  const dir = await createTempDir();
  const path = join(dir, 'owned');
  await writeFile(path, '');
  const ctx = localModuleContext(dir);
  const params = { path, owner: 'nobody', group: 'nogroup' };
  const { outcome } = await runModule(file, params, ctx);
  t.deepEqual(outcome.applied, [`chown nobody:nogroup ${path}`]);
  t.is((await stat(path)).uid, 65534);
  t.deepEqual((await planModule(file, params, ctx)).changes, []);
  await rm(dir, { recursive: true });
});

test('directory: nested mkdir -p with mode, then noop; a file in the way fails', async (t) => {
  const dir = await createTempDir();
  const path = join(dir, 'a', 'b');
  const ctx = localModuleContext(dir);
  const { outcome } = await runModule(file, { path, state: 'directory', mode: '0700' }, ctx);
  t.is(outcome.failure, undefined);
  t.true((await stat(path)).isDirectory());
  t.is(await readMode(path), '0700');
  t.deepEqual((await planModule(file, { path, state: 'directory', mode: '0700' }, ctx)).changes, []);
  await writeFile(join(dir, 'f'), '');
  const blocked = await planModule(file, { path: join(dir, 'f'), state: 'directory' }, ctx);
  t.is(blocked.failed, `${join(dir, 'f')} is a file, not a directory: remove it first with state: absent`);
  await rm(dir, { recursive: true });
});

test('link: create, noop, retarget; a file in the way fails', async (t) => {
  const dir = await createTempDir();
  const path = join(dir, 'current');
  const ctx = localModuleContext(dir);
  await runModule(file, { path, state: 'link', target: 'v1' }, ctx);
  t.is(await readlink(path), 'v1');
  t.deepEqual((await planModule(file, { path, target: 'v1' }, ctx)).changes, []);
  const retarget = await runModule(file, { path, target: 'v2' }, ctx);
  t.deepEqual(retarget.outcome.applied, [`link ${path} -> v2`]);
  t.is(await readlink(path), 'v2');
  await writeFile(join(dir, 'plain'), 'x');
  t.regex((await planModule(file, { path: join(dir, 'plain'), target: 'v1' }, ctx)).failed ?? '', /is a file, not a symbolic link/);
  await rm(dir, { recursive: true });
});

test('link: a target with a newline or spaces in it is read back whole, so the second run is a noop', async (t) => {
  const dir = await createTempDir();
  const ctx = localModuleContext(dir);
  for (const [name, target] of [['odd', 'v1\nv2'], ['spaced', ' lead and trail ']] as const) {
    const path = join(dir, name);
    await runModule(file, { path, target }, ctx);
    t.is(await readlink(path), target);
    t.deepEqual((await planModule(file, { path, target }, ctx)).changes, [], name);
  }
  await rm(dir, { recursive: true });
});

test('absent: removes a tree, then noop', async (t) => {
  const dir = await createTempDir();
  const path = join(dir, 'tree');
  await mkdir(join(path, 'sub'), { recursive: true });
  await writeFile(join(path, 'sub', 'f'), 'x');
  const ctx = localModuleContext(dir);
  const { outcome } = await runModule(file, { path, state: 'absent' }, ctx);
  t.deepEqual(outcome.applied, [`remove a directory ${path}`]);
  await t.throwsAsync(lstat(path), { code: 'ENOENT' });
  t.is((await planModule(file, { path, state: 'absent' }, ctx)).noop, `${path} is already absent`);
  await rm(dir, { recursive: true });
});

test('touch: creates an empty file, leaves an existing one (content and times) alone', async (t) => {
  const dir = await createTempDir();
  const path = join(dir, 'ready');
  const ctx = localModuleContext(dir);
  await runModule(file, { path, state: 'touch' }, ctx);
  t.is((await readFile(path)).length, 0);
  t.is(await readMode(path), '0644');
  await writeFile(path, 'data');
  const before = await snapshotTree(dir);
  const again = await planModule(file, { path, state: 'touch' }, ctx);
  t.deepEqual(again.changes, []);
  t.deepEqual(await snapshotTree(dir), before);
  await rm(dir, { recursive: true });
});

test('template: rendered with the task variables; a missing variable fails in gather', async (t) => {
  const dir = await createTempDir();
  await writeFile(join(dir, 'etcd.env.hbs'), 'ETCD_NAME={{ name }}\nPEERS={{ peers.count }}\n');
  const path = join(dir, 'etcd.env');
  const ctx = localModuleContext(dir, { name: 'infra0', peers: { count: 3 } });
  await runModule(file, { path, template: 'etcd.env.hbs' }, ctx);
  t.is(await readFile(path, 'utf8'), 'ETCD_NAME=infra0\nPEERS=3\n');
  t.deepEqual((await planModule(file, { path, template: 'etcd.env.hbs' }, ctx)).changes, []);
  await t.throwsAsync(planModule(file, { path, template: 'etcd.env.hbs' }, localModuleContext(dir, { name: 'x' })), { message: /peers/ });
  await rm(dir, { recursive: true });
});

test('src: binary controller file copied byte for byte; a missing src says where it looked', async (t) => {
  const dir = await createTempDir();
  const bytes = Buffer.from([0, 1, 2, 255, 254, 10, 0]);
  await writeFile(join(dir, 'blob.bin'), bytes);
  const path = join(dir, 'copy.bin');
  const ctx = localModuleContext(dir);
  const { plan } = await runModule(file, { path, src: 'blob.bin' }, ctx);
  t.deepEqual(await readFile(path), bytes);
  t.regex(plan.diffs![0]!.after, /binary or large content, sha256 [0-9a-f]{64}/);
  await t.throwsAsync(planModule(file, { path, src: 'nope.bin' }, ctx), { message: `src ${join(dir, 'nope.bin')} cannot be read (ENOENT); src is relative to the playbook directory ${dir}` });
  await rm(dir, { recursive: true });
});

test('secret content: the diff carries no text and --diff prints only a notice', async (t) => {
  const dir = await createTempDir();
  const path = join(dir, 'ca.key');
  await writeFile(path, 'OLD-SECRET-VALUE\n');
  const { plan } = await runModule(file, { path, content: 'NEW-SECRET-VALUE\n', mode: '0600', secret: true }, localModuleContext(dir));
  t.is(await readFile(path, 'utf8'), 'NEW-SECRET-VALUE\n');
  const printed = (plan.diffs ?? []).map((d) => renderDiff(d, { color: false })).join('\n') + JSON.stringify(plan.diffs);
  t.notRegex(printed, /SECRET-VALUE/);
  t.true(printed.includes(SECRET_DIFF_NOTICE));
  await rm(dir, { recursive: true });
});

test('missing parent directory: the apply fails with what to do, nothing is written', async (t) => {
  const dir = await createTempDir();
  const path = join(dir, 'missing', 'app.conf');
  const { outcome } = await runModule(file, { path, content: 'x' }, localModuleContext(dir));
  t.deepEqual(outcome.applied, []);
  t.is(outcome.failure?.change, `create ${path} (1 bytes)`);
  t.regex(outcome.failure?.message ?? '', /does not exist: create it first \(file with state: directory\)/);
  await t.throwsAsync(lstat(join(dir, 'missing')), { code: 'ENOENT' });
  await rm(dir, { recursive: true });
});

test('check mode (gather + plan only) leaves the tree byte-identical', async (t) => {
  const dir = await createTempDir();
  await writeFile(join(dir, 'a.conf'), 'old\n', { mode: 0o600 });
  await mkdir(join(dir, 'd'));
  await symlink('a.conf', join(dir, 'l'));
  await writeFile(join(dir, 't.hbs'), '{{ x }}\n');
  const before = await snapshotTree(dir);
  const ctx = { ...localModuleContext(dir, { x: 'y' }), checkMode: true };
  const tasks = [
    { path: join(dir, 'a.conf'), content: 'new\n', mode: '0644' },
    { path: join(dir, 'b.conf'), template: 't.hbs' },
    { path: join(dir, 'd'), state: 'absent' },
    { path: join(dir, 'e', 'f'), state: 'directory' },
    { path: join(dir, 'l'), target: 'b.conf' },
    { path: join(dir, 'n'), state: 'touch', owner: 'nobody' },
  ];
  for (const params of tasks) t.true((await planModule(file, params, ctx)).changes.length > 0, JSON.stringify(params));
  t.deepEqual(await snapshotTree(dir), before);
  await rm(dir, { recursive: true });
});

test('path-state fact on real paths: file, directory, link, absent, missing parent', async (t) => {
  const dir = await createTempDir();
  await writeFile(join(dir, 'f'), 'hello\n', { mode: 0o640 });
  await symlink('f', join(dir, 'l'));
  const ctx = localModuleContext(dir);
  const get = (name: string) => ctx.facts.get(pathState, { path: join(dir, name) });
  t.like(await get('f'), { type: 'file', mode: '0640', owner: 'root', uid: 0, size: 6, sha256: '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03', parentExists: true });
  t.like(await get('l'), { type: 'link', target: 'f', sha256: undefined });
  t.like(await ctx.facts.get(pathState, { path: dir }), { type: 'directory' });
  t.deepEqual(await get('nope'), { path: join(dir, 'nope'), type: 'absent', parentExists: true });
  t.deepEqual(await get('no/pe'), { path: join(dir, 'no/pe'), type: 'absent', parentExists: false, existingAncestor: dir });
  await rm(dir, { recursive: true });
});
