/**
 * Booting and stopping one host: systemd-nspawn in the background on the shared root
 * filesystem, in the host's network namespace, logging to `.lab/NAME.log`.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { LAB_USER, ROOTFS_DIR, netnsName, type LabPaths } from './paths.js';
import { isHostProcess } from './state.js';
import { quote } from '../connection/quote.js';

/** What kind of host to boot: its root filesystem, and nspawn arguments and environment beyond the plain host's. */
export interface HostProfile {
  rootfs: string;
  args: string[];
  env: Record<string, string>;
}

export const PLAIN_HOST: HostProfile = { rootfs: ROOTFS_DIR, args: [], env: {} };

/**
 * Start host `name` detached and return its nspawn pid. `--register=no` because there is no
 * systemd on the controller to register with; `--volatile=overlay` gives each host a private
 * tmpfs layer over the shared read-only image; the lab key and /etc/hosts are bind-mounted
 * read-only so the cached image never holds per-lab data.
 */
export function bootHost(name: string, paths: LabPaths, cgroupDirs: string[], profile: HostProfile = PLAIN_HOST): number {
  const argv = [
    '-D', profile.rootfs,
    '-M', name,
    '--boot',
    '--volatile=overlay',
    `--network-namespace-path=/run/netns/${netnsName(name)}`,
    '--register=no',
    '--keep-unit',
    `--bind-ro=${paths.publicKey}:/home/${LAB_USER}/.ssh/authorized_keys`,
    `--bind-ro=${paths.hosts}:/etc/hosts`,
    // Never a tty (CI has no stdin): the container's console output goes to the log.
    '--console=read-only',
    ...profile.args,
  ];
  const log = openSync(paths.log(name), 'a');
  try {
    // The shell joins the host's own cgroups, then becomes nspawn (same pid), see cgroup.ts.
    const join = cgroupDirs.map((d) => `echo $$ > ${quote(`${d}/cgroup.procs`)} || exit 125`).join('\n');
    const child = spawn('/bin/sh', ['-c', `${join}\nexec systemd-nspawn "$@"`, 'sh', ...argv], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...process.env, ...profile.env },
    });
    if (child.pid === undefined) throw new Error(`lab: could not start systemd-nspawn for ${name}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/**
 * Stop a host: SIGTERM makes nspawn ask the container's systemd to power off cleanly; after
 * `graceMs` SIGKILL. Only signals `pid` if it still is this host's nspawn (pids get reused).
 */
export async function stopHost(name: string, pid: number, graceMs = 15_000): Promise<void> {
  if (!(await isHostProcess(pid, name))) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!(await isHostProcess(pid, name))) return;
    await sleep(200);
  }
  if (await isHostProcess(pid, name)) {
    // Killing nspawn alone leaves the container's init (and sshd) running in its namespaces:
    // kill the container's processes first, then nspawn.
    for (const child of await childrenOf(pid)) killQuietly(child);
    killQuietly(pid);
  }
  // Let the kernel tear down the container's namespaces before the caller removes the netns.
  for (let i = 0; i < 25 && (await isHostProcess(pid, name)); i++) await sleep(200);
}

/** Direct children of `pid` (the container's init, for nspawn), from /proc. */
async function childrenOf(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text.split(/\s+/).filter(Boolean).map(Number);
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
