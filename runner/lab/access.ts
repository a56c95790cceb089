/**
 * How to reach the hosts: the lab's SSH key pair, the hosts' keys (known_hosts, so host key
 * checking stays on), the Ansible YAML inventory and the /etc/hosts given to every host.
 */
import { existsSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { ETCD_GROUP_SIZE, LAB_USER, type LabPaths } from './paths.js';
import { mustRun, runCommand } from './run.js';

/** A host as the inventory and /etc/hosts see it. */
export interface HostEntry {
  name: string;
  address: string;
}

/** Create the lab's ed25519 key pair unless it exists (no passphrase: tests run unattended). */
export async function ensureLabKey(paths: LabPaths): Promise<void> {
  if (existsSync(paths.key) && existsSync(paths.publicKey)) return;
  await rm(paths.key, { force: true });
  await rm(paths.publicKey, { force: true });
  await mustRun(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'quorum-lab', '-f', paths.key]);
}

/**
 * The host's public keys as known_hosts lines, or undefined while its sshd does not answer.
 * ssh-keyscan prints nothing (exit 0 or 1) until sshd is up.
 */
export async function scanHostKeys(address: string, name: string): Promise<string | undefined> {
  const r = await runCommand(['ssh-keyscan', '-T', '2', '-t', 'ed25519,ecdsa,rsa', address]);
  // Listed under the address and the name, so either form of the host is checked.
  const lines = r.stdout
    .split('\n')
    .filter((l) => l.startsWith(`${address} `))
    .map((l) => `${address},${name}${l.slice(address.length)}`)
    .sort();
  return lines.length > 0 ? lines.join('\n') + '\n' : undefined;
}

/**
 * Base options for the system ssh client talking to a lab host (host key checking on). The
 * benchmark passes no connect timeout: 30 hosts booting on 2 cores can take longer than 5 s.
 */
export function sshOptions(paths: Pick<LabPaths, 'key' | 'knownHosts'>, connectTimeoutSeconds: number | undefined = 5): string[] {
  return [
    '-i', paths.key,
    '-o', 'IdentitiesOnly=yes',
    '-o', 'BatchMode=yes',
    '-o', `UserKnownHostsFile=${paths.knownHosts}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'GlobalKnownHostsFile=/dev/null',
    ...(connectTimeoutSeconds === undefined ? [] : ['-o', `ConnectTimeout=${connectTimeoutSeconds}`]),
    '-o', 'LogLevel=ERROR',
  ];
}

/** Log in as the lab user and run `true` with sudo: proves key, host key and sudo all work. */
export async function probeLogin(paths: LabPaths, address: string): Promise<{ ok: boolean; error: string }> {
  const r = await runCommand(['ssh', ...sshOptions(paths), `${LAB_USER}@${address}`, 'sudo -n true'], { timeoutMs: 20_000 });
  return { ok: r.code === 0, error: r.stderr.trim() };
}

/** The Ansible YAML inventory: `etcd` = the first three hosts, `spare` = the rest. */
export function renderInventory(hosts: HostEntry[], paths: LabPaths, groupVars: Record<string, string> = {}): string {
  const hostBlock = (list: HostEntry[]) =>
    list.length === 0
      ? '      hosts: {}\n'
      : '      hosts:\n' +
        list
          .map((h) =>
            [
              `        ${h.name}:`,
              `          ansible_host: ${h.address}`,
              `          ansible_user: ${LAB_USER}`,
              `          ansible_ssh_private_key_file: ${JSON.stringify(paths.key)}`,
              '          ansible_become: true',
            ].join('\n'),
          )
          .join('\n') +
        '\n';
  return (
    '# Written by `quorum lab up`; removed by `quorum lab down`.\n' +
    'all:\n' +
    '  vars:\n' +
    `    quorum_known_hosts: ${JSON.stringify(paths.knownHosts)}\n` +
    Object.entries(groupVars).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}\n`).join('') +
    '  children:\n' +
    '    etcd:\n' +
    hostBlock(hosts.slice(0, ETCD_GROUP_SIZE)) +
    '    spare:\n' +
    hostBlock(hosts.slice(ETCD_GROUP_SIZE))
  );
}

/** /etc/hosts for every lab host, so members can reach each other by name. */
export function renderEtcHosts(hosts: HostEntry[]): string {
  return ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', ...hosts.map((h) => `${h.address}\t${h.name}`), ''].join('\n');
}

/** Write inventory and /etc/hosts for this set of hosts. */
export async function writeAccessFiles(paths: LabPaths, hosts: HostEntry[], groupVars: Record<string, string> = {}): Promise<void> {
  await writeFile(`${paths.inventory}.tmp`, renderInventory(hosts, paths, groupVars));
  await rename(`${paths.inventory}.tmp`, paths.inventory);
  // Rewritten in place, not renamed: running hosts bind-mount this very inode as /etc/hosts.
  await writeFile(paths.hosts, renderEtcHosts(hosts), { mode: 0o644 });
}
