/**
 * Read existing certificates and keys into plain summaries (what gather hands to the pure
 * plan). A summary never holds key material: a key is reduced to a hash of its public modulus.
 */
import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { canonicalizeIp, type AltNames } from './sans.js';
import type { ExtKeyUsage } from './profiles.js';
import { describeKeyAlgorithm } from './key-algorithm.js';

/** What the plan needs to know about one certificate. */
export interface CertSummary {
  subjectCN: string;
  subjectO?: string;
  issuerCN: string;
  /** Serial as a decimal string (JSON-safe; serials exceed 2^53). */
  serial: string;
  notBefore: string;
  notAfter: string;
  sans: AltNames;
  ekus: ExtKeyUsage[];
  isCa: boolean;
  /** RSA: the modulus size; ECDSA: the curve's size (256, 384). */
  keyBits: number;
  /** `RSA-2048`, `ECDSA-P256`... (key-algorithm.ts). */
  keyAlgorithm: string;
  /** sha256 of the public modulus (RSA) or point (ECDSA): compares cert and key without holding the key. */
  publicKeyId: string;
  /** sha256 of the DER certificate. */
  fingerprint: string;
  /** Signature verifies with the CA's key and issuer equals its subject; false without a CA. */
  signedByCa: boolean;
}

/** What the plan needs to know about one private key: its public half's id and size. */
export interface KeySummary {
  publicKeyId: string;
  keyBits: number;
  keyAlgorithm: string;
}

/** Summarize a PEM certificate; `caPem` decides `signedByCa`. Throws on unparsable PEM. */
export function summarizeCertPem(pem: string, caPem?: string): CertSummary {
  const key = `${caPem ?? ''}\u0000${pem}`;
  let summary = certSummaries.get(key);
  if (!summary) {
    summary = readCertSummary(pem, caPem);
    remember(certSummaries, key, summary);
  }
  return structuredClone(summary);
}

/** Summarize a PEM private key (RSA: PKCS#1 or PKCS#8; ECDSA: SEC1 or PKCS#8). Throws on anything else. */
export function summarizeKeyPem(pem: string): KeySummary {
  // Remembered under a hash of the key, never the key itself.
  const id = createHash('sha256').update(pem).digest('hex');
  let summary = keySummaries.get(id);
  if (!summary) {
    const key = createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec') throw new Error(`not an RSA or ECDSA private key (${key.asymmetricKeyType})`);
    summary = { publicKeyId: hashModulus(key), keyBits: measureKey(key), keyAlgorithm: describeKeyAlgorithm(key) };
    remember(keySummaries, id, summary);
  }
  return { ...summary };
}

/*
 * Certificates are read with node:crypto (OpenSSL), not node-forge: forge's JavaScript ASN.1
 * parser took about 100 ms of an etcd-ha re-run, and loading forge another 40 ms, although a
 * re-run only reads certificates. Summaries are pure functions of the PEM text, so they are
 * remembered: every host's files are read by two tasks against the same CA.
 */
const certSummaries = new Map<string, CertSummary>();
const keySummaries = new Map<string, KeySummary>();
const parsedCas = new Map<string, X509Certificate>();
const MAX_REMEMBERED = 512;

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= MAX_REMEMBERED) map.clear();
  map.set(key, value);
}

function readCertSummary(pem: string, caPem?: string): CertSummary {
  const cert = new X509Certificate(pem);
  const subject = parseDistinguishedName(cert.subject);
  return {
    subjectCN: subject.get('CN') ?? '',
    ...(subject.has('O') ? { subjectO: subject.get('O')! } : {}),
    issuerCN: parseDistinguishedName(cert.issuer).get('CN') ?? '',
    serial: BigInt(`0x${cert.serialNumber || '0'}`).toString(10),
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    sans: parseAltNames(cert.subjectAltName),
    ekus: readExtKeyUsages(cert),
    isCa: cert.ca,
    keyBits: measureKey(cert.publicKey),
    keyAlgorithm: describeKeyAlgorithm(cert.publicKey),
    publicKeyId: hashModulus(cert.publicKey),
    fingerprint: cert.fingerprint256.replace(/:/g, '').toLowerCase(),
    signedByCa: caPem !== undefined && verifySignedBy(cert, caPem),
  };
}

/** True when `cert` names the CA as issuer and its signature verifies with the CA's key. */
function verifySignedBy(cert: X509Certificate, caPem: string): boolean {
  try {
    let ca = parsedCas.get(caPem);
    if (!ca) {
      ca = new X509Certificate(caPem);
      remember(parsedCas, caPem, ca);
    }
    return cert.checkIssued(ca) && cert.verify(ca.publicKey);
  } catch {
    return false; // a signature that cannot be checked is "not signed by this CA"
  }
}

/**
 * sha256 of the public modulus (hex without leading zeros, as before), or for ECDSA of the curve
 * and point: a cert and its key compare equal.
 */
function hashModulus(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty === 'EC' && jwk.x && jwk.y) return createHash('sha256').update(`ec:${jwk.crv}:${Buffer.from(jwk.x, 'base64url').toString('hex')}:${Buffer.from(jwk.y, 'base64url').toString('hex')}`).digest('hex');
  const n = jwk.n;
  if (!n) throw new Error(`not an RSA or ECDSA key (${key.asymmetricKeyType})`);
  const hex = Buffer.from(n, 'base64url').toString('hex').replace(/^0+/, '');
  return createHash('sha256').update(hex).digest('hex');
}

/** Bits of an RSA modulus or of an ECDSA curve. */
function measureKey(key: KeyObject): number {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'ec') return { prime256v1: 256, secp384r1: 384, secp521r1: 521 }[details.namedCurve ?? ''] ?? 0;
  return details.modulusLength ?? 0;
}

/** node:crypto prints a name as `KEY=value` lines; the first value of each key is kept. */
function parseDistinguishedName(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && !fields.has(line.slice(0, eq))) fields.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return fields;
}

/** `DNS:a, IP Address:10.0.0.6, IP Address:0:0:0:0:0:0:0:1` (OpenSSL's text form). */
function parseAltNames(text: string | undefined): AltNames {
  const names: AltNames = { dns: [], ip: [] };
  for (const entry of (text ?? '').split(', ')) {
    // Node quotes an entry holding a comma or a quote; such names are not valid DNS names or IPs.
    const value = entry.slice(entry.indexOf(':') + 1).replace(/^"(.*)"$/, '$1');
    if (entry.startsWith('DNS:')) names.dns.push(value);
    else if (entry.startsWith('IP Address:')) names.ip.push(canonicalizeIp(value) ?? value);
  }
  return names;
}

const EKU_OIDS: Record<string, ExtKeyUsage> = { '1.3.6.1.5.5.7.3.1': 'serverAuth', '1.3.6.1.5.5.7.3.2': 'clientAuth' };

function readExtKeyUsages(cert: X509Certificate): ExtKeyUsage[] {
  // node:crypto calls the extended key usage OIDs `keyUsage`.
  const oids = cert.keyUsage ?? [];
  return (['serverAuth', 'clientAuth'] as const).filter((eku) => oids.some((oid) => EKU_OIDS[oid] === eku));
}
