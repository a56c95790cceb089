// runner/pki: every field of spec/kubeadm-etcd.md 1.1/1.3/1.6, checked with node-forge and
// with the real openssl (x509 -text, verify -CAfile, modulus match).
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, statSync, readFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { createCa, issueLeaf, type CaMaterial } from '../../runner/pki/issue.js';
import { buildEtcdAltNames, canonicalizeIp, findMissingSans, isValidDnsSan } from '../../runner/pki/sans.js';
import { computeValidity, formatSerialHex, generateSerial, BACKDATE_MS } from '../../runner/pki/serial.js';
import { resolveWantedLeaf, findReissueReasons, type LeafInputs } from '../../runner/pki/check.js';
import { summarizeCertPem, summarizeKeyPem } from '../../runner/pki/inspect.js';
import { ensureCa, loadCa, readCaDir } from '../../runner/pki/ca-store.js';
import { buildReadScript, parseReadOutput } from '../../runner/pki/remote-files.js';
import { LocalConnection } from '../../runner/connection/local.js';
import { PROFILE_NAMES, isLeafProfile } from '../../runner/pki/profiles.js';

const DAY = 86_400_000;
const work = mkdtempSync(join(tmpdir(), 'quorum-pki-'));
const inputs: LeafInputs = {
  nodeName: 'infra0',
  advertiseAddress: '10.0.0.6',
  serverCertSans: ['10.0.0.6', 'etcd.example.com'],
  peerCertSans: ['10.0.0.6', 'fd00::6'],
  keySize: 2048,
  validityDays: 365,
};
const start = new Date();
const caPromise = createCa({ keySize: 2048, validityDays: 3650, now: start });

test.after.always(() => rmSync(work, { recursive: true, force: true }));

function openssl(args: string[], input?: string): string {
  return execFileSync('openssl', args, { encoding: 'utf8', ...(input !== undefined ? { input } : {}) });
}

function save(name: string, content: string | Uint8Array): string {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
}

test('CA: CN etcd-ca, SAN DNS etcd-ca, critical KU with keyCertSign, critical CA:TRUE, SKI, no EKU, 10 years backdated 5m', async (t) => {
  const ca = await caPromise;
  const text = openssl(['x509', '-noout', '-text', '-in', save('ca.crt', ca.certPem)]);
  t.regex(text, /Version: 3 \(0x2\)/);
  t.regex(text, /Signature Algorithm: sha256WithRSAEncryption/);
  t.regex(text, /Issuer: CN = etcd-ca\n/);
  t.regex(text, /Subject: CN = etcd-ca\n/);
  t.regex(text, /Public-Key: \(2048 bit\)/);
  t.regex(text, /X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment, Certificate Sign\n/);
  t.regex(text, /X509v3 Basic Constraints: critical\n\s+CA:TRUE\n/); // no pathlen
  t.regex(text, /X509v3 Subject Key Identifier:/);
  t.regex(text, /X509v3 Subject Alternative Name: \n\s+DNS:etcd-ca\n/);
  t.notRegex(text, /Extended Key Usage/);
  t.is(forge.pki.certificateFromPem(ca.certPem).validity.notBefore.getTime(), Math.floor((start.getTime() - BACKDATE_MS) / 1000) * 1000);
  t.is(forge.pki.certificateFromPem(ca.certPem).validity.notAfter.getTime(), Math.floor((start.getTime() + 3650 * DAY) / 1000) * 1000);
  t.true(ca.cert.verify(ca.cert));
  t.true(summarizeCertPem(ca.certPem).isCa);
  // PKCS#1 key PEM, which openssl reads as the CA's key.
  const keyPem = Buffer.from(ca.keyPem.reveal()).toString();
  // Asserted without t.regex so a failure never prints the key.
  t.true(keyPem.startsWith('-----BEGIN RSA PRIVATE KEY-----\n'), 'PKCS#1 PEM with \\n line ends');
  t.is(openssl(['rsa', '-noout', '-modulus'], keyPem), openssl(['x509', '-noout', '-modulus'], ca.certPem));
});

