/**
 * Plain, Ansible-like lines for output that is not a terminal (pipes, CI logs):
 *
 * ```
 * PLAY [etcd]
 *
 * TASK [write the unit] (playbooks/etcd-ha.yaml:12:5)
 * ok: [infra0]
 * changed: [infra1] => 2 changes
 * ```
 *
 * then the PLAY RECAP table and a summary line. Every line is written as soon as its event
 * arrives, so a log tailed during a run is always current.
 */
import type { RunEvent, Reporter, HostRecap } from './events.js';
import type { TaskStatus } from '../types.js';
import { isSecret } from '../secret.js';
import { createRecapTally, formatRecap, formatRunSummary, paint, styleOfStatus } from './recap.js';
import { renderDiffs } from './render-diff.js';
import { replaceForJson } from './json.js';
import { escapeControl, oneTerminalLine } from './terminal-text.js';

export interface PlainReporterOptions {
  /** 0: status lines; 1 (-v): change descriptions and registered msg/stdout/stderr; 2 (-vv): connections. */
  verbosity: number;
  /** Print each result's diffs (`--diff`). */
  diff: boolean;
  /** ANSI colors; only for a terminal. */
  color: boolean;
}

type TaskHost = Extract<RunEvent, { kind: 'task:host' }>;
type TaskRetry = Extract<RunEvent, { kind: 'task:retry' }>;

/** Ansible's word for each status at the start of a host line. */
const STATUS_WORD: Record<TaskStatus, string> = {
  ok: 'ok',
  changed: 'changed',
  failed: 'failed',
  skipped: 'skipping',
  unreachable: 'unreachable',
};

/** Create the plain-lines reporter writing to `out`. */
export function createPlainReporter(out: NodeJS.WritableStream, opts: PlainReporterOptions): Reporter {
  const tally = createRecapTally();
  let taskSeq = 0;
  let check = false;
  let ended = false;
  const write = (text: string): void => {
    out.write(`${text}\n`);
  };
  const writeRecap = (recap: Record<string, HostRecap>): void => {
    write('');
    write(formatRecap(recap, opts));
  };

  return {
    emit(event) {
      switch (event.kind) {
        case 'run:start':
          check = event.check;
          return;
        case 'play:start':
          write('');
          return write(paint('bold', `PLAY [${event.play}]`, opts.color));
        case 'host:connect':
          // A failed connect is also the result of the task that needed it (unreachable, with the
          // same message): printing both said it twice. -vv shows every connection attempt.
          if (opts.verbosity < 2) return;
          return write(event.ok ? `connected: [${event.host}] (${event.durationMs} ms)` : formatConnectFailure(event, opts.color));
        case 'task:start': {
          taskSeq++;
          const word = event.handler ? 'RUNNING HANDLER' : 'TASK';
          write('');
          return write(`${paint('bold', `${word} [${event.task}]`, opts.color)} ${paint('dim', `(${event.location})`, opts.color)}`);
        }
        case 'task:host':
          tally.record(taskSeq, event);
          for (const line of formatHostResult(event, opts)) write(line);
          return;
        case 'task:retry':
          return write(formatRetry(event, opts));
        case 'task:end':
          return;
        case 'warning':
          return write(formatWarning(event, opts.color));
        case 'run:end':
          ended = true;
          writeRecap(event.recap);
          return write(formatRunSummary(event, check, opts));
      }
    },
    async close() {
      // A run that died before run:end still gets the recap of what was seen.
      if (!ended) {
        writeRecap(tally.recap());
        write('(the run ended without a recap from the engine: counts are from the results reported above)');
      }
      await flush(out);
    },
  };
}

/**
 * The lines for one (task, host) result: the status line, `...ignoring`, the -v details and the
 * `--diff` patches. A `no_log` result (its registered result is `{ censored }`) shows only
 * the status and the censored notice: its msg and output could hold what no_log hides.
 */
