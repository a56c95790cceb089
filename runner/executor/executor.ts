/**
 * One task on one host: the task keywords (when, loop, register, changed_when, failed_when,
 * retries/until/delay, ignore_errors, delegate_to, become, check_mode, no_log, timeout,
 * notify). Modules never see these; they only get their rendered arguments.
 */
import type { TaskResult } from '../types.js';
import type { RoleScope, TaskNode, TaskKeywords } from '../playbook.js';
import type { HostState, RunState } from '../engine/run-state.js';
import type { RunEvent } from '../report/events.js';
import type { Play } from '../playbook.js';
import { buildTaskVars, type RoleLayers, type SharedVars } from '../vars/task-vars.js';
import { renderValue } from '../lang/template.js';
import { evaluateBool } from '../lang/expr.js';
import { renderLoopItems } from './loop-items.js';
import { renderEnvironment } from './task-environment.js';
import { getModule } from '../../modules/index.js';
import { invokeModule } from './run-module.js';
import { resolveTarget } from './connect-host.js';
import { becomeFor } from './become.js';
import { readAheadForPlay } from '../strategy/prefetch.js';
import { ModuleError, TemplateError, UnreachableError, formatLocation } from '../errors.js';
import { applyResultConditions, censor, hideKeyMaterial, aggregateLoop, skippedResult, failedResult, itemLabel, scopeWithResult, NO_LOG_MESSAGE } from './task-result.js';

/** Keywords a block passes down to the tasks inside it. */
export interface Inherited {
  when: string[];
  varsScopes: Array<Record<string, unknown> | undefined>;
  keywords: TaskKeywords;
  /** Inside a block with a rescue section: failures are judged after the rescue. */
  rescuable?: boolean;
  /** The innermost role the tasks belong to: its defaults, vars and directory. */
  role?: RoleScope;
  /** Role parameters and include parameters, outer to inner, merged. */
  params?: Record<string, unknown>;
  /** Per host: the loop variables of the enclosing include_tasks / include_role. */
  hostLoopVars?: ReadonlyMap<string, Record<string, unknown>>;
}

/** The role layers of runner/vars/task-vars.ts for `host` in this scope. */
export function roleLayers(inherited: Inherited, host: string): RoleLayers {
  const loopVars = inherited.hostLoopVars?.get(host);
  return {
    ...(inherited.role ? { defaults: inherited.role.defaults, vars: inherited.role.vars } : {}),
    ...(inherited.params ? { params: inherited.params } : {}),
    ...(loopVars ? { loopVars } : {}),
  };
}

export const ROOT_SCOPE: Inherited = { when: [], varsScopes: [], keywords: {} };

export interface TaskRun {
  state: RunState;
  play: Play;
  shared: SharedVars;
  task: TaskNode;
  host: HostState;
  inherited: Inherited;
  /** The task's name as shown (templates in it rendered once for the whole task). */
  displayName: string;
  emit(event: RunEvent): void;
}

/** Run the task on the host, emit its events, update the host's variables; never throws. */
export async function executeTask(run: TaskRun): Promise<TaskResult> {
  const { task, host, state } = run;
  const kw: TaskKeywords = { ...run.inherited.keywords, ...task.keywords };
  const baseVars = buildTaskVars(state, run.play, run.shared, host, [...run.inherited.varsScopes, task.keywords.vars], roleLayers(run.inherited, host.name));
  const when = [...run.inherited.when, ...(task.keywords.when ?? [])];
  const started = performance.now();

  let items: unknown[] | undefined;
  try {
    items = renderLoopItems(kw, baseVars, task, state.playbook.dir);
  } catch (err) {
    return finish(run, kw, failedResult(`${formatLocation(task.location)}  ${(err as Error).message}`, started), undefined);
  }

  if (items === undefined) {
    const result = await runOnce(run, kw, baseVars, when);
    return finish(run, kw, result, undefined);
  }
  const perItem: TaskResult[] = [];
  const loopVar = kw.loop_control?.loop_var ?? 'item';
  for (const [index, item] of items.entries()) {
    if (state.interrupted) break;
    const vars = withLoopVars(baseVars, loopVar, item, kw.loop_control?.index_var, index);
    const label = kw.no_log ? '(hidden by no_log)' : itemLabel(kw.loop_control?.label, vars, item);
    const once = await runOnce(run, kw, vars, when, label);
    // As in Ansible, each entry of a registered loop's `results` says which item it was for.
    const result = { ...once, result: { ...once.result, [loopVar]: item, ansible_loop_var: loopVar } };
    perItem.push(result);
    emitResult(run, kw, result, label);
    if (kw.loop_control?.pause) await sleep(kw.loop_control.pause * 1000, state.options.signal);
  }
  return finish(run, kw, aggregateLoop(perItem, started), perItem);
}

