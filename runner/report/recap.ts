/**
 * The end-of-run recap shared by the plain and listr reporters: Ansible's PLAY RECAP table,
 * the summary line (time, check-mode verdict), and the few ANSI styles the text reporters use.
 *
 * Colors are plain SGR codes rather than a dependency: four colors do not justify one, and the
 * caller decides (`color: false` for pipes, CI logs and exact-text tests).
 */
import type { TaskStatus } from '../types.js';
import type { HostRecap, RunEvent } from './events.js';

/** The styles the text reporters use, mapped to SGR codes. */
const STYLES = {
  green: '32',
  yellow: '33',
  red: '31',
  cyan: '36',
  magenta: '35',
  bold: '1',
  dim: '2',
} as const;

export type Style = keyof typeof STYLES;

/** Wrap `text` in an ANSI style when `enabled`; otherwise return it unchanged. */
export function paint(style: Style, text: string, enabled: boolean): string {
  return enabled && text !== '' ? `\u001b[${STYLES[style]}m${text}\u001b[0m` : text;
}

/** The color Ansible gives each task status (ok green, changed yellow, failures red, skips cyan). */
export function styleOfStatus(status: TaskStatus): Style {
  switch (status) {
    case 'ok':
      return 'green';
    case 'changed':
      return 'yellow';
    case 'skipped':
      return 'cyan';
    case 'failed':
    case 'unreachable':
      return 'red';
  }
}

export interface RecapFormatOptions {
  color: boolean;
}

/** Recap columns in Ansible's order. */
const COLUMNS = ['ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued', 'ignored'] as const;

/** Which color a non-zero count of a column gets. */
const COLUMN_STYLE: Record<(typeof COLUMNS)[number], Style> = {
  ok: 'green',
  changed: 'yellow',
  unreachable: 'red',
  failed: 'red',
  skipped: 'cyan',
  rescued: 'magenta',
  ignored: 'magenta',
};

/**
 * Format the PLAY RECAP table: one line per host, host names padded to the longest one and each
 * `key=value` cell padded to its column's widest value, so the columns line up like Ansible's.
 * Padding is computed on the plain text and color applied afterwards, so colors never skew it.
 */
export function formatRecap(recap: Record<string, HostRecap>, opts: RecapFormatOptions): string {
  const hosts = Object.keys(recap);
  const lines = [paint('bold', 'PLAY RECAP', opts.color)];
  if (hosts.length === 0) return [...lines, '(no hosts)'].join('\n');
  const hostWidth = Math.max(...hosts.map((h) => h.length));
  const widths = COLUMNS.map((col) => Math.max(...hosts.map((h) => `${col}=${recap[h]![col]}`.length)));
  for (const host of hosts) {
    const counts = recap[host]!;
    const cells = COLUMNS.map((col, i) => {
      const cell = `${col}=${counts[col]}`;
      const padded = cell.padEnd(widths[i]!);
      return counts[col] > 0 ? paint(COLUMN_STYLE[col], cell, opts.color) + padded.slice(cell.length) : padded;
    });
    const name = paint(styleOfHost(counts), host, opts.color) + ' '.repeat(hostWidth - host.length);
    lines.push(`${name} : ${cells.join('  ')}`.trimEnd());
  }
  return lines.join('\n');
}

/** A host's name is red when anything failed there, yellow when it changed, else green. */
function styleOfHost(counts: HostRecap): Style {
  if (counts.failed > 0 || counts.unreachable > 0) return 'red';
  return counts.changed > 0 ? 'yellow' : 'green';
}

type RunEnd = Extract<RunEvent, { kind: 'run:end' }>;

/**
 * The line after the recap: total time, whether the run was interrupted, and in check mode
 * whether applying the playbook would change anything (the answer a dry run is for).
 */
export function formatRunSummary(end: Pick<RunEnd, 'durationMs' | 'changesPending' | 'interrupted'>, check: boolean, opts: RecapFormatOptions): string {
  const parts = [`${end.interrupted ? 'Interrupted after' : 'Finished in'} ${formatDuration(end.durationMs)}`];
  if (check) {
    parts.push(end.changesPending ? paint('yellow', 'check mode: changes pending', opts.color) : 'check mode: no changes pending');
  }
  return parts.join('; ');
}

/** `0.4s`, `12.3s`, `2m05s`: short enough for a summary line. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, ms) / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
}

type TaskHost = Extract<RunEvent, { kind: 'task:host' }>;

/** Statuses from least to most severe, to keep a loop's worst item per (task, host). */
export const SEVERITY: readonly TaskStatus[] = ['skipped', 'ok', 'changed', 'failed', 'unreachable'];

/**
 * A recap counted from `task:host` events, for when a run ends without `run:end` (a crash in the
 * engine): the reporter still shows what it saw. Loop items count once per (task, host), at
 * their worst status, as in Ansible. The engine's own recap always wins when it arrives.
 */
export function createRecapTally(): { record(taskSeq: number, event: TaskHost): void; recap(): Record<string, HostRecap> } {
  const worst = new Map<string, { host: string; status: TaskStatus; ignored: boolean }>();
  return {
    record(taskSeq, event) {
      const key = `${taskSeq}\u0000${event.host}`;
      const seen = worst.get(key);
      const ignored = (seen?.ignored ?? false) || event.ignored === true;
      if (!seen || SEVERITY.indexOf(event.status) > SEVERITY.indexOf(seen.status)) {
        worst.set(key, { host: event.host, status: event.status, ignored });
      } else {
        seen.ignored = ignored;
      }
    },
    recap() {
      const out: Record<string, HostRecap> = {};
      for (const { host, status, ignored } of worst.values()) {
        const r = (out[host] ??= { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
        if (status === 'failed' && ignored) {
          r.ignored++;
        } else {
          r[status]++;
          // Ansible's ok column counts changed tasks too.
          if (status === 'changed') r.ok++;
        }
      }
      return out;
    },
  };
}
