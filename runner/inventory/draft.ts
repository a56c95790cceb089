/**
 * The inventory while its sources are read: groups and hosts as Ansible's InventoryData keeps
 * them (creation order, direct hosts, child groups in the order added, variables as set), shared
 * by every source of a run so that several `-i` merge as in Ansible. Each variable keeps where it
 * was written, for error messages and `quorum inventory --host`.
 */
import type { ConfigProblem, SourceLocation } from '../errors.js';

export interface GroupDraft {
  name: string;
  directHosts: string[];
  children: string[];
  parents: string[];
  vars: Record<string, unknown>;
  origins: Record<string, SourceLocation>;
  /** ansible_group_priority, set in an inventory source (not in group_vars/, as in Ansible). */
  priority: number;
}

export interface HostDraft {
  name: string;
  vars: Record<string, unknown>;
  origins: Record<string, SourceLocation>;
  directGroups: string[];
  location?: SourceLocation;
}

export class InventoryDraft {
  readonly groups = new Map<string, GroupDraft>();
  readonly hosts = new Map<string, HostDraft>();
  readonly problems: ConfigProblem[] = [];
  readonly warnings: string[] = [];

  /** @param vaultPassword decrypts `!vault` values and vault files (--vault-password-file) */
  constructor(readonly vaultPassword?: string) {
    this.group('all');
    this.group('ungrouped');
    this.addChild('all', 'ungrouped');
  }

  group(name: string): GroupDraft {
    let group = this.groups.get(name);
    if (!group) {
      group = { name, directHosts: [], children: [], parents: [], vars: {}, origins: {}, priority: 1 };
      this.groups.set(name, group);
    }
    return group;
  }

  /**
   * Make `child` a child group of `parent`. Returns the cycle as text when the edge would make a
   * group its own ancestor (Ansible refuses it too), and adds nothing then.
   */
  addChild(parent: string, child: string): string | undefined {
    const p = this.group(parent);
    const c = this.group(child);
    if (child === parent || this.ancestors(parent).has(child)) return [child, ...this.pathUp(parent, child), child].join(' -> ');
    if (!p.children.includes(child)) p.children.push(child);
    if (!c.parents.includes(parent)) c.parents.push(parent);
    return undefined;
  }

  /** Add the host (first definition fixes its place), optionally into a group; `port` as Ansible's `host:port`. */
  addHost(name: string, group: string | undefined, location: SourceLocation, port?: number): HostDraft {
    let host = this.hosts.get(name);
    if (!host) {
      host = { name, vars: {}, origins: {}, directGroups: [], location };
      this.hosts.set(name, host);
      // Ansible applies the port of the entry that creates the host only.
      if (port !== undefined) this.setHostVar(name, 'ansible_port', port, location);
    }
    if (group !== undefined) {
      const g = this.group(group);
      if (!g.directHosts.includes(name)) g.directHosts.push(name);
      if (!host.directGroups.includes(group)) host.directGroups.push(group);
    }
    return host;
  }

  setHostVar(host: string, key: string, value: unknown, origin: SourceLocation): void {
    const h = this.hosts.get(host)!;
    h.vars[key] = value;
    h.origins[key] = origin;
  }

  /** Set a group variable; `ansible_group_priority` sets the group's priority instead, as in Ansible. */
  setGroupVar(group: string, key: string, value: unknown, origin: SourceLocation): string | undefined {
    const g = this.group(group);
    if (key === 'ansible_group_priority') {
      const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : NaN;
      if (!Number.isInteger(n)) return `ansible_group_priority of group '${group}' must be a whole number, got ${JSON.stringify(value)}`;
      g.priority = n;
      return undefined;
    }
    g.vars[key] = value;
    g.origins[key] = origin;
    return undefined;
  }

  /**
   * What Ansible's reconcile_inventory does after each source: a group with no parent becomes a
   * child of `all`; a host in no group lands in `ungrouped`, and leaves it once in another group.
   */
  reconcile(): void {
    for (const group of this.groups.values()) {
      if (group.name !== 'all' && group.parents.length === 0) this.addChild('all', group.name);
    }
    const ungrouped = this.group('ungrouped');
    for (const host of this.hosts.values()) {
      const others = host.directGroups.filter((g) => g !== 'all' && g !== 'ungrouped');
      if (host.directGroups.includes('ungrouped')) {
        if (others.length > 0) {
          host.directGroups = host.directGroups.filter((g) => g !== 'ungrouped');
          ungrouped.directHosts = ungrouped.directHosts.filter((h) => h !== host.name);
        }
      } else if (others.length === 0) {
        host.directGroups.push('ungrouped');
        ungrouped.directHosts.push(host.name);
      }
    }
  }

  ancestors(name: string): Set<string> {
    const seen = new Set<string>();
    const queue = [...(this.groups.get(name)?.parents ?? [])];
    while (queue.length > 0) {
      const g = queue.pop()!;
      if (seen.has(g)) continue;
      seen.add(g);
      queue.push(...(this.groups.get(g)?.parents ?? []));
    }
    return seen;
  }

  /** A path of parents from `from` up to `to` (for the cycle message). */
  private pathUp(from: string, to: string): string[] {
    const walk = (name: string, seen: Set<string>): string[] | undefined => {
      if (name === to) return [];
      for (const p of this.groups.get(name)?.parents ?? []) {
        if (seen.has(p)) continue;
        seen.add(p);
        const rest = walk(p, seen);
        if (rest) return [...rest, name];
      }
      return undefined;
    };
    return walk(from, new Set()) ?? [from];
  }
}