/** One attempt series (retries/until) for one loop item (`item`: its label, for the retry events). */
async function runOnce(run: TaskRun, kw: TaskKeywords, vars: Record<string, unknown>, when: string[], item?: string): Promise<TaskResult> {
  const { task, state, host } = run;
  const started = performance.now();
  try {
    for (const condition of when) {
      if (!evaluateBool(condition, vars, task.location)) return skippedResult(`condition is false: ${condition}`, started);
    }
  } catch (err) {
    return failedResult((err as Error).message, started);
  }
  const module = getModule(task.module);
  if (!module) return failedResult(`${formatLocation(task.location)}  unknown module '${task.module}'`, started);

  const check = kw.check_mode ?? state.options.check;
  const become = becomeFor(state, host.name, kw.become ?? run.play.become);
  const retries = kw.until !== undefined ? kw.retries ?? 3 : kw.retries ?? 0;
  const delayMs = (kw.delay ?? 5) * 1000;

  let result: TaskResult = failedResult('not run', started);
  for (let attempt = 1; ; attempt++) {
    let args: unknown;
    let environment: Record<string, string> | undefined;
    try {
      args = renderValue(task.args ?? {}, vars, task.location);
      environment = renderEnvironment([run.play.environment, run.inherited.keywords.environment, task.keywords.environment], vars, task.location);
    } catch (err) {
      return failedResult((err as Error).message, started);
    }
    const becomeUser = become ? kw.become_user ?? run.play.become_user : undefined;
    try {
      const remoteUser = kw.remote_user ?? run.play.remote_user;
      const target = await resolveTarget(state, host, kw.delegate_to ? String(renderValue(kw.delegate_to, vars, task.location)) : undefined, module.flags?.controllerOnly ?? false, remoteUser);
      // A play without facts reads its paths ahead here, before the host's first task.
      if (target.name === host.name && host.pathsReadFor !== run.play) await readAheadForPlay(state, run.play, run.shared, host, target.conn, target.facts);
      const invocation = invokeModule({
        task, module, args, vars, become, check,
        ...(becomeUser !== undefined && becomeUser !== 'root' ? { becomeUser } : {}),
        ...(environment ? { environment } : {}),
        inventoryHost: host.name,
        targetHost: target.name,
        conn: target.conn,
        facts: target.facts.forTask(become),
        playbookDir: state.playbook.dir,
        ...(run.inherited.role ? { roleDir: run.inherited.role.dir } : {}),
        ...(state.options.signal ? { signal: state.options.signal } : {}),
        // Read at each attempt: a host found unreachable meanwhile (by another task) counts.
        unreachableHosts: unreachableHosts(state),
        // A module's own waits (wait_for's polls, apt on the dpkg lock) are shown as retries of the task, as they happen.
        reportWait: (wait) => run.emit({
          kind: 'task:retry', task: run.displayName, host: host.name, ...(item !== undefined ? { item } : {}), ...wait,
          ...(kw.no_log ? { msg: NO_LOG_MESSAGE, censored: true } : {}),
        }),
      });
      result = kw.timeout ? await withTimeout(invocation, kw.timeout, started) : await invocation;
    } catch (err) {
      if (err instanceof UnreachableError) return { ...failedResult(err.message, started), status: 'unreachable' };
      // delegate_to rendering to no host, or its template failing: this task fails, not the run.
      if (err instanceof ModuleError || err instanceof TemplateError) return failedResult(err.message, started);
      throw err;
    }
    result = applyResultConditions(result, kw, vars, task.location);
    if (retries === 0 || result.status === 'unreachable') break;
    const registered: Record<string, unknown> = { ...result.result, attempts: attempt };
    result = { ...result, result: registered };
    const done = kw.until !== undefined ? untilHolds(kw.until, vars, kw.register, registered, task) : result.status !== 'failed';
    if (done) break;
    if (attempt > retries) {
      if (kw.until !== undefined) {
        const last = typeof registered['msg'] === 'string' ? `; last: ${registered['msg']}` : '';
        const msg = `still not true after ${attempt} attempts: ${kw.until}${last}`;
        result = { ...result, status: 'failed', msg, result: { ...registered, failed: true } };
      }
      break;
    }
    // Every failed attempt is said as it happens (Ansible's "FAILED - RETRYING"): a long retry
    // must never look like a hang, and its reason is what the user waits to read.
    run.emit({
      kind: 'task:retry',
      task: run.displayName,
      host: host.name,
      ...(item !== undefined ? { item } : {}),
      attempt,
      retriesLeft: retries - attempt + 1,
      delaySeconds: delayMs / 1000,
      msg: kw.no_log ? NO_LOG_MESSAGE : retryReason(result, kw.until),
      ...(kw.no_log ? { censored: true } : {}),
    });
    await sleep(delayMs, state.options.signal);
    if (state.interrupted) break;
  }
  return result;
}

