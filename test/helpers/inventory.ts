/**
 * Temporary inventories for lab tests, derived from the lab's hosts: pick some hosts, add
 * variables, add a host that answers nothing or one from a second lab. Each host carries its own
 * connection variables (key, known_hosts), so hosts of different labs can share one inventory.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { LabHost } from './lab.js';

/** One inventory host: where it is and how to log in. */
export interface InventoryHostEntry {
  name: string;
  address: string;
  user: string;
  keyFile: string;
  knownHostsFile: string;
  /** Extra host variables (they win over the connection variables set from the fields above). */
  vars?: Record<string, unknown>;
}

/** A lab host as an inventory entry: the lab user with become, the lab key and known_hosts. */
export function toInventoryEntry(host: LabHost, vars: Record<string, unknown> = {}): InventoryHostEntry {
  return { name: host.name, address: host.address, user: host.user, keyFile: host.keyFile, knownHostsFile: host.knownHostsFile, vars };
}

/**
 * An address of the lab's /24 that no host uses (.250; hosts start at .10), so a connection to
 * it times out instead of being refused. Derived from a real host's address so it follows
 * QUORUM_LAB_ID's subnet.
 */
export function unusedLabAddress(sample: { address: string }): string {
  const parts = sample.address.split('.');
  if (parts.length !== 4) throw new Error(`unusedLabAddress: ${sample.address} is not an IPv4 address`);
  return [...parts.slice(0, 3), '250'].join('.');
}

/** The inventory document (Ansible YAML): the given groups under `all`, every host with become. */
export function renderInventory(groups: Record<string, InventoryHostEntry[]>, vars: Record<string, unknown> = {}): string {
  const children: Record<string, { hosts: Record<string, Record<string, unknown>> }> = {};
  for (const [group, hosts] of Object.entries(groups)) {
    children[group] = { hosts: Object.fromEntries(hosts.map((h) => [h.name, hostVars(h)])) };
  }
  return stringify({ all: { ...(Object.keys(vars).length > 0 ? { vars } : {}), children } });
}

function hostVars(h: InventoryHostEntry): Record<string, unknown> {
  return {
    ansible_host: h.address,
    ansible_user: h.user,
    ansible_ssh_private_key_file: h.keyFile,
    // Per host rather than in `all.vars`: hosts of two labs have two known_hosts files.
    quorum_known_hosts: h.knownHostsFile,
    ansible_become: true,
    ...h.vars,
  };
}

/** A directory for one test's inventories and known_hosts files; `remove()` deletes it. */
export interface TempInventoryDir {
  dir: string;
  /** Write an inventory file named `name` and return its path. */
  write(name: string, groups: Record<string, InventoryHostEntry[]>, vars?: Record<string, unknown>): string;
  remove(): void;
}

/** Create a temporary directory for inventories under the system temp dir. */
export function createTempInventoryDir(prefix = 'quorum-inventory-'): TempInventoryDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    write(name, groups, vars = {}) {
      const file = join(dir, name);
      writeFileSync(file, renderInventory(groups, vars));
      return file;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Write a copy of `knownHostsFile` in which every line for `address` is replaced by one line
 * with `publicKeyLine`'s key (`TYPE BASE64 [comment]`, as ssh-keygen writes a .pub file): the
 * host then offers a key that does not match. Only that key type is left for the host, so the
 * client asks for it and cannot fall back to a matching key of another type.
 */
export function writeMismatchedKnownHosts(knownHostsFile: string, out: string, address: string, publicKeyLine: string): void {
  const [type, key] = publicKeyLine.trim().split(/\s+/);
  if (!type || !key) throw new Error(`writeMismatchedKnownHosts: not a public key line: ${publicKeyLine.slice(0, 40)}`);
  const lines = readFileSync(knownHostsFile, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const names = lines.find((l) => l.split(/\s+/)[0]!.split(',').includes(address))?.split(/\s+/)[0];
  if (!names) throw new Error(`writeMismatchedKnownHosts: ${knownHostsFile} has no line for ${address}`);
  const kept = lines.filter((l) => !l.split(/\s+/)[0]!.split(',').includes(address));
  writeFileSync(out, [...kept, `${names} ${type} ${key}`, ''].join('\n'));
}
