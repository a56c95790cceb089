/**
 * Module argument rules that need no host (ModuleDefinition.checkArgs: kubeadm's node-name rule
 * of `certs`), applied before any host is touched. For each host of each play, the arguments of
 * every task whose module has such rules are rendered with that host's variables as the run
 * would render them (defaults, inventory, play, block and task vars, -e). A value that needs
 * facts or a registered result cannot be rendered yet and is left to the module's plan.
 *
 * A refused value is reported where it was written, following a chain of plain `{{ name }}`
 * references: `node_name: "{{ etcd_name }}"` -> `etcd_name: "{{ inventory_hostname }}"` -> the
 * host's entry in the inventory. So the user sees the line to change, not the task that used it.
 */
import type { ArgProblem } from '../types.js';
import type { ConfigProblem, SourceLocation } from '../errors.js';
import type { Inventory } from '../inventory/types.js';
import type { Play, Playbook, TaskItem, TaskNode } from '../playbook.js';
import type { RunState } from '../engine/run-state.js';
import { getModule } from '../../modules/index.js';
import { buildSharedVars, buildTaskVars, type RoleLayers, type SharedVars } from '../vars/task-vars.js';
import { createHostState } from '../engine/run-state.js';
import { renderValue } from '../lang/template.js';
import { evaluateBool } from '../lang/expr.js';
import { sortProblems } from '../validators/validate.js';
import { withoutSuggestions } from '../util/suggest.js';
import { getPlaybookSources, type PlaybookSources } from './playbook.js';
import { encodePointer, loadYamlFile, type YamlSource } from './yaml.js';

/** Where a value was written: a file and a pointer in it. */
interface Written {
  source?: YamlSource;
  pointer: string;
  /** When the pointer is not in a file we have. */
  fallback?: SourceLocation;
  /** Point at the key, not its value (a host entry's value may be empty). */
  key?: boolean;
  /** Given with -e: no file to point at; the chain says so. */
  extra?: boolean;
}

/** A task with the vars of its enclosing blocks (outermost first) and their conditions. */
interface Scoped {
  task: TaskNode;
  scopes: Array<{ item: TaskItem; vars: Record<string, unknown> }>;
  when: string[];
  /** Role defaults, vars and parameters of the task's role (runner/vars/task-vars.ts). */
  role: RoleLayers;
}

interface Context {
  inventory: Inventory;
  playbook: Playbook;
  extraVars: Record<string, unknown>;
  sources?: PlaybookSources;
  /** The inventory file parsed again for positions, on the first problem that needs one. */
  inventorySource?: YamlSource | null;
}

/** Every problem found; an empty list when every value is fine or cannot be known yet. */
export function checkHostArgs(inventory: Inventory, playbook: Playbook, playHosts: string[][], extraVars: Record<string, unknown>): ConfigProblem[] {
  const ctx: Context = { inventory, playbook, extraVars, sources: getPlaybookSources(playbook) };
  const problems: HostProblem[] = [];
  for (const [i, play] of playbook.plays.entries()) {
    const tasks = [
      ...collectCheckedTasks(play.tasks, [], [], {}),
      ...play.handlers.flatMap((h) => collectCheckedTasks([h], [], [], h.role ? { defaults: h.role.defaults, vars: h.role.vars, params: h.role.params } : {})),
    ];
    const hosts = playHosts[i] ?? [];
    if (tasks.length === 0 || hosts.length === 0) continue;
    // The vars layers of vars.ts, without a run: no connection, no facts, no registered results.
    const state = { inventory, playbook, hosts: new Map(), options: { extraVars, check: false, diff: false } } as unknown as RunState;
    const shared = buildSharedVars(state, play, hosts);
    for (const scoped of tasks) {
      // run_once: the task runs on the play's first host only (strategy/linear.ts).
      const on = scoped.task.keywords.run_once ? hosts.slice(0, 1) : hosts;
      for (const host of on) problems.push(...checkTaskOnHost(ctx, state, play, shared, scoped, host));
    }
  }
  return sortProblems(mergeHosts(problems));
}

/** One problem per place and message: a value written once for many hosts is reported once. */
function mergeHosts(problems: HostProblem[]): ConfigProblem[] {
  const merged = new Map<string, HostProblem & { hosts: string[] }>();
  for (const p of problems) {
    const key = `${p.location?.file}:${p.location?.line}:${p.location?.col}\u0000${p.pointer}\u0000${p.what}\u0000${p.why}`;
    const seen = merged.get(key);
    if (seen) seen.hosts.push(p.host);
    else merged.set(key, { ...p, hosts: [p.host] });
  }
  return [...merged.values()].map((p) => ({
    ...(p.location ? { location: p.location } : {}),
    pointer: p.pointer,
    message: `${p.what} for ${p.hosts.length > 1 ? `hosts ${p.hosts.join(', ')}` : `host ${p.hosts[0]}`}${p.why}`,
  }));
}

