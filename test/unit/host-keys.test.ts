/**
 * known_hosts parsing and host key policies. Keys are real ed25519/ecdsa public keys generated
 * here; hashed entries are computed the way OpenSSH does (HMAC-SHA1 keyed by a random salt).
 */
import test from 'ava';
import { createHash, createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appendKnownHost,
  checkHostKey,
  fingerprintOf,
  formatKnownHostName,
  keyTypeOf,
  matchesHost,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
  verifyHostKey,
  type HostKeyCheck,
} from '../../runner/connection/host-keys.js';
import { UnreachableError } from '../../runner/errors.js';

/** An ssh-ed25519 public key blob in SSH wire format, from a fresh key pair. */
function ed25519Blob(): Buffer {
  const der = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  const raw = der.subarray(der.length - 32);
  return Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(raw)]);
}

function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

function line(hosts: string, key: Buffer, marker = ''): string {
  return `${marker ? `${marker} ` : ''}${hosts} ${keyTypeOf(key)} ${key.toString('base64')} comment`;
}

/** `|1|salt|hash` exactly as `ssh-keygen -H` writes it. */
function hashedName(hostName: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(hostName).digest('base64')}`;
}

const strict = (names: string[], port = 22): HostKeyCheck => ({ names, port, policy: 'strict' });

test('fingerprints are OpenSSH SHA256 without padding; key type is read from the blob', (t) => {
  const key = ed25519Blob();
  t.is(fingerprintOf(key), `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`);
  t.notRegex(fingerprintOf(key), /=$/);
  t.is(keyTypeOf(key), 'ssh-ed25519');
});

test('parse skips comments, blank and malformed lines, and keeps line numbers and markers', (t) => {
  const key = ed25519Blob();
  const text = ['# comment', '', line('a.example,10.0.0.1', key), 'garbage', line('b.example', key, '@revoked'), line(hashedName('c'), key)].join('\n');
  const entries = parseKnownHosts(text);
  t.is(entries.length, 3);
  t.deepEqual(
    entries.map((e) => [e.line, e.marker, e.patterns, e.keyType]),
    [
      [3, undefined, 'a.example,10.0.0.1', 'ssh-ed25519'],
      [5, '@revoked', 'b.example', 'ssh-ed25519'],
      [6, undefined, undefined, 'ssh-ed25519'],
    ],
  );
  t.true(entries[0]!.key.equals(key));
  t.is(entries[2]!.hashed?.salt.length, 20);
});

test('plain patterns: lists, wildcards, negation, case, and [host]:port for other ports', (t) => {
  const key = ed25519Blob();
  const [entry] = parseKnownHosts(line('web*.example,!web9.example,DB.example', key));
  t.true(matchesHost(entry!, 'web1.example'));
  t.false(matchesHost(entry!, 'web9.example'));
  t.true(matchesHost(entry!, formatKnownHostName('db.EXAMPLE', 22)));
  t.false(matchesHost(entry!, 'mail.example'));
  const [ported] = parseKnownHosts(line('[10.0.0.5]:2222', key));
  t.true(matchesHost(ported!, formatKnownHostName('10.0.0.5', 2222)));
  t.false(matchesHost(ported!, formatKnownHostName('10.0.0.5', 22)));
});

test('hashed entries match only the exact host string they were made from', (t) => {
  const key = ed25519Blob();
  const entries = parseKnownHosts([line(hashedName('10.0.0.7'), key), line(hashedName('[10.0.0.8]:2200'), key)].join('\n'));
  t.true(matchesHost(entries[0]!, '10.0.0.7'));
  t.false(matchesHost(entries[0]!, '10.0.0.70'));
  t.true(matchesHost(entries[1]!, formatKnownHostName('10.0.0.8', 2200)));
  t.false(matchesHost(entries[1]!, '10.0.0.8'));
  t.deepEqual(checkHostKey(entries, key, strict(['10.0.0.7'])), { accepted: true, learn: false });
});

test('strict: a known key is accepted, an unknown host refused, a different key refused naming both fingerprints', (t) => {
  const known = ed25519Blob();
  const other = ed25519Blob();
  const entries = parseKnownHosts(line('10.0.0.1,infra3', known));
  t.deepEqual(checkHostKey(entries, known, strict(['10.0.0.9', 'infra3'])), { accepted: true, learn: false });
  const unknown = checkHostKey(entries, known, strict(['10.0.0.2']));
  t.false(unknown.accepted);
  t.regex(!unknown.accepted ? unknown.reason : '', /10\.0\.0\.2 is not in known_hosts .*strict/);
  const mismatch = checkHostKey(entries, other, strict(['10.0.0.1']));
  t.false(mismatch.accepted);
  const reason = !mismatch.accepted ? mismatch.reason : '';
  t.true(reason.includes('HOST KEY MISMATCH for 10.0.0.1'));
  t.true(reason.includes(fingerprintOf(known)));
  t.true(reason.includes(`offered ${fingerprintOf(other)}`));
  t.true(reason.includes('known_hosts line 1'));
});

test('accept-new learns unknown hosts but still refuses a changed key; off accepts anything', (t) => {
  const known = ed25519Blob();
  const other = ed25519Blob();
  const entries = parseKnownHosts(line('h1', known));
  t.deepEqual(checkHostKey(entries, other, { names: ['h2'], port: 22, policy: 'accept-new' }), { accepted: true, learn: true });
  t.false(checkHostKey(entries, other, { names: ['h1'], port: 22, policy: 'accept-new' }).accepted);
  t.deepEqual(checkHostKey(entries, other, { names: ['h1'], port: 22, policy: 'off' }), { accepted: true, learn: false });
});

test('pinned fingerprints override known_hosts in both directions', (t) => {
  const pinnedKey = ed25519Blob();
  const knownKey = ed25519Blob();
  const entries = parseKnownHosts(line('h1', knownKey));
  const check = (pinned: string[]): HostKeyCheck => ({ names: ['h1'], port: 22, policy: 'strict', pinned });
  t.deepEqual(checkHostKey(entries, pinnedKey, check([fingerprintOf(pinnedKey)])), { accepted: true, learn: false });
  const refused = checkHostKey(entries, knownKey, check([fingerprintOf(pinnedKey)]));
  t.false(refused.accepted);
  t.regex(!refused.accepted ? refused.reason : '', /pinned fingerprints expect SHA256:/);
});

test('@revoked refuses the key even when another line lists it', (t) => {
  const key = ed25519Blob();
  const entries = parseKnownHosts([line('h1', key), line('h1', key, '@revoked')].join('\n'));
  const verdict = checkHostKey(entries, key, strict(['h1']));
  t.false(verdict.accepted);
  t.regex(!verdict.accepted ? verdict.reason : '', /@revoked .*line 2/);
});

test('verifyHostKey appends under accept-new, then a changed key is refused with UnreachableError', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'quorum-kh-'));
  const file = join(dir, 'sub', 'known_hosts');
  const key = ed25519Blob();
  const check: HostKeyCheck = { names: ['10.1.2.3', 'infra9'], port: 2222, policy: 'accept-new' };
  await verifyHostKey('infra9', file, key, check);
  t.is(await readFile(file, 'utf8'), `[10.1.2.3]:2222 ssh-ed25519 ${key.toString('base64')}\n`);
  await verifyHostKey('infra9', file, key, { ...check, policy: 'strict' });
  const err = await t.throwsAsync(verifyHostKey('infra9', file, ed25519Blob(), check), { instanceOf: UnreachableError });
  t.regex(err!.message, /^infra9: HOST KEY MISMATCH for \[10\.1\.2\.3\]:2222/);
});

test('strict with a missing known_hosts file refuses instead of failing to read', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'quorum-kh-'));
  await t.throwsAsync(verifyHostKey('h', join(dir, 'none'), ed25519Blob(), strict(['h'])), { instanceOf: UnreachableError, message: /not in known_hosts/ });
});

test('preferred algorithms follow the key types known for the host', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'quorum-kh-'));
  const file = join(dir, 'known_hosts');
  await writeFile(file, `${line('other', ed25519Blob())}\nh1 ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7\n`);
  await appendKnownHost(file, 'h1', ed25519Blob());
  const entries = parseKnownHosts(await readFile(file, 'utf8'));
  t.deepEqual(preferredHostKeyAlgorithms(entries, ['h1'], 22), ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
  t.deepEqual(preferredHostKeyAlgorithms(entries, ['nobody'], 22), []);
});

test('entries hashed by the real ssh-keygen -H match', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'quorum-kh-'));
  const file = join(dir, 'known_hosts');
  const key = ed25519Blob();
  await writeFile(file, `${line('10.9.8.7', key)}\n${line('[10.9.8.6]:2022', key)}\n`);
  execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
  const entries = parseKnownHosts(await readFile(file, 'utf8'));
  t.is(entries.length, 2);
  t.true(entries.every((e) => e.hashed !== undefined && e.patterns === undefined));
  t.deepEqual(checkHostKey(entries, key, strict(['10.9.8.7'])), { accepted: true, learn: false });
  t.deepEqual(checkHostKey(entries, key, strict(['10.9.8.6'], 2022)), { accepted: true, learn: false });
  t.false(checkHostKey(entries, key, strict(['10.9.8.6'])).accepted);
});
