/**
 * Preconditions: shell conditions a command checks on the host before it runs, in the same
 * command, so checking them costs no round trip of its own.
 *
 * - `unchanged`: the host is still in the state the command was planned from (a fact's guard,
 *   facts/kept-reads.ts). When it does not hold, nothing runs, the command prints a mark of its
 *   own and exits with STALE_EXIT, and the result says `stale`: the caller reads the host again
 *   and plans anew. The mark is new for every command (a random tag of this run and a count), so
 *   a command's own exit 97 is never taken for it; a host that fakes it (it sees the script)
 *   only makes quorum read again.
 * - `requires`: conditions the change needs (a parent directory); when one does not hold, the
 *   command fails with exit 1 and its message, before anything changed.
 *
 * The conditions run with no input and their output discarded: they only answer yes or no.
 */
import { randomBytes } from 'node:crypto';
import { quote } from './quote.js';

/** A condition a change needs, and what to say when it does not hold. */
export interface Requirement {
  /** Shell condition (builtins preferred: it runs before every such change). */
  test: string;
  /** Printed on stderr when the condition does not hold. */
  message: string;
}

/** What a command checks before it runs (ExecOptions.preconditions, PutOptions.preconditions). */
export interface Preconditions {
  /** Holds while the host is in the state the command was planned from. */
  unchanged?: string;
  requires?: readonly Requirement[];
}

/** The exit of a command whose `unchanged` condition did not hold (with its mark on stdout). */
export const STALE_EXIT = 97;

/** This run's tag for stale marks: one random draw per run, not one per command. */
const RUN_TAG = randomBytes(8).toString('hex');
let marks = 0;

/** `script` behind its preconditions, and the mark it prints when `unchanged` does not hold. */
export function withPreconditions(script: string, pre: Preconditions | undefined): { script: string; staleMark?: string } {
  if (!pre || (pre.unchanged === undefined && (pre.requires?.length ?? 0) === 0)) return { script };
  const lines: string[] = [];
  const check = (test: string, otherwise: string) => lines.push(`if ! { ${test}\n} </dev/null >/dev/null 2>&1; then ${otherwise}; fi`);
  let staleMark: string | undefined;
  if (pre.unchanged !== undefined) {
    staleMark = `quorum-stale-${RUN_TAG}-${++marks}`;
    check(pre.unchanged, `printf %s ${staleMark}; exit ${STALE_EXIT}`);
  }
  for (const r of pre.requires ?? []) check(r.test, `printf '%s\\n' ${quote(r.message)} >&2; exit 1`);
  lines.push(script);
  return { script: lines.join('\n'), ...(staleMark ? { staleMark } : {}) };
}

/** Whether a command built by {@link withPreconditions} stopped because `unchanged` did not hold. */
export function stoppedStale(result: { exitCode: number; stdout: Buffer }, staleMark: string | undefined): boolean {
  return staleMark !== undefined && result.exitCode === STALE_EXIT && result.stdout.length === staleMark.length && result.stdout.toString('latin1') === staleMark;
}
