/**
 * ECDSA as kubeadm's encryptionAlgorithm offers it (ECDSA-P256, ECDSA-P384): a CA of the user's
 * own made by openssl is accepted and signs leaves with its own algorithm (ECDSA-SHA256 /
 * ECDSA-SHA384, as Go picks them), leaf keys of that algorithm when asked (SEC1 `EC PRIVATE KEY`),
 * and new CAs of it. Every certificate is checked by the real openssl (verify, x509 -text, the
 * public key of key and cert) and, when Go is installed, by Go's crypto/x509, the parser kubeadm
 * and etcd use.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCa, issueLeaf, type CaMaterial } from '../../runner/pki/issue.js';
import { ensureCa, loadCa } from '../../runner/pki/ca-store.js';
import { resolveWantedLeaf, findReissueReasons, type LeafInputs } from '../../runner/pki/check.js';
import { summarizeCertPem, summarizeKeyPem } from '../../runner/pki/inspect.js';
import { PROFILE_NAMES, isLeafProfile } from '../../runner/pki/profiles.js';
import { certs, type CertsFacts } from '../../modules/certs.js';
import { summarizeHostFile } from '../../runner/pki/host-facts.js';
import { PROJECT_DIR } from '../helpers/quorum.js';

const work = mkdtempSync(join(tmpdir(), 'quorum-pki-ecdsa-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

const inputs: LeafInputs = { nodeName: 'infra0', advertiseAddress: '10.0.0.6', serverCertSans: ['10.0.0.6', 'fd00::6'], peerCertSans: ['10.0.0.6'], keySize: 2048, validityDays: 365 };

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function save(name: string, content: string | Uint8Array): string {
  const path = join(work, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

/** A CA as a user makes one with openssl: EC key (SEC1 PEM), self-signed, CA:TRUE, SKI. */
function opensslCa(dir: string, curve: 'prime256v1' | 'secp384r1', keyType: 'ec' | 'ed25519' = 'ec'): string {
  const path = join(work, dir);
  mkdirSync(path, { recursive: true });
  if (keyType === 'ec') openssl(['ecparam', '-name', curve, '-genkey', '-noout', '-out', join(path, 'ca.key')]);
  else openssl(['genpkey', '-algorithm', 'ed25519', '-out', join(path, 'ca.key')]);
  openssl(['req', '-x509', '-new', '-key', join(path, 'ca.key'), '-subj', '/CN=etcd-ca', '-days', '3650', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign', '-out', join(path, 'ca.crt')]);
  return path;
}

/** Go's crypto/x509 verdicts, or undefined when Go is not installed. */
let goVerifier: string | undefined | null = null;
function goVerify(caFile: string, leaves: string[]): string | undefined {
  if (goVerifier === null) {
    try {
      execFileSync('go', ['version'], { stdio: 'pipe' });
    } catch {
      goVerifier = undefined;
      return undefined;
    }
    // Go is there: a build failure is a test failure, not a skip.
    goVerifier = join(work, 'go-x509-verify');
    execFileSync('go', ['build', '-o', goVerifier, join(PROJECT_DIR, 'test/fixtures/go-x509/main.go')], { stdio: 'pipe', env: { ...process.env, GO111MODULE: 'off' } });
  }
  if (!goVerifier) return undefined;
  return execFileSync(goVerifier, [caFile, ...leaves], { encoding: 'utf8' });
}

/** Issue every leaf profile from `ca`, write them, and check them with openssl and Go. */
async function issueAndVerify(t: import('ava').ExecutionContext, name: string, ca: CaMaterial, caFile: string, leafInputs: LeafInputs, signature: string, leafKeyText: RegExp) {
  const files: string[] = [];
  for (const profile of PROFILE_NAMES.filter(isLeafProfile)) {
    const want = resolveWantedLeaf(profile, leafInputs);
    const leaf = await issueLeaf(ca, want.spec);
    const crt = save(`${name}/${profile}.crt`, leaf.certPem);
    const key = save(`${name}/${profile}.key`, leaf.keyPem.reveal());
    files.push(crt);
    t.is(openssl(['verify', '-CAfile', caFile, crt]), `${crt}: OK\n`, profile);
    const text = openssl(['x509', '-noout', '-text', '-in', crt]);
    t.regex(text, new RegExp(`Signature Algorithm: ${signature}`), profile);
    t.regex(text, new RegExp(`Subject: CN = ${want.spec.commonName}\\n`), profile);
    t.regex(text, /Issuer: CN = etcd-ca\n/);
    t.regex(text, /X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/);
    t.regex(text, /X509v3 Basic Constraints: critical\n\s+CA:FALSE\n/);
    const ekus = [want.spec.ekus.includes('serverAuth') ? 'TLS Web Server Authentication' : '', want.spec.ekus.includes('clientAuth') ? 'TLS Web Client Authentication' : ''].filter(Boolean).join(', ');
    t.regex(text, new RegExp(`X509v3 Extended Key Usage: \\n\\s+${ekus}\\n`), profile);
    if (want.spec.sans.dns.length) {
      const sans = [...want.spec.sans.dns.map((d) => `DNS:${d}`), ...want.spec.sans.ip.map((ip) => `IP Address:${ip === '::1' ? '0:0:0:0:0:0:0:1' : ip === 'fd00::6' ? 'FD00:0:0:0:0:0:0:6' : ip}`)].join(', ');
      t.regex(text, new RegExp(`X509v3 Subject Alternative Name: \\n\\s+${sans.replace(/\./g, '\\.')}\\n`), profile);
    } else t.notRegex(text, /Subject Alternative Name/);
    // AKI = the CA's SKI.
    const caSki = /X509v3 Subject Key Identifier: \n\s+(\S+)/.exec(openssl(['x509', '-noout', '-text', '-in', caFile]))![1]!;
    t.regex(text, new RegExp(`X509v3 Authority Key Identifier: \\n\\s+(keyid:)?${caSki}`), profile);
    // The key is the certificate's.
    t.is(openssl(['pkey', '-in', key, '-pubout']), openssl(['x509', '-noout', '-pubkey', '-in', crt]), profile);
    t.regex(readFileSync(key, 'utf8'), leafKeyText, profile);
    const summary = summarizeCertPem(leaf.certPem, ca.certPem);
    t.true(summary.signedByCa);
    t.is(summarizeKeyPem(Buffer.from(leaf.keyPem.reveal()).toString()).publicKeyId, summary.publicKeyId);
    t.deepEqual(findReissueReasons(want, { cert: summary, key: summarizeKeyPem(Buffer.from(leaf.keyPem.reveal()).toString()) }, Date.now(), 30), [], `${profile} is kept on a re-run`);
  }
  const go = goVerify(caFile, files);
  if (go === undefined) t.log('go not installed: Go crypto/x509 check skipped');
  else {
    t.is(go.split('\n').filter((l) => / OK /.test(l)).length, files.length, go);
    t.log(go.trim().split('\n')[0]!.replace(work, ''));
  }
  return files;
}

test('a user ECDSA-P256 CA (openssl) is accepted; RSA-2048 leaves signed ECDSA-SHA256 verify (openssl, Go) with kubeadm\'s fields', async (t) => {
  const dir = opensslCa('ca-p256', 'prime256v1');
  const ca = (await loadCa(dir))!;
  t.truthy(ca);
  t.is(ca.key.asymmetricKeyType, 'ec');
  await issueAndVerify(t, 'p256-rsa', ca, join(dir, 'ca.crt'), inputs, 'ecdsa-with-SHA256', /^-----BEGIN RSA PRIVATE KEY-----\n/);
  t.throws(() => ca.cert, { message: /node-forge cannot read a ECDSA-P256 certificate/ });
});

test('a user ECDSA-P384 CA signs with ECDSA-SHA384; ECDSA-P256 and P-384 member keys when asked (SEC1 EC PRIVATE KEY)', async (t) => {
  const dir = opensslCa('ca-p384', 'secp384r1');
  const ca = (await loadCa(dir))!;
  await issueAndVerify(t, 'p384-p256', ca, join(dir, 'ca.crt'), { ...inputs, keyAlgorithm: 'ECDSA-P256' }, 'ecdsa-with-SHA384', /^-----BEGIN EC PRIVATE KEY-----\n/);
  const files = await issueAndVerify(t, 'p384-p384', ca, join(dir, 'ca.crt'), { ...inputs, keyAlgorithm: 'ECDSA-P384' }, 'ecdsa-with-SHA384', /^-----BEGIN EC PRIVATE KEY-----\n/);
  t.regex(openssl(['x509', '-noout', '-text', '-in', files[0]!]), /ASN1 OID: secp384r1/);
});

test('ECDSA signatures carry no NULL parameters (RFC 5758); RSA ones keep NULL', async (t) => {
  const ca = await createCa({ keySize: 2048, keyAlgorithm: 'ECDSA-P256', validityDays: 10 });
  const leaf = await issueLeaf(ca, resolveWantedLeaf('etcd-healthcheck-client', inputs).spec);
  const dump = openssl(['asn1parse', '-in', save('nullcheck/leaf.crt', leaf.certPem)]);
  // The outer signatureAlgorithm and the TBS one: OID, then no NULL.
  const afterOid = dump.split('\n').filter((_, i, lines) => /:ecdsa-with-SHA256/.test(lines[i - 1] ?? ''));
  t.is(afterOid.length, 2, dump);
  for (const line of afterOid) t.notRegex(line, /NULL/);
  const rsaCa = await createCa({ keySize: 2048, validityDays: 10 });
  const rsaDump = openssl(['asn1parse', '-in', save('nullcheck/rsa-ca.crt', rsaCa.certPem)]);
  t.is(rsaDump.split('\n').filter((_, i, lines) => /:sha256WithRSAEncryption/.test(lines[i - 1] ?? '') && /NULL/.test(lines[i]!)).length, 2, rsaDump);
  // The RSA path goes through the same DER assembly: Go parses and verifies it too.
  const rsaLeaf = save('nullcheck/rsa-leaf.crt', (await issueLeaf(rsaCa, resolveWantedLeaf('etcd-peer', inputs).spec)).certPem);
  const go = goVerify(join(work, 'nullcheck/rsa-ca.crt'), [rsaLeaf]);
  if (go !== undefined) t.regex(go, /rsa-leaf\.crt: OK SHA256-RSA RSA\n/);
});

test('a new CA of ECDSA-P256/P384 (encryption_algorithm): self-signed, kubeadm\'s CA fields, SKI as Go computes it', async (t) => {
  for (const [algorithm, curve, signature] of [['ECDSA-P256', 'prime256v1', 'ecdsa-with-SHA256'], ['ECDSA-P384', 'secp384r1', 'ecdsa-with-SHA384']] as const) {
    const ca = await createCa({ keySize: 2048, keyAlgorithm: algorithm, validityDays: 3650 });
    const crt = save(`new-${curve}/ca.crt`, ca.certPem);
    t.is(openssl(['verify', '-CAfile', crt, crt]), `${crt}: OK\n`);
    const text = openssl(['x509', '-noout', '-text', '-in', crt]);
    t.regex(text, new RegExp(`Signature Algorithm: ${signature}`));
    t.regex(text, new RegExp(`ASN1 OID: ${curve}`));
    t.regex(text, /Subject: CN = etcd-ca\n/);
    t.regex(text, /X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment, Certificate Sign\n/);
    t.regex(text, /X509v3 Basic Constraints: critical\n\s+CA:TRUE\n/);
    t.regex(text, /X509v3 Subject Alternative Name: \n\s+DNS:etcd-ca\n/);
    t.notRegex(text, /Extended Key Usage/);
    // Go: SHA-1 of the uncompressed point; openssl's default SKI ("hash") is the same.
    const ski = /X509v3 Subject Key Identifier: \n\s+(\S+)/.exec(text)![1]!;
    const point = execFileSync('sh', ['-c', `openssl x509 -noout -pubkey -in ${crt} | openssl pkey -pubin -outform DER | tail -c ${curve === 'prime256v1' ? 65 : 97} | openssl dgst -sha1 -r`], { encoding: 'utf8' }).split(' ')[0]!;
    t.is(ski.replace(/:/g, '').toLowerCase(), point);
    t.regex(Buffer.from(ca.keyPem.reveal()).toString(), /^-----BEGIN EC PRIVATE KEY-----\n/);
    await issueAndVerify(t, `new-${curve}-leaves`, ca, crt, { ...inputs, keyAlgorithm: algorithm }, signature, /^-----BEGIN EC PRIVATE KEY-----\n/);
  }
});

test('CAs kubeadm would not make are refused with what to use: ed25519, P-521', async (t) => {
  const ed = opensslCa('ca-ed25519', 'prime256v1', 'ed25519');
  await t.throwsAsync(() => loadCa(ed), { message: /^CA in \S+ cannot be read \(.*ed25519.*\): it must be a certificate and its RSA, ECDSA-P256 or ECDSA-P384 key in PEM$/ });
  const p521 = join(work, 'ca-p521');
  mkdirSync(p521);
  openssl(['ecparam', '-name', 'secp521r1', '-genkey', '-noout', '-out', join(p521, 'ca.key')]);
  openssl(['req', '-x509', '-new', '-key', join(p521, 'ca.key'), '-subj', '/CN=etcd-ca', '-days', '10', '-out', join(p521, 'ca.crt')]);
  await t.throwsAsync(() => loadCa(p521), { message: /the key is ECDSA-secp521r1/ });
});

test('certs: encryption_algorithm reissues leaves of another algorithm, says so, and is documented; key_size with it is refused', async (t) => {
  const ca = await createCa({ keySize: 2048, validityDays: 3650 });
  const caSummary = { ...summarizeCertPem(ca.certPem, ca.certPem), pem: ca.certPem };
  const want = resolveWantedLeaf('etcd-server', inputs);
  const leaf = await issueLeaf(ca, want.spec);
  const file = (path: string, content: string) => summarizeHostFile(path, { mode: path.endsWith('.key') ? '0600' : '0644', owner: 'root', group: 'root', content }, ca.certPem);
  const facts: CertsFacts = { now: Date.now(), ca: { dir: join(work, 'x'), cert: caSummary }, files: { 'etcd/server.crt': file('etcd/server.crt', leaf.certPem), 'etcd/server.key': file('etcd/server.key', Buffer.from(leaf.keyPem.reveal()).toString()) }, dirs: ['/etc/kubernetes/pki', '/etc/kubernetes/pki/etcd'] };
  const pctx = { host: 'infra0', inventoryHost: 'infra0', checkMode: true };
  const params = { node_name: 'infra0', advertise_address: '10.0.0.6', server_cert_sans: ['10.0.0.6', 'fd00::6'], profile: 'etcd-server' as const };
  t.deepEqual(certs.plan(params, facts, pctx).changes, [], 'RSA-2048 is the default');
  const ec = certs.plan({ ...params, encryption_algorithm: 'ECDSA-P256' }, facts, pctx);
  t.deepEqual(ec.changes.map((c) => c.describe), ['reissue etcd/server.key: new ECDSA-P256 key', 'reissue etcd/server.crt: key is RSA-2048, want ECDSA-P256']);
  t.deepEqual(certs.plan({ ...params, encryption_algorithm: 'RSA-2048' }, facts, pctx).changes, []);
  t.regex(certs.plan({ ...params, encryption_algorithm: 'RSA-4096', key_size: 2048 }, facts, pctx).failed ?? '', /give key_size or encryption_algorithm, not both/);
  const schema = certs.schema as { properties: Record<string, { enum?: string[]; description?: string }> };
  t.deepEqual(schema.properties.encryption_algorithm!.enum, ['RSA-2048', 'RSA-3072', 'RSA-4096', 'ECDSA-P256', 'ECDSA-P384']);
  t.regex(schema.properties.encryption_algorithm!.description!, /encryptionAlgorithm/);
});

test('ensureCa on an existing ECDSA CA returns it (the run path of the certs module), without asking node-forge', async (t) => {
  const dir = opensslCa('ca-ensure', 'prime256v1');
  const ca = await ensureCa(dir, { keySize: 2048, validityDays: 10 });
  t.false(ca.created);
  t.is(ca.certPem, readFileSync(join(dir, 'ca.crt'), 'utf8'));
  const leaf = await issueLeaf(ca, resolveWantedLeaf('etcd-peer', inputs).spec);
  t.true(summarizeCertPem(leaf.certPem, ca.certPem).signedByCa);
});
