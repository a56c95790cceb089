/** Parameters of the `etcd-health` module. */
export const etcdHealthSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    endpoints: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', pattern: '^https?://(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._~-]+)(:[0-9]{1,5})?/?$', description: 'Client URL of one member, e.g. https://10.0.0.6:2379.' },
      description: 'Client URLs to check. Default: https://ADDR:2379 for every host of the `group` group (ADDR = its ansible_host, else its name).',
    },
    group: { type: 'string', description: 'Inventory group whose hosts make the default endpoints (default `etcd`).' },
    method: {
      enum: ['etcdctl', 'gateway'],
      description: '`etcdctl` (default) runs etcdctl on the task\'s host, as the kubeadm doc does; `gateway` talks to etcd\'s JSON gateway from the controller over mTLS.',
    },
    cacert: { type: 'string', description: 'CA certificate of etcd: a path on the host for etcdctl, on the controller (relative to the playbook) for gateway.' },
    cert: { type: 'string', description: 'Client certificate (clientAuth, signed by the etcd CA), e.g. /etc/kubernetes/pki/etcd/healthcheck-client.crt.' },
    key: { type: 'string', description: 'Private key of the client certificate (a path; the key itself is never read into output).' },
    expect_members: { type: 'integer', minimum: 1, description: 'Members the cluster must have (default: the number of endpoints).' },
    timeout: { type: 'integer', minimum: 1, maximum: 300, description: 'Seconds allowed per endpoint request (default 5).' },
    etcdctl: { type: 'string', description: 'etcdctl binary to run for method etcdctl (default `etcdctl` from PATH).' },
    cluster: {
      type: 'boolean',
      description: 'Also check every client URL the member list advertises, as the kubeadm doc\'s `etcdctl endpoint health --cluster` does, in the same etcdctl call (method etcdctl only; default false). An endpoint no member advertises is then unhealthy.',
    },
  },
} as const;
