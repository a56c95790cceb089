/**
 * `quorum recap`: the `-o json` streams of the slices of one run (`run --slice K/N`,
 * runner/engine/slice.ts) merged into one recap and one exit code, by the rules of a single run
 * (runner/exit-codes.ts): interrupted > failed > unreachable > changes pending > ok.
 *
 * A stream is data from another machine: read as JSON lines, never evaluated; a line that is
 * not a JSON object with a `kind` is bad input (exit 5, file:line:col). A stream that started
 * but has no `run:end` is a slice that did not finish (killed, timed out): its hosts are
 * counted from their `task:host` events and the merge counts as interrupted, so it never
 * passes for a clean run.
 */
import type { ConfigProblem } from '../errors.js';
import { EXIT, exitCodeOf } from '../exit-codes.js';
import type { HostRecap, RunEvent } from './events.js';
import { SEVERITY, createRecapTally } from './recap.js';

/** One slice's `-o json` output. */
export interface RunStream {
  file: string;
  text: string;
}

/** What one stream said. */
export interface SliceSummary {
  file: string;
  playbook?: string;
  hosts: number;
  /** The slice's own exit code; undefined when it did not finish. */
  exitCode?: number;
  durationMs?: number;
  finished: boolean;
}

/** The merged run. */
export interface MergedRecap {
  recap: Record<string, HostRecap>;
  exitCode: number;
  check: boolean;
  changesPending: boolean;
  interrupted: boolean;
  /** The longest slice: slices run side by side. */
  durationMs: number;
  slices: SliceSummary[];
  /** Failed and unreachable results, for the summary (host text: print it escaped). */
  failures: { host: string; task: string; status: 'failed' | 'unreachable'; msg: string; file: string }[];
  warnings: string[];
  /** Bad input: when not empty, nothing else counts (exit 5). */
  problems: ConfigProblem[];
}

type RunEnd = Extract<RunEvent, { kind: 'run:end' }>;
type RunStart = Extract<RunEvent, { kind: 'run:start' }>;

