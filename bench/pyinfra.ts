/**
 * pyinfra for the comparison (pinned by scripts/install-peers.sh --bench): its inventory for the
 * bench lab, its version, and how to read what a run did from its output.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchLab } from './lab.js';

/**
 * Write `dir`/inventory.py: one list per lab group (`etcd`, `spare`...), each host with its
 * address, the lab's user and key, and host key checking ON against the lab's known_hosts (as
 * for quorum and Ansible). pyinfra's inventory is Python; the values are JSON literals, which
 * Python reads as the same strings.
 */
export function writePyinfraInventory(dir: string, lab: BenchLab): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'inventory.py');
  const common = { ssh_user: lab.user, ssh_key: lab.keyFile, ssh_known_hosts_file: lab.knownHostsFile, ssh_strict_host_key_checking: 'yes' };
  const groups = new Map<string, string[]>();
  for (const h of lab.hosts) {
    const entry = `(${JSON.stringify(h.name)}, {**_common, "ssh_hostname": ${JSON.stringify(h.address)}})`;
    groups.set(h.group, [...(groups.get(h.group) ?? []), entry]);
  }
  const lines = [
    '# Written by bench/run.ts for one benchmark lab.',
    `_common = ${JSON.stringify(common)}`,
    ...[...groups].map(([group, hosts]) => `${group} = [\n    ${hosts.join(',\n    ')},\n]`),
    '',
  ];
  writeFileSync(file, lines.join('\n'));
  return file;
}

/** `pyinfra --version` of a venv, e.g. "pyinfra: v3.10.0". */
export function readPyinfraVersion(venv: string): string {
  return execFileSync(join(venv, 'bin', 'pyinfra'), ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

/** What a pyinfra run reported: hosts connected, per host the operations that changed something and that did not. */
export interface PyinfraOutcome {
  connected: string[];
  changed: Map<string, number>;
  unchanged: Map<string, number>;
  /** Sum of the Change column of `--dry`'s "Detected changes" table (host-operations); 0 without one. */
  detectedChanges: number;
}

/**
 * Read a pyinfra run's output. A real run (`-y`) prints `[HOST] Success` for an operation that
 * ran commands (a change) and `[HOST] No changes` for one that had nothing to do; a `--dry` run
 * prints a "Detected changes" table instead, one row per operation with `N (hosts...)` in its
 * Change column (the host list is cut at 48 characters, so only N is read).
 */
export function parsePyinfraOutput(output: string): PyinfraOutcome {
  const connected = [...output.matchAll(/^\s+\[([^\]\s]+)\] Connected\s*$/gm)].map((m) => m[1]!);
  const changed = new Map<string, number>();
  const unchanged = new Map<string, number>();
  for (const m of output.matchAll(/^\s+\[([^\]\s]+)\] (Success|No changes)\s*$/gm)) {
    const map = m[2] === 'Success' ? changed : unchanged;
    map.set(m[1]!, (map.get(m[1]!) ?? 0) + 1);
  }
  let detectedChanges = 0;
  const detected = output.indexOf('--> Detected changes:');
  if (detected >= 0) {
    const table = output.slice(detected).split(/\n\s*\n/)[0]!;
    for (const m of table.matchAll(/\s(\d+) \(/g)) detectedChanges += Number(m[1]);
  }
  return { connected, changed, unchanged, detectedChanges };
}
