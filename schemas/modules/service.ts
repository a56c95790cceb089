/**
 * Parameters of the `service` module: Ansible's service, the subset systemd can do. Ansible's
 * arguments that make sense only for SysV init scripts are named here so they are refused with
 * a hint (modules/service.ts checkArgs), not as unknown words.
 */
export const serviceSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: {
      type: 'string',
      pattern: '^[A-Za-z0-9:_.@][A-Za-z0-9:_.@\\\\-]*$',
      description: 'Service name; `.service` is implied when no unit suffix is given (`ssh` = `ssh.service`).',
    },
    state: {
      enum: ['started', 'stopped', 'restarted', 'reloaded'],
      description: '`started`/`stopped` are idempotent; `restarted`/`reloaded` always act. Omit to leave the running state alone.',
    },
    enabled: { type: 'boolean', description: 'Start the service at boot (`systemctl enable`), or not (`disable`).' },
    daemon_reload: {
      type: 'boolean',
      description: 'Run `systemctl daemon-reload` first when systemd reports the unit changed on disk (NeedDaemonReload=yes).',
    },
    use: { type: 'string', description: 'Service manager: only `auto` and `systemd` are accepted (hosts are managed through systemd).' },
    pattern: { type: 'string', description: 'Not supported (SysV init): refused with a hint. systemd knows whether a unit runs.' },
    runlevel: { type: 'string', description: 'Not supported (SysV/OpenRC runlevels): refused with a hint; use `enabled`.' },
    arguments: { type: 'string', description: 'Not supported (arguments to an init script): refused with a hint; use a systemd drop-in.' },
    args: { type: 'string', description: 'Alias of `arguments`: refused the same way.' },
    sleep: { type: 'integer', description: 'Not supported (a pause between stop and start of an init script): refused with a hint; systemd restarts in one job.' },
  },
} as const;
