/** Parameters of the `systemd` module. */
export const systemdSchema = {
  type: 'object',
  additionalProperties: false,
  // Without a name, only `daemon_reload: true` makes sense (Ansible's systemd allows it too).
  anyOf: [{ required: ['name'] }, { required: ['daemon_reload'] }],
  dependentRequired: { state: ['name'], enabled: ['name'], masked: ['name'], no_block: ['name'], restart_on_change: ['name'], unit: ['name'], dropins: ['name'] },
  properties: {
    name: {
      type: 'string',
      pattern: '^[A-Za-z0-9:_.@][A-Za-z0-9:_.@\\\\-]*$',
      description: 'Unit name; `.service` is implied when no unit suffix is given (`etcd` = `etcd.service`). It may not start with `-` (systemctl would read it as an option).',
    },
    state: {
      enum: ['started', 'stopped', 'restarted', 'reloaded'],
      description: '`started`/`stopped` are idempotent; `restarted`/`reloaded` always act. Omit to leave the running state alone (a changed unit file still restarts a running unit).',
    },
    enabled: { type: 'boolean', description: 'Start the unit at boot (`systemctl enable`), or not (`disable`).' },
    masked: { type: 'boolean', description: 'Mask the unit (it cannot be started at all) or unmask it.' },
    daemon_reload: {
      type: 'boolean',
      description: 'Run `systemctl daemon-reload` when systemd reports the unit changed on disk (NeedDaemonReload=yes). A unit or drop-in changed by this task always reloads. Without `name`: when any loaded unit needs it.',
    },
    no_block: {
      type: 'boolean',
      description: 'Do not wait for the start/stop job to finish (`--no-block`). Needed for Type=notify units that wait for peers, such as etcd waiting for quorum.',
    },
    restart_on_change: {
      type: 'boolean',
      description: 'Restart a running unit whose unit file or drop-ins this task changed (default true). false: write and daemon-reload only, and let the playbook restart it when it is safe (etcd members one at a time); the registered `files_changed` says a restart is due.',
    },
    unit: {
      type: 'string',
      description: 'Content of /etc/systemd/system/NAME (the unit file itself). Written when it differs; implies daemon-reload and a restart of a running unit.',
    },
    dropins: {
      type: 'object',
      description: 'Drop-in files under /etc/systemd/system/NAME.d/: file name (ending in .conf) to content. Existing drop-ins not listed are left alone.',
      propertyNames: { pattern: '^[A-Za-z0-9_.@-]+\\.conf$' },
      additionalProperties: { type: 'string', description: 'Content of the drop-in file.' },
    },
  },
} as const;
