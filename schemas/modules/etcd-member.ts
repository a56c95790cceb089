/** Parameters of the `etcd-member` module. */
export const etcdMemberSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, description: 'Member name (etcd --name).' },
    state: { enum: ['present', 'absent'], description: '`present` (default): `member add` unless a member has these peer URLs; `absent`: `member remove`, refused when the members left would not keep a quorum.' },
    peer_urls: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', pattern: '^https?://(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._~-]+)(:[0-9]{1,5})?/?$', description: 'A peer URL, e.g. https://10.0.0.9:2380.' },
      description: 'Peer URLs of the member (required for present; for absent they find the member when its name is not known yet).',
    },
    stale_id: { type: ['string', 'null'], pattern: '^[0-9a-f]{1,16}$', description: 'Hex id of an old entry of this member to remove first (its data is gone: it joins anew). null: none.' },
    endpoints: {
      type: 'array',
      minItems: 1,
      items: { type: 'string', pattern: '^https?://(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9._~-]+)(:[0-9]{1,5})?/?$', description: 'Client URL of a member.' },
      description: 'Client URLs of running members: asked for health and the member list, and where the change is sent. Default: https://ADDR:2379 for every host of group `etcd` (ADDR = its ansible_host, else its name).',
    },
    cacert: { type: 'string', description: 'CA certificate on the host (e.g. /etc/kubernetes/pki/etcd/ca.crt).' },
    cert: { type: 'string', description: 'Client certificate on the host.' },
    key: { type: 'string', description: 'Its private key on the host (never read).' },
    timeout: { type: 'integer', minimum: 1, maximum: 300, description: 'Seconds per etcdctl request (default 5).' },
    etcdctl: { type: 'string', description: 'etcdctl binary (default `etcdctl` from PATH).' },
  },
} as const;
