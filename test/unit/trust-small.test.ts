/**
 * Issue 13, item 11, the smaller holes: a CA directory others can write or a ca.key others can
 * read is refused with the fix; a diff holding a private key is shown as secret even when the
 * task did not say so; a NUL byte never reaches a shell word; a systemd unit name cannot start
 * with `-` (systemctl would read it as an option).
 */
import test from 'ava';
import { chmodSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa } from '../../runner/pki/issue.js';
import { loadCa, ensureCa } from '../../runner/pki/ca-store.js';
import { hideKeyMaterial } from '../../runner/executor/task-result.js';
import { quote } from '../../runner/connection/quote.js';
import { systemdSchema } from '../../schemas/modules/systemd.js';

test('a CA directory writable by others, or a ca.key readable by others, is refused with the command that fixes it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-ca-modes-'));
  await ensureCa(dir, { keySize: 2048, validityDays: 30 });
  t.truthy(await loadCa(dir), 'the modes ensureCa gives are accepted');
  chmodSync(dir, 0o777);
  await t.throwsAsync(loadCa(dir), { message: /can be written by others \(mode 777.*chmod 700/ });
  chmodSync(dir, 0o700);
  chmodSync(join(dir, 'ca.key'), 0o644);
  const err = await t.throwsAsync(loadCa(dir), { message: /ca\.key can be read by others \(mode 644.*chmod 600/ });
  t.notRegex(err?.message ?? '', /PRIVATE KEY/);
  chmodSync(join(dir, 'ca.key'), 0o600);
  t.truthy(await loadCa(dir));
});

test('a ca.key that is a symbolic link is refused', async (t) => {
  const real = mkdtempSync(join(tmpdir(), 'quorum-ca-real-'));
  const ca = await createCa({ keySize: 2048, validityDays: 30 });
  writeFileSync(join(real, 'key.pem'), Buffer.from(ca.keyPem.reveal()), { mode: 0o600 });
  const dir = mkdtempSync(join(tmpdir(), 'quorum-ca-link-'));
  chmodSync(dir, 0o700);
  writeFileSync(join(dir, 'ca.crt'), ca.certPem);
  symlinkSync(join(real, 'key.pem'), join(dir, 'ca.key'));
  await t.throwsAsync(loadCa(dir), { message: /is not a regular file/ });
});

test('a diff holding a private key is secret whatever the task said; other diffs are untouched', (t) => {
  const key = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n';
  t.deepEqual(hideKeyMaterial({ label: '/etc/app/tls.key', before: '', after: key }), { label: '/etc/app/tls.key', before: '', after: '', secret: true });
  t.deepEqual(hideKeyMaterial({ label: 'x', before: `old\n-----BEGIN PRIVATE KEY-----\n`, after: 'new' }).secret, true);
  const plain = { label: '/etc/app/app.conf', before: 'a=1\n', after: 'a=2\n' };
  t.is(hideKeyMaterial(plain), plain);
  t.deepEqual(hideKeyMaterial({ label: 'c', before: '', after: '-----BEGIN CERTIFICATE-----\n' }).secret, undefined);
});

test('a NUL byte never reaches a shell word: the quote refuses it, naming what came before', (t) => {
  t.throws(() => quote('/etc/app\0/../../shadow'), { message: /NUL byte cannot be part of a command word or path: "\/etc\/app"/ });
  t.is(quote('/etc/app'), '/etc/app');
});

test('a systemd unit name cannot start with -', (t) => {
  const pattern = new RegExp(systemdSchema.properties.name.pattern);
  t.false(pattern.test('-Hfoo'));
  t.false(pattern.test('--root=/'));
  t.true(pattern.test('etcd'));
  t.true(pattern.test('getty@tty1.service'));
  t.true(pattern.test('system-getty.slice'));
});