// openssl prints a 4-byte IP SAN dotted and a 16-byte one in colon form: the texts below also
// prove kubeadm's encoding (IPv4 as 4 bytes, IPv6 as 16).
const expectations = {
  'etcd-server': { cn: 'infra0', eku: 'TLS Web Server Authentication, TLS Web Client Authentication', san: 'DNS:etcd.example.com, DNS:infra0, DNS:localhost, IP Address:10.0.0.6, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1' },
  'etcd-peer': { cn: 'infra0', eku: 'TLS Web Server Authentication, TLS Web Client Authentication', san: 'DNS:infra0, DNS:localhost, IP Address:10.0.0.6, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:FD00:0:0:0:0:0:0:6' },
  'etcd-healthcheck-client': { cn: 'kube-etcd-healthcheck-client', eku: 'TLS Web Client Authentication', san: undefined },
  'apiserver-etcd-client': { cn: 'kube-apiserver-etcd-client', eku: 'TLS Web Client Authentication', san: undefined },
} as const;

for (const name of PROFILE_NAMES.filter(isLeafProfile)) {
  test(`${name}: subject, no O, KU, CA:FALSE, EKU, SANs, AKI = CA SKI, serial, 1 year, chains and key matches (openssl)`, async (t) => {
    const ca = await caPromise;
    const want = resolveWantedLeaf(name, inputs);
    const now = new Date();
    const leaf = await issueLeaf(ca, want.spec, now);
    const exp = expectations[name];
    const certFile = save(`${name}.crt`, leaf.certPem);
    const text = openssl(['x509', '-noout', '-text', '-in', certFile]);
    t.regex(text, new RegExp(`Subject: CN = ${exp.cn}\\n`)); // CN only: no O from v1.29
    t.regex(text, /Issuer: CN = etcd-ca\n/);
    t.regex(text, /Version: 3 \(0x2\)/);
    t.regex(text, /Signature Algorithm: sha256WithRSAEncryption/);
    t.regex(text, /X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/);
    t.regex(text, /X509v3 Basic Constraints: critical\n\s+CA:FALSE\n/);
    t.regex(text, new RegExp(`X509v3 Extended Key Usage: \\n\\s+${exp.eku}\\n`));
    if (exp.san) t.true(text.includes(`X509v3 Subject Alternative Name: \n                ${exp.san}\n`), text);
    else t.notRegex(text, /Subject Alternative Name/);
    const caSki = openssl(['x509', '-noout', '-ext', 'subjectKeyIdentifier', '-in', save('ca.crt', ca.certPem)]).split('\n')[1]!.trim();
    t.regex(text, new RegExp(`X509v3 Authority Key Identifier: \\n\\s+(keyid:)?${caSki}\\n`));
    t.is(openssl(['verify', '-CAfile', join(work, 'ca.crt'), certFile]).trim(), `${certFile}: OK`);
    const keyPem = Buffer.from(leaf.keyPem.reveal()).toString();
    t.true(keyPem.startsWith('-----BEGIN RSA PRIVATE KEY-----\n'), 'PKCS#1 PEM with \\n line ends');
    t.false(leaf.certPem.includes('\r'));
    t.is(openssl(['rsa', '-noout', '-modulus'], keyPem), openssl(['x509', '-noout', '-modulus', '-in', certFile]));
    // Serial: positive, at most 63 bits, the same number forge and openssl read.
    t.true(leaf.serial > 0n && leaf.serial < 1n << 63n);
    // openssl prints the integer's magnitude (without DER's 0x00 sign byte), so compare numbers:
    // a serial whose first byte is >= 0x80 (about 1 in 256) once made a string comparison fail.
    const printed = openssl(['x509', '-noout', '-serial', '-in', certFile]).trim();
    t.regex(printed, /^serial=[0-9A-F]+$/);
    t.is(BigInt(`0x${printed.slice('serial='.length)}`), leaf.serial);
    t.is(forge.pki.certificateFromPem(leaf.certPem).validity.notBefore.getTime(), Math.floor((now.getTime() - BACKDATE_MS) / 1000) * 1000);
    t.is(forge.pki.certificateFromPem(leaf.certPem).validity.notAfter.getTime(), Math.floor((now.getTime() + 365 * DAY) / 1000) * 1000);
    // The same cert read back through our own inspector.
    const summary = summarizeCertPem(leaf.certPem, ca.certPem);
    t.true(summary.signedByCa);
    t.is(summary.subjectCN, exp.cn);
    t.is(summary.subjectO, undefined);
    t.is(summary.serial, leaf.serial.toString(10));
    t.deepEqual(summary.sans, want.spec.sans);
    t.is(summarizeKeyPem(keyPem).publicKeyId, summary.publicKeyId);
    t.deepEqual(findReissueReasons(want, { cert: summary, key: summarizeKeyPem(keyPem) }, Date.now(), 30), []);
  });
}

