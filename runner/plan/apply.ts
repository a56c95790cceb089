/**
 * The one generic applier: runs a plan's changes in order over the host's connection.
 * Modules never apply anything themselves; that is what makes check mode safe by construction
 * (check mode simply never calls this).
 */
import type { Change, ModuleContext, Plan, PutContent } from '../types.js';
import { isSecret, type Secret } from '../secret.js';
import type { ExecResult } from '../connection/types.js';
import { withPreconditions, type Preconditions } from '../connection/preconditions.js';
import { CommandError, StaleStateError } from '../errors.js';

/** What applying a plan did. */
export interface ApplyOutcome {
  /** Changes that ran to completion, by their description. */
  applied: string[];
  /** The first change that failed, with why; later changes did not run. */
  failure?: { change: string; message: string; exec?: ExecResult };
  /** Output of the last `exec` change (Ansible's rc/stdout/stderr for command-like modules). */
  lastExec?: ExecResult;
  /** Data returned by `call` changes, merged. */
  data: Record<string, unknown>;
  /** The first change found the host changed since the plan's reads: nothing was applied. */
  stale?: true;
}

/** What applyChange returns when its `unchanged` precondition did not hold. */
const STALE = 'stale';

/**
 * @param unchanged a shell condition the first change checks before it runs (facts/kept-reads.ts):
 *   when it does not hold, nothing is applied and the outcome says `stale`
 */
export async function applyPlan(ctx: ModuleContext, plan: Plan, unchanged?: string): Promise<ApplyOutcome> {
  if (unchanged !== undefined && !ctx.conn.checksPreconditions) throw new Error(`${ctx.host}: this connection cannot check a plan's reads before applying it`);
  const outcome: ApplyOutcome = { applied: [], data: {} };
  try {
    for (const [i, change] of plan.changes.entries()) {
      const failure = await applyChange(ctx, change, outcome, i === 0 ? unchanged : undefined);
      if (failure === STALE) {
        outcome.stale = true;
        break;
      }
      if (failure) {
        outcome.failure = { change: change.describe, ...failure };
        break;
      }
      outcome.applied.push(change.describe);
    }
  } finally {
    // Whatever ran may have changed the host: later tasks must not see stale facts.
    if (plan.changes.length > 0) ctx.facts.clear();
  }
  return outcome;
}

async function applyChange(
  ctx: ModuleContext,
  change: Change,
  outcome: ApplyOutcome,
  unchanged: string | undefined,
): Promise<{ message: string; exec?: ExecResult } | typeof STALE | undefined> {
  let pre = preconditionsOf(change, unchanged);
  if (pre?.requires && !ctx.conn.checksPreconditions) {
    // A connection that cannot check them with the change (a test double) checks them before it.
    const r = await ctx.conn.exec(withPreconditions(':', { requires: pre.requires }).script, { sudo: ctx.become });
    if (r.exitCode !== 0) return { message: lastLines(r.stderr.toString('utf8').trim(), 25) || `exit ${r.exitCode}` };
    pre = undefined;
  }
  switch (change.kind) {
    case 'exec': {
      const stdin = isSecret(change.stdin) ? change.stdin.reveal() : change.stdin;
      const env = ctx.environment || change.env ? { ...ctx.environment, ...change.env } : undefined;
      const r = await ctx.conn.exec(asBecomeUser(ctx, change.command), {
        sudo: ctx.become,
        ...(stdin !== undefined ? { stdin } : {}),
        ...(change.cwd ? { cwd: change.cwd } : {}),
        ...(env ? { env } : {}),
        ...(pre ? { preconditions: pre } : {}),
      });
      if (r.stale) return STALE;
      outcome.lastExec = r;
      if (!(change.okExitCodes ?? [0]).includes(r.exitCode)) {
        const stderr = r.stderr.toString('utf8').trim();
        return { message: `exit ${r.exitCode}${stderr ? `: ${lastLines(stderr, 25)}` : ''}`, exec: r };
      }
      return undefined;
    }
    case 'put': {
      if (ctx.becomeUser) return { message: `become_user ${ctx.becomeUser}: quorum writes files as root only (commands run as ${ctx.becomeUser}); drop become_user here and set owner: ${ctx.becomeUser}` };
      const bytes = await resolveContent(change.content);
      try {
        await ctx.conn.put(change.dest, bytes, {
          sudo: ctx.become,
          ...(change.mode ? { mode: change.mode } : {}),
          ...(change.owner ? { owner: change.owner } : {}),
          ...(change.group ? { group: change.group } : {}),
          ...(pre ? { preconditions: pre } : {}),
        });
      } catch (err) {
        if (err instanceof StaleStateError) return STALE;
        // A requirement that did not hold says what to do on stderr: that is the failure.
        if (err instanceof CommandError && change.requires?.length) return { message: lastLines(err.stderr.trim(), 25) || err.message };
        throw err;
      }
      return undefined;
    }
    case 'call': {
      const data = await change.run(ctx);
      if (data) Object.assign(outcome.data, data);
      return undefined;
    }
  }
}

/** What the host checks before the change, in the same command: its requirements, and `unchanged` for the first. */
function preconditionsOf(change: Change, unchanged: string | undefined): Preconditions | undefined {
  if (change.kind === 'call') {
    if (unchanged !== undefined) throw new Error(`${change.describe}: a controller-side step cannot check the host first`);
    return undefined;
  }
  if (unchanged === undefined && !change.requires?.length) return undefined;
  return { ...(unchanged !== undefined ? { unchanged } : {}), ...(change.requires?.length ? { requires: change.requires } : {}) };
}

/**
 * A command run as become_user: from the root shell (become), through runuser, which needs no
 * password as root and keeps the exported environment and working directory.
 */
function asBecomeUser(ctx: ModuleContext, command: string | readonly string[]): string | readonly string[] {
  if (!ctx.become || !ctx.becomeUser) return command;
  const argv = typeof command === 'string' ? ['sh', '-c', command] : command;
  return ['runuser', '-u', ctx.becomeUser, '--', ...argv];
}

async function resolveContent(content: PutContent): Promise<Uint8Array> {
  const value: Uint8Array | Secret = typeof content === 'function' ? await content() : content;
  return isSecret(value) ? value.reveal() : value;
}

function lastLines(text: string, n: number): string {
  return text.split('\n').slice(-n).join('\n');
}
