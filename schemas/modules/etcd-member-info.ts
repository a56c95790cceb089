/** Parameters of the `etcd-member-info` module. */
export const etcdMemberInfoSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    pki_dir: { type: 'string', description: 'Directory of the kubeadm PKI (default /etc/kubernetes/pki): etcd/ca.crt, etcd/ca.key and the client certificate are looked for here.' },
    data_dir: { type: 'string', description: "etcd's data directory (default /var/lib/etcd): a `member` directory in it means this host has been a member." },
    unit: { type: 'string', pattern: '^[A-Za-z0-9:_.@][A-Za-z0-9:_.@-]*$', description: 'systemd unit of etcd (default `etcd`), for its state and the bootstrap flags in /etc/systemd/system/UNIT.service.' },
    manifest: { type: 'string', description: 'Static pod manifest of etcd (default /etc/kubernetes/manifests/etcd.yaml), for the bootstrap flags of the static-pod runtime.' },
    endpoint: { type: 'string', pattern: '^https?://(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._~-]+)(:[0-9]{1,5})?/?$', description: "This member's client URL, asked for the member list and the leader (default https://ADDR:2379, ADDR = ansible_host, else the host's name)." },
    cert: { type: 'string', description: 'Client certificate for etcdctl (default PKI_DIR/etcd/peer.crt, as the procedure\'s health check uses).' },
    key: { type: 'string', description: 'Its private key (default PKI_DIR/etcd/peer.key); the key is never read.' },
    timeout: { type: 'integer', minimum: 1, maximum: 60, description: 'Seconds etcdctl may take to answer (default 3): a member that does not answer is reported, not waited for.' },
    etcdctl: { type: 'string', description: 'etcdctl binary (default `etcdctl` from PATH).' },
  },
} as const;
