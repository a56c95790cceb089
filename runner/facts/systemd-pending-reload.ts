/**
 * Units systemd reports as changed on disk since the last daemon-reload (NeedDaemonReload=yes),
 * over every loaded unit: what `systemd: { daemon_reload: true }` without a name asks.
 */
import type { Fact } from '../types.js';

export const systemdPendingReload: Fact<string[], void> = {
  name: 'systemd-pending-reload',
  sudo: true,
  command() {
    return "systemctl show --no-pager -p Id,NeedDaemonReload '*'";
  },
  parse(output) {
    if (output.exitCode !== 0) throw new Error(`systemctl show failed (exit ${output.exitCode}): ${output.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    const pending: string[] = [];
    let id = '';
    for (const line of output.stdout.split('\n')) {
      if (line.startsWith('Id=')) id = line.slice(3);
      else if (line === 'NeedDaemonReload=yes') pending.push(id);
      else if (line === '') id = '';
    }
    return pending;
  },
};
