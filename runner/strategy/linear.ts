/**
 * The linear strategy (Ansible's default): task N runs on every live host of the batch, in
 * parallel up to `forks`, before task N+1 starts. A host that fails leaves the play; the
 * others go on, unless any_errors_fatal or max_fail_percentage say the play must stop.
 * Blocks are try/rescue/always per host; handlers run at the end of each batch and at
 * `meta: flush_handlers`.
 */
import pLimit from 'p-limit';
import type { BlockNode, Play, TaskItem, TaskNode } from '../playbook.js';
import type { HostState, RunState } from '../engine/run-state.js';
import type { TaskResult } from '../types.js';
import { emptyRecap } from '../engine/run-state.js';
import { executeTask, roleLayers, ROOT_SCOPE, type Inherited } from '../executor/executor.js';
import { buildSharedVars, buildTaskVars } from '../vars/task-vars.js';
import { renderText } from '../lang/template.js';
import { formatLocation } from '../errors.js';
import { selectedByTags } from './tags.js';
import { gatherFactsTask } from './gather.js';
import { batchesOf } from './serial.js';
import { planInclude } from './include.js';
import { handlerTopics } from '../load/loader.js';

interface PlayRun {
  state: RunState;
  play: Play;
  /** Every host the play targets (ansible_play_hosts_all). */
  playHosts: string[];
  /** The current serial batch, whole (ansible_play_batch before failures). */
  serialBatch: string[];
  /** Hosts of the current batch (narrowed inside blocks, rescue and always). */
  batch: HostState[];
  /** Set when a failure policy ends the play for every host. */
  aborted: boolean;
}

export async function runPlay(state: RunState, play: Play, hostNames: string[]): Promise<void> {
  const hosts = hostNames.map((h) => state.hosts.get(h)!).filter((h) => !h.failed && !h.unreachable);
  for (const batch of batchesOf(hosts, play.serial)) {
    const run: PlayRun = { state, play, playHosts: hostNames, serialBatch: batch.map((h) => h.name), batch, aborted: false };
    if (play.gather_facts) await gatherFactsTask(state, play, batch, (h, r) => record(state, h, r));
    await runItems(run, play.tasks, ROOT_SCOPE);
    // A play stopped by its failure policy runs no handlers (Ansible marks every host failed).
    if (!state.interrupted && !run.aborted) await flushHandlers(run);
    if (run.aborted || state.interrupted) break;
    // When every host of a batch failed, Ansible stops the play: later batches would fail alike.
    if (live(batch).length === 0) break;
  }
}

async function runItems(run: PlayRun, items: TaskItem[], inherited: Inherited): Promise<void> {
  for (const item of items) {
    if (run.aborted || run.state.interrupted) return;
    if (live(run.batch).length === 0) return;
    if (item.kind === 'block' && item.include) await runInclude(run, item as BlockNode & { include: NonNullable<BlockNode['include']> }, inherited);
    else if (item.kind === 'block') await runBlock(run, item, inherited);
    else if (item.module === 'meta') await flushHandlers(run);
    else if (selectedByTags(run.state.options, [...(inherited.keywords.tags ?? []), ...(item.keywords.tags ?? []), ...(run.play.tags ?? [])])) {
      await runTask(run, item, live(run.batch), inherited, false);
    }
  }
}

async function runBlock(run: PlayRun, block: BlockNode, inherited: Inherited): Promise<void> {
  const { when, vars, tags, ...rest } = block.keywords;
  const scope: Inherited = {
    // The role, parameters and loop variables around the block reach its tasks unchanged.
    ...inherited,
    when: [...inherited.when, ...(when ?? [])],
    varsScopes: [...inherited.varsScopes, vars],
    keywords: { ...inherited.keywords, ...rest, tags: [...(inherited.keywords.tags ?? []), ...(tags ?? [])] },
    rescuable: inherited.rescuable ?? false,
    // A role's tasks see its defaults and vars; its parameters add to those of the roles around it.
    ...(block.role ? { role: block.role, params: { ...inherited.params, ...block.role.params } } : {}),
  };
  const outBefore = outOfPlay(run.batch);
  const entered = live(run.batch);
  const saved = run.batch;
  run.batch = entered;
  try {
    await runItems(run, block.block, { ...scope, rescuable: inherited.rescuable || block.rescue.length > 0 });
    const failed = entered.filter((h) => h.failed && !h.unreachable);
    if (block.rescue.length > 0 && failed.length > 0 && !run.aborted) {
      for (const h of failed) {
        h.failed = false;
        // As in Ansible's recap, a failure that goes to rescue counts as rescued, not as failed
        // (a failing rescue task then counts as failed on its own).
        const recap = recapOf(run.state, h.name);
        recap.rescued++;
        recap.failed = Math.max(0, recap.failed - 1);
      }
      run.batch = failed;
      await runItems(run, block.rescue, scope);
    }
    if (block.always.length > 0 && !run.state.interrupted) {
      const stillFailed = new Set(entered.filter((h) => h.failed));
      const reachable = entered.filter((h) => !h.unreachable);
      for (const h of reachable) h.failed = false;
      run.batch = reachable;
      await runItems(run, block.always, scope);
      for (const h of stillFailed) h.failed = true;
    }
  } finally {
    run.batch = saved;
  }
  // Failures the rescue did not handle count now, for the play's failure policy.
  if (!inherited.rescuable) applyFailurePolicy(run, block.keywords.any_errors_fatal, inherited, outBefore);
}