test('leaf files: server/peer/healthcheck under etcd/, apiserver-etcd-client at the top', (t) => {
  const paths = PROFILE_NAMES.filter(isLeafProfile).map((n) => resolveWantedLeaf(n, inputs)).map((w) => [w.certPath, w.keyPath]);
  t.deepEqual(paths, [
    ['etcd/server.crt', 'etcd/server.key'],
    ['etcd/peer.crt', 'etcd/peer.key'],
    ['etcd/healthcheck-client.crt', 'etcd/healthcheck-client.key'],
    ['apiserver-etcd-client.crt', 'apiserver-etcd-client.key'],
  ]);
});

test('SAN rules: base set, DNS de-duplicated and sorted, IPs de-duplicated in order, bad entries dropped', (t) => {
  const names = buildEtcdAltNames('infra1', '10.0.0.7', ['10.0.0.7', 'zeta.example', '*.etcd.local', 'Bad_Name', 'alpha.example', '::1', '10.0.0.99', 'infra1', 'fd00:0:0::0007']);
  t.deepEqual(names.dns, ['*.etcd.local', 'alpha.example', 'infra1', 'localhost', 'zeta.example']);
  t.deepEqual(names.ip, ['10.0.0.7', '127.0.0.1', '::1', '10.0.0.99', 'fd00::7']);
  t.deepEqual(names.dropped, ['Bad_Name']);
});

test('SAN rules: IPv6 advertise address, IPv4-mapped collapses to IPv4, non-IP advertise address is an error', (t) => {
  t.deepEqual(buildEtcdAltNames('n', 'FD00::0006', ['::ffff:10.0.0.6']).ip, ['fd00::6', '127.0.0.1', '::1', '10.0.0.6']);
  t.is(canonicalizeIp('0:0:0:0:0:0:0:1'), '::1');
  t.is(canonicalizeIp('node0'), undefined);
  t.throws(() => buildEtcdAltNames('n', 'node0.example'), { message: /advertise_address "node0.example" is not an IP address: set it to/ });
  t.throws(() => resolveWantedLeaf('etcd-peer', { ...inputs, advertiseAddress: undefined as unknown as string }), { message: /etcd-peer needs advertise_address/ });
  t.true(isValidDnsSan('*.a.b'));
  t.false(isValidDnsSan('UPPER.example'));
  t.false(isValidDnsSan('a'.repeat(254)));
  t.deepEqual(findMissingSans({ dns: ['a', 'b'], ip: ['::1', '10.0.0.9'] }, { dns: ['b', 'c'], ip: ['0:0::1'] }), ['DNS SAN a', 'IP SAN 10.0.0.9']);
});

test('serial: positive, at most 63 bits, minimal DER hex', (t) => {
  for (let i = 0; i < 2000; i++) {
    const s = generateSerial();
    t.true(s >= 1n && s <= (1n << 63n) - 2n);
  }
  t.is(formatSerialHex(1n), '01');
  t.is(formatSerialHex(0x7fn), '7f');
  t.is(formatSerialHex(0x80n), '0080');
  t.is(formatSerialHex(0x1234n), '1234');
  // The serial that once failed CI: 7 bytes, the first >= 0x80, so DER needs the sign byte.
  t.is(formatSerialHex(0x81704c5fe511c2n), '0081704c5fe511c2');
  t.throws(() => formatSerialHex(0n));
});

test('validity: NotBefore 5 minutes before start, NotAfter start + days', (t) => {
  const s = new Date('2026-01-01T00:00:00Z');
  const v = computeValidity(s, 365);
  t.is(v.notBefore.toISOString(), '2025-12-31T23:55:00.000Z');
  t.is(v.notAfter.toISOString(), '2027-01-01T00:00:00.000Z');
  t.is(computeValidity(new Date('2026-01-01T00:00:00.999Z'), 1).notBefore.toISOString(), '2025-12-31T23:55:00.000Z');
});

test('inspect: a cert from another CA is not signed by this CA; unreadable key is an error', async (t) => {
  const [ca, other] = await Promise.all([caPromise, createCa({ keySize: 2048, validityDays: 10 })]);
  const leaf = await issueLeaf(other, resolveWantedLeaf('etcd-healthcheck-client', inputs).spec);
  t.false(summarizeCertPem(leaf.certPem, ca.certPem).signedByCa);
  t.true(summarizeCertPem(leaf.certPem, other.certPem).signedByCa);
  t.throws(() => summarizeKeyPem('not a key'));
});

