/**
 * Parameters of the `service` module: Ansible's service, the subset systemd can do. Ansible's
 * arguments that make sense only for SysV init scripts are named here so they are refused with
 * a hint (modules/service.ts checkArgs), not as unknown words.
 */
import { systemdSchema } from './systemd.js';

export const serviceSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    // The same meaning as systemd's, by construction: service maps onto that module.
    name: systemdSchema.properties.name,
    state: systemdSchema.properties.state,
    enabled: systemdSchema.properties.enabled,
    daemon_reload: systemdSchema.properties.daemon_reload,
    use: { type: 'string', description: 'Service manager: only `auto` and `systemd` are accepted (hosts are managed through systemd).' },
    pattern: { type: 'string', description: 'Not supported (SysV init): refused with a hint. systemd knows whether a unit runs.' },
    runlevel: { type: 'string', description: 'Not supported (SysV/OpenRC runlevels): refused with a hint; use `enabled`.' },
    arguments: { type: 'string', description: 'Not supported (arguments to an init script): refused with a hint; use a systemd drop-in.' },
    args: { type: 'string', description: 'Alias of `arguments`: refused the same way.' },
    sleep: { type: 'integer', description: 'Not supported (a pause between stop and start of an init script): refused with a hint; systemd restarts in one job.' },
  },
} as const;
