/**
 * Create the etcd CA and issue leaf certificates, field for field as kubeadm does
 * (spec/kubeadm-etcd.md 1.3, 1.6): X.509 v3, critical KeyUsage and BasicConstraints, EKU and
 * SANs on leaves, AKI = CA SKI; keys of kubeadm's encryptionAlgorithm (RSA-2048 by default,
 * PKCS#1 PEM; ECDSA-P256/P384, SEC1 PEM), signatures as Go picks them for the CA's key.
 *
 * forge builds the TBSCertificate (names, validity, extensions); der.ts puts in what forge
 * cannot encode (an EC public key, ECDSA's signature algorithm, the CA's subject byte for byte)
 * and assembles the certificate. Keys and signatures are Node's native crypto: forge's
 * pure-JS RSA takes ~0.5 s per signature on a small machine, and it has no ECDSA at all.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, sign, X509Certificate, type KeyObject } from 'node:crypto';
import type forge from 'node-forge';
import { loadForge } from './forge.js';
import { Secret } from '../secret.js';
import { CA_COMMON_NAME, type ExtKeyUsage } from './profiles.js';
import type { AltNames } from './sans.js';
import { computeValidity, formatSerialHex, generateSerial } from './serial.js';
import { curveOf, describeKeyAlgorithm, signatureAlgorithmOf, type KeyAlgorithm } from './key-algorithm.js';
import { algorithmIdentifier, assembleCertificate, certificateToPem, readSubjectDer, spliceTbs } from './der.js';

/** RSA sizes kubeadm's encryptionAlgorithm offers (RSA-2048, RSA-3072, RSA-4096). */
export type KeySize = 2048 | 3072 | 4096;

/** A CA ready to sign: its certificate and private key (parsed). */
export interface CaMaterial {
  /** The CA as node-forge reads it: RSA CAs only (forge cannot parse an ECDSA certificate). */
  cert: forge.pki.Certificate;
  notAfter: Date;
  /** Native key object: signs leaves; never printed (KeyObject does not print its bytes). */
  key: KeyObject;
  certPem: string;
  /** The key PEM, only ever written to ca.key or to a host that asked for it. */
  keyPem: Secret;
}

/** Everything that makes one leaf certificate. */
export interface LeafSpec {
  commonName: string;
  organization?: string;
  ekus: readonly ExtKeyUsage[];
  sans: AltNames;
  keySize: KeySize;
  /** kubeadm's encryptionAlgorithm for the leaf's key; default RSA of `keySize` bits. */
  keyAlgorithm?: KeyAlgorithm;
  validityDays: number;
}

/** The key algorithm a leaf gets: `keyAlgorithm`, else RSA of `keySize` bits. */
export function resolveKeyAlgorithm(spec: { keySize: KeySize; keyAlgorithm?: KeyAlgorithm }): KeyAlgorithm {
  return spec.keyAlgorithm ?? `RSA-${spec.keySize}`;
}

/** A freshly issued certificate with its key. */
export interface IssuedCert {
  certPem: string;
  keyPem: Secret;
  serial: bigint;
  notAfter: Date;
}

/** A new key pair: the private key (native, and as PEM in a Secret) and the public key's SPKI DER. */
export interface GeneratedKey {
  privateKey: KeyObject;
  privatePem: Secret;
  spki: Buffer;
}

/**
 * Generate a key pair natively (off the event loop): RSA with e = 65537 as PKCS#1 PEM, or ECDSA
 * on P-256/P-384 as SEC1 PEM (`EC PRIVATE KEY`), the PEM types kubeadm writes.
 */
