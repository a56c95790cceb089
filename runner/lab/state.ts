/**
 * The lab's state file (`.lab/state.json`): what `lab up` made, so `lab down` and the tests
 * know the hosts, their addresses and the pids to stop.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { netnsName, type LabPaths } from './paths.js';
import { isThinHostProcess } from './thin.js';

/** One booted host. */
export interface LabHostState {
  name: string;
  address: string;
  /** pid of the host's systemd-nspawn process (of its sshd, on a thin host). */
  pid: number;
  /** Inventory group: `etcd` (the first three) or `spare`. */
  group: 'etcd' | 'spare';
  log: string;
  /** The cgroup directories made for it (removed by `lab down`). */
  cgroups?: string[];
}

/** Everything one `lab up` made. */
export interface LabState {
  version: 1;
  createdAt: string;
  rootfs: string;
  /** Node hosts (kubelet, kubeadm): the tools directory given to `lab up --node-tools`. */
  nodeTools?: string;
  /** Thin hosts (thin.ts): sshd only, a benchmark aid. */
  thin?: boolean;
  bridge: string;
  bridgeAddress: string;
  inventory: string;
  keyFile: string;
  knownHostsFile: string;
  user: string;
  hosts: LabHostState[];
}

/** The state, or undefined when no lab was brought up from this checkout. */
export async function readLabState(paths: LabPaths): Promise<LabState | undefined> {
  let text: string;
  try {
    text = await readFile(paths.state, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const state = JSON.parse(text) as LabState;
  if (state.version !== 1 || !Array.isArray(state.hosts)) throw new Error(`lab: ${paths.state} is not a lab state file this version understands; run \`lab down\``);
  return state;
}

/** Write the state atomically so a reader never sees half a file. */
export async function writeLabState(paths: LabPaths, state: LabState): Promise<void> {
  const tmp = `${paths.state}.tmp`;
  await writeFile(tmp, JSON.stringify(state, null, 2) + '\n');
  await rename(tmp, paths.state);
}

/**
 * Whether pid is a live systemd-nspawn process for machine `name` in this lab's namespace, or
 * the sshd of thin host `name` (guards against pid reuse, and against another lab's host of the
 * same name).
 */
export async function isHostProcess(pid: number, name: string): Promise<boolean> {
  if (!(pid > 0)) return false;
  if (await isThinHostProcess(pid, name)) return true;
  try {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    return argv[0]?.endsWith('systemd-nspawn') === true && argv.includes(name) && argv.includes(`--network-namespace-path=/run/netns/${netnsName(name)}`);
  } catch {
    return false;
  }
}
