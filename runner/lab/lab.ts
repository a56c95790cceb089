/**
 * `lab up`, `lab down`, `lab status`: bring a set of real hosts (systemd-nspawn containers with
 * sshd, systemd and etcd) up on this machine, reconcile it to the wanted size, tear it down.
 */
import { mkdir, readdir, rm, rmdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { connect } from 'node:net';
import { ensureLabKey, writeAccessFiles, type HostEntry } from './access.js';
import { PLAIN_HOST, bootHost, stopHost } from './boot.js';
import { createBridge, createHostNetwork, killProcessesInHostNetwork, listLabNamespaces, removeBridge, removeHostNetwork } from './network.js';
import { BRIDGE, ETCD_GROUP_SIZE, LAB_USER, ROOTFS_DIR, findProjectRoot, hostName, labNetwork, labPaths, type LabNetwork, type LabPaths } from './paths.js';
import { createHostCgroups, removeHostCgroups } from './cgroup.js';
import { raiseKernelLimits } from './kernel.js';
import { assertNoOtherOwner, claimLab, releaseLab } from './owner.js';
import { NODE_ROOTFS_DIR, nodeHostProfile, nodeInventoryVars, nodeRootfsRecipe, readNodeTools } from './node-tools.js';
import { BASE_ROOTFS, ensureRootfs } from './rootfs.js';
import { assertRoot, assertTools } from './run.js';
import { findStrayHostProcesses } from './stray.js';
import { startThinHost } from './thin.js';
import { isHostProcess, readLabState, writeLabState, type LabHostState, type LabState } from './state.js';
import { bootDeadlineMs, waitForHosts } from './wait.js';

/** Options of `labUp`. */
export interface LabUpOptions {
  /** Number of hosts (default 3): infra0..infra(N-1). */
  hosts?: number;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
  /** Project root whose `.lab/` holds the lab (default: this checkout). */
  projectRoot?: string;
  /**
   * Kubernetes node hosts (kubelet, kubeadm, containerd; see node-tools.ts): the directory
   * scripts/build-k8s-tools.sh printed. Default: plain hosts.
   */
  nodeTools?: string;
  /**
   * Thin hosts (thin.ts): sshd only in its own namespaces over the shared image, no systemd;
   * a benchmark aid for hundreds of hosts. Default: full hosts.
   */
  thin?: boolean;
}

/** One host as `labStatus` reports it. */
export interface LabHostStatus extends LabHostState {
  /** The nspawn process is alive. */
  running: boolean;
  /** Port 22 accepts connections. */
  sshPort: boolean;
}

/** What `labStatus` reports. */
export interface LabStatus {
  up: boolean;
  state?: LabState;
  hosts: LabHostStatus[];
}

const logToStderr = (line: string) => process.stderr.write(`lab: ${line}\n`);

/**
 * Make the lab exactly `hosts` hosts big and every host answer SSH. Idempotent: hosts already
 * running are kept, missing or dead ones are booted, extra ones are stopped. When a host does not
 * answer in time the whole lab is removed (nothing half-up is left) and the error names the host.
 */
export async function labUp(opts: LabUpOptions = {}): Promise<LabState> {
  const count = opts.hosts ?? 3;
  const log = opts.log ?? logToStderr;
  const thin = opts.thin === true;
  const network = labNetwork(thin);
  if (thin && opts.nodeTools !== undefined) throw new Error('lab: --thin hosts have no systemd and cannot be node hosts: leave out --thin or --node-tools');
  if (!Number.isInteger(count) || count < 1 || count > network.maxHosts) throw new Error(`lab: --hosts must be an integer from 1 to ${network.maxHosts}${thin ? '' : ' (up to 1000 with --thin)'}, got ${count}`);
  assertRoot();
  assertTools();
  const root = opts.projectRoot ?? findProjectRoot();
  await assertNoOtherOwner(root, 'start a lab');
  const paths = labPaths(root);
  await mkdir(paths.dir, { recursive: true });
  await claimLab(root);
  const previous = await readLabState(paths);
  const tools = opts.nodeTools === undefined ? undefined : await readNodeTools(resolve(opts.nodeTools));
  const recipe = tools ? nodeRootfsRecipe(tools) : BASE_ROOTFS;
  const profile = tools ? nodeHostProfile(tools) : PLAIN_HOST;
  const wanted: HostEntry[] = Array.from({ length: count }, (_, i) => ({ name: hostName(i), address: network.hostAddress(i) }));
  const alive = await findRunningHosts(previous);
  const kind = (dir: string | undefined, isThin: boolean) => (isThin ? 'thin hosts' : dir === undefined ? 'plain hosts' : `node hosts with the tools of ${dir}`);
  const runningKind = kind(previous?.nodeTools, previous?.thin === true);
  if (alive.size > 0 && runningKind !== kind(tools?.dir, thin)) {
    throw new Error(`lab: the running lab has ${runningKind}, this start asks for ${kind(tools?.dir, thin)}: run \`lab down\` first`);
  }
  const extra = [...alive.values()].filter((h) => !wanted.some((w) => w.name === h.name));
  const toBoot = wanted.filter((w) => !alive.has(w.name));
  if (previous) log(`lab exists with ${alive.size} running host(s); ${toBoot.length === 0 && extra.length === 0 ? 'reusing it' : `adjusting to ${count}`}`);
  await stopHosts(extra, log);

  const started = Date.now();
  if (await ensureRootfs(log, recipe)) log(`root filesystem built in ${((Date.now() - started) / 1000).toFixed(1)} s at ${recipe.dir}`);
  await ensureLabKey(paths);
  await writeAccessFiles(paths, wanted, tools ? nodeInventoryVars(tools) : {});
  await createBridge(network);
  for (const change of await raiseKernelLimits()) log(`raised kernel limit ${change}`);

  const state = makeState(paths, wanted, alive, profile.rootfs, tools?.dir, network, thin);
  const bootStarted = Date.now();
  try {
    for (const h of toBoot) await createHostNetwork(h.name, h.address, network.prefixLength);
    if (thin) await mkdir(paths.thinMount, { recursive: true });
    for (const h of toBoot) {
      if (thin) {
        Object.assign(state.hosts.find((s) => s.name === h.name)!, { pid: startThinHost(h.name, h.address, paths) });
        continue;
      }
      const cgroups = await createHostCgroups(h.name, tools !== undefined);
      const pid = bootHost(h.name, paths, cgroups, profile);
      Object.assign(state.hosts.find((s) => s.name === h.name)!, { pid, cgroups });
    }
    // Written before waiting so that `lab down` finds the hosts even if this process dies now.
    await writeLabState(paths, state);
    if (toBoot.length > 0) log(`${thin ? 'starting thin hosts' : 'booting'} ${nameList(toBoot)}`);
    await waitForHosts(wanted, paths, Date.now() + bootDeadlineMs(toBoot.length));
  } catch (err) {
    log('start-up failed; removing the lab');
    await labDown({ log, projectRoot: opts.projectRoot });
    throw err;
  }
  log(`${count} host(s) answer SSH (${((Date.now() - bootStarted) / 1000).toFixed(1)} s); inventory: ${paths.inventory}`);
  return state;
}

/** Host names for a log line; a thin lab's hundreds as a range. */
function nameList(hosts: { name: string }[]): string {
  return hosts.length <= 8 ? hosts.map((h) => h.name).join(', ') : `${hosts[0]!.name} .. ${hosts.at(-1)!.name} (${hosts.length} hosts)`;
}

/** Hosts of the previous state whose nspawn process still runs, by name. */
async function findRunningHosts(previous: LabState | undefined): Promise<Map<string, LabHostState>> {
  const alive = new Map<string, LabHostState>();
  for (const h of previous?.hosts ?? []) if (await isHostProcess(h.pid, h.name)) alive.set(h.name, h);
  return alive;
}

/** The state for `wanted`, keeping the pids of hosts already running. */
function makeState(paths: LabPaths, wanted: HostEntry[], alive: Map<string, LabHostState>, rootfs: string, nodeTools: string | undefined, network: LabNetwork, thin: boolean): LabState {
  return {
    version: 1,
    createdAt: new Date().toISOString(),
    rootfs,
    ...(nodeTools === undefined ? {} : { nodeTools }),
    ...(thin ? { thin } : {}),
    bridge: BRIDGE,
    bridgeAddress: network.bridgeAddress,
    inventory: paths.inventory,
    keyFile: paths.key,
    knownHostsFile: paths.knownHosts,
    user: LAB_USER,
    hosts: wanted.map((h, i) => ({
      name: h.name,
      address: h.address,
      pid: alive.get(h.name)?.pid ?? 0,
      ...(alive.get(h.name)?.cgroups ? { cgroups: alive.get(h.name)!.cgroups } : {}),
      group: i < ETCD_GROUP_SIZE ? 'etcd' : 'spare',
      log: paths.log(h.name),
    })),
  };
}

/**
 * Stop hosts in parallel and remove their networks. Whatever still runs in a host's namespace
 * afterwards (a thin host's sessions, a full host's leftovers) is killed before it is removed.
 */
async function stopHosts(hosts: { name: string; pid: number; cgroups?: string[] }[], log: (line: string) => void): Promise<void> {
  if (hosts.length === 0) return;
  log(`stopping ${nameList(hosts)}`);
  await Promise.all(hosts.map((h) => stopHost(h.name, h.pid)));
  await Promise.all(hosts.map((h) => killProcessesInHostNetwork(h.name)));
  for (const h of hosts) {
    await removeHostNetwork(h.name);
    await removeHostCgroups(h.name, h.cgroups);
  }
}

/**
 * Remove everything `labUp` made: host processes, namespaces, veths, the bridge and the
 * `.lab/` files. The cached root filesystem stays. Also cleans up after a lost state file.
 */
export async function labDown(opts: { log?: (line: string) => void; projectRoot?: string } = {}): Promise<void> {
  const log = opts.log ?? logToStderr;
  assertRoot();
  const root = opts.projectRoot ?? findProjectRoot();
  await assertNoOtherOwner(root, 'take the lab down');
  const paths = labPaths(root);
  const state = await readLabState(paths).catch(() => undefined);
  const hosts = new Map<string, number>((state?.hosts ?? []).map((h) => [h.name, h.pid]));
  for (const rootfs of [ROOTFS_DIR, NODE_ROOTFS_DIR]) for (const stray of await findStrayHostProcesses(rootfs)) hosts.set(stray.name, stray.pid);
  const cgroups = new Map((state?.hosts ?? []).map((h) => [h.name, h.cgroups]));
  await stopHosts([...hosts].map(([name, pid]) => ({ name, pid, cgroups: cgroups.get(name) })), log);
  for (const name of await listLabNamespaces()) {
    await killProcessesInHostNetwork(name);
    await removeHostNetwork(name);
    await removeHostCgroups(name);
  }
  await removeBridge();
  await removeLabFiles(paths);
  await releaseLab(root);
  log('lab removed');
}

/** Delete the files the lab wrote; the directory goes too when nothing else is in it. */
async function removeLabFiles(paths: LabPaths): Promise<void> {
  const ours = new Set([paths.state, `${paths.state}.tmp`, paths.inventory, `${paths.inventory}.tmp`, `${paths.knownHosts}.tmp`, paths.key, paths.publicKey, paths.knownHosts, paths.hosts]);
  let entries: string[] = [];
  try {
    entries = await readdir(paths.dir);
  } catch {
    return;
  }
  for (const e of entries) {
    const full = `${paths.dir}/${e}`;
    if (ours.has(full) || /^infra\d+\.log$/.test(e)) await rm(full, { force: true });
  }
  await rmdir(paths.thinMount).catch(() => {});
  await rmdir(paths.dir).catch(() => {});
}

/** What is running now, host by host. Needs no root (reads the state and probes port 22). */
export async function labStatus(opts: { projectRoot?: string } = {}): Promise<LabStatus> {
  const state = await readLabState(labPaths(opts.projectRoot));
  if (!state) return { up: false, hosts: [] };
  const hosts = await Promise.all(
    state.hosts.map(async (h) => ({ ...h, running: await isHostProcess(h.pid, h.name), sshPort: await isPortOpen(h.address, 22) })),
  );
  return { up: hosts.length > 0 && hosts.every((h) => h.running && h.sshPort), state, hosts };
}

/** Whether a TCP connection to address:port succeeds within two seconds. */
function isPortOpen(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port, timeout: 2000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('timeout', () => done(false));
    socket.once('error', () => done(false));
  });
}
