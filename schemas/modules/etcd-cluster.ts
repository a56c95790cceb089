/** Parameters of the `etcd-cluster` module. */
export const etcdClusterSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['ca_dir'],
  properties: {
    ca_dir: { type: 'string', description: "The controller's CA directory (ca.crt, ca.key), relative to the playbook: compared with the CA the hosts trust." },
    group: { type: 'string', description: 'Inventory group of the members (default `etcd`).' },
    info: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: 'Variable each host registered etcd-member-info in (default `etcd_member_info`).' },
    name_var: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: "Host variable with the member's name (default `etcd_name`, else the inventory name)." },
    address_var: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', description: "Host variable with the member's address (default `etcd_address`, else ansible_host, else the name)." },
  },
} as const;