/**
 * include_tasks / include_role: the include itself is a task of its own (shown, counted,
 * selected by its own tags); then each group of hosts that included the same tasks runs them
 * (strategy/include.ts), with the include's parameters and each host's loop variables.
 */
async function runInclude(run: PlayRun, node: BlockNode & { include: NonNullable<BlockNode['include']> }, inherited: Inherited): Promise<void> {
  const { state, play } = run;
  if (!selectedByTags(state.options, [...(inherited.keywords.tags ?? []), ...(node.keywords.tags ?? []), ...(play.tags ?? [])])) return;
  const hosts = live(run.batch);
  const started = performance.now();
  const emit = state.options.reporter.emit.bind(state.options.reporter);
  const name = node.name ?? `${node.include.what === 'tasks' ? 'include_tasks' : 'include_role'}: ${node.include.file}`;
  emit({ kind: 'task:start', play: play.name ?? play.hosts, task: name, location: formatLocation(node.location), hosts: hosts.map((h) => h.name) });
  const outBefore = outOfPlay(run.batch);
  const plan = planInclude(state, play, buildSharedVars(state, play, run.serialBatch, run.playHosts), node, inherited, hosts);
  for (const [host, result] of plan.results) {
    record(state, host, result);
    emit({ kind: 'task:host', task: name, host: host.name, status: result.status, changes: [], diffs: [], ...(result.msg !== undefined ? { msg: result.msg } : {}), result: result.result, durationMs: result.durationMs });
  }
  if (!inherited.rescuable) applyFailurePolicy(run, node.keywords.any_errors_fatal, inherited, outBefore);
  emit({ kind: 'task:end', task: name, durationMs: performance.now() - started });
  const scope: Inherited = { ...inherited, params: { ...inherited.params, ...node.include.params } };
  for (const group of plan.groups) {
    if (run.aborted || state.interrupted) return;
    const members = live(group.hosts);
    if (members.length === 0) continue;
    const saved = run.batch;
    run.batch = members;
    try {
      await runItems(run, group.tasks, group.loopVars.size > 0 ? { ...scope, hostLoopVars: group.loopVars } : scope);
    } finally {
      run.batch = saved;
    }
  }
}

async function runTask(run: PlayRun, task: TaskNode, hosts: HostState[], inherited: Inherited, handler: boolean): Promise<void> {
  const { state, play } = run;
  const started = performance.now();
  const outBefore = outOfPlay(run.batch);
  const emit = state.options.reporter.emit.bind(state.options.reporter);
  const shared = buildSharedVars(state, play, run.serialBatch, run.playHosts);
  const first = hosts[0];
  const name = displayName(task, () => first && buildTaskVars(state, play, shared, first, [...inherited.varsScopes, task.keywords.vars], roleLayers(inherited, first.name)));
  emit({ kind: 'task:start', play: play.name ?? play.hosts, task: name, location: formatLocation(task.location), hosts: hosts.map((h) => h.name), ...(handler ? { handler } : {}) });
  const runOn = (host: HostState) => executeTask({ state, play, shared, task, host, inherited, displayName: name, emit });

  const runOnce = task.keywords.run_once ?? inherited.keywords.run_once;
  if (runOnce && hosts.length > 0) {
    const first = hosts[0]!;
    const result = await runOn(first);
    record(state, first, result);
    // Ansible copies a run_once result to every host of the batch.
    const register = task.keywords.register;
    for (const other of hosts.slice(1)) if (register) other.runtimeVars[register] = result.result;
    if (result.status === 'failed' && !result.ignored) for (const h of hosts) h.failed = true;
  } else {
    const limit = pLimit(Math.max(1, state.options.forks));
    const results = await Promise.all(hosts.map((h) => limit(() => runOn(h))));
    hosts.forEach((h, i) => record(state, h, results[i]!));
  }
  if (!inherited.rescuable) applyFailurePolicy(run, task.keywords.any_errors_fatal, inherited, outBefore);
  emit({ kind: 'task:end', task: name, durationMs: performance.now() - started });
}

