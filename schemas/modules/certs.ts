/** Parameters of the `certs` module (kubeadm-equivalent etcd PKI). */
const profileNames = ['etcd-ca', 'etcd-server', 'etcd-peer', 'etcd-healthcheck-client', 'apiserver-etcd-client'] as const;

export const certsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    profile: {
      type: 'string',
      enum: profileNames,
      description: 'One certificate to put on the host (kubeadm phase name). Combined with `profiles` when both are given.',
    },
    profiles: {
      type: 'array',
      items: { type: 'string', enum: profileNames },
      uniqueItems: true,
      minItems: 1,
      description: 'Certificates to put on the host. Default (neither profile nor profiles): all five.',
    },
    node_name: {
      type: 'string',
      minLength: 1,
      description: "CN and DNS SAN of the etcd-server and etcd-peer certs (kubeadm's nodeRegistration.name). Default: the inventory host name.",
    },
    advertise_address: {
      type: 'string',
      anyOf: [{ format: 'ipv4' }, { format: 'ipv6' }],
      description: "IP address etcd listens on (kubeadm's localAPIEndpoint.advertiseAddress); required for etcd-server and etcd-peer.",
    },
    server_cert_sans: {
      type: 'array',
      items: { type: 'string' },
      description: 'Extra SANs of the server cert (etcd.local.serverCertSANs): IPs, DNS names or *.wildcards; anything else is dropped with a warning.',
    },
    peer_cert_sans: {
      type: 'array',
      items: { type: 'string' },
      description: 'Extra SANs of the peer cert (etcd.local.peerCertSANs), classified like server_cert_sans.',
    },
    pki_dir: {
      type: 'string',
      pattern: '^/',
      default: '/etc/kubernetes/pki',
      description: "Absolute directory on the host the files go to (kubeadm's certificatesDir); etcd certs go under etcd/ in it.",
    },
    ca_dir: {
      type: 'string',
      minLength: 1,
      default: 'pki/etcd-ca',
      description: 'Controller directory holding the CA (ca.crt, ca.key), relative to the playbook dir; created 0700 with a new CA unless both files are already there.',
    },
    key_size: {
      type: 'integer',
      enum: [2048, 3072, 4096],
      default: 2048,
      description: 'RSA key size in bits for new keys, CA and leaves (kubeadm encryptionAlgorithm RSA-2048/3072/4096).',
    },
    encryption_algorithm: {
      type: 'string',
      enum: ['RSA-2048', 'RSA-3072', 'RSA-4096', 'ECDSA-P256', 'ECDSA-P384'],
      description:
        "Algorithm of new keys, CA and leaves (kubeadm's ClusterConfiguration encryptionAlgorithm, v1beta4): RSA keys as PKCS#1 PEM, ECDSA keys as SEC1 PEM (`EC PRIVATE KEY`). Default RSA of key_size bits; give one of the two. A leaf whose key has another algorithm is reissued. A CA of your own in ca_dir may be RSA, ECDSA-P256 or ECDSA-P384 whatever this says: leaves are signed with its key (SHA256WithRSA, ECDSA-SHA256 or ECDSA-SHA384, as Go picks).",
    },
    validity_days: {
      type: 'integer',
      minimum: 1,
      default: 365,
      description: 'Validity of new leaf certs in days (kubeadm certificateValidityPeriod, 8760h).',
    },
    ca_validity_days: {
      type: 'integer',
      minimum: 1,
      default: 3650,
      description: 'Validity of a newly created CA in days (kubeadm caCertificateValidityPeriod, 87600h).',
    },
    renew_before_days: {
      type: 'integer',
      minimum: 0,
      default: 30,
      description: 'Reissue a leaf that expires within this many days.',
    },
    adopt_ca: {
      type: 'boolean',
      default: false,
      description: "When ca_dir holds no CA and this host holds the cluster's etcd/ca.crt and its etcd/ca.key, copy both to ca_dir on the controller instead of creating a new CA (a second controller, a fresh clone, a CI runner). Without it, a host that trusts a CA the controller does not have fails the task: a CA that hosts trust is never replaced.",
    },
    copy_ca_key: {
      type: 'boolean',
      default: false,
      description: 'With the etcd-ca profile, also put etcd/ca.key (0600) on the host. Off by default: the CA key stays on the controller.',
    },
    owner: { type: 'string', minLength: 1, default: 'root', description: 'Owner of the files put on the host.' },
    group: { type: 'string', minLength: 1, default: 'root', description: 'Group of the files put on the host.' },
  },
} as const;
