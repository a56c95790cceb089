/**
 * The five kubeadm etcd certificate profiles (spec/kubeadm-etcd.md 1.1): file names relative
 * to the pki dir, subjects, extended key usages and which SAN list each one carries.
 */

/** Names of the profiles, as kubeadm's `init phase certs <name>` spells them. */
export const PROFILE_NAMES = [
  'etcd-ca',
  'etcd-server',
  'etcd-peer',
  'etcd-healthcheck-client',
  'apiserver-etcd-client',
] as const;

export type ProfileName = (typeof PROFILE_NAMES)[number];
export type LeafProfileName = Exclude<ProfileName, 'etcd-ca'>;
export type ExtKeyUsage = 'serverAuth' | 'clientAuth';

/** What a leaf profile fixes; node-dependent values are filled by `resolveLeafSpec`. */
export interface LeafProfile {
  name: LeafProfileName;
  /** Path without extension, relative to the pki dir (`etcd/server` -> server.crt/.key). */
  base: string;
  /** Fixed CN, or `node` for the node name (kubeadm's setCommonNameToNodeName). */
  commonName: string | 'node';
  ekus: readonly ExtKeyUsage[];
  /** Which automatic SAN set: server/peer use the node's names plus their extra list. */
  sans: 'server' | 'peer' | 'none';
}

/** Base path of the CA files, relative to the pki dir. */
export const CA_BASE = 'etcd/ca';
/** Subject CN of the etcd CA; kubeadm also puts it in the CA's DNS SANs. */
export const CA_COMMON_NAME = 'etcd-ca';

// Client certs carry no O: kubeadm v1.29+ dropped system:masters (PRs #119859, #120521).
const LEAF_PROFILES: Record<LeafProfileName, LeafProfile> = {
  'etcd-server': { name: 'etcd-server', base: 'etcd/server', commonName: 'node', ekus: ['serverAuth', 'clientAuth'], sans: 'server' },
  'etcd-peer': { name: 'etcd-peer', base: 'etcd/peer', commonName: 'node', ekus: ['serverAuth', 'clientAuth'], sans: 'peer' },
  'etcd-healthcheck-client': {
    name: 'etcd-healthcheck-client',
    base: 'etcd/healthcheck-client',
    commonName: 'kube-etcd-healthcheck-client',
    ekus: ['clientAuth'],
    sans: 'none',
  },
  // Top level, not under etcd/: the API server reads it from certificatesDir directly.
  'apiserver-etcd-client': {
    name: 'apiserver-etcd-client',
    base: 'apiserver-etcd-client',
    commonName: 'kube-apiserver-etcd-client',
    ekus: ['clientAuth'],
    sans: 'none',
  },
};

/** The fixed part of a leaf profile. */
export function getLeafProfile(name: LeafProfileName): LeafProfile {
  return LEAF_PROFILES[name];
}

/** True for the profiles that are signed by the CA (all but etcd-ca). */
export function isLeafProfile(name: ProfileName): name is LeafProfileName {
  return name !== 'etcd-ca';
}
