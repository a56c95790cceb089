/**
 * Create the etcd CA and issue leaf certificates with node-forge, field for field as kubeadm
 * does (spec/kubeadm-etcd.md 1.3, 1.6): RSA keys, SHA-256 signatures, X.509 v3, critical
 * KeyUsage and BasicConstraints, EKU and SANs on leaves, AKI = CA SKI, PKCS#1 key PEM.
 *
 * forge builds and encodes the certificates; key generation and the RSA signature use Node's
 * native crypto, because forge's pure-JS RSA takes ~0.5 s per signature on a small machine.
 */
import { createPrivateKey, generateKeyPair, sign, type KeyObject } from 'node:crypto';
import type forge from 'node-forge';
import { loadForge } from './forge.js';
import { Secret } from '../secret.js';
import { CA_COMMON_NAME, type ExtKeyUsage } from './profiles.js';
import type { AltNames } from './sans.js';
import { computeValidity, formatSerialHex, generateSerial } from './serial.js';

/** RSA sizes kubeadm's encryptionAlgorithm offers (RSA-2048, RSA-3072, RSA-4096). */
export type KeySize = 2048 | 3072 | 4096;

/** A CA ready to sign: its certificate and private key (parsed). */
export interface CaMaterial {
  cert: forge.pki.Certificate;
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
  validityDays: number;
}

/** A freshly issued certificate with its key. */
export interface IssuedCert {
  cert: forge.pki.Certificate;
  certPem: string;
  keyPem: Secret;
  serial: bigint;
}

/** A new RSA key pair: the public key for forge, the private key as PKCS#1 PEM (Secret). */
export interface GeneratedKey {
  publicKey: forge.pki.rsa.PublicKey;
  privateKey: KeyObject;
  privatePem: Secret;
}

/** Generate an RSA key pair natively (off the event loop), e = 65537. */
export function generateRsaKeyPair(bits: KeySize): Promise<GeneratedKey> {
  return new Promise((resolve, reject) => {
    generateKeyPair(
      'rsa',
      { modulusLength: bits, publicExponent: 0x10001, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } },
      (err, publicPem, privatePem) => {
        if (err) return reject(err);
        resolve({ publicKey: loadForge().pki.publicKeyFromPem(publicPem) as forge.pki.rsa.PublicKey, privateKey: createPrivateKey(privatePem), privatePem: new Secret(privatePem) });
      },
    );
  });
}

/** Create a self-signed etcd CA: CN etcd-ca, SAN DNS etcd-ca, CA:TRUE, SKI, no EKU. */
export async function createCa(options: { keySize: KeySize; validityDays: number; now?: Date }): Promise<CaMaterial> {
  const keys = await generateRsaKeyPair(options.keySize);
  const cert = buildCertBase(keys.publicKey, options.now ?? new Date(), options.validityDays).cert;
  const subject = [{ name: 'commonName', value: CA_COMMON_NAME }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true, keyCertSign: true },
    { name: 'basicConstraints', critical: true, cA: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'subjectAltName', altNames: [{ type: 2, value: CA_COMMON_NAME }] },
  ]);
  signCert(cert, keys.privateKey);
  return { cert, key: keys.privateKey, certPem: toPem(cert), keyPem: keys.privatePem };
}

/** Issue a leaf signed by `ca` with a new key pair. */
export async function issueLeaf(ca: CaMaterial, spec: LeafSpec, now = new Date()): Promise<IssuedCert> {
  const keys = await generateRsaKeyPair(spec.keySize);
  const { cert, serial } = buildCertBase(keys.publicKey, now, spec.validityDays);
  const subject: forge.pki.CertificateField[] = [];
  if (spec.organization) subject.push({ name: 'organizationName', value: spec.organization });
  subject.push({ name: 'commonName', value: spec.commonName });
  cert.setSubject(subject);
  cert.setIssuer(ca.cert.subject.attributes);
  const extensions: object[] = [
    { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true },
    { name: 'basicConstraints', critical: true, cA: false },
    { name: 'extKeyUsage', serverAuth: spec.ekus.includes('serverAuth'), clientAuth: spec.ekus.includes('clientAuth') },
    { name: 'authorityKeyIdentifier', keyIdentifier: readSubjectKeyId(ca.cert) },
  ];
  const altNames = [...spec.sans.dns.map((value) => ({ type: 2, value })), ...spec.sans.ip.map((ip) => ({ type: 7, ip }))];
  if (altNames.length) extensions.push({ name: 'subjectAltName', altNames });
  cert.setExtensions(extensions);
  signCert(cert, ca.key);
  return { cert, certPem: toPem(cert), keyPem: keys.privatePem, serial };
}

/** SHA256WithRSA (PKCS#1 v1.5) over the TBS bytes, as forge's cert.sign would do. */
function signCert(cert: forge.pki.Certificate, key: KeyObject): void {
  const oid = loadForge().pki.oids.sha256WithRSAEncryption!;
  const c = cert as forge.pki.Certificate & { siginfo: { algorithmOid: string }; signatureOid: string; tbsCertificate: forge.asn1.Asn1 };
  c.signatureOid = c.siginfo.algorithmOid = oid;
  // getTBSCertificate exists in forge but is missing from its typings.
  c.tbsCertificate = (loadForge().pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }).getTBSCertificate(cert);
  const tbs = Buffer.from(loadForge().asn1.toDer(c.tbsCertificate).getBytes(), 'binary');
  cert.signature = sign('sha256', tbs, key).toString('binary');
}

/** PEM with \n line ends (forge writes \r\n; Go's pem.Encode, and so kubeadm, writes \n). */
function toPem(cert: forge.pki.Certificate): string {
  return loadForge().pki.certificateToPem(cert).replace(/\r\n/g, '\n');
}

function buildCertBase(publicKey: forge.pki.rsa.PublicKey, start: Date, days: number): { cert: forge.pki.Certificate; serial: bigint } {
  const cert = loadForge().pki.createCertificate();
  const serial = generateSerial();
  cert.publicKey = publicKey;
  cert.serialNumber = formatSerialHex(serial);
  const { notBefore, notAfter } = computeValidity(start, days);
  cert.validity.notBefore = notBefore;
  cert.validity.notAfter = notAfter;
  return { cert, serial };
}

/** The CA's SKI as forge bytes (from the extension, or derived as Go does for imported CAs). */
function readSubjectKeyId(caCert: forge.pki.Certificate): string {
  const ext = caCert.getExtension('subjectKeyIdentifier') as { subjectKeyIdentifier?: string } | undefined;
  if (ext?.subjectKeyIdentifier) return loadForge().util.hexToBytes(ext.subjectKeyIdentifier);
  return caCert.generateSubjectKeyIdentifier().getBytes();
}