/** Count the result in the recap and take failed/unreachable hosts out of the play. */
function record(state: RunState, host: HostState, result: TaskResult): void {
  const recap = recapOf(state, host.name);
  switch (result.status) {
    case 'ok':
      recap.ok++;
      break;
    case 'changed':
      recap.ok++;
      recap.changed++;
      break;
    case 'skipped':
      recap.skipped++;
      break;
    case 'unreachable':
      recap.unreachable++;
      host.unreachable = true;
      break;
    case 'failed':
      if (result.ignored) {
        recap.ignored++;
        recap.ok++;
      } else {
        recap.failed++;
        host.failed = true;
      }
      break;
  }
}

/**
 * any_errors_fatal fires for hosts that failed in the task (or block) just run, as Ansible's
 * does: a host that was already out (unreachable at fact gathering) does not stop a later
 * fatal task for the others. max_fail_percentage counts every failure of the batch.
 */
function applyFailurePolicy(run: PlayRun, anyErrorsFatal: boolean | undefined, inherited: Inherited, outBefore: ReadonlySet<HostState>): void {
  if (run.aborted) return;
  const failed = run.batch.filter((h) => h.failed || h.unreachable).length;
  if (failed === 0) return;
  const fatal = anyErrorsFatal ?? inherited.keywords.any_errors_fatal ?? run.play.any_errors_fatal;
  if (fatal && run.batch.some((h) => (h.failed || h.unreachable) && !outBefore.has(h))) {
    run.aborted = true;
    run.state.stoppedBy = 'any_errors_fatal';
    run.state.options.reporter.emit({ kind: 'warning', message: 'any_errors_fatal: a host failed, the play stops for every host' });
    return;
  }
  const pct = run.play.max_fail_percentage;
  if (pct !== undefined && (failed / run.batch.length) * 100 > pct) {
    run.aborted = true;
    run.state.stoppedBy = `max_fail_percentage ${pct}%`;
    run.state.options.reporter.emit({ kind: 'warning', message: `max_fail_percentage ${pct}% exceeded (${failed}/${run.batch.length} hosts failed): the play stops` });
  }
}

/**
 * Run notified handlers, in the order they are defined, on the hosts that notified them: a
 * notification names a handler or a `listen` topic, and every handler answering it runs. A
 * handler may notify others; they run in the same flush.
 */
async function flushHandlers(run: PlayRun): Promise<void> {
  for (let round = 0; round < 10; round++) {
    const pending = new Map(live(run.batch).map((h) => [h, new Set(h.notified)] as const));
    if ([...pending.values()].every((topics) => topics.size === 0)) return;
    for (const h of pending.keys()) h.notified.clear();
    for (const handler of run.play.handlers) {
      const answers = handlerTopics(handler);
      const hosts = [...pending].filter(([h, topics]) => live([h]).length > 0 && answers.some((t) => topics.has(t))).map(([h]) => h);
      if (hosts.length === 0) continue;
      // A role's handler sees the role's variables, as its tasks do.
      const scope: Inherited = handler.role ? { ...ROOT_SCOPE, role: handler.role, params: handler.role.params } : ROOT_SCOPE;
      await runTask(run, handler, hosts, scope, true);
      if (run.aborted || run.state.interrupted) return;
    }
  }
}

/**
 * A task's name with its templates rendered, as Ansible shows it; with the first host's
 * variables, since one name stands for every host. A name that cannot render stays as written.
 */
function displayName(task: TaskNode, varsOfFirstHost: () => Record<string, unknown> | undefined): string {
  const name = task.name ?? task.module;
  if (!name.includes('{{')) return name;
  const vars = varsOfFirstHost();
  if (!vars) return name;
  try {
    return renderText(name, vars);
  } catch {
    return name;
  }
}

function outOfPlay(hosts: HostState[]): Set<HostState> {
  return new Set(hosts.filter((h) => h.failed || h.unreachable));
}

function live(hosts: HostState[]): HostState[] {
  return hosts.filter((h) => !h.failed && !h.unreachable);
}

function recapOf(state: RunState, host: string) {
  let recap = state.recap.get(host);
  if (!recap) {
    recap = emptyRecap();
    state.recap.set(host, recap);
  }
  return recap;
}

export { record as recordResult };
