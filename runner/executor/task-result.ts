/**
 * Building and adjusting TaskResult values: changed_when / failed_when, loop aggregation,
 * no_log censoring. Pure functions.
 */
import type { Diff, TaskResult } from '../types.js';
import type { TaskKeywords } from '../playbook.js';
import type { SourceLocation } from '../errors.js';
import { evaluateBool } from '../lang/expr.js';
import { renderValue } from '../lang/template.js';

export const NO_LOG_MESSAGE = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

export function failedResult(msg: string, started: number): TaskResult {
  return { status: 'failed', changes: [], diffs: [], result: { failed: true, msg }, msg, durationMs: performance.now() - started };
}

export function skippedResult(reason: string, started: number): TaskResult {
  return { status: 'skipped', changes: [], diffs: [], result: { skipped: true, skip_reason: reason }, msg: reason, durationMs: performance.now() - started };
}

/**
 * changed_when and failed_when, evaluated with the task's variables plus the result, visible
 * both as `result` and under the task's `register` name (as Ansible users write them).
 */
export function applyResultConditions(result: TaskResult, kw: TaskKeywords, vars: Record<string, unknown>, where: SourceLocation): TaskResult {
  if (result.status === 'skipped' || result.status === 'unreachable') return result;
  if (kw.changed_when === undefined && kw.failed_when === undefined) return result;
  const scope = scopeWithResult(vars, kw.register, result.result);
  const holds = (cond: string[] | boolean): boolean => (typeof cond === 'boolean' ? cond : cond.every((c) => evaluateBool(c, scope, where)));

  let out = result;
  try {
    if (kw.failed_when !== undefined) {
      const failed = holds(kw.failed_when);
      if (failed && out.status !== 'failed') {
        const msg = `failed_when holds: ${describe(kw.failed_when)}`;
        out = { ...out, status: 'failed', msg, result: { ...out.result, failed: true, failed_when_result: true, msg } };
      } else if (!failed && out.status === 'failed') {
        out = { ...out, status: out.changes.length > 0 ? 'changed' : 'ok', result: { ...out.result, failed: false, failed_when_result: false } };
      }
    }
    if (kw.changed_when !== undefined && out.status !== 'failed') {
      const changed = holds(kw.changed_when);
      out = { ...out, status: changed ? 'changed' : 'ok', result: { ...out.result, changed } };
    }
  } catch (err) {
    return { ...out, status: 'failed', msg: (err as Error).message, result: { ...out.result, failed: true, msg: (err as Error).message } };
  }
  return out;
}

/**
 * The variables of conditions judged after a task ran (changed_when, failed_when, until): the
 * task's own, plus its result as `result` and under its `register` name. The copy keeps lazily
 * rendered variables lazy (a spread would render every one of them now).
 */
export function scopeWithResult(vars: Record<string, unknown>, register: string | undefined, result: Record<string, unknown>): Record<string, unknown> {
  const scope = Object.defineProperties({}, Object.getOwnPropertyDescriptors(vars)) as Record<string, unknown>;
  scope['result'] = result;
  if (register) scope[register] = result;
  return scope;
}

function describe(cond: string[] | boolean): string {
  return typeof cond === 'boolean' ? String(cond) : cond.join(' && ');
}

/** A loop's overall result: failed if any item failed, changed if any changed. */
export function aggregateLoop(items: TaskResult[], started: number): TaskResult {
  const any = (s: TaskResult['status']) => items.some((r) => r.status === s);
  const status: TaskResult['status'] = any('unreachable')
    ? 'unreachable'
    : any('failed')
      ? 'failed'
      : any('changed')
        ? 'changed'
        : items.length > 0 && items.every((r) => r.status === 'skipped')
          ? 'skipped'
          : 'ok';
  const failedItem = items.find((r) => r.status === 'failed' || r.status === 'unreachable');
  return {
    status,
    changes: items.flatMap((r) => r.changes),
    diffs: items.flatMap((r) => r.diffs),
    result: {
      results: items.map((r) => r.result),
      changed: status === 'changed',
      ...(status === 'failed' ? { failed: true, msg: 'one or more items failed' } : {}),
      ...(status === 'skipped' ? { skipped: true } : {}),
    },
    ...(failedItem?.msg ? { msg: failedItem.msg } : {}),
    ...(items.some((r) => r.ignored) ? { ignored: true } : {}),
    durationMs: performance.now() - started,
  };
}

/** What reporters see of a no_log task: the status, nothing of the data. */
export function censor(result: TaskResult): TaskResult {
  // Change descriptions can quote a command line, and with it a secret: only their number shows.
  const changes = result.changes.map(() => '(hidden by no_log)');
  return { ...result, changes, diffs: [], result: { censored: NO_LOG_MESSAGE, changed: result.status === 'changed' }, msg: NO_LOG_MESSAGE };
}

/** The label of a loop item: loop_control.label rendered, or a short form of the item. */
export function itemLabel(label: string | undefined, vars: Record<string, unknown>, item: unknown): string {
  if (label !== undefined) {
    try {
      return String(renderValue(label, vars));
    } catch {
      return label;
    }
  }
  const text = typeof item === 'string' ? item : JSON.stringify(item);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** PEM private keys of every kind (RSA, EC, PKCS#8, encrypted, OpenSSH). */
const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/**
 * A diff whose text holds a private key is shown as secret, whether or not the task said so: a
 * `file` task that writes a key without `secret: true` must not print it with --diff.
 */
export function hideKeyMaterial(diff: Diff): Diff {
  if (diff.secret || (!PRIVATE_KEY.test(String(diff.before)) && !PRIVATE_KEY.test(String(diff.after)))) return diff;
  return { label: diff.label, before: '', after: '', secret: true };
}
