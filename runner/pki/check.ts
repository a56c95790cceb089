/**
 * The pure decisions of the certs module: what a host's leaf should look like, and why an
 * existing one must be reissued (each reason in words, for the change's `describe`).
 */
import { resolveKeyAlgorithm, type KeySize, type LeafSpec } from './issue.js';
import type { KeyAlgorithm } from './key-algorithm.js';
import type { CertSummary, KeySummary } from './inspect.js';
import { getLeafProfile, type LeafProfileName } from './profiles.js';
import { buildEtcdAltNames, findMissingSans } from './sans.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The node-dependent inputs of the leaf profiles. */
export interface LeafInputs {
  nodeName: string;
  advertiseAddress?: string;
  serverCertSans: readonly string[];
  peerCertSans: readonly string[];
  keySize: KeySize;
  /** kubeadm's encryptionAlgorithm for the leaf keys; default RSA of `keySize` bits. */
  keyAlgorithm?: KeyAlgorithm;
  validityDays: number;
}

/** A leaf as wanted on one host: files (relative to the pki dir) and the cert's content. */
export interface WantedLeaf {
  profile: LeafProfileName;
  certPath: string;
  keyPath: string;
  spec: LeafSpec;
  /** Extra SANs that were neither IP nor DNS name (kubeadm drops them with a warning). */
  dropped: string[];
}

/** Resolve a profile for one node. Throws when server/peer lack a valid advertise address. */
export function resolveWantedLeaf(name: LeafProfileName, inputs: LeafInputs): WantedLeaf {
  const profile = getLeafProfile(name);
  let sans = { dns: [] as string[], ip: [] as string[], dropped: [] as string[] };
  if (profile.sans !== 'none') {
    if (!inputs.advertiseAddress) {
      throw new Error(`profile ${name} needs advertise_address: set it to the IP address etcd listens on (e.g. "{{ ansible_host }}")`);
    }
    const extra = profile.sans === 'server' ? inputs.serverCertSans : inputs.peerCertSans;
    sans = buildEtcdAltNames(inputs.nodeName, inputs.advertiseAddress, extra);
  }
  return {
    profile: name,
    certPath: `${profile.base}.crt`,
    keyPath: `${profile.base}.key`,
    spec: {
      commonName: profile.commonName === 'node' ? inputs.nodeName : profile.commonName,
      ekus: profile.ekus,
      sans: { dns: sans.dns, ip: sans.ip },
      keySize: inputs.keySize,
      ...(inputs.keyAlgorithm ? { keyAlgorithm: inputs.keyAlgorithm } : {}),
      validityDays: inputs.validityDays,
    },
    dropped: sans.dropped,
  };
}

/** What is known about an existing leaf on the host (undefined file = missing). */
export interface ExistingLeaf {
  cert?: CertSummary | { error: string };
  key?: KeySummary | { error: string };
}

/**
 * Why the existing leaf cannot be kept; empty when it can. Kept means: chains to the CA, has
 * the expected subject, EKUs and every expected SAN (extra SANs are fine), the key matches and
 * has the wanted size, and it does not expire within `renewBeforeDays` of `now`.
 */
export function findReissueReasons(want: WantedLeaf, have: ExistingLeaf, now: number, renewBeforeDays: number): string[] {
  const { cert, key } = have;
  if (!cert) return [`${want.certPath} is missing`];
  if ('error' in cert) return [`${want.certPath} cannot be parsed (${cert.error})`];
  if (!key) return [`${want.keyPath} is missing`];
  if ('error' in key) return [`${want.keyPath} cannot be parsed (${key.error})`];
  const reasons: string[] = [];
  if (!cert.signedByCa) reasons.push('not signed by this CA');
  if (cert.subjectCN !== want.spec.commonName) reasons.push(`subject CN is ${cert.subjectCN}, want ${want.spec.commonName}`);
  if ((cert.subjectO ?? '') !== (want.spec.organization ?? '')) reasons.push(`subject O is ${cert.subjectO ?? '(none)'}, want ${want.spec.organization ?? '(none)'}`);
  for (const eku of want.spec.ekus) if (!cert.ekus.includes(eku)) reasons.push(`missing extended key usage ${eku}`);
  reasons.push(...findMissingSans(want.spec.sans, cert.sans).map((s) => `missing ${s}`));
  if (key.publicKeyId !== cert.publicKeyId) reasons.push(`${want.keyPath} does not match the certificate`);
  const wantAlgorithm = resolveKeyAlgorithm(want.spec);
  if (cert.keyAlgorithm !== wantAlgorithm) {
    const bothRsa = cert.keyAlgorithm.startsWith('RSA-') && wantAlgorithm.startsWith('RSA-');
    reasons.push(bothRsa ? `key is ${cert.keyBits} bits, want ${wantAlgorithm.slice(4)}` : `key is ${cert.keyAlgorithm}, want ${wantAlgorithm}`);
  }
  reasons.push(...findExpiryReasons(cert.notAfter, now, renewBeforeDays));
  return reasons;
}

/** "expired on D" or "expires D (within N days)", else nothing. */
export function findExpiryReasons(notAfter: string, now: number, renewBeforeDays: number): string[] {
  const end = Date.parse(notAfter);
  const day = notAfter.slice(0, 10);
  if (end <= now) return [`expired on ${day}`];
  if (end - now <= renewBeforeDays * DAY_MS) return [`expires ${day} (within ${renewBeforeDays} days)`];
  return [];
}
