/**
 * `--diff` output: a Diff (before/after text) as a unified diff, colored like git's when asked.
 * A secret diff never shows its content, only that it changed: the flag is honoured even when the
 * engine forgot to blank before/after, and a Secret value smuggled into either side counts as secret.
 * The before side is a host's file, data like any other text from a host: its control characters
 * are escaped (terminal-text.ts) before the diff is colored, so a file holding escape sequences
 * cannot drive the operator's terminal.
 */
import { createTwoFilesPatch, FILE_HEADERS_ONLY } from 'diff';
import type { Diff } from '../types.js';
import { isSecret } from '../secret.js';
import { paint } from './recap.js';
import { escapeControl } from './terminal-text.js';

export interface RenderDiffOptions {
  color: boolean;
}

/** What a secret diff prints instead of its content. */
export const SECRET_DIFF_NOTICE = '(secret content changed; not shown)';

/**
 * Render one Diff as unified diff text (no trailing newline). Identical before/after renders as
 * an empty string: there is nothing to show.
 */
export function renderDiff(diff: Diff, opts: RenderDiffOptions): string {
  if (diff.secret === true || isSecret(diff.before) || isSecret(diff.after)) {
    return `${paint('bold', escapeControl(diff.label), opts.color)}: ${paint('yellow', SECRET_DIFF_NOTICE, opts.color)}`;
  }
  if (diff.before === diff.after) return '';
  const patch = createTwoFilesPatch(`before: ${diff.label}`, `after: ${diff.label}`, String(diff.before), String(diff.after), undefined, undefined, {
    headerOptions: FILE_HEADERS_ONLY,
  });
  const lines = patch.replace(/\n$/, '').split('\n');
  return lines.map((line) => colorLine(escapeControl(line), opts.color)).join('\n');
}

/** Render several diffs, skipping empty ones, separated by newlines. */
export function renderDiffs(diffs: readonly Diff[], opts: RenderDiffOptions): string {
  return diffs
    .map((d) => renderDiff(d, opts))
    .filter((text) => text !== '')
    .join('\n');
}

/** git's palette: file headers bold, hunk headers cyan, removals red, additions green. */
function colorLine(line: string, color: boolean): string {
  if (!color) return line;
  if (line.startsWith('--- ') || line.startsWith('+++ ')) return paint('bold', line, true);
  if (line.startsWith('@@')) return paint('cyan', line, true);
  if (line.startsWith('-')) return paint('red', line, true);
  if (line.startsWith('+')) return paint('green', line, true);
  return line;
}