test('ensureCa: parallel callers share one CA; dir 0700, ca.key 0600, ca.crt 0644; then it is imported', async (t) => {
  const dir = join(work, 'ca-parallel', 'etcd-ca');
  t.is((await readCaDir(dir)).cert, undefined);
  const cas = await Promise.all(Array.from({ length: 6 }, () => ensureCa(dir, { keySize: 2048, validityDays: 3650 })));
  t.is(new Set(cas.map((c) => c.certPem)).size, 1);
  t.is(statSync(dir).mode & 0o777, 0o700);
  t.is(statSync(join(dir, 'ca.key')).mode & 0o777, 0o600);
  t.is(statSync(join(dir, 'ca.crt')).mode & 0o777, 0o644);
  t.is(readFileSync(join(dir, 'ca.crt'), 'utf8'), cas[0]!.certPem);
  const again = await ensureCa(dir, { keySize: 4096, validityDays: 1 });
  t.is(again.certPem, cas[0]!.certPem);
  t.is((await readCaDir(dir)).cert?.pem, cas[0]!.certPem);
});

test('CA import: a user CA is used as is; half a CA, a non-CA or a foreign key is a clear error', async (t) => {
  const user = await createCa({ keySize: 2048, validityDays: 100 });
  const dir = join(work, 'ca-user');
  // A user's CA directory as the docs ask for it: private to the user (trust-small.test.ts
  // shows looser modes refused).
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(join(dir, 'ca.crt'), user.certPem);
  await t.throwsAsync(loadCa(dir), { message: /has no ca.key: put both ca.crt and ca.key there/ });
  writeFileSync(join(dir, 'ca.key'), user.keyPem.reveal(), { mode: 0o600 });
  t.is((await ensureCa(dir, { keySize: 2048, validityDays: 3650 })).certPem, user.certPem);
  const ca = await caPromise;
  writeFileSync(join(dir, 'ca.key'), ca.keyPem.reveal());
  await t.throwsAsync(loadCa(dir), { message: /ca.key does not match .*ca.crt/ });
  const leaf = await issueLeaf(ca, resolveWantedLeaf('etcd-healthcheck-client', inputs).spec);
  writeFileSync(join(dir, 'ca.crt'), leaf.certPem);
  writeFileSync(join(dir, 'ca.key'), leaf.keyPem.reveal());
  await t.throwsAsync(loadCa(dir), { message: /is not a certificate authority/ });
});

test('remote files: one script reads modes, owners and contents; missing files and dirs are facts', async (t) => {
  const dir = join(work, 'remote');
  mkdirSync(join(dir, 'etcd'), { recursive: true });
  writeFileSync(join(dir, 'etcd', 'ca.crt'), 'line one\nline two\n', { mode: 0o640 });
  writeFileSync(join(dir, 'odd name.key'), 'no newline at end', { mode: 0o600 });
  const conn = new LocalConnection();
  const paths = [join(dir, 'etcd/ca.crt'), join(dir, 'odd name.key'), join(dir, 'etcd/server.crt')];
  const r = await conn.exec(buildReadScript(paths, [dir, join(dir, 'etcd'), join(dir, 'nope')]));
  t.is(r.exitCode, 0);
  const parsed = parseReadOutput(r.stdout.toString());
  t.deepEqual(parsed.files.get(paths[0]!), { mode: '0640', owner: 'root', group: 'root', content: 'line one\nline two' });
  t.deepEqual(parsed.files.get(paths[1]!), { mode: '0600', owner: 'root', group: 'root', content: 'no newline at end' });
  t.false(parsed.files.has(paths[2]!));
  t.deepEqual([...parsed.dirs], [dir, join(dir, 'etcd')]);
});

test('our inspector (node:crypto) reads back the SANs forge wrote: an IPv6 cert', async (t) => {
  const ca: CaMaterial = await caPromise;
  const leaf = await issueLeaf(ca, resolveWantedLeaf('etcd-server', { ...inputs, advertiseAddress: 'fd00::10' }).spec);
  const ext = forge.pki.certificateFromPem(leaf.certPem).getExtension('subjectAltName') as { altNames: Array<{ type: number }> };
  t.deepEqual(ext.altNames.map((n) => n.type), [2, 2, 2, 7, 7, 7, 7]);
  t.deepEqual(summarizeCertPem(leaf.certPem).sans.ip, ['fd00::10', '127.0.0.1', '::1', '10.0.0.6']);
});
