/**
 * The etcd CA on the controller: a directory holding ca.crt (0644) and ca.key (0600), the
 * directory itself 0700. It is created once, or imported when the user put a CA there.
 *
 * Hosts run in parallel in one process, so creation is serialized per directory by an
 * in-process lock, and files land by atomic rename: every host ends up with the same CA.
 */
import { chmod, link, lstat, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createPrivateKey, randomBytes, type KeyObject } from 'node:crypto';
import { Secret } from '../secret.js';
import { syncDirectory, writeNewFile } from '../files/atomic-write.js';
import { createCa, withForgeCert, type CaMaterial, type KeySize } from './issue.js';
import { describeKeyAlgorithm, isKubeadmKeyAlgorithm, type KeyAlgorithm } from './key-algorithm.js';
import { summarizeCertPem, summarizeKeyPem, type CertSummary } from './inspect.js';

/** What gather reports about the CA directory (public data only). */
export interface CaDirFacts {
  dir: string;
  /** The CA certificate when ca.crt and ca.key are both there and match. */
  cert?: CertSummary & { pem: string };
}

const locks = new Map<string, Promise<unknown>>();

/** Read the CA in `dir` without creating anything; absent CA -> no `cert`. */
export async function readCaDir(dir: string): Promise<CaDirFacts> {
  const material = await loadCa(dir);
  if (!material) return { dir };
  return { dir, cert: { ...summarizeCertPem(material.certPem, material.certPem), pem: material.certPem } };
}

/**
 * The CA in `dir`, created (key size, validity) when absent. Concurrent callers for the same
 * directory wait for one another, so only the first one creates and the rest load its CA.
 */
export function ensureCa(dir: string, options: { keySize: KeySize; keyAlgorithm?: KeyAlgorithm; validityDays: number }): Promise<CaMaterial & { created: boolean }> {
  return withLock(dir, async () => {
    const existing = await loadCa(dir);
    return existing ? { ...existing, created: false } : { ...(await writeNewCa(dir, options)), created: true };
  });
}

/** Load ca.crt + ca.key from `dir`; undefined when neither exists; throws on a half or bad CA. */
export async function loadCa(dir: string): Promise<CaMaterial | undefined> {
  const certPem = await readOptional(join(dir, 'ca.crt'));
  const keyPem = await readOptional(join(dir, 'ca.key'));
  if (certPem === undefined && keyPem === undefined) return undefined;
  if (certPem === undefined || keyPem === undefined) {
    const missing = certPem === undefined ? 'ca.crt' : 'ca.key';
    throw new Error(`CA directory ${dir} has no ${missing}: put both ca.crt and ca.key there (PEM), or remove the other file to have a new CA created`);
  }
  await checkCaPermissions(dir);
  return parseCa(dir, certPem, keyPem);
}

/**
 * Whoever can write the CA directory or read ca.key can issue certificates every member trusts:
 * such a CA is refused, with the command that fixes it, rather than used silently.
 */
async function checkCaPermissions(dir: string): Promise<void> {
  const [dirStat, keyStat] = await Promise.all([lstat(dir), lstat(join(dir, 'ca.key'))]);
  const uid = process.getuid?.();
  const foreign = (s: { uid: number }) => uid !== undefined && s.uid !== uid && s.uid !== 0;
  if (!keyStat.isFile()) throw new Error(`${join(dir, 'ca.key')} is not a regular file (a symbolic link?): put the key itself there`);
  if ((dirStat.mode & 0o022) !== 0 || foreign(dirStat)) {
    throw new Error(`the CA directory ${dir} can be written by others (mode ${(dirStat.mode & 0o777).toString(8)}, owner uid ${dirStat.uid}): anyone who can replace ca.key there can issue trusted certificates; run: chmod 700 ${dir}`);
  }
  if ((keyStat.mode & 0o077) !== 0 || foreign(keyStat)) {
    throw new Error(`${join(dir, 'ca.key')} can be read by others (mode ${(keyStat.mode & 0o777).toString(8)}, owner uid ${keyStat.uid}): run: chmod 600 ${join(dir, 'ca.key')}`);
  }
}