/** A problem of one host, its message in two parts so the same value on many hosts merges. */
interface HostProblem {
  location?: SourceLocation;
  pointer: string;
  host: string;
  /** "certs node_name" */
  what: string;
  /** The rest of the message, after the host names. */
  why: string;
}

function collectCheckedTasks(items: TaskItem[], scopes: Scoped['scopes'], when: string[], role: RoleLayers): Scoped[] {
  const found: Scoped[] = [];
  for (const item of items) {
    const innerScopes = item.keywords.vars ? [...scopes, { item, vars: item.keywords.vars }] : scopes;
    const innerWhen = [...when, ...(item.keywords.when ?? [])];
    if (item.kind === 'block' && item.include && item.keywords.loop !== undefined) continue; // the tasks depend on the loop item
    if (item.kind === 'block') {
      const params = item.role || item.include ? { ...role.params, ...item.role?.params, ...item.include?.params } : role.params;
      const inner: RoleLayers = item.role ? { defaults: item.role.defaults, vars: item.role.vars, ...(params ? { params } : {}) } : { ...role, ...(params ? { params } : {}) };
      found.push(...collectCheckedTasks([...item.block, ...item.rescue, ...item.always], innerScopes, innerWhen, inner));
    }
    // A looped task's arguments depend on `item`: its plan checks them.
    else if (getModule(item.module)?.checkArgs && item.keywords.loop === undefined) found.push({ task: item, scopes: innerScopes, when: innerWhen, role });
  }
  return found;
}

function checkTaskOnHost(ctx: Context, state: RunState, play: Play, shared: SharedVars, scoped: Scoped, host: string): HostProblem[] {
  const { task } = scoped;
  const module = getModule(task.module)!;
  const vars = buildTaskVars(state, play, shared, createHostState(host), scoped.scopes.map((s) => s.vars), scoped.role);
  let args: unknown;
  try {
    // A host the task is skipped on is not checked; a condition that needs facts counts as true.
    // Errors here are dropped, so their messages need no "did you mean".
    args = withoutSuggestions(() => (scoped.when.some((w) => !evaluateQuietly(w, vars)) ? SKIPPED : renderValue(task.args, vars)));
  } catch {
    return [];
  }
  if (args === SKIPPED) return [];
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return [];
  return module.checkArgs!(args, host).map((problem) => locateProblem(ctx, play, scoped, host, problem));
}

/** checkTaskOnHost: the task is skipped on this host. */
const SKIPPED = Symbol('skipped');

/** A condition's value; true when it cannot be evaluated without the host. */
function evaluateQuietly(expression: string, vars: Record<string, unknown>): boolean {
  try {
    return evaluateBool(expression, vars);
  } catch {
    return true;
  }
}

/** The problem, placed where the refused value was written, with the chain that led there. */
function locateProblem(ctx: Context, play: Play, scoped: Scoped, host: string, problem: ArgProblem): HostProblem {
  const { task } = scoped;
  const taskSource = ctx.sources?.files.get(task.location.file);
  const argsPointer = `${task.pointer}/${task.module}`;
  const raw = (task.args as Record<string, unknown>)[problem.param];
  const chain: string[] = [];
  let at: Written = { ...(taskSource ? { source: taskSource } : {}), pointer: `${argsPointer}${encodePointer([problem.param])}`, fallback: task.location };
  let value: unknown = raw;
  let fromHostName = raw === undefined && problem.defaultedToHostName === true;
  if (raw === undefined) at = { ...at, pointer: argsPointer };
  // Follow plain `{{ name }}` references to the definition that holds the value itself.
  for (let depth = 0; depth < 16 && !fromHostName; depth++) {
    const name = singleReference(value);
    if (name === undefined) break;
    if (name === 'inventory_hostname') {
      fromHostName = true;
      break;
    }
    const definition = findDefinition(ctx, play, scoped, host, name);
    if (!definition) break;
    if (definition.at.extra) {
      // On the command line: the task's argument is the last place in a file.
      chain.push(`-e ${name}`);
      break;
    }
    chain.push(name);
    at = definition.at;
    value = definition.value;
  }
  const hostEntry = fromHostName ? locateHostEntry(ctx, host) : undefined;
  if (hostEntry) at = hostEntry;
  const via = chain.length ? ` via ${chain.join(' -> ')}${fromHostName ? ' -> inventory_hostname' : ''}` : fromHostName ? ' (the inventory host name)' : '';
  const fix = fromHostName ? ` (rename the host in the inventory, its address staying in ansible_host, or set ${chain.at(-1) ?? problem.param}${problem.suggestion ? `: ${problem.suggestion}` : ''} for it)` : '';
  const location = at.source ? (at.key ? at.source.locateKey(at.pointer) : at.source.locate(at.pointer)) : at.fallback;
  return { ...(location ? { location } : {}), pointer: at.pointer, host, what: `${task.module} ${problem.param}`, why: `${via}: ${problem.message}${fix}` };
}

/** `name` when the value is exactly one `{{ name }}` (plain variable, no helper), else undefined. */
function singleReference(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return /^\s*\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*$/.exec(value)?.[1];
}

