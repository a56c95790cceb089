/**
 * Load an inventory in Ansible's YAML format: `all` with `hosts`, `vars`, `children`; any other
 * top-level key is a group under `all`; a host may sit in several groups; hosts in no group
 * land in the implicit `ungrouped`. Variables merge with Ansible's precedence:
 * all < parent group < child group (by depth, then group name) < host.
 */
import { resolve } from 'node:path';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { loadYamlFile, parseYamlText, encodePointer, type YamlSource } from '../load/yaml.js';
import { validateAgainst } from '../validate.js';
import { expandHostRange } from './patterns.js';
import { INVENTORY_SCHEMA } from '../validators/schemas.js';
import type { Inventory, InventoryGroup, InventoryHost } from './types.js';

/** Host names are what patterns and `hostvars.NAME` match on, so pattern operators are out. */
const HOST_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.\-]*$/;
/** Ansible's rule plus `-` (Ansible only warns on dashes; CEL reaches them as groups["a-b"]). */
const GROUP_NAME = /^[A-Za-z_][A-Za-z0-9_\-]*$/;

interface GroupDraft {
  name: string;
  directHosts: string[];
  children: string[];
  parents: Set<string>;
  vars: Record<string, unknown>;
}

interface HostDraft {
  name: string;
  vars: Record<string, unknown>;
  directGroups: Set<string>;
  location: InventoryHost['location'];
}

/** Drafts collected while walking the document, before precedence is resolved. */
interface Walk {
  src: YamlSource;
  groups: Map<string, GroupDraft>;
  hosts: Map<string, HostDraft>;
  /** child edges with where they were written, for the cycle message */
  edges: Array<{ parent: string; child: string; pointer: string }>;
  problems: ConfigProblem[];
}

/**
 * Read, validate and resolve an inventory file.
 * @throws ConfigError listing every problem with file:line:col
 */
export function loadInventory(file: string): Inventory {
  const abs = resolve(file);
  return buildInventory(loadYamlFile(abs));
}

/** Same as loadInventory, from text (tests, inventories given inline). */
export function parseInventory(file: string, text: string): Inventory {
  return buildInventory(parseYamlText(resolve(file), text));
}

/** The inventory of a run without -i: one `localhost` that runs commands on the controller. */
export function implicitLocalInventory(): Inventory {
  const vars = { ansible_connection: 'local' };
  const host: InventoryHost = { name: 'localhost', vars, groups: ['all', 'ungrouped'] };
  const group = (name: string, children: string[]): InventoryGroup => ({ name, hosts: ['localhost'], children, vars: {} });
  return {
    hosts: new Map([['localhost', host]]),
    // Unlike Ansible's implicit localhost, it is in `all`: `hosts: all` without -i means "here".
    groups: new Map([
      ['all', group('all', ['ungrouped'])],
      ['ungrouped', group('ungrouped', [])],
    ]),
  };
}

function buildInventory(src: YamlSource): Inventory {
  const problems = validateInventoryShape(src);
  const walk: Walk = { src, groups: new Map(), hosts: new Map(), edges: [], problems };
  ensureGroup(walk, 'all');
  const top = src.value;
  if (isRecord(top)) {
    for (const [name, body] of Object.entries(top)) {
      walkGroup(walk, name, body, encodePointer([name]), name === 'all' ? undefined : 'all');
    }
  }
  findCycles(walk);
  if (walk.problems.length > 0) throw new ConfigError(walk.problems.sort(compareLocations));
  return resolveInventory(walk, src.file);
}

function ensureGroup(walk: Walk, name: string): GroupDraft {
  let group = walk.groups.get(name);
  if (!group) {
    group = { name, directHosts: [], children: [], parents: new Set(), vars: {} };
    walk.groups.set(name, group);
  }
  return group;
}

/** A group may be written in several places (top level and under children): merge them. */
function walkGroup(walk: Walk, name: string, body: unknown, pointer: string, parent: string | undefined): void {
  if (!GROUP_NAME.test(name)) {
    walk.problems.push({
      location: walk.src.locateKey(pointer),
      pointer,
      message: `invalid group name '${name}': use letters, digits, '_' and '-', starting with a letter or '_'`,
    });
    return;
  }
  const group = ensureGroup(walk, name);
  if (parent !== undefined && name !== 'all') {
    group.parents.add(parent);
    const parentGroup = ensureGroup(walk, parent);
    if (!parentGroup.children.includes(name)) parentGroup.children.push(name);
    walk.edges.push({ parent, child: name, pointer });
  }
  if (!isRecord(body)) return;
  if (isRecord(body.vars)) Object.assign(group.vars, body.vars);
  if (isRecord(body.hosts)) {
    for (const [entry, hostVars] of Object.entries(body.hosts)) {
      const hostPointer = `${pointer}/hosts/${encodePointer([entry]).slice(1)}`;
      const names = expandHostRange(entry);
      if (typeof names === 'string') walk.problems.push({ location: walk.src.locateKey(hostPointer), pointer: hostPointer, message: names });
      else for (const host of names) addHost(walk, group, host, hostVars, hostPointer);
    }
  }
  if (isRecord(body.children)) {
    for (const [child, childBody] of Object.entries(body.children)) {
      walkGroup(walk, child, childBody, `${pointer}/children/${encodePointer([child]).slice(1)}`, name);
    }
  }
}