function parseCa(dir: string, certPem: string, keyPem: string): CaMaterial {
  let summary: CertSummary;
  let key: KeyObject;
  try {
    summary = summarizeCertPem(certPem);
    key = createPrivateKey(keyPem);
    // kubeadm's encryptionAlgorithm choices: RSA of any size it reads, ECDSA on P-256 or P-384.
    const algorithm = describeKeyAlgorithm(key);
    if (key.asymmetricKeyType !== 'rsa' && !isKubeadmKeyAlgorithm(algorithm)) throw new Error(`the key is ${algorithm}, not RSA, ECDSA-P256 or ECDSA-P384`);
  } catch (err) {
    throw new Error(`CA in ${dir} cannot be read (${(err as Error).message}): it must be a certificate and its RSA, ECDSA-P256 or ECDSA-P384 key in PEM`, { cause: err });
  }
  if (!summary.isCa) throw new Error(`${join(dir, 'ca.crt')} is not a certificate authority (basicConstraints CA:FALSE or missing)`);
  if (summarizeKeyPem(keyPem).publicKeyId !== summary.publicKeyId) {
    throw new Error(`${join(dir, 'ca.key')} does not match ${join(dir, 'ca.crt')}: put the key that belongs to the CA certificate`);
  }
  // node-forge parses the CA only when asked (RSA only): issuing reads the CA's DER itself.
  return withForgeCert({ key, certPem, keyPem: new Secret(keyPem), notAfter: new Date(summary.notAfter) });
}

async function writeNewCa(dir: string, options: { keySize: KeySize; keyAlgorithm?: KeyAlgorithm; validityDays: number }): Promise<CaMaterial> {
  const ca = await createCa(options);
  await writeCaFiles(dir, ca.keyPem.reveal(), ca.certPem);
  return ca;
}

/**
 * The CA directory (0700) with ca.key (0600) and ca.crt (0644). Key first (kubeadm writes the
 * key before the cert); link() refuses to overwrite, so a CA that appeared meanwhile (another
 * process) is never clobbered.
 */
async function writeCaFiles(dir: string, keyPem: Uint8Array, certPem: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700); // mkdir's mode is masked by umask and ignored when dir exists
  await placeExclusive(join(dir, 'ca.key'), keyPem, 0o600);
  await placeExclusive(join(dir, 'ca.crt'), Buffer.from(certPem), 0o644);
}

async function placeExclusive(dest: string, content: Uint8Array, mode: number): Promise<void> {
  const tmp = `${dest}.tmp-${randomBytes(6).toString('hex')}`;
  // Durable before it has its name (atomic-write.ts): created exclusively, checked, fsync'ed; a
  // power cut after "changed" must not leave an empty ca.key under its name.
  try {
    await writeNewFile(tmp, content, { mode });
    await link(tmp, dest);
  } finally {
    await rm(tmp, { force: true });
  }
  await syncDirectory(join(dest, '..'));
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = locks.get(key) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const tail = run.catch(() => undefined);
  locks.set(key, tail);
  // Drop the entry once idle so the map does not grow with every directory ever used.
  void tail.then(() => {
    if (locks.get(key) === tail) locks.delete(key);
  });
  return run;
}

/**
 * Adopt a cluster's CA into `dir` on the controller: the certificate and key a host holds, checked
 * (a CA, the key is its key, the certificate is the one planned: `fingerprint`) before anything
 * is written. Serialized with creation: when a CA landed in `dir` meanwhile, it must be this one.
 */
export function adoptCa(dir: string, certPem: string, keyPem: Uint8Array, fingerprint: string): Promise<{ adopted: boolean }> {
  return withLock(dir, async () => {
    const key = Buffer.from(keyPem).toString('utf8');
    const material = parseCa(dir, certPem, key);
    const planned = summarizeCertPem(certPem).fingerprint;
    if (planned !== fingerprint) throw new Error(`the CA on the host changed since it was read (sha256:${planned}, planned sha256:${fingerprint}): run again`);
    const existing = await loadCa(dir);
    if (existing) {
      const there = summarizeCertPem(existing.certPem).fingerprint;
      if (there !== fingerprint) throw new Error(`${dir} now holds another CA (sha256:${there}) than the cluster's (sha256:${fingerprint}): remove one of them and run again`);
      return { adopted: false };
    }
    // The host's file as it was written: PEM ends with a newline (a reader may have dropped it).
    await writeCaFiles(dir, material.keyPem.reveal(), certPem.endsWith('\n') ? certPem : `${certPem}\n`);
    return { adopted: true };
  });
}