/** The highest-precedence definition of `name` for `host` (runner/vars/task-vars.ts layers), or undefined. */
function findDefinition(ctx: Context, play: Play, scoped: Scoped, host: string, name: string): { value: unknown; at: Written } | undefined {
  if (name in ctx.extraVars) return { value: ctx.extraVars[name], at: { pointer: '', extra: true } };
  const layers: Array<[TaskItem, Record<string, unknown>]> = [[scoped.task, scoped.task.keywords.vars ?? {}], ...[...scoped.scopes].reverse().map((s) => [s.item, s.vars] as [TaskItem, Record<string, unknown>])];
  for (const [item, vars] of layers) {
    if (name in vars) return { value: vars[name], at: { ...withSource(ctx, item.location.file), pointer: `${item.pointer}/vars${encodePointer([name])}`, fallback: item.location } };
  }
  const origin = ctx.sources?.varOrigins.get(play)?.get(name);
  const inPlayVars = name in play.vars;
  if (inPlayVars) return { value: play.vars[name], at: origin ? { source: origin.source, pointer: origin.pointer } : { pointer: '', fallback: play.location } };
  const hostVars = ctx.inventory.hosts.get(host)?.vars ?? {};
  if (name in hostVars) return { value: hostVars[name], at: locateInventoryVar(ctx, host, name) };
  if (name in play.defaults) return { value: play.defaults[name], at: origin ? { source: origin.source, pointer: origin.pointer } : { pointer: '', fallback: play.location } };
  return undefined;
}

function withSource(ctx: Context, file: string): { source?: YamlSource } {
  const source = ctx.sources?.files.get(file);
  return source ? { source } : {};
}

function inventorySource(ctx: Context): YamlSource | undefined {
  if (ctx.inventorySource === undefined) {
    try {
      ctx.inventorySource = ctx.inventory.file ? loadYamlFile(ctx.inventory.file) : null;
    } catch {
      ctx.inventorySource = null;
    }
  }
  return ctx.inventorySource ?? undefined;
}

/** The host's own entry (`hosts: { NAME: ... }`), first written, as the inventory loader keeps it. */
function locateHostEntry(ctx: Context, host: string): Written | undefined {
  const source = inventorySource(ctx);
  const found = source ? walkInventory(source, host, undefined).entry : undefined;
  const fallback = ctx.inventory.hosts.get(host)?.location;
  if (source && found !== undefined) return { source, pointer: found, key: true, ...(fallback ? { fallback } : {}) };
  return fallback ? { pointer: '', fallback } : undefined;
}

/** Where the host's value of `name` is written: its host entry, else the nearest group's vars. */
function locateInventoryVar(ctx: Context, host: string, name: string): Written {
  const source = inventorySource(ctx);
  const fallback = ctx.inventory.hosts.get(host)?.location ?? { file: ctx.inventory.file ?? 'inventory', line: 0, col: 0 };
  // Set outside the YAML inventory file (INI, group_vars/, host_vars/, another -i): the loader knows where.
  const origin = ctx.inventory.hosts.get(host)?.origins?.[name];
  if (origin && origin.file !== source?.file) return { pointer: '', fallback: origin };
  if (!source) return { pointer: '', fallback };
  const walk = walkInventory(source, host, name);
  if (walk.hostVar) return { source, pointer: walk.hostVar, fallback };
  // Group vars: the host's groups are in precedence order, the last one that sets it wins.
  const groups = ctx.inventory.hosts.get(host)?.groups ?? [];
  const winner = [...groups].reverse().find((g) => walk.groupVars.has(g));
  if (winner) return { source, pointer: walk.groupVars.get(winner)!, fallback };
  return { pointer: '', fallback };
}

/** Pointers of the host's entry, of its own `name` variable (the last written wins), and of groups' `name`. */
function walkInventory(source: YamlSource, host: string, name: string | undefined): { entry?: string; hostVar?: string; groupVars: Map<string, string> } {
  const result: { entry?: string; hostVar?: string; groupVars: Map<string, string> } = { groupVars: new Map() };
  const visit = (group: string, body: unknown, pointer: string): void => {
    if (!isRecord(body)) return;
    if (isRecord(body.hosts) && host in body.hosts) {
      const entry = `${pointer}/hosts${encodePointer([host])}`;
      result.entry ??= entry;
      const vars = body.hosts[host];
      if (name !== undefined && isRecord(vars) && name in vars) result.hostVar = `${entry}${encodePointer([name])}`;
    }
    if (name !== undefined && isRecord(body.vars) && name in body.vars) result.groupVars.set(group, `${pointer}/vars${encodePointer([name])}`);
    if (isRecord(body.children)) for (const [child, childBody] of Object.entries(body.children)) visit(child, childBody, `${pointer}/children${encodePointer([child])}`);
  };
  if (isRecord(source.value)) for (const [group, body] of Object.entries(source.value)) visit(group, body, encodePointer([group]));
  return result;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
