/**
 * copy, template, lineinfile, blockinfile and stat over the real LocalConnection in a temporary
 * directory: the rules the lab test does not reach (binary remote_src, force: false, dest
 * directories, a content dest that is a directory, validate refusing, backup naming, stat of a
 * link and of an absent path, a missing file without create). Real files, real sh and coreutils.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { localModuleContext, planModule, runModule } from '../helpers/module-run.js';
import { copy } from '../../modules/copy.js';
import { template } from '../../modules/template.js';
import { lineinfile } from '../../modules/lineinfile.js';
import { blockinfile } from '../../modules/blockinfile.js';
import { stat } from '../../modules/stat.js';
import { parseStat } from '../../runner/facts/stat-path.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'quorum-content-'));

test('copy: content, then the same content is a noop; force: false keeps a file that differs', async (t) => {
  const dir = fresh();
  const ctx = localModuleContext(dir);
  const dest = join(dir, 'a.txt');
  const first = await runModule(copy, { content: 'one\n', dest, mode: '0640' }, ctx);
  t.is(first.outcome.failure, undefined);
  t.is(readFileSync(dest, 'utf8'), 'one\n');
  t.is(statSync(dest).mode & 0o777, 0o640);
  const again = await planModule(copy, { content: 'one\n', dest, mode: '0640' }, localModuleContext(dir));
  t.deepEqual(again.changes, []);
  const kept = await planModule(copy, { content: 'two\n', dest, force: false }, localModuleContext(dir));
  t.deepEqual(kept.changes, []);
  t.regex(kept.noop!, /force is false/);
});

test('copy: src into an existing directory or a dest ending in /; content into a directory is refused', async (t) => {
  const dir = fresh();
  writeFileSync(join(dir, 'src.conf'), 'x=1\n');
  mkdirSync(join(dir, 'etc'));
  await runModule(copy, { src: 'src.conf', dest: join(dir, 'etc') }, localModuleContext(dir));
  t.is(readFileSync(join(dir, 'etc', 'src.conf'), 'utf8'), 'x=1\n');
  const r = await runModule(copy, { src: 'src.conf', dest: `${join(dir, 'etc')}/` }, localModuleContext(dir));
  t.deepEqual(r.plan.changes, [], 'same content: nothing to do');
  t.is(r.plan.result?.['dest'], join(dir, 'etc', 'src.conf'));
  await t.throwsAsync(planModule(copy, { content: 'x', dest: join(dir, 'etc') }, localModuleContext(dir)), { message: /is a directory: with content, give the path of the file/ });
});

test('copy: remote_src copies bytes exactly, binary included; unchanged source is a noop', async (t) => {
  const dir = fresh();
  const bytes = Buffer.from([0, 255, 254, 10, 13, 0x80, 65]);
  writeFileSync(join(dir, 'bin'), bytes);
  const dest = join(dir, 'bin.copy');
  const r = await runModule(copy, { src: join(dir, 'bin'), dest, remote_src: true }, localModuleContext(dir));
  t.is(r.outcome.failure, undefined);
  t.deepEqual(readFileSync(dest), bytes);
  t.deepEqual((await planModule(copy, { src: join(dir, 'bin'), dest, remote_src: true }, localModuleContext(dir))).changes, []);
  await t.throwsAsync(planModule(copy, { src: join(dir, 'nope'), dest, remote_src: true }, localModuleContext(dir)), { message: /missing on the host/ });
});

test('copy: backup keeps the old file beside the new one and registers its name', async (t) => {
  const dir = fresh();
  const dest = join(dir, 'conf');
  writeFileSync(dest, 'old\n');
  const r = await runModule(copy, { content: 'new\n', dest, backup: true }, localModuleContext(dir));
  const backup = r.plan.result?.['backup_file'] as string;
  t.regex(backup, /^.*\/conf\.\d{4}-\d{2}-\d{2}@\d{2}:\d{2}:\d{2}~$/);
  t.is(readFileSync(backup, 'utf8'), 'old\n');
  t.is(readFileSync(dest, 'utf8'), 'new\n');
  // No backup of a file that did not exist.
  const created = await runModule(copy, { content: 'n\n', dest: join(dir, 'other'), backup: true }, localModuleContext(dir));
  t.is(created.plan.result?.['backup_file'], undefined);
});

test('copy/template: validate refusing the content leaves dest untouched and names the command', async (t) => {
  const dir = fresh();
  const dest = join(dir, 'conf');
  writeFileSync(dest, 'port=1\n');
  writeFileSync(join(dir, 't.hbs'), 'port={{ port }}\n');
  const bad = await runModule(template, { src: 't.hbs', dest, validate: "grep -q '^port=[0-9]' %s" }, localModuleContext(dir, { port: 'none' }));
  t.regex(bad.outcome.failure?.change ?? '', /validate the new content with: grep -q/);
  t.is(readFileSync(dest, 'utf8'), 'port=1\n');
  const good = await runModule(template, { src: 't.hbs', dest, validate: "grep -q '^port=[0-9]' %s" }, localModuleContext(dir, { port: 2 }));
  t.is(good.outcome.failure, undefined);
  t.is(readFileSync(dest, 'utf8'), 'port=2\n');
  t.deepEqual(readdirSync(dir).sort(), ['conf', 't.hbs'], 'no temporary file left behind');
});

test('lineinfile/blockinfile: a missing file fails without create, is created with it; a directory is refused', async (t) => {
  const dir = fresh();
  const path = join(dir, 'f');
  const missing = await planModule(lineinfile, { path, line: 'a' }, localModuleContext(dir));
  t.regex(missing.failed!, /does not exist: add create: true/);
  await runModule(lineinfile, { path, line: 'a', create: true }, localModuleContext(dir));
  t.is(readFileSync(path, 'utf8'), 'a\n');
  await runModule(blockinfile, { dest: path, block: 'b' }, localModuleContext(dir));
  t.is(readFileSync(path, 'utf8'), 'a\n# BEGIN ANSIBLE MANAGED BLOCK\nb\n# END ANSIBLE MANAGED BLOCK\n');
  t.regex((await planModule(lineinfile, { path: dir, line: 'a' }, localModuleContext(dir))).failed!, /not a file/);
  const absent = await planModule(lineinfile, { path: join(dir, 'nope'), regexp: 'x', state: 'absent' }, localModuleContext(dir));
  t.deepEqual(absent.changes, []);
  t.regex((await planModule(lineinfile, { path, regexp: '(?<=a', line: 'x' }, localModuleContext(dir))).failed!, /^regexp: not a regular expression/);
});

test('stat: a file with checksum, a link (not followed, then followed), an absent path', async (t) => {
  const dir = fresh();
  writeFileSync(join(dir, 'f'), 'data\n', { mode: 0o600 });
  symlinkSync('f', join(dir, 'l'));
  const file = (await planModule(stat, { path: join(dir, 'f'), get_checksum: true }, localModuleContext(dir))).result!['stat'] as Record<string, unknown>;
  t.like(file, { exists: true, isreg: true, isdir: false, islnk: false, mode: '0600', size: 5, checksum: createHash('sha1').update('data\n').digest('hex') });
  t.is(file['mtime'], Math.floor(statSync(join(dir, 'f')).mtimeMs / 1000));
  const link = (await planModule(stat, { path: join(dir, 'l') }, localModuleContext(dir))).result!['stat'] as Record<string, unknown>;
  t.like(link, { exists: true, islnk: true, isreg: false, lnk_target: 'f', lnk_source: join(dir, 'f') });
  t.false('checksum' in link);
  const followed = (await planModule(stat, { path: join(dir, 'l'), follow: true, get_checksum: true, checksum_algorithm: 'sha256' }, localModuleContext(dir))).result!['stat'] as Record<string, unknown>;
  t.like(followed, { islnk: false, isreg: true, checksum: createHash('sha256').update('data\n').digest('hex') });
  const none = await planModule(stat, { path: join(dir, 'none') }, localModuleContext(dir));
  t.deepEqual(none.result, { stat: { exists: false } });
  t.deepEqual(none.changes, []);
});

test('stat output from a hostile host is data: odd fields stay strings or are dropped, a target may hold anything', (t) => {
  const parsed = parseStat('exists=yes\ntype=regular file\nmode=777\nuid=x\n__proto__=1\nsource=/a\ntarget=../{{ secret }}\nsecond line\0', '/p');
  t.is(parsed.target, '../{{ secret }}\nsecond line');
  t.is(({} as Record<string, unknown>)['1'], undefined);
  t.throws(() => parseStat('garbage', '/p'), { message: /unexpected stat output/ });
});
