/**
 * fetch writes on the controller (issue 13, items 6 and 7): never through a link another user
 * planted where the temp file goes, checked before the rename, the temp file created
 * exclusively with a random name. Real files, the real LocalConnection as the host.
 */
import test from 'ava';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetch } from '../../modules/fetch.js';
import { writeFileAtomically } from '../../runner/files/atomic-write.js';
import { localModuleContext, runModule } from '../helpers/module-run.js';

const mode = (p: string) => (statSync(p).mode & 0o7777).toString(8).padStart(4, '0');

/** A "host" file to fetch, a victim file only root should be able to change, and a dest. */
function setup(): { dir: string; src: string; victim: string; dest: string } {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-fetch-'));
  const src = join(dir, 'on-host.db');
  writeFileSync(src, 'snapshot bytes\n');
  const victim = join(dir, 'shadow');
  writeFileSync(victim, 'root:secret-hash:\n', { mode: 0o600 });
  chmodSync(victim, 0o600);
  return { dir, src, victim, dest: join(dir, 'backups', 'snap.db') };
}

test('a link planted at the old predictable temp name (DEST.quorum-tmp-PID) is not followed', async (t) => {
  const { dir, src, victim, dest } = setup();
  const ctx = localModuleContext(dir);
  // The directory exists (a previous backup), and another user plants the link there.
  await runModule(fetch, { src, dest }, ctx);
  writeFileSync(src, 'a newer snapshot\n');
  symlinkSync(victim, `${dest}.quorum-tmp-${process.pid}`);
  const { outcome } = await runModule(fetch, { src, dest, mode: '0644' }, ctx);
  t.is(outcome.failure, undefined);
  t.is(readFileSync(victim, 'utf8'), 'root:secret-hash:\n', 'the victim was overwritten through the link');
  t.is(mode(victim), '0600', 'the victim was chmod-ed through the link');
  t.is(readFileSync(dest, 'utf8'), 'a newer snapshot\n');
  t.is(mode(dest), '0644');
  t.true(lstatSync(dest).isFile());
});

test('a link at the temp name the write will use makes it fail, leaving the link, its target and dest as they were', async (t) => {
  const { dir, victim } = setup();
  const dest = join(dir, 'ca.key');
  writeFileSync(dest, 'old content\n', { mode: 0o600 });
  const temp = join(dir, '.ca.key.quorum-planted');
  symlinkSync(victim, temp);
  await t.throwsAsync(writeFileAtomically(dest, Buffer.from('new content\n'), { mode: 0o644, tempPath: temp }), { code: 'EEXIST' });
  t.is(readFileSync(victim, 'utf8'), 'root:secret-hash:\n');
  t.is(mode(victim), '0600');
  t.is(readFileSync(dest, 'utf8'), 'old content\n');
  t.true(lstatSync(temp).isSymbolicLink(), 'a name that was not ours is left alone');
  // A dangling link too (O_EXCL refuses it; a plain open would create its target).
  const dangling = join(dir, '.ca.key.quorum-dangling');
  symlinkSync(join(dir, 'created-through-link'), dangling);
  await t.throwsAsync(writeFileAtomically(dest, Buffer.from('x'), { mode: 0o600, tempPath: dangling }), { code: 'EEXIST' });
  t.false(readdirSync(dir).includes('created-through-link'));
});

test('what is written is checked before the rename: a wrong digest leaves dest as it was and no temp file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-atomic-'));
  const dest = join(dir, 'file');
  writeFileSync(dest, 'old\n');
  await t.throwsAsync(writeFileAtomically(dest, Buffer.from('new\n'), { mode: 0o600, sha256: '0'.repeat(64) }), { message: /after writing 4 bytes/ });
  t.is(readFileSync(dest, 'utf8'), 'old\n');
  t.deepEqual(readdirSync(dir), ['file']);
  await writeFileAtomically(dest, Buffer.from('new\n'), { mode: 0o640 });
  t.is(readFileSync(dest, 'utf8'), 'new\n');
  t.is(mode(dest), '0640');
  t.deepEqual(readdirSync(dir), ['file']);
});

test('a link at dest itself is replaced by the file, not written through; no temp file is left', async (t) => {
  const { dir, src, victim } = setup();
  const dest = join(dir, 'out.db');
  symlinkSync(victim, dest);
  const ctx = localModuleContext(dir);
  const { outcome } = await runModule(fetch, { src, dest }, ctx);
  t.is(outcome.failure, undefined);
  t.is(readFileSync(victim, 'utf8'), 'root:secret-hash:\n');
  t.true(lstatSync(dest).isFile());
  t.is(readFileSync(dest, 'utf8'), 'snapshot bytes\n');
  t.is(mode(dest), '0600');
  t.deepEqual(readdirSync(dir).filter((n) => n.includes('quorum')), [], 'no temp file left');
});
