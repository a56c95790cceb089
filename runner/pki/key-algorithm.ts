/**
 * kubeadm's key algorithms (ClusterConfiguration.encryptionAlgorithm, v1beta4): RSA-2048 (the
 * default), RSA-3072, RSA-4096, ECDSA-P256, ECDSA-P384 (cmd/kubeadm/app/util/pkiutil
 * GeneratePrivateKey). RSA keys are PKCS#1 PEM (`RSA PRIVATE KEY`), ECDSA keys SEC1 PEM
 * (`EC PRIVATE KEY`), as kubeadm writes them. A certificate's signature follows the signing
 * key, as Go's x509.CreateCertificate picks it: RSA -> SHA256WithRSA (whatever the size),
 * P-256 -> ECDSA-SHA256, P-384 -> ECDSA-SHA384.
 */
import type { KeyObject } from 'node:crypto';

export const KEY_ALGORITHMS = ['RSA-2048', 'RSA-3072', 'RSA-4096', 'ECDSA-P256', 'ECDSA-P384'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** Node's names of the curves kubeadm uses (OpenSSL's prime256v1 and secp384r1). */
const CURVES: Record<string, 'ECDSA-P256' | 'ECDSA-P384'> = { prime256v1: 'ECDSA-P256', 'P-256': 'ECDSA-P256', secp384r1: 'ECDSA-P384', 'P-384': 'ECDSA-P384' };

/** `RSA-2048`, `ECDSA-P256`...; another kind of key is named as it is (`RSA-1024`, `ECDSA-secp521r1`, `ed25519`). */
export function describeKeyAlgorithm(key: KeyObject): string {
  const details = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') return `RSA-${details.modulusLength ?? 0}`;
  if (key.asymmetricKeyType === 'ec') return CURVES[details.namedCurve ?? ''] ?? `ECDSA-${details.namedCurve ?? 'unknown'}`;
  return String(key.asymmetricKeyType);
}

/** True for the algorithms kubeadm offers (a CA or leaf key quorum can use). */
export function isKubeadmKeyAlgorithm(name: string): name is KeyAlgorithm {
  return (KEY_ALGORITHMS as readonly string[]).includes(name);
}

/** The curve name for Node's generateKeyPair, for an ECDSA algorithm. */
export function curveOf(algorithm: 'ECDSA-P256' | 'ECDSA-P384'): 'P-256' | 'P-384' {
  return algorithm === 'ECDSA-P256' ? 'P-256' : 'P-384';
}

/** The X.509 signature algorithm a key of this algorithm signs with (Go's choice), as OID and hash. */
export function signatureAlgorithmOf(algorithm: string): { oid: string; hash: 'sha256' | 'sha384'; ecdsa: boolean } {
  if (algorithm === 'ECDSA-P384') return { oid: '1.2.840.10045.4.3.3', hash: 'sha384', ecdsa: true }; // ecdsa-with-SHA384
  if (algorithm === 'ECDSA-P256') return { oid: '1.2.840.10045.4.3.2', hash: 'sha256', ecdsa: true }; // ecdsa-with-SHA256
  return { oid: '1.2.840.113549.1.1.11', hash: 'sha256', ecdsa: false }; // sha256WithRSAEncryption
}
