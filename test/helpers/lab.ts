/**
 * For lab tests: where the lab's hosts are (from `.lab/state.json`, written by `quorum lab up`)
 * and `sshExec`, which runs a command through the system OpenSSH client. It shares no code with
 * quorum's own SSH connection, so lab tests can check quorum against a second implementation.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LabState } from '../../runner/lab/state.js';
import { labPaths } from '../../runner/lab/paths.js';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
// The lab of QUORUM_LAB_ID (default 0), as the lab code itself resolves it.
const stateFile = labPaths(projectRoot).state;

/** Path of the lab's state file (for QUORUM_LAB_ID's lab). */
export function labStateFile(): string {
  return stateFile;
}

/** A lab host as tests need it. */
export interface LabHost {
  name: string;
  address: string;
  port: number;
  user: string;
  keyFile: string;
  knownHostsFile: string;
}

/** The lab's state; throws saying how to start the lab when it is not up. */
export function labState(): LabState {
  if (!existsSync(stateFile)) {
    throw new Error(`the lab is not up (no ${stateFile}): run \`node --import=tsx runner/lab/main.ts up --hosts 6\` as root in ${projectRoot}`);
  }
  return JSON.parse(readFileSync(stateFile, 'utf8')) as LabState;
}

/** Path of the lab's Ansible YAML inventory. */
export function labInventoryPath(): string {
  return labState().inventory;
}

/** The hosts of a group (`etcd` = infra0..2, `spare` = the rest), in order. */
export function labHosts(group: 'etcd' | 'spare' | 'all' = 'all'): LabHost[] {
  const state = labState();
  return state.hosts
    .filter((h) => group === 'all' || h.group === group)
    .map((h) => ({ name: h.name, address: h.address, port: 22, user: state.user, keyFile: state.keyFile, knownHostsFile: state.knownHostsFile }));
}

/** What a command run by `sshExec` returned. */
export interface SshExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run a shell command on a lab host as the lab user with the system `ssh` client: key auth only,
 * host keys checked against the lab's known_hosts. Resolves with exit code 255 when ssh itself
 * fails (as ssh does); never rejects for a non-zero exit.
 */
export function sshExec(host: LabHost, command: string, opts: { stdin?: string } = {}): Promise<SshExecResult> {
  const argv = [
    '-i', host.keyFile,
    '-p', String(host.port),
    '-o', 'IdentitiesOnly=yes',
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${host.knownHostsFile}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'ConnectTimeout=10',
    '-o', 'LogLevel=ERROR',
    `${host.user}@${host.address}`,
    command,
  ];
  return new Promise((resolve, reject) => {
    const child = execFile('ssh', argv, { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') return reject(new Error(`cannot run ssh: ${err.message}`, { cause: err }));
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end(opts.stdin ?? '');
  });
}

/** Run a shell command as root on a lab host (sudo sh -c); its stdout, or an error naming host and exit. */
export async function rootSh(host: LabHost, command: string): Promise<string> {
  const r = await sshExec(host, `sudo sh -c ${JSON.stringify(command)}`);
  if (r.code !== 0) throw new Error(`${host.name}: ${command}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Back to the lab image's state for etcd, as root on a host: etcd stopped and masked as the
 * image ships it, no data, no /etc/kubernetes. Suites that build clusters run it before and
 * after, so each starts from fresh hosts whatever ran before.
 */
export const RESET_ETCD_HOST = [
  'systemctl stop etcd || true',
  'rm -f /etc/systemd/system/etcd.service',
  'ln -s /dev/null /etc/systemd/system/etcd.service',
  'systemctl daemon-reload',
  'systemctl reset-failed etcd 2>/dev/null || true',
  'find /var/lib/etcd -mindepth 1 -delete',
  'rm -rf /etc/kubernetes',
].join('; ');