/** The hosts this run could not reach so far, in inventory order. */
function unreachableHosts(state: RunState): string[] {
  // Read for every task of every host: a loop, not three arrays of every host.
  const names: string[] = [];
  for (const h of state.hosts.values()) if (h.unreachable) names.push(h.name);
  return names;
}

/** Why an attempt did not count: its failure message, else the `until` that is still false. */
function retryReason(result: TaskResult, until: string | undefined): string {
  const msg = result.msg ?? (typeof result.result['msg'] === 'string' ? result.result['msg'] : undefined);
  if (result.status === 'failed') return msg ?? 'failed';
  return `not yet true: ${until ?? 'the task succeeds'}`;
}

function untilHolds(expr: string, vars: Record<string, unknown>, register: string | undefined, result: Record<string, unknown>, task: TaskNode): boolean {
  const scope = scopeWithResult(vars, register, result);
  try {
    return evaluateBool(expr, scope, task.location);
  } catch {
    return false;
  }
}

/** After the task: ignore_errors, register, set_fact, notify, and the final event. */
function finish(run: TaskRun, kw: TaskKeywords, result: TaskResult, perItem: TaskResult[] | undefined): TaskResult {
  const { host, state } = run;
  if (result.status === 'failed' && kw.ignore_errors) result = { ...result, ignored: true };
  if (kw.register) host.runtimeVars[kw.register] = result.result;
  if (result.status !== 'failed' && result.status !== 'unreachable' && run.task.module === 'set_fact') {
    const facts = (perItem ?? [result]).map((r) => r.result['facts'] as Record<string, unknown> | undefined);
    for (const f of facts) if (f) Object.assign(host.runtimeVars, f);
  }
  if (result.status === 'changed') {
    state.anyChange = true;
    for (const name of kw.notify ?? []) host.notified.add(name);
  }
  if (!perItem) emitResult(run, kw, result, undefined);
  return result;
}

function emitResult(run: TaskRun, kw: TaskKeywords, result: TaskResult, item: string | undefined): void {
  const shown = kw.no_log ? censor(result) : result;
  run.emit({
    kind: 'task:host',
    task: run.displayName,
    host: run.host.name,
    status: result.status,
    ...(item !== undefined ? { item } : {}),
    changes: shown.changes,
    diffs: shown.diffs.map(hideKeyMaterial),
    ...(shown.msg !== undefined ? { msg: shown.msg } : {}),
    result: shown.result,
    ...(result.ignored ? { ignored: true } : {}),
    durationMs: result.durationMs,
  });
}

function withLoopVars(base: Record<string, unknown>, loopVar: string, item: unknown, indexVar: string | undefined, index: number): Record<string, unknown> {
  const vars = descriptors(base);
  Object.defineProperty(vars, loopVar, { value: item, enumerable: true, configurable: true, writable: true });
  if (indexVar) Object.defineProperty(vars, indexVar, { value: index, enumerable: true, configurable: true, writable: true });
  return vars;
}

/** A copy that keeps lazily rendered variables lazy (a spread would render them all now). */
function descriptors(vars: Record<string, unknown>): Record<string, unknown> {
  return Object.defineProperties({}, Object.getOwnPropertyDescriptors(vars));
}

async function withTimeout(p: Promise<TaskResult>, seconds: number, started: number): Promise<TaskResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<TaskResult>((resolve) => {
    timer = setTimeout(() => resolve(failedResult(`timed out after ${seconds} s`, started)), seconds * 1000);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Wait `ms`, or less when the run is aborted. The abort listener is removed when the timer
 * fires: left behind, one per retry piles up on the run's signal (Node warns at 11).
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
