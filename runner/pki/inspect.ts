/**
 * Read existing certificates and keys into plain summaries (what gather hands to the pure
 * plan). A summary never holds key material: a key is reduced to a hash of its public modulus.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type forge from 'node-forge';
import { loadForge } from './forge.js';
import { canonicalizeIp, type AltNames } from './sans.js';
import type { ExtKeyUsage } from './profiles.js';

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
  keyBits: number;
  /** sha256 of the public modulus: compares cert and key without holding the key. */
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
}

/** Summarize a PEM certificate; `ca` decides `signedByCa`. Throws on unparsable PEM. */
export function summarizeCertPem(pem: string, ca?: forge.pki.Certificate): CertSummary {
  const cert = loadForge().pki.certificateFromPem(pem);
  const key = cert.publicKey as forge.pki.rsa.PublicKey;
  const org = cert.subject.getField('O') as { value: string } | null;
  return {
    subjectCN: String((cert.subject.getField('CN') as { value: string } | null)?.value ?? ''),
    ...(org ? { subjectO: String(org.value) } : {}),
    issuerCN: String((cert.issuer.getField('CN') as { value: string } | null)?.value ?? ''),
    serial: BigInt(`0x${cert.serialNumber || '0'}`).toString(10),
    notBefore: cert.validity.notBefore.toISOString(),
    notAfter: cert.validity.notAfter.toISOString(),
    sans: readAltNames(cert),
    ekus: readExtKeyUsages(cert),
    isCa: Boolean((cert.getExtension('basicConstraints') as { cA?: boolean } | undefined)?.cA),
    keyBits: key.n.bitLength(),
    publicKeyId: hashModulus(key.n),
    fingerprint: fingerprintCert(cert),
    signedByCa: ca ? verifySignedBy(cert, ca) : false,
  };
}

/** Summarize a PEM private key (PKCS#1 or PKCS#8 RSA). Throws on anything else. */
export function summarizeKeyPem(pem: string): KeySummary {
  const key = loadForge().pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey | null;
  if (!key?.n) throw new Error('not an RSA private key');
  return { publicKeyId: hashModulus(key.n), keyBits: key.n.bitLength() };
}

/**
 * True when `cert` names `ca` as issuer and its signature verifies with the CA's key. Checked by
 * node:crypto (OpenSSL): forge's big-number RSA took most of a re-run's certificate checks.
 */
export function verifySignedBy(cert: forge.pki.Certificate, ca: forge.pki.Certificate): boolean {
  try {
    const issued = new X509Certificate(loadForge().pki.certificateToPem(cert));
    const issuer = new X509Certificate(loadForge().pki.certificateToPem(ca));
    return issued.checkIssued(issuer) && issued.verify(issuer.publicKey);
  } catch {
    return false; // a signature that cannot be checked is "not signed by this CA"
  }
}

/** sha256 of a certificate's DER, hex. */
export function fingerprintCert(cert: forge.pki.Certificate): string {
  const der = loadForge().asn1.toDer(loadForge().pki.certificateToAsn1(cert)).getBytes();
  return createHash('sha256').update(Buffer.from(der, 'binary')).digest('hex');
}

function hashModulus(n: forge.jsbn.BigInteger): string {
  return createHash('sha256').update(n.toString(16)).digest('hex');
}

function readAltNames(cert: forge.pki.Certificate): AltNames {
  const ext = cert.getExtension('subjectAltName') as { altNames?: Array<{ type: number; value?: string; ip?: string }> } | undefined;
  const names: AltNames = { dns: [], ip: [] };
  for (const n of ext?.altNames ?? []) {
    if (n.type === 2 && n.value !== undefined) names.dns.push(n.value);
    if (n.type === 7 && n.ip !== undefined) names.ip.push(canonicalizeIp(n.ip) ?? n.ip);
  }
  return names;
}

function readExtKeyUsages(cert: forge.pki.Certificate): ExtKeyUsage[] {
  const ext = cert.getExtension('extKeyUsage') as Record<string, unknown> | undefined;
  const ekus: ExtKeyUsage[] = [];
  if (ext?.serverAuth) ekus.push('serverAuth');
  if (ext?.clientAuth) ekus.push('clientAuth');
  return ekus;
}