export function formatHostResult(event: TaskHost, opts: PlainReporterOptions): string[] {
  const censored = event.result !== undefined && 'censored' in event.result;
  const item = event.item !== undefined ? ` (item=${event.item})` : '';
  const detail = describeOutcome(event, censored, opts.verbosity);
  // Messages and output come from hosts: their control characters are shown, not obeyed.
  const head = escapeControl(`${STATUS_WORD[event.status]}: [${event.host}]${item}${detail ? ` => ${detail}` : ''}`);
  const lines = [paint(styleOfStatus(event.status), indentRest(head), opts.color)];
  if (event.ignored) lines.push(paint('cyan', '...ignoring', opts.color));
  if (opts.verbosity >= 1) lines.push(...describeDetails(event, censored).map(escapeControl));
  if (opts.diff && event.diffs.length > 0) {
    const text = renderDiffs(event.diffs, opts);
    if (text) lines.push(text);
  }
  return lines;
}

/** Without -v a retry line keeps to about one terminal line; -v shows the whole message. */
const RETRY_MESSAGE_MAX = 240;

/**
 * One failed attempt that will be retried, Ansible's "FAILED - RETRYING", with the reason:
 * `infra0 | cluster health: retrying (57 left): degraded, quorum kept: infra2 unhealthy ...`.
 * Everything in it may come from a host, so control characters are escaped.
 */
export function formatRetry(event: TaskRetry, opts: Pick<PlainReporterOptions, 'verbosity' | 'color'>): string {
  const item = event.item !== undefined ? ` (item=${event.item})` : '';
  const where = oneTerminalLine(`${event.host} | ${event.task}${item}`);
  return paint('yellow', `${where}: ${describeRetry(event, opts.verbosity)}`, opts.color);
}

/** `retrying (57 left): REASON`, one line, control characters escaped (the live view's host line). */
export function describeRetry(event: TaskRetry, verbosity: number): string {
  const max = verbosity >= 1 ? Infinity : RETRY_MESSAGE_MAX;
  return `retrying (${event.retriesLeft} left): ${oneTerminalLine(event.msg, max)}`;
}

/** A host that could not be reached when the play started. */
export function formatConnectFailure(event: Extract<RunEvent, { kind: 'host:connect' }>, color: boolean): string {
  return paint('red', escapeControl(`unreachable: [${event.host}] => ${event.error ?? 'cannot connect'}`), color);
}

/** Ansible's `[WARNING]:` line, with the host when the warning is about one. */
export function formatWarning(event: Extract<RunEvent, { kind: 'warning' }>, color: boolean): string {
  return paint('magenta', escapeControl(`[WARNING]: ${event.host ? `[${event.host}] ` : ''}${event.message}`), color);
}

/** What follows `=>` on the status line. */
function describeOutcome(event: TaskHost, censored: boolean, verbosity: number): string {
  switch (event.status) {
    case 'changed':
      return `${event.changes.length} ${event.changes.length === 1 ? 'change' : 'changes'}`;
    case 'failed':
    case 'unreachable':
      return censored ? 'the output has been hidden (no_log)' : (event.msg ?? 'no message');
    case 'ok':
      return censored ? '' : (event.msg ?? '');
    case 'skipped':
      return verbosity >= 1 && !censored ? (event.msg ?? '') : '';
  }
}

/** -v: each change description, then the registered msg/stdout/stderr (or the censored notice). */
function describeDetails(event: TaskHost, censored: boolean): string[] {
  const lines = event.changes.map((c) => `    - ${c}`);
  const result = event.result ?? {};
  if (censored) return [...lines, indentRest(`    censored: ${textOf(result.censored)}`)];
  for (const key of ['msg', 'stdout', 'stderr'] as const) {
    const text = textOf(result[key]);
    // The status line already shows event.msg; do not repeat it.
    if (text.trim() === '' || (key === 'msg' && text === event.msg)) continue;
    lines.push(indentRest(`    ${key}: ${text.replace(/\n$/, '')}`));
  }
  return lines;
}

/** A registered value as text: Buffers as UTF-8, Secrets masked, anything else as JSON. */
export function textOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (isSecret(value)) return String(value);
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  try {
    return JSON.stringify(value, replaceForJson) ?? String(value);
  } catch {
    // A cycle: the short form is better than failing the report.
    return String(value);
  }
}

/** Continuation lines of a multi-line message are indented under the line they belong to. */
function indentRest(text: string): string {
  return text.split('\n').join('\n      ');
}

/** Resolve once everything written so far has been handed to the stream. */
export function flush(out: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    out.write('', () => resolve());
  });
}
