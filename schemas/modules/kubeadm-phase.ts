/** Parameters of the `kubeadm-phase` module. */

/** Phases whose artefacts the module knows; any other phase needs `creates:`. */
export const KNOWN_PHASES = [
  'etcd local',
  'certs etcd-ca',
  'certs etcd-server',
  'certs etcd-peer',
  'certs etcd-healthcheck-client',
  'certs apiserver-etcd-client',
  'certs ca',
  'certs apiserver',
  'certs apiserver-kubelet-client',
  'certs front-proxy-ca',
  'certs front-proxy-client',
  'certs sa',
  'kubeconfig admin',
  'kubeconfig super-admin',
  'kubeconfig kubelet',
  'kubeconfig controller-manager',
  'kubeconfig scheduler',
  'control-plane apiserver',
  'control-plane controller-manager',
  'control-plane scheduler',
] as const;

export const kubeadmPhaseSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['phase', 'config'],
  properties: {
    phase: {
      type: 'string',
      pattern: '^[a-z0-9-]+( [a-z0-9-]+)*$',
      description: 'The phase after `kubeadm init phase`, words separated by one space: "etcd local", "certs etcd-server", "kubeconfig admin".',
    },
    config: { type: 'string', minLength: 1, description: 'Path ON THE HOST of the kubeadm config file (InitConfiguration + ClusterConfiguration).' },
    extra_args: {
      type: 'array',
      items: { type: 'string', description: 'One argument, passed as one word (no shell).' },
      description: 'More arguments for kubeadm, e.g. ["--v=5"].',
    },
    creates: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', pattern: '^/', description: 'Absolute path of a file the phase writes.' },
      description: 'Files the phase writes: it runs only when one is missing. Required for phases the module does not know; overrides the built-in list otherwise.',
    },
    force: { type: 'boolean', description: 'Run the phase even when its files exist (kubeadm still reuses existing certificates: delete them to regenerate).' },
    cert_dir: { type: 'string', pattern: '^/', description: 'certificatesDir of the config (default /etc/kubernetes/pki), where certs phases write.' },
    kubernetes_dir: { type: 'string', pattern: '^/', description: 'Directory of kubeconfigs and manifests/ (default /etc/kubernetes).' },
  },
  if: { properties: { phase: { not: { enum: KNOWN_PHASES } } } },
  then: { required: ['creates'] },
} as const;