/** Merge the streams (in the order given; the recap lists hosts by name). */
export function mergeRunStreams(streams: RunStream[]): MergedRecap {
  const merged: MergedRecap = { recap: {}, exitCode: EXIT.ok, check: false, changesPending: false, interrupted: false, durationMs: 0, slices: [], failures: [], warnings: [], problems: [] };
  if (streams.length === 0) {
    merged.problems.push({ pointer: '', message: 'no stream given: name the `-o json` output file of every slice' });
  }
  const ownerOf = new Map<string, string>();
  let detailed = false;
  const playbooks = new Set<string>();
  const checks = new Set<boolean>();
  for (const stream of streams) {
    const parsed = parseStream(stream, merged.problems);
    if (!parsed) continue;
    const { start, end, events } = parsed;
    playbooks.add(start.playbook);
    checks.add(start.check);
    let recap: Record<string, HostRecap>;
    if (end) {
      recap = end.recap;
      if (end.exitCode === EXIT.changesPending) detailed = true;
      merged.changesPending ||= end.changesPending;
      merged.interrupted ||= end.interrupted;
      merged.durationMs = Math.max(merged.durationMs, end.durationMs);
    } else {
      // Counted as the reporters count a run that ended without its recap.
      const tally = createRecapTally();
      let seq = 0;
      for (const e of events) {
        if (e.kind === 'task:start') seq++;
        else if (e.kind === 'task:host') tally.record(seq, e);
      }
      recap = { ...Object.fromEntries(start.hosts.map((h) => [h, emptyRecap()])), ...tally.recap() };
      merged.interrupted = true;
      merged.warnings.push(`${stream.file}: the slice did not finish (no run:end event): its recap is what it reported before it stopped`);
    }
    for (const [host, counts] of Object.entries(recap)) {
      const other = ownerOf.get(host);
      if (other !== undefined) {
        merged.problems.push({ location: { file: stream.file, line: 1, col: 1 }, pointer: '', message: `host ${host} is also in ${other}: the slices of one run are disjoint; was a file given twice?` });
        continue;
      }
      ownerOf.set(host, stream.file);
      merged.recap[host] = counts;
    }
    for (const e of events) {
      if (e.kind === 'task:host' && (e.status === 'failed' || e.status === 'unreachable') && e.ignored !== true) {
        merged.failures.push({ host: e.host, task: e.task, status: e.status, msg: e.msg ?? '', file: stream.file });
      }
    }
    merged.slices.push({ file: stream.file, playbook: start.playbook, hosts: Object.keys(recap).length, ...(end ? { exitCode: end.exitCode, durationMs: end.durationMs } : {}), finished: end !== undefined });
  }
  if (playbooks.size > 1) merged.warnings.push(`the slices ran different playbooks (${[...playbooks].join(', ')}): this recap merges different runs`);
  if (checks.size > 1) merged.warnings.push('some slices ran with --check and some without: this recap merges different runs');
  merged.check = checks.has(true);
  merged.recap = Object.fromEntries(Object.entries(merged.recap).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  merged.exitCode =
    merged.problems.length > 0
      ? EXIT.invalidInput
      : exitCodeOf({ recap: merged.recap, interrupted: merged.interrupted, changesPending: merged.changesPending, detailed });
  return merged;
}

function emptyRecap(): HostRecap {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
}

/** The events of one stream, or undefined (with problems added) when it is not one run's output. */
function parseStream(stream: RunStream, problems: ConfigProblem[]): { start: RunStart; end?: RunEnd; events: RunEvent[] } | undefined {
  const events: RunEvent[] = [];
  const before = problems.length;
  const lines = stream.text.split('\n');
  for (const [i, raw] of lines.entries()) {
    if (raw.trim() === '') continue;
    const at = (col: number) => ({ file: stream.file, line: i + 1, col });
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      const pos = /position (\d+)/.exec((err as Error).message);
      problems.push({ location: at(pos ? Number(pos[1]) + 1 : 1), pointer: '', message: 'not a line of JSON: give the output of `quorum run -o json`, one file per slice' });
      continue;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { kind?: unknown }).kind !== 'string') {
      problems.push({ location: at(1), pointer: '', message: 'not a quorum event (a JSON object with a "kind"): give the output of `quorum run -o json`' });
      continue;
    }
    const problem = checkEvent(value as RunEvent);
    if (problem) {
      problems.push({ location: at(1), pointer: '', message: problem });
      continue;
    }
    events.push(value as RunEvent);
  }
  if (problems.length > before) return undefined;
  const starts = events.filter((e): e is RunStart => e.kind === 'run:start');
  const ends = events.filter((e): e is RunEnd => e.kind === 'run:end');
  if (starts.length === 0) {
    problems.push({ location: { file: stream.file, line: 1, col: 1 }, pointer: '', message: events.length === 0 ? 'is empty: that slice never started (its own exit code and stderr say why)' : 'has no run:start event: not the output of `quorum run -o json`' });
    return undefined;
  }
  if (starts.length > 1 || ends.length > 1) {
    problems.push({ location: { file: stream.file, line: 1, col: 1 }, pointer: '', message: `holds ${Math.max(starts.length, ends.length)} runs: give each slice's output in a file of its own` });
    return undefined;
  }
  return { start: starts[0]!, ...(ends[0] ? { end: ends[0] } : {}), events };
}

const RECAP_COLUMNS = ['ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued', 'ignored'] as const;

/** The fields the merge reads, checked: a hand-edited or truncated stream must not merge as clean. */
function checkEvent(e: RunEvent): string | undefined {
  switch (e.kind) {
    case 'run:start':
      return typeof e.playbook === 'string' && typeof e.check === 'boolean' && Array.isArray(e.hosts) && e.hosts.every((h) => typeof h === 'string') ? undefined : 'a run:start event without its playbook, check and hosts';
    case 'task:host':
      return typeof e.host === 'string' && typeof e.task === 'string' && SEVERITY.includes(e.status) ? undefined : 'a task:host event without its host, task and status (ok, changed, skipped, failed, unreachable)';
    case 'run:end': {
      const recapOk =
        typeof e.recap === 'object' && e.recap !== null && Object.values(e.recap).every((r) => typeof r === 'object' && r !== null && RECAP_COLUMNS.every((c) => Number.isInteger((r as unknown as Record<string, unknown>)[c])));
      return recapOk && Number.isInteger(e.exitCode) && typeof e.changesPending === 'boolean' && typeof e.interrupted === 'boolean' && typeof e.durationMs === 'number'
        ? undefined
        : 'a run:end event without a whole recap, exitCode, changesPending, interrupted and durationMs';
    }
    default:
      return undefined;
  }
}
