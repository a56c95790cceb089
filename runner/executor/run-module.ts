/**
 * One module invocation on one host: validate the rendered arguments, gather, plan, and (not
 * in check mode) apply. Returns the outcome as a value; only a lost connection throws.
 */
import type { ModuleContext, ModuleDefinition, Plan, TaskResult, WaitReport } from '../types.js';
import type { Connection } from '../connection/types.js';
import type { FactCache } from '../types.js';
import type { TaskNode } from '../playbook.js';
import { applyPlan, type ApplyOutcome } from '../plan/apply.js';
import { KeptReads } from '../facts/kept-reads.js';
import { validateModuleArgs } from '../validators/module-args.js';
import { renderText } from '../lang/template.js';
import { RunnerError, UnreachableError, formatLocation } from '../errors.js';

export interface Invocation {
  task: TaskNode;
  module: ModuleDefinition;
  /** Arguments after template rendering. */
  args: unknown;
  vars: Record<string, unknown>;
  /** Inventory host the task is for. */
  inventoryHost: string;
  /** Host the connection reaches (differs with delegate_to). */
  targetHost: string;
  conn: Connection;
  facts: FactCache;
  become: boolean;
  /** With become: the user other than root that commands run as (become_user). */
  becomeUser?: string;
  /** Variables exported to the task's commands (the environment keyword). */
  environment?: Record<string, string>;
  check: boolean;
  playbookDir: string;
  /** The role of the task (ModuleContext.roleDir). */
  roleDir?: string;
  signal?: AbortSignal;
  /** Hosts the run has marked unreachable so far (ModuleContext.unreachableHosts). */
  unreachableHosts?: readonly string[];
  /** Progress of a wait inside the module (ModuleContext.reportWait). */
  reportWait?: ModuleContext['reportWait'];
}

export async function invokeModule(inv: Invocation): Promise<TaskResult> {
  const started = performance.now();
  const done = (partial: Omit<TaskResult, 'durationMs'>): TaskResult => ({ ...partial, durationMs: performance.now() - started });

  const invalid = validateArgsOf(inv);
  if (invalid) {
    const msg = `${formatLocation(inv.task.location)}  invalid arguments for ${inv.module.name} after templating: ${invalid}`;
    return done({ status: 'failed', changes: [], diffs: [], result: { failed: true, msg }, msg });
  }
  if (inv.check && inv.module.flags?.checkMode === 'unsupported') {
    const msg = `${inv.module.name} cannot predict its effect: skipped in check mode`;
    return done({ status: 'skipped', changes: [], diffs: [], result: { skipped: true, msg }, msg });
  }

  const ctx: ModuleContext = {
    host: inv.targetHost,
    inventoryHost: inv.inventoryHost,
    conn: inv.conn,
    become: inv.become,
    ...(inv.becomeUser ? { becomeUser: inv.becomeUser } : {}),
    ...(inv.environment ? { environment: inv.environment } : {}),
    facts: inv.facts,
    vars: inv.vars,
    checkMode: inv.check,
    playbookDir: inv.playbookDir,
    ...(inv.roleDir ? { roleDir: inv.roleDir } : {}),
    render: (template, sourceName) => renderText(template, inv.vars, sourceName ? { file: sourceName, line: 1, col: 1 } : undefined),
    ...(inv.signal ? { signal: inv.signal } : {}),
    ...(inv.unreachableHosts ? { unreachableHosts: inv.unreachableHosts } : {}),
    ...(inv.reportWait ? { reportWait: inv.reportWait } : {}),
  };

  // Plans may start from answers read before another task's change (facts/kept-reads.ts): a
  // changing task then costs the host one command instead of a read and a command.
  const reads = inv.conn.checksPreconditions ? new KeptReads(inv.facts, inv.become) : undefined;
  let planned = await gatherAndPlan(inv, reads ? { ...ctx, facts: reads.cache } : ctx);
  let unchanged = reads?.used && !('failure' in planned) ? reads.guardFor(planned, inv.check) : undefined;
  if (reads?.used && unchanged === undefined) planned = await gatherAndPlan(inv, ctx);
  for (;;) {
    if ('failure' in planned) return done(planned.failure);
    const result = await applyOrReport(inv, ctx, planned, unchanged);
    if (result !== 'stale') return done(result);
    // The host changed since the reads the plan was made from, and nothing ran: read it again.
    unchanged = undefined;
    planned = await gatherAndPlan(inv, ctx);
  }
}

/** Gather and plan; a failure of either is the task's outcome (a lost connection throws). */
async function gatherAndPlan(inv: Invocation, ctx: ModuleContext): Promise<Plan | { failure: Omit<TaskResult, 'durationMs'> }> {
  try {
    const facts = await inv.module.gather(ctx, inv.args);
    return inv.module.plan(inv.args, facts, { host: inv.targetHost, inventoryHost: inv.inventoryHost, checkMode: inv.check });
  } catch (err) {
    if (err instanceof UnreachableError) throw err;
    return { failure: failedFrom(err) };
  }
}