export function generateKeyPairFor(algorithm: KeyAlgorithm): Promise<GeneratedKey> {
  const done = (resolve: (k: GeneratedKey) => void, reject: (e: Error) => void) => (err: Error | null, spki: Buffer, privatePem: string) => {
    if (err) return reject(err);
    resolve({ privateKey: createPrivateKey(privatePem), privatePem: new Secret(privatePem), spki });
  };
  return new Promise((resolve, reject) => {
    if (algorithm.startsWith('RSA-')) {
      const bits = Number(algorithm.slice(4));
      generateKeyPair('rsa', { modulusLength: bits, publicExponent: 0x10001, publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } }, done(resolve, reject));
    } else {
      const namedCurve = curveOf(algorithm as 'ECDSA-P256' | 'ECDSA-P384');
      generateKeyPair('ec', { namedCurve, publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'sec1', format: 'pem' } }, done(resolve, reject));
    }
  });
}

/** Create a self-signed etcd CA: CN etcd-ca, SAN DNS etcd-ca, CA:TRUE, SKI, no EKU. */
export async function createCa(options: { keySize: KeySize; keyAlgorithm?: KeyAlgorithm; validityDays: number; now?: Date }): Promise<CaMaterial> {
  const keys = await generateKeyPairFor(resolveKeyAlgorithm(options));
  const { cert } = buildCertBase(options.now ?? new Date(), options.validityDays);
  const subject = [{ name: 'commonName', value: CA_COMMON_NAME }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  const f = loadForge();
  cert.setExtensions([
    { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true, keyCertSign: true },
    { name: 'basicConstraints', critical: true, cA: true },
    // Go's SubjectKeyId for a CA: SHA-1 of the public key bytes (forge would hash its placeholder key).
    { name: 'subjectKeyIdentifier', value: f.asn1.create(f.asn1.Class.UNIVERSAL, f.asn1.Type.OCTETSTRING, false, computeSubjectKeyId(keys.privateKey).toString('binary')) },
    { name: 'subjectAltName', altNames: [{ type: 2, value: CA_COMMON_NAME }] },
  ]);
  const certPem = finishCert(cert, keys.spki, keys.privateKey);
  return withForgeCert({ key: keys.privateKey, certPem, keyPem: keys.privatePem, notAfter: cert.validity.notAfter });
}

/** Issue a leaf signed by `ca` with a new key pair. */
export async function issueLeaf(ca: CaMaterial, spec: LeafSpec, now = new Date()): Promise<IssuedCert> {
  const keys = await generateKeyPairFor(resolveKeyAlgorithm(spec));
  const { cert, serial } = buildCertBase(now, spec.validityDays);
  const subject: forge.pki.CertificateField[] = [];
  if (spec.organization) subject.push({ name: 'organizationName', value: spec.organization });
  subject.push({ name: 'commonName', value: spec.commonName });
  cert.setSubject(subject);
  // A stand-in: the CA's own subject bytes replace it in finishCert.
  cert.setIssuer([{ name: 'commonName', value: CA_COMMON_NAME }]);
  const identity = readCaIdentity(ca);
  const extensions: object[] = [
    { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true },
    { name: 'basicConstraints', critical: true, cA: false },
    { name: 'extKeyUsage', serverAuth: spec.ekus.includes('serverAuth'), clientAuth: spec.ekus.includes('clientAuth') },
    { name: 'authorityKeyIdentifier', keyIdentifier: identity.subjectKeyId.toString('binary') },
  ];
  const altNames = [...spec.sans.dns.map((value) => ({ type: 2, value })), ...spec.sans.ip.map((ip) => ({ type: 7, ip }))];
  if (altNames.length) extensions.push({ name: 'subjectAltName', altNames });
  cert.setExtensions(extensions);
  const certPem = finishCert(cert, keys.spki, ca.key, identity.subject);
  return { certPem, keyPem: keys.privatePem, serial, notAfter: cert.validity.notAfter };
}

/**
 * Sign the certificate forge built, as Go would with `signer`: the signature algorithm of the
 * signer's key, the real public key `spki`, and `issuer` (the CA's subject DER) when given.
 */
function finishCert(cert: forge.pki.Certificate, spki: Buffer, signer: KeyObject, issuer?: Buffer): string {
  const f = loadForge();
  const algorithm = signatureAlgorithmOf(describeKeyAlgorithm(signer));
  const c = cert as forge.pki.Certificate & { siginfo: { algorithmOid: string } };
  c.signatureOid = c.siginfo.algorithmOid = algorithm.oid;
  // getTBSCertificate exists in forge but is missing from its typings.
  const built = (f.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert);
  const signatureAlgorithm = algorithmIdentifier(algorithm.oid, !algorithm.ecdsa);
  const tbs = spliceTbs(Buffer.from(f.asn1.toDer(built).getBytes(), 'binary'), { signature: signatureAlgorithm, spki, ...(issuer ? { issuer } : {}) });
  // ECDSA signatures are DER ECDSA-Sig-Value, as X.509 carries them.
  const signature = sign(algorithm.hash, tbs, algorithm.ecdsa ? { key: signer, dsaEncoding: 'der' } : signer);
  return certificateToPem(assembleCertificate(tbs, signatureAlgorithm, signature));
}

/** What a leaf takes from its CA, read from the CA's DER (any key type), once per CA. */
interface CaIdentity {
  subject: Buffer;
  subjectKeyId: Buffer;
}
const identities = new WeakMap<CaMaterial, CaIdentity>();

function readCaIdentity(ca: CaMaterial): CaIdentity {
  let identity = identities.get(ca);
  if (!identity) {
    const der = Buffer.from(ca.certPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
    identity = { subject: readSubjectDer(der), subjectKeyId: readSubjectKeyId(ca) };
    identities.set(ca, identity);
  }
  return identity;
}

/** The CA's SKI (from the extension, or derived as Go does for an imported CA without one). */
function readSubjectKeyId(ca: CaMaterial): Buffer {
  const x509 = new X509Certificate(ca.certPem);
  // node:crypto has no accessor for the SKI; its text form is `AA:BB:...` in the OpenSSL dump.
  const ext = /X509v3 Subject Key Identifier:\s*\n\s*([0-9A-F:]+)/.exec(x509.toString());
  if (ext) return Buffer.from(ext[1]!.replace(/:/g, ''), 'hex');
  return computeSubjectKeyId(x509.publicKey);
}

/** Go's SubjectKeyId: SHA-1 of the public key bytes (RSA: PKCS#1 DER; EC: the uncompressed point). */
function computeSubjectKeyId(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  let bytes: Buffer;
  if (pub.asymmetricKeyType === 'rsa') bytes = pub.export({ type: 'pkcs1', format: 'der' });
  else {
    const jwk = pub.export({ format: 'jwk' });
    bytes = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  }
  return createHash('sha1').update(bytes).digest();
}

/** A CA with node-forge's view of its certificate, parsed on first use (RSA only). */
export function withForgeCert(material: Omit<CaMaterial, 'cert'>): CaMaterial {
  let forgeCert: forge.pki.Certificate | undefined;
  // Not enumerable: `{ ...ca }` (ensureCa) must not parse, nor throw for an ECDSA CA.
  return Object.defineProperty({ ...material }, 'cert', {
    enumerable: false,
    get() {
      if (material.key.asymmetricKeyType !== 'rsa') throw new Error(`node-forge cannot read a ${describeKeyAlgorithm(material.key)} certificate`);
      return (forgeCert ??= loadForge().pki.certificateFromPem(material.certPem));
    },
  }) as CaMaterial;
}

/** A placeholder public key for forge's encoder; finishCert puts the real SPKI in its place. */
let placeholderKey: forge.pki.rsa.PublicKey | undefined;

function buildCertBase(start: Date, days: number): { cert: forge.pki.Certificate; serial: bigint } {
  const f = loadForge();
  const cert = f.pki.createCertificate();
  const serial = generateSerial();
  cert.publicKey = placeholderKey ??= f.pki.setRsaPublicKey(new f.jsbn.BigInteger('3', 10), new f.jsbn.BigInteger('3', 10));
  cert.serialNumber = formatSerialHex(serial);
  const { notBefore, notAfter } = computeValidity(start, days);
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  return { cert, serial };
}