function addHost(walk: Walk, group: GroupDraft, name: string, vars: unknown, pointer: string): void {
  if (!HOST_NAME.test(name)) {
    walk.problems.push({
      location: walk.src.locateKey(pointer),
      pointer,
      message: `invalid host name '${name}': use letters, digits, '.', '-' and '_' (put an address that needs other characters in ansible_host)`,
    });
    return;
  }
  let host = walk.hosts.get(name);
  if (!host) {
    host = { name, vars: {}, directGroups: new Set(), location: walk.src.locateKey(pointer) };
    walk.hosts.set(name, host);
  }
  // A host written twice merges its variables, the later definition winning (as Ansible does).
  if (isRecord(vars)) Object.assign(host.vars, vars);
  host.directGroups.add(group.name);
  if (!group.directHosts.includes(name)) group.directHosts.push(name);
}

/** A group that is its own ancestor would make precedence (and membership) undefined. */
function findCycles(walk: Walk): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    state.set(name, 'visiting');
    for (const edge of walk.edges.filter((e) => e.parent === name)) {
      const seen = state.get(edge.child);
      if (seen === 'visiting') {
        const cycle = [...path.slice(path.indexOf(edge.child)), edge.child].join(' -> ');
        walk.problems.push({
          location: walk.src.locateKey(edge.pointer),
          pointer: edge.pointer,
          message: `group '${edge.child}' is its own ancestor (${cycle}): remove one of these children entries`,
        });
      } else if (seen === undefined) visit(edge.child, [...path, edge.child]);
    }
    state.set(name, 'done');
  };
  for (const name of walk.groups.keys()) if (!state.has(name)) visit(name, [name]);
}

function resolveInventory(walk: Walk, file: string): Inventory {
  const groups = walk.groups;
  const all = groups.get('all')!;
  for (const group of groups.values()) {
    if (group.name !== 'all' && group.parents.size === 0) {
      group.parents.add('all');
      all.children.push(group.name);
    }
  }
  const ungrouped = ensureGroup(walk, 'ungrouped');
  if (ungrouped.parents.size === 0) {
    ungrouped.parents.add('all');
    if (!all.children.includes('ungrouped')) all.children.push('ungrouped');
  }
  for (const host of walk.hosts.values()) {
    if ([...host.directGroups].every((g) => g === 'all' || g === 'ungrouped')) {
      host.directGroups.add('ungrouped');
      if (!ungrouped.directHosts.includes(host.name)) ungrouped.directHosts.push(host.name);
    }
  }
  const depth = computeDepths(groups);
  const hosts = new Map<string, InventoryHost>();
  for (const draft of walk.hosts.values()) {
    const memberOf = collectAncestors(groups, draft.directGroups);
    memberOf.add('all');
    const ordered = [...memberOf].sort((a, b) => depth.get(a)! - depth.get(b)! || (a < b ? -1 : a > b ? 1 : 0));
    const vars: Record<string, unknown> = {};
    for (const g of ordered) Object.assign(vars, groups.get(g)!.vars);
    Object.assign(vars, draft.vars);
    hosts.set(draft.name, { name: draft.name, vars, groups: ordered, ...(draft.location ? { location: draft.location } : {}) });
  }
  const resolvedGroups = new Map<string, InventoryGroup>();
  for (const group of groups.values()) {
    const members = [...hosts.values()].filter((h) => h.groups.includes(group.name)).map((h) => h.name);
    resolvedGroups.set(group.name, { name: group.name, hosts: members, children: [...group.children], vars: { ...group.vars } });
  }
  return { file, hosts, groups: resolvedGroups };
}

/** Ansible's depth: the longest path from `all`, so a child always outranks every parent. */
function computeDepths(groups: Map<string, GroupDraft>): Map<string, number> {
  const depth = new Map<string, number>();
  const measure = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    const parents = [...groups.get(name)!.parents];
    const d = parents.length === 0 ? 0 : Math.max(...parents.map(measure)) + 1;
    depth.set(name, d);
    return d;
  };
  for (const name of groups.keys()) measure(name);
  return depth;
}

function collectAncestors(groups: Map<string, GroupDraft>, direct: Iterable<string>): Set<string> {
  const seen = new Set<string>();
  const queue = [...direct];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    queue.push(...(groups.get(name)?.parents ?? []));
  }
  return seen;
}

/**
 * Check the document against schemas/inventory.schema.json (its precompiled validator), then
 * add the hints inventory authors need (Ansible habits that do not carry over).
 */
function validateInventoryShape(src: YamlSource): ConfigProblem[] {
  return validateAgainst(INVENTORY_SCHEMA, src.value, src, '').map((problem) => {
    const unknown = /^unknown key '([^']*)'(.*)$/.exec(problem.message);
    if (unknown) return { ...problem, message: `unknown key '${unknown[1]}': a group has only hosts, vars and children${unknown[2]}` };
    if (problem.pointer.endsWith('/hosts') && problem.message.startsWith('must be a mapping')) {
      return { ...problem, message: `${problem.message}: hosts maps each host name to its variables, e.g. \`hosts: { infra0: { ansible_host: 10.0.0.6 } }\`` };
    }
    if (problem.pointer === '' && problem.message.startsWith('must be a mapping')) {
      return { ...problem, message: `${problem.message}: an inventory maps group names to groups, starting with \`all:\`` };
    }
    if (/must be a boolean, got a string/.test(problem.message)) return { ...problem, message: `${problem.message} (write true or false: YAML 1.2 reads yes/no as strings)` };
    return problem;
  });
}

function compareLocations(a: ConfigProblem, b: ConfigProblem): number {
  return (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.col ?? 0) - (b.location?.col ?? 0);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