/**
 * What a plan comes to: failed, skipped, nothing to do, what check mode would change, or what
 * applying it did; 'stale' when its first change found the host no longer as `unchanged` says.
 */
async function applyOrReport(inv: Invocation, ctx: ModuleContext, plan: Plan, unchanged: string | undefined): Promise<Omit<TaskResult, 'durationMs'> | 'stale'> {
  const changes = plan.changes.map((c) => c.describe);
  const diffs = plan.diffs ?? [];
  const base: Record<string, unknown> = { ...(plan.result ?? {}), ...(plan.msg !== undefined ? { msg: plan.msg } : {}) };

  if (plan.failed !== undefined) {
    return { status: 'failed', changes: [], diffs, result: { ...base, failed: true, msg: plan.failed }, msg: plan.failed };
  }
  if (inv.check && plan.unpredictable !== undefined && !inv.module.flags?.readOnly) {
    const msg = `cannot predict in check mode (${plan.unpredictable}): skipped`;
    return { status: 'skipped', changes, diffs, result: { ...base, skipped: true, msg }, msg };
  }
  if (plan.changes.length === 0) {
    return { status: 'ok', changes: [], diffs: [], result: { ...base, changed: false }, ...(plan.noop ? { msg: plan.msg ?? plan.noop } : plan.msg ? { msg: plan.msg } : {}) };
  }
  if (inv.check) {
    return { status: 'changed', changes, diffs, result: { ...base, changed: true }, ...(plan.msg ? { msg: plan.msg } : {}) };
  }

  let outcome: ApplyOutcome;
  try {
    outcome = await applyPlan(ctx, plan, unchanged);
  } catch (err) {
    if (err instanceof UnreachableError) throw err;
    return { ...failedFrom(err), changes };
  }
  if (outcome.stale) return 'stale';
  const result: Record<string, unknown> = { ...base, ...outcome.data, ...execFields(outcome), changed: outcome.applied.length > 0 };
  if (outcome.failure) {
    const msg = `${outcome.failure.change}: ${outcome.failure.message}`;
    return { status: 'failed', changes: outcome.applied, diffs, result: { ...result, failed: true, msg }, msg };
  }
  return { status: 'changed', changes: outcome.applied, diffs, result, ...(plan.msg ? { msg: plan.msg } : {}) };
}

/** Per task: what validating its arguments said, when they hold no template; null when they do. */
const staticArgsChecked = new WeakMap<TaskNode, { invalid: string | undefined } | null>();

/**
 * Validate the rendered arguments. Arguments without any template render (template.ts
 * renderValue) to the same values on every host and at every attempt, whatever the variables,
 * so those are validated once per task rather than once per host.
 */
function validateArgsOf(inv: Invocation): string | undefined {
  let checked = staticArgsChecked.get(inv.task);
  if (checked === undefined) {
    checked = holdsTemplate(inv.task.args) ? null : { invalid: validateModuleArgs(inv.module, inv.args) };
    staticArgsChecked.set(inv.task, checked);
  }
  return checked ? checked.invalid : validateModuleArgs(inv.module, inv.args);
}

/** Whether renderValue would render anything in `value`: a `{{` in a string it walks to. */
function holdsTemplate(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('{{');
  if (Array.isArray(value)) return value.some(holdsTemplate);
  if (value !== null && typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    return (proto === Object.prototype || proto === null) && Object.values(value).some(holdsTemplate);
  }
  return false;
}

/** Ansible's registered fields for command-like modules. */
function execFields(outcome: ApplyOutcome): Record<string, unknown> {
  const r = outcome.failure?.exec ?? outcome.lastExec;
  if (!r) return {};
  // Ansible strips the trailing newlines, so `echo 3` registers "3" and `r.stdout == "3"` holds.
  const stdout = r.stdout.toString('utf8').replace(/[\r\n]+$/, '');
  const stderr = r.stderr.toString('utf8').replace(/[\r\n]+$/, '');
  return {
    rc: r.exitCode,
    stdout,
    stderr,
    stdout_lines: splitLines(stdout),
    stderr_lines: splitLines(stderr),
    // The host printed more than the connection keeps (connection/capped-output.ts).
    ...(r.dropped ? { output_dropped: r.dropped } : {}),
  };
}

function splitLines(text: string): string[] {
  return text === '' ? [] : text.split(/\r?\n/);
}

function failedFrom(err: unknown): Omit<TaskResult, 'durationMs'> {
  const msg = err instanceof RunnerError || err instanceof Error ? err.message : String(err);
  return { status: 'failed', changes: [], diffs: [], result: { failed: true, msg }, msg };
}
