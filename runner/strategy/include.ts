/**
 * include_tasks / include_role when the run reaches them, as Ansible decides them: per host,
 * `when` and `loop` (with loop_control.loop_var / index_var) are evaluated once, and each
 * (file, loop item) is a separate inclusion. Hosts that include the same file for the same loop
 * index run it together (linear strategy), each with its own loop variables; the included
 * tasks then run one by one across those hosts like any others (strategy/linear.ts).
 *
 * A file name that is a template is rendered per host and the file read then, validated as any
 * playbook file (runner/load/includes.ts loadIncludedFile): a problem fails the include on that
 * host with the file's name, line and column.
 */
import type { BlockNode, IncludeSpec, Play, TaskItem } from '../playbook.js';
import type { HostState, RunState } from '../engine/run-state.js';
import type { TaskResult } from '../types.js';
import { roleLayers, type Inherited } from '../executor/executor.js';
import { buildTaskVars, type SharedVars } from '../vars/task-vars.js';
import { renderText, renderValue } from '../lang/template.js';
import { evaluateBool } from '../lang/expr.js';
import { ConfigError, formatLocation } from '../errors.js';
import { failedResult, skippedResult } from '../executor/task-result.js';
import { loadIncludedFile } from '../load/includes.js';

/** Hosts that include the same tasks for the same loop index, with their loop variables. */
export interface IncludeGroup {
  tasks: TaskItem[];
  hosts: HostState[];
  loopVars: Map<string, Record<string, unknown>>;
}

export interface IncludePlan {
  groups: IncludeGroup[];
  /** The include's own outcome per host: ok (included), skipped (when), failed (a bad file or loop). */
  results: Map<HostState, TaskResult>;
}

/** Decide, for every host, what the include includes. Never throws. */
export function planInclude(state: RunState, play: Play, shared: SharedVars, node: BlockNode & { include: IncludeSpec }, inherited: Inherited, hosts: HostState[]): IncludePlan {
  const started = performance.now();
  const groups = new Map<string, IncludeGroup & { index: number }>();
  const results = new Map<HostState, TaskResult>();
  const kw = node.keywords;
  const scope: Inherited = { ...inherited, params: { ...inherited.params, ...node.include.params } };
  const loopVar = kw.loop_control?.loop_var ?? 'item';
  const indexVar = kw.loop_control?.index_var;

  for (const host of hosts) {
    try {
      const vars = buildTaskVars(state, play, shared, host, scope.varsScopes, roleLayers(scope, host.name));
      const items: Array<{ index: number; loopVars?: Record<string, unknown> }> = [];
      if (kw.loop === undefined) items.push({ index: 0 });
      else {
        const rendered = renderValue(kw.loop, vars, node.location);
        if (!Array.isArray(rendered)) throw new Error(`${formatLocation(node.location)}  loop must be a list, got ${typeof rendered}`);
        rendered.forEach((item, index) => items.push({ index, loopVars: { [loopVar]: item, ...(indexVar ? { [indexVar]: index } : {}), ansible_loop_var: loopVar } }));
      }
      let included = 0;
      for (const { index, loopVars } of items) {
        const itemVars = loopVars ? withVars(vars, loopVars) : vars;
        if (!(kw.when ?? []).every((condition) => evaluateBool(condition, itemVars, node.location))) continue;
        const file = node.block.length === 0 && node.include.what === 'tasks' ? renderText(node.include.file, itemVars, node.location) : node.include.file;
        const tasks = node.block.length > 0 ? node.block : tasksOf(file, node.include, state, play);
        const key = `${index}\u0000${file}`;
        let group = groups.get(key);
        if (!group) groups.set(key, (group = { index, tasks, hosts: [], loopVars: new Map() }));
        group.hosts.push(host);
        const outer = inherited.hostLoopVars?.get(host.name);
        if (loopVars || outer) group.loopVars.set(host.name, { ...outer, ...loopVars });
        included++;
      }
      const what = `${node.include.what === 'tasks' ? 'include_tasks' : 'include_role'} ${node.include.file}`;
      results.set(host, included > 0
        ? { status: 'ok', changes: [], diffs: [], result: { included }, msg: `included ${what}${kw.loop !== undefined ? ` for ${included} item${included === 1 ? '' : 's'}` : ''}`, durationMs: performance.now() - started }
        : skippedResult(`condition is false: ${(kw.when ?? []).join(' and ') || 'empty loop'}`, started));
    } catch (err) {
      results.set(host, failedResult((err as Error).message, started));
    }
  }
  // Failed hosts include nothing: drop them from the groups they joined before failing.
  const failed = new Set([...results].filter(([, r]) => r.status === 'failed').map(([h]) => h));
  const ordered = [...groups.values()].sort((a, b) => a.index - b.index);
  return { groups: ordered.map(({ tasks, hosts: members, loopVars }) => ({ tasks, hosts: members.filter((h) => !failed.has(h)), loopVars })), results };
}

/** The tasks of a file named by a template, read once per run and path; throws when it is unusable. */
function tasksOf(file: string, spec: IncludeSpec, state: RunState, play: Play): TaskItem[] {
  const key = `${spec.from}\u0000${file}`;
  let tasks = runCache(state).get(key);
  if (!tasks) {
    try {
      tasks = loadIncludedFile({ file, spec, playbookDir: state.playbook.dir, rolesPath: state.playbook.rolesPath ?? [], handlers: play.handlers });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      tasks = new Error(`include_tasks '${file}': ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'} in the included file:\n${err.message}`);
    }
    runCache(state).set(key, tasks);
  }
  if (tasks instanceof Error) throw tasks;
  return tasks;
}

/** Files included by a template name, per run: read and validated once, whichever host asks. */
const loadedPerRun = new WeakMap<RunState, Map<string, TaskItem[] | Error>>();
function runCache(state: RunState): Map<string, TaskItem[] | Error> {
  let cache = loadedPerRun.get(state);
  if (!cache) loadedPerRun.set(state, (cache = new Map()));
  return cache;
}

/** A copy with more variables that keeps lazily rendered ones lazy (a spread would render them). */
function withVars(base: Record<string, unknown>, more: Record<string, unknown>): Record<string, unknown> {
  const vars = Object.defineProperties({}, Object.getOwnPropertyDescriptors(base)) as Record<string, unknown>;
  for (const [k, v] of Object.entries(more)) Object.defineProperty(vars, k, { value: v, enumerable: true, configurable: true, writable: true });
  return vars;
}
