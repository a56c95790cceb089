/**
 * The JSON `ansible-inventory --list` and `--host NAME` print, from a resolved Inventory, so the
 * two tools can be diffed: groups from `all` down with their direct hosts and children (empty
 * keys and empty groups left out), and `_meta.hostvars` with each host's merged variables.
 */
import type { Inventory } from './types.js';
import { SECRET_MASK } from '../secret.js';
import { isVaulted } from './vault.js';

/** ansible-inventory's INTERNAL_VARS: magic variables it leaves out of what it prints. */
const INTERNAL_VARS = new Set([
  'ansible_diff_mode', 'ansible_config_file', 'ansible_facts', 'ansible_forks', 'ansible_inventory_sources', 'ansible_limit',
  'ansible_playbook_python', 'ansible_run_tags', 'ansible_skip_tags', 'ansible_verbosity', 'ansible_version', 'inventory_dir',
  'inventory_file', 'inventory_hostname', 'inventory_hostname_short', 'groups', 'group_names', 'omit', 'playbook_dir',
]);

export function ansibleList(inv: Inventory): Record<string, unknown> {
  const results: Record<string, Record<string, unknown>> = {};
  const seen = new Set<string>();
  const format = (name: string): void => {
    const group = inv.groups.get(name);
    if (!group) return;
    const entry: Record<string, unknown> = {};
    results[name] = entry;
    if (name !== 'all') {
      const hosts = (group.directHosts ?? group.hosts).filter((h) => inv.hosts.has(h));
      if (hosts.length > 0) entry.hosts = hosts;
    }
    if (group.children.length > 0) entry.children = [...group.children];
    for (const child of group.children) {
      if (seen.has(child)) continue;
      seen.add(child);
      format(child);
    }
    if (Object.keys(entry).length === 0) delete results[name];
  };
  format('all');
  const hostvars: Record<string, unknown> = {};
  for (const name of inv.hosts.keys()) {
    const vars = ansibleHost(inv, name);
    if (vars && Object.keys(vars).length > 0) hostvars[name] = vars;
  }
  return { _meta: { hostvars }, ...results };
}

/** A host's variables as `ansible-inventory --host NAME` prints them; undefined for an unknown host. */
export function ansibleHost(inv: Inventory, name: string): Record<string, unknown> | undefined {
  const host = inv.hosts.get(name) ?? (name === 'localhost' ? inv.implicitLocalhost : undefined);
  if (!host) return undefined;
  // A value out of a vault is never printed (Ansible prints inline ones as their ciphertext).
  return Object.fromEntries(
    Object.entries(host.vars)
      .filter(([key]) => !INTERNAL_VARS.has(key))
      .map(([key, value]) => [key, isVaulted(host.origins?.[key]) ? SECRET_MASK : value]),
  );
}

/** Python's json.dumps(sort_keys=True, indent=4), which ansible-inventory uses. */
export function toAnsibleJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 4);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  }
  return value;
}
