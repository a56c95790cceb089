/**
 * The lab network: a bridge on the controller and, per host, a network namespace joined to it
 * by a veth pair. Addresses are private and stay on this machine: the bridge is not routed
 * anywhere and the hosts get no default route.
 */
import { BRIDGE, BRIDGE_ADDRESS, PREFIX_LENGTH, hostOfNetns, netnsName, vethName } from './paths.js';
import { mustRun, runCommand } from './run.js';

/** Create the bridge with the controller's address, unless it is already there. */
export async function createBridge(): Promise<void> {
  if ((await runCommand(['ip', 'link', 'show', BRIDGE])).code !== 0) {
    await mustRun(['ip', 'link', 'add', BRIDGE, 'type', 'bridge']);
  }
  const addrs = await mustRun(['ip', '-4', '-o', 'addr', 'show', 'dev', BRIDGE]);
  if (!addrs.includes(`${BRIDGE_ADDRESS}/`)) await mustRun(['ip', 'addr', 'add', `${BRIDGE_ADDRESS}/${PREFIX_LENGTH}`, 'dev', BRIDGE]);
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
export async function createHostNetwork(name: string, address: string): Promise<void> {
  await removeHostNetwork(name);
  const veth = vethName(name);
  const ns = netnsName(name);
  await mustRun(['ip', 'netns', 'add', ns]);
  await mustRun(['ip', 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  await mustRun(['ip', 'link', 'set', veth, 'master', BRIDGE]);
  await mustRun(['ip', 'link', 'set', veth, 'up']);
  const inNs = (...argv: string[]) => mustRun(['ip', '-n', ns, ...argv]);
  await inNs('addr', 'add', `${address}/${PREFIX_LENGTH}`, 'dev', 'eth0');
  await inNs('link', 'set', 'eth0', 'up');
  await inNs('link', 'set', 'lo', 'up');
}

/** Remove host `name`'s namespace and veth; quiet when they do not exist. */
export async function removeHostNetwork(name: string): Promise<void> {
  await runCommand(['ip', 'link', 'del', vethName(name)]);
  await runCommand(['ip', 'netns', 'del', netnsName(name)]);
}

/** Hosts (infraN) that have a namespace of this lab, for cleaning up after a lost state file. */
export async function listLabNamespaces(): Promise<string[]> {
  const r = await runCommand(['ip', 'netns', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => hostOfNetns(l.split(/\s+/)[0] ?? ''))
    .filter((n): n is string => n !== undefined);
}
