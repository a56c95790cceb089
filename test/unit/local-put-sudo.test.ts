/**
 * LocalConnection.put through sudo (a non-root controller with `become`), issue 13 item 2: the
 * destination, the temp name and the owner are words of a shell command, so a path a host
 * printed (`db$(id>PWNED)`), spaces, quotes or newlines must reach the file system as they
 * are and never run. This machine's tests run as root, so the connection is told it is not,
 * and a `sudo` on PATH (a fake: `sudo -n CMD...` runs CMD) stands for the real one; the
 * script itself runs in the real sh.
 */
import test from 'ava';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../../runner/connection/local.js';

const fakeSudoDir = mkdtempSync(join(tmpdir(), 'quorum-fake-sudo-'));
const fakeSudo = join(fakeSudoDir, 'sudo');
writeFileSync(fakeSudo, '#!/bin/sh\n# sudo -n CMD ARGS...: run CMD; record that it was called.\n[ "$1" = -n ] || exit 97\nshift\necho called >> "$(dirname "$0")/calls"\nexec "$@"\n');
chmodSync(fakeSudo, 0o755);
process.env['PATH'] = `${fakeSudoDir}:${process.env['PATH']}`;

/** A fresh working directory: an injected `id>PWNED` would write PWNED here. */
function workdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-put-sudo-'));
  process.chdir(dir);
  return dir;
}

/** Every name under dir, recursively (injected commands or stray temp files would show). */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

const HOSTILE_NAMES = ['db$(id>PWNED).bak', 'with spaces and \'single\' "double" quotes', 'new\nline`id>PWNED`;id>PWNED', '-starts-with-dash', '*'];

test.serial('a destination holding $(...), spaces, quotes, newlines and globs is written as named; nothing runs', async (t) => {
  const dir = workdir();
  const conn = new LocalConnection('here', { asRoot: false });
  const parent = join(dir, 'sub dir $(id>PWNED)');
  mkdirSync(parent);
  for (const name of HOSTILE_NAMES) {
    const dest = join(parent, name);
    const content = Buffer.from(`content of ${name}\n\0binary\xff`, 'latin1');
    await conn.put(dest, content, { sudo: true, mode: '0640', owner: 'root', group: 'root' });
    t.deepEqual(readFileSync(dest), content, JSON.stringify(name));
    t.is(statSync(dest).mode & 0o7777, 0o640, JSON.stringify(name));
  }
  t.deepEqual(tree(dir), ['sub dir $(id>PWNED)', ...HOSTILE_NAMES.map((n) => join('sub dir $(id>PWNED)', n)).sort()]);
  t.false(existsSync(join(dir, 'PWNED')), 'no command in a name ran');
  t.true(readFileSync(join(fakeSudoDir, 'calls'), 'utf8').includes('called'), 'the sudo path was taken');
});

test.serial('an owner or group holding shell syntax fails the put and runs nothing, leaving no temp file', async (t) => {
  const dir = workdir();
  const conn = new LocalConnection('here', { asRoot: false });
  const dest = join(dir, 'target');
  for (const opts of [{ owner: 'root;id>PWNED' }, { owner: '$(id>PWNED)' }, { group: 'root`id>PWNED`' }, { owner: 'root root' }]) {
    await t.throwsAsync(conn.put(dest, Buffer.from('x'), { sudo: true, ...opts }), undefined, JSON.stringify(opts));
  }
  t.false(existsSync(join(dir, 'PWNED')), 'no command in an owner ran');
  t.deepEqual(tree(dir), [], 'neither the file nor a temp file is left');
});

test.serial('a mode that is not octal is refused before anything runs', async (t) => {
  const dir = workdir();
  const conn = new LocalConnection('here', { asRoot: false });
  await t.throwsAsync(conn.put(join(dir, 'x'), Buffer.from('x'), { sudo: true, mode: '644;id>PWNED' }), { message: /mode must be an octal string/ });
  t.deepEqual(tree(dir), []);
});
