/**
 * The lab network: a bridge on the controller and, per host, a network namespace joined to it
 * by a veth pair. Addresses are private and stay on this machine: the bridge is not routed
 * anywhere and the hosts get no default route.
 */
import { BRIDGE, FULL_NETWORK, hostOfNetns, netnsName, vethName, type LabNetwork } from './paths.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { mustRun, runCommand } from './run.js';

/**
 * Create the bridge with the controller's address, unless it is already there. A bridge left by
 * a lab of the other kind (full /24, thin /22) loses its old address first.
 */
export async function createBridge(network: LabNetwork = FULL_NETWORK): Promise<void> {
  if ((await runCommand(['ip', 'link', 'show', BRIDGE])).code !== 0) {
    await mustRun(['ip', 'link', 'add', BRIDGE, 'type', 'bridge']);
  }
  const wanted = `${network.bridgeAddress}/${network.prefixLength}`;
  const addrs = await mustRun(['ip', '-4', '-o', 'addr', 'show', 'dev', BRIDGE]);
  if (!addrs.includes(` ${wanted} `)) {
    await mustRun(['ip', 'addr', 'flush', 'dev', BRIDGE]);
    await mustRun(['ip', 'addr', 'add', wanted, 'dev', BRIDGE]);
  }
  await mustRun(['ip', 'link', 'set', BRIDGE, 'up']);
}

/** Remove the bridge (its remaining ports go with it). */
export async function removeBridge(): Promise<void> {
  await runCommand(['ip', 'link', 'del', BRIDGE]);
}

/**
 * Give host `name` its namespace (/run/netns/NS), with `eth0` holding `address` and `lo` up.
 * Starts from scratch so a half-made namespace from a killed run cannot linger.
 */
export async function createHostNetwork(name: string, address: string, prefixLength = FULL_NETWORK.prefixLength): Promise<void> {
  await removeHostNetwork(name);
  const veth = vethName(name);
  const ns = netnsName(name);
  await mustRun(['ip', 'netns', 'add', ns]);
  await mustRun(['ip', 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  await mustRun(['ip', 'link', 'set', veth, 'master', BRIDGE]);
  await mustRun(['ip', 'link', 'set', veth, 'up']);
  const inNs = (...argv: string[]) => mustRun(['ip', '-n', ns, ...argv]);
  await inNs('addr', 'add', `${address}/${prefixLength}`, 'dev', 'eth0');
  await inNs('link', 'set', 'eth0', 'up');
  await inNs('link', 'set', 'lo', 'up');
}

/** Remove host `name`'s namespace and veth; quiet when they do not exist. */
export async function removeHostNetwork(name: string): Promise<void> {
  await runCommand(['ip', 'link', 'del', vethName(name)]);
  await runCommand(['ip', 'netns', 'del', netnsName(name)]);
}

/** pids of the processes in host `name`'s namespace (none when it does not exist). */
export async function processesInHostNetwork(name: string): Promise<number[]> {
  const r = await runCommand(['ip', 'netns', 'pids', netnsName(name)]);
  return r.code === 0 ? r.stdout.split(/\s+/).filter((p) => /^\d+$/.test(p)).map(Number) : [];
}

/** Hosts (infraN) that have a namespace of this lab, for cleaning up after a lost state file. */
export async function listLabNamespaces(): Promise<string[]> {
  const r = await runCommand(['ip', 'netns', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => hostOfNetns(l.split(/\s+/)[0] ?? ''))
    .filter((n): n is string => n !== undefined);
}

/**
 * SIGKILL every process in host `name`'s namespace until none is left (a thin host's sshd and
 * sessions, or whatever a stopped full host left behind), so that removing the namespace leaves
 * no process running in it unseen. Returns the pids that would not go within `graceMs`.
 */
export async function killProcessesInHostNetwork(name: string, graceMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + graceMs;
  let left = await processesInHostNetwork(name);
  while (left.length > 0 && Date.now() < deadline) {
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await sleep(100);
    left = await processesInHostNetwork(name);
  }
  return left;
}
