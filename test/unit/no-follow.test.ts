/**
 * Changes that must not act through a symbolic link planted after the host was read (issue 13):
 * chmod refuses a path that is a link now, chown changes the link itself, put's rename replaces
 * a link to a directory instead of moving into it, a directory is never created through a link
 * planted as one of its missing parents, and a put whose bytes were cut (a here-document
 * ended by a dropped connection) never replaces the file. Run by the real dash and coreutils.
 */
import test from 'ava';
import { createHash } from 'node:crypto';
import { lstatSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chmodNoFollow, chownNoFollow, mkdirNoFollow } from '../../runner/connection/no-follow.js';
import { applyPlan } from '../../runner/plan/apply.js';
import { file } from '../../modules/file.js';
import { localModuleContext, planModule } from '../helpers/module-run.js';
import { buildPutScript } from '../../runner/connection/ssh.js';
import { quoteArgv } from '../../runner/connection/quote.js';
import { runDash } from '../helpers/dash.js';

const sh = runDash;

test('chmod refuses a path that became a link: the private file it points to keeps 0600', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-nofollow-'));
  const secret = join(dir, 'secret.key');
  writeFileSync(secret, 'k', { mode: 0o600 });
  const planted = join(dir, 'app.conf');
  symlinkSync(secret, planted);
  const r = sh(chmodNoFollow('0644', planted));
  t.is(r.code, 1);
  t.regex(r.stderr, /became a symbolic link after it was read: not following it/);
  t.is(statSync(secret).mode & 0o777, 0o600);
  // A plain file is changed as asked, and odd names are quoted.
  const odd = join(dir, "it's $(id) here");
  writeFileSync(odd, 'x', { mode: 0o600 });
  t.is(sh(chmodNoFollow('0644', odd)).code, 0);
  t.is(statSync(odd).mode & 0o777, 0o644);
});

test('chown changes the link itself (-h), never its target', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-nofollow-'));
  const target = join(dir, 'target');
  writeFileSync(target, 'x');
  const link = join(dir, 'link');
  symlinkSync(target, link);
  const uid = process.getuid!();
  const spec = `${uid === 0 ? 65534 : uid}`;
  const r = sh(quoteArgv(chownNoFollow(spec, link)));
  t.is(r.code, 0, r.stderr);
  t.is(lstatSync(link).uid, Number(spec));
  t.is(statSync(target).uid, uid, 'the target kept its owner');
});

test('put replaces a link to a directory planted at dest instead of writing into that directory', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-nofollow-'));
  const victim = join(dir, 'victim-dir');
  mkdirSync(victim);
  const dest = join(dir, 'app.conf');
  symlinkSync(victim, dest);
  const r = sh(buildPutScript({ text: 'new\n' }, join(dir, '.tmp'), dest, { mode: '0644' }));
  t.is(r.code, 0, r.stderr);
  t.false(lstatSync(dest).isSymbolicLink());
  t.is(readFileSync(dest, 'utf8'), 'new\n');
  t.deepEqual(readdirSync(victim), [], 'nothing was put inside the directory');
});

test('put checks the bytes before the rename: cut content fails and leaves the good file and no temp file', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-nofollow-'));
  const dest = join(dir, 'big.bin');
  writeFileSync(dest, 'the good file');
  const content = Buffer.alloc(50_000, 7);
  const sha = createHash('sha256').update(content).digest('hex');
  const cut = sh(buildPutScript('-', join(dir, '.tmp'), dest, { mode: '0755' }, sha), content.subarray(0, 21_855));
  t.not(cut.code, 0);
  t.is(readFileSync(dest, 'utf8'), 'the good file');
  t.deepEqual(readdirSync(dir), ['big.bin']);
  const whole = sh(buildPutScript('-', join(dir, '.tmp'), dest, { mode: '0755' }, sha), content);
  t.is(whole.code, 0, whole.stderr);
  t.deepEqual(readFileSync(dest), content);
  t.is(statSync(dest).mode & 0o777, 0o755);
});

test('a directory is created one component at a time: mode by mkdir -m, owner on the directory entered, existing links in the base followed', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-nofollow-'));
  mkdirSync(join(dir, 'real'));
  symlinkSync(join(dir, 'real'), join(dir, 'named-link'));
  const uid = process.getuid!();
  const r = sh(mkdirNoFollow(join(dir, 'named-link'), ['a', "it's $(id)", 'c'], { mode: '0710', owner: String(uid) }));
  t.is(r.code, 0, r.stderr);
  t.is(statSync(join(dir, 'real', 'a', "it's $(id)", 'c')).mode & 0o7777, 0o710);
  t.true(statSync(join(dir, 'real', 'a')).isDirectory());
  // Again: everything exists, the mode is set by chmod of the directory entered.
  const again = sh(mkdirNoFollow(join(dir, 'real'), ['a', "it's $(id)", 'c'], { mode: '0700' }));
  t.is(again.code, 0, again.stderr);
  t.is(statSync(join(dir, 'real', 'a', "it's $(id)", 'c')).mode & 0o7777, 0o700);
});

test('a link planted where a directory is to be created is refused: nothing is made, chown\'ed or chmod\'ed through it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-nofollow-'));
  const victim = join(dir, 'victim');
  mkdirSync(victim, { mode: 0o700 });
  symlinkSync(victim, join(dir, 'a'));
  const r = sh(mkdirNoFollow(dir, ['a', 'b', 'c'], { mode: '0777', owner: '65534' }));
  t.is(r.code, 1);
  t.regex(r.stderr, /\/a is a symbolic link that appeared after quorum read the path: not following it/);
  t.deepEqual(readdirSync(victim), []);
  t.is(statSync(victim).mode & 0o777, 0o700);
  t.is(statSync(victim).uid, process.getuid!());
});

test('file state=directory: a link planted in a missing parent between gather and apply is refused (mkdir -p followed it)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-nofollow-'));
  const victim = join(dir, 'victim');
  mkdirSync(victim, { mode: 0o700 });
  const ctx = localModuleContext(dir);
  const path = join(dir, 'app', 'data', 'cache');
  const plan = await planModule(file, { path, state: 'directory', mode: '0777' }, ctx);
  symlinkSync(victim, join(dir, 'app')); // planted after the read
  const outcome = await applyPlan(ctx, plan);
  t.regex(outcome.failure?.message ?? '', /app is a symbolic link that appeared after quorum read the path: not following it/);
  t.deepEqual(readdirSync(victim), [], 'nothing was created inside the directory the link points to');
  t.is(statSync(victim).mode & 0o777, 0o700);
  // Without the planted link, the same plan makes the whole path.
  rmSync(join(dir, 'app'));
  const made = await applyPlan(ctx, await planModule(file, { path, state: 'directory', mode: '0777' }, ctx));
  t.is(made.failure, undefined);
  t.is(statSync(path).mode & 0o777, 0o777);
});
