/**
 * Where the lab lives: the project's `.lab/` directory (per checkout, gitignored) and the
 * machine-wide root filesystem cache (shared by every checkout, survives `lab down`).
 */
import { dirname, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Which lab of this machine (QUORUM_LAB_ID, default 0). Bridge, namespaces, veths, subnet and
 * owner are per id, so a CI clone can run its own lab (id 1) next to a developer's (id 0).
 */
export const LAB_ID = parseLabId(process.env.QUORUM_LAB_ID);
/** Bridge on the controller that every host's veth joins. */
export const BRIDGE = `qlab${LAB_ID}`;
/** Private range for the lab, only on the bridge: hosts get no default route, nothing is routed out. */
export const SUBNET_PREFIX = `10.213.${LAB_ID}`;
export const BRIDGE_ADDRESS = `${SUBNET_PREFIX}.1`;
export const PREFIX_LENGTH = 24;
/** Host i gets .(FIRST_HOST_OCTET + i); keeps .1-.9 for the controller side. */
const FIRST_HOST_OCTET = 10;
/** The most hosts the /24 can hold after the reserved low addresses. */
export const MAX_HOSTS = 254 - FIRST_HOST_OCTET;
/**
 * The addresses of one lab: full hosts keep SUBNET_PREFIX's /24 above; thin hosts (thin.ts,
 * hundreds of them for benchmarks) get a /22 of their own per lab id inside 10.214.0.0/14
 * (ids 0-63 in 10.214, 64-127 in 10.215, ...), so a thin lab never renumbers a full one.
 */
export interface LabNetwork {
  bridgeAddress: string;
  prefixLength: number;
  maxHosts: number;
  hostAddress(index: number): string;
}

export const FULL_NETWORK: LabNetwork = { bridgeAddress: BRIDGE_ADDRESS, prefixLength: PREFIX_LENGTH, maxHosts: MAX_HOSTS, hostAddress };

/** Thin lab: 10.(214 + id/64).((id%64)*4).0/22, host i at offset 10 + i; 1000 hosts fit. */
export const THIN_NETWORK: LabNetwork = {
  bridgeAddress: thinAddress(1),
  prefixLength: 22,
  maxHosts: 1000,
  hostAddress: (index) => thinAddress(FIRST_HOST_OCTET + index),
};

function thinAddress(offset: number): string {
  const second = 214 + (LAB_ID >> 6);
  const third = (LAB_ID & 63) * 4 + (offset >> 8);
  return `10.${second}.${third}.${offset & 255}`;
}

/** The addresses of a full or a thin lab. */
export function labNetwork(thin: boolean): LabNetwork {
  return thin ? THIN_NETWORK : FULL_NETWORK;
}

/** Hosts in the `etcd` group; the others go to `spare`. */
export const ETCD_GROUP_SIZE = 3;
export const LAB_USER = 'ubuntu';

/** Root filesystem cache, outside the repository so clones and `lab down` keep it. */
export const CACHE_DIR = process.env.QUORUM_LAB_CACHE ?? '/var/cache/quorum';
export const ROOTFS_DIR = join(CACHE_DIR, 'rootfs-bookworm');

/** The project root: the nearest ancestor of this file holding package.json (works from dist/ too). */
export function findProjectRoot(start = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'runner'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the quorum project root above ${start}`);
    dir = parent;
  }
}

/** Every file the lab writes, by purpose. */
export interface LabPaths {
  dir: string;
  state: string;
  inventory: string;
  key: string;
  publicKey: string;
  knownHosts: string;
  /** /etc/hosts given to every host (bind-mounted read-only). */
  hosts: string;
  /** An empty directory each thin host mounts its private tmpfs on, inside its own mount namespace. */
  thinMount: string;
  log(name: string): string;
}

/** Paths under `<project>/.lab/`. */
export function labPaths(projectRoot = findProjectRoot()): LabPaths {
  // Lab 0 keeps `.lab/`; another id gets its own directory, so two labs never share files.
  const dir = join(projectRoot, LAB_ID === 0 ? '.lab' : `.lab-${LAB_ID}`);
  return {
    dir,
    state: join(dir, 'state.json'),
    inventory: join(dir, 'inventory.yaml'),
    key: join(dir, 'id_ed25519'),
    publicKey: join(dir, 'id_ed25519.pub'),
    knownHosts: join(dir, 'known_hosts'),
    hosts: join(dir, 'hosts'),
    thinMount: join(dir, 'thin-mount'),
    log: (name) => join(dir, `${name}.log`),
  };
}

/** Machine name of host i: infra0, infra1, ... (the Kubernetes doc's names). */
export function hostName(index: number): string {
  return `infra${index}`;
}

/** IPv4 address of host i on the lab bridge. */
export function hostAddress(index: number): string {
  return `${SUBNET_PREFIX}.${FIRST_HOST_OCTET + index}`;
}

/** Name of the controller end of host `name`'s veth pair (interface names are at most 15 bytes). */
export function vethName(name: string): string {
  return (LAB_ID === 0 ? `qv-${name}` : `qv${LAB_ID}-${name}`).slice(0, 15);
}

/** Network namespace of host `name` (/run/netns/...): the bare name in lab 0, prefixed in others. */
export function netnsName(name: string): string {
  return LAB_ID === 0 ? name : `q${LAB_ID}-${name}`;
}

/** Host name for a namespace of this lab, or undefined when the namespace is not this lab's. */
export function hostOfNetns(ns: string): string | undefined {
  const name = LAB_ID === 0 ? ns : ns.startsWith(`q${LAB_ID}-`) ? ns.slice(`q${LAB_ID}-`.length) : undefined;
  return name !== undefined && /^infra\d+$/.test(name) ? name : undefined;
}

function parseLabId(text: string | undefined): number {
  if (text === undefined || text === '') return 0;
  if (!/^\d+$/.test(text) || Number(text) > 250) throw new Error(`QUORUM_LAB_ID must be a whole number from 0 to 250, got "${text}"`);
  return Number(text);
}
