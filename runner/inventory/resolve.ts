/**
 * From the InventoryDraft of every source and the group_vars/host_vars directories to the
 * resolved Inventory, with Ansible's variable precedence (lowest first; `ansible-inventory
 * --list` prints the same merge):
 *   group `all` of the sources < the host's other groups of the sources, by (depth,
 *   ansible_group_priority, name) < group_vars/all beside each source, then beside the playbook <
 *   group_vars/GROUP beside each source (sources in order, groups in that order), then beside the
 *   playbook < the host's own variables in the sources < host_vars/HOST beside each source, then
 *   beside the playbook.
 * Merging replaces whole top-level values, as Ansible's default hash_behaviour does.
 */
import type { SourceLocation } from '../errors.js';
import type { InventoryDraft } from './draft.js';
import type { Inventory, InventoryGroup, InventoryHost } from './types.js';
import type { LayerVars, VarsDir } from './vars-dirs.js';

export interface VarsDirs {
  /** Beside each inventory source, in source order. */
  inventory: VarsDir[];
  /** Beside the playbook, when it is in another directory. */
  playbook?: VarsDir;
}

export function resolveInventory(draft: InventoryDraft, dirs: VarsDirs, meta: Pick<Inventory, 'file' | 'sources' | 'warnings'>, implicitLocalhost: boolean): Inventory {
  const depth = computeDepths(draft);
  const sortGroups = (names: Iterable<string>): string[] =>
    [...names].sort((a, b) => depth.get(a)! - depth.get(b)! || draft.groups.get(a)!.priority - draft.groups.get(b)!.priority || (a < b ? -1 : a > b ? 1 : 0));
  const allDirs = [...dirs.inventory, ...(dirs.playbook ? [dirs.playbook] : [])];

  const hosts = new Map<string, InventoryHost>();
  const varsOf = (hostName: string, groups: string[], own: LayerVars): { vars: Record<string, unknown>; origins: Record<string, SourceLocation> } => {
    const out: LayerVars = { vars: {}, origins: {} };
    const add = (layer: LayerVars | undefined) => {
      if (!layer) return;
      Object.assign(out.vars, layer.vars);
      Object.assign(out.origins, layer.origins);
    };
    add(draft.groups.get('all'));
    for (const g of groups) add(draft.groups.get(g));
    for (const dir of allDirs) add(dir.groups.get('all'));
    for (const dir of dirs.inventory) for (const g of groups) add(dir.groups.get(g));
    if (dirs.playbook) for (const g of groups) add(dirs.playbook.groups.get(g));
    add(own);
    for (const dir of allDirs) add(dir.hosts.get(hostName));
    return out;
  };

  for (const draftHost of draft.hosts.values()) {
    const groups = sortGroups([...collectAncestors(draft, draftHost.directGroups)].filter((g) => g !== 'all'));
    const { vars, origins } = varsOf(draftHost.name, groups, draftHost);
    hosts.set(draftHost.name, {
      name: draftHost.name,
      vars,
      origins,
      groups: ['all', ...groups],
      ...(draftHost.location ? { location: draftHost.location } : {}),
    });
  }
  let implicit: InventoryHost | undefined;
  if (implicitLocalhost && !hosts.has('localhost')) {
    // Ansible's implicit localhost: local connection, the variables of `all`, in no group.
    const { vars, origins } = varsOf('localhost', [], { vars: {}, origins: {} });
    implicit = { name: 'localhost', vars: { ...vars, ansible_connection: vars.ansible_connection ?? 'local' }, origins, groups: [], implicit: true };
  }

  const groups = new Map<string, InventoryGroup>();
  for (const group of draft.groups.values()) {
    const members = [...hosts.values()].filter((h) => h.groups.includes(group.name)).map((h) => h.name);
    groups.set(group.name, { name: group.name, hosts: members, children: [...group.children], vars: { ...group.vars }, directHosts: [...group.directHosts] });
  }
  return { ...meta, hosts, groups, ...(implicit ? { implicitLocalhost: implicit } : {}) };
}

/** Ansible's depth: the longest path from `all`, so a child always outranks every parent. */
function computeDepths(draft: InventoryDraft): Map<string, number> {
  const depth = new Map<string, number>();
  const measure = (name: string, seen: Set<string>): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    const parents = (draft.groups.get(name)?.parents ?? []).filter((p) => !seen.has(p));
    const d = parents.length === 0 ? 0 : Math.max(...parents.map((p) => measure(p, new Set([...seen, name])))) + 1;
    depth.set(name, d);
    return d;
  };
  for (const name of draft.groups.keys()) measure(name, new Set());
  return depth;
}

function collectAncestors(draft: InventoryDraft, direct: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const queue = [...direct];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    queue.push(...(draft.groups.get(name)?.parents ?? []));
  }
  return seen;
}
