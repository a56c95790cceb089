/**
 * The benchmark's own lab: `QUORUM_LAB_ID` (default 5) with its `.lab/` under the bench's work
 * directory, so it never touches the lab the test suites use (id 0, `<project>/.lab`).
 */
import { join } from 'node:path';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { spawnToLog } from './measure.js';

/** What the bench needs to reach the lab's hosts. */
export interface BenchLab {
  /** Project root given to runner/lab (its `.lab/` holds key, known_hosts, inventory). */
  root: string;
  inventory: string;
  keyFile: string;
  knownHostsFile: string;
  stateFile: string;
  user: string;
  hosts: { name: string; address: string; group: string }[];
  /** Each host's cgroup v2 directory (its CPU is read there), where the lab made one. */
  hostCgroups: string[];
  /** Options for the system ssh client (runner/lab/access.ts's, without a connect timeout). */
  sshOptions: string[];
}

/**
 * runner/lab reads QUORUM_LAB_ID once, when its modules load; set it first and check that the
 * modules (already loaded, perhaps) agree, so a benchmark can never resize lab 0.
 */
async function loadLabModules(labId: number) {
  process.env.QUORUM_LAB_ID = String(labId);
  const paths = await import('../runner/lab/paths.js');
  if (paths.LAB_ID !== labId) throw new Error(`bench: runner/lab was loaded for lab ${paths.LAB_ID}, not ${labId}`);
  return import('../runner/lab/lab.js');
}

/** Bring lab `labId` up (or resize it) to `hosts` hosts under `root` and describe it. */
export async function bringUpLab(labId: number, hosts: number, root: string, log: (line: string) => void): Promise<BenchLab> {
  mkdirSync(root, { recursive: true });
  const { labUp } = await loadLabModules(labId);
  const { labPaths } = await import('../runner/lab/paths.js');
  const { sshOptions } = await import('../runner/lab/access.js');
  const state = await labUp({ hosts, projectRoot: root, log: (l) => log(`lab ${labId}: ${l}`) });
  return {
    root,
    inventory: state.inventory,
    keyFile: state.keyFile,
    knownHostsFile: state.knownHostsFile,
    // Lab 0 keeps `.lab/`, lab N `.lab-N/` (runner/lab/paths.ts): ask, never rebuild the path.
    stateFile: labPaths(root).state,
    user: state.user,
    hosts: state.hosts.map((h) => ({ name: h.name, address: h.address, group: h.group })),
    hostCgroups: state.hosts.flatMap((h) => findCgroupV2Dir(h.cgroups ?? [])),
    sshOptions: sshOptions({ key: state.keyFile, knownHosts: state.knownHostsFile }, undefined),
  };
}

/** The cgroup v2 directory among a host's cgroups (pure v2 /sys/fs/cgroup/..., or hybrid's unified/...). */
function findCgroupV2Dir(dirs: string[]): string[] {
  const v2 = dirs.find((d) => existsSync(join(d, 'cpu.stat')));
  return v2 ? [v2] : [];
}

/** Take lab `labId` under `root` down (hosts, network, `.lab/` files). */
export async function takeDownLab(labId: number, root: string, log: (line: string) => void): Promise<void> {
  const { labDown } = await loadLabModules(labId);
  await labDown({ projectRoot: root, log: (l) => log(`lab ${labId}: ${l}`) });
}

/**
 * Run one shell command on every host in parallel, one ssh each (used for the untimed reset
 * between rounds). Throws naming the hosts where it failed.
 */
export async function runOnEveryHost(lab: BenchLab, hosts: string[], command: string, logFile: string): Promise<void> {
  const results = await Promise.all(
    lab.hosts
      .filter((h) => hosts.includes(h.name))
      .map(async (h) => ({ name: h.name, code: await spawnToLog(['ssh', ...lab.sshOptions, `${lab.user}@${h.address}`, command], logFile) })),
  );
  const failed = results.filter((r) => r.code !== 0).map((r) => r.name);
  if (failed.length > 0) throw new Error(`bench: \`${command}\` failed on ${failed.join(', ')} (see ${logFile})`);
}

/** Names of the lab's hosts in group `group` (or all hosts for `all`). */
export function listHosts(lab: BenchLab, group: string): string[] {
  return lab.hosts.filter((h) => group === 'all' || h.group === group).map((h) => h.name);
}

/** OpenSSH version of a lab host (`ssh -V` there prints it on stderr). */
export async function readHostOpenSshVersion(lab: BenchLab, logFile: string): Promise<string> {
  const h = lab.hosts[0]!;
  const out = join(lab.root, 'ssh-version.txt');
  await spawnToLog(['sh', '-c', `ssh ${lab.sshOptions.map((o) => `'${o}'`).join(' ')} ${lab.user}@${h.address} 'ssh -V 2>&1 || /usr/sbin/sshd -V 2>&1 | head -1' > '${out}'`], logFile);
  return readFileSync(out, 'utf8').trim().split('\n')[0] ?? 'unknown';
}
