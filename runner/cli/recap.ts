/**
 * `quorum recap RUN.jsonl...`: read the `-o json` output of every slice of a run, print one
 * PLAY RECAP and return one exit code (runner/report/recap-merge.ts has the rules).
 */
import { readFileSync } from 'node:fs';
import { EXIT } from '../exit-codes.js';
import { formatProblem } from '../errors.js';
import { mergeRunStreams, type RunStream } from '../report/recap-merge.js';
import { formatRecap, formatRunSummary, paint } from '../report/recap.js';
import { oneTerminalLine } from '../report/terminal-text.js';

export interface RecapCliOptions {
  color: boolean;
}

export function recapCommand(files: string[], opts: RecapCliOptions): number {
  const streams: RunStream[] = [];
  for (const file of files) {
    try {
      streams.push({ file, text: readFileSync(file, 'utf8') });
    } catch (err) {
      process.stderr.write(`error: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; give the file each slice's \`quorum run -o json\` wrote\n`);
      return EXIT.invalidInput;
    }
  }
  const merged = mergeRunStreams(streams);
  if (merged.problems.length > 0) {
    const n = merged.problems.length;
    process.stderr.write(`${n} problem${n === 1 ? '' : 's'} found; nothing was merged:\n${merged.problems.map(formatProblem).join('\n')}\n`);
    return merged.exitCode;
  }
  for (const w of merged.warnings) process.stderr.write(`warning: ${oneTerminalLine(w)}\n`);
  const color = opts.color;
  const out: string[] = [];
  for (const f of merged.failures) {
    out.push(paint('red', `${f.status}: [${oneTerminalLine(f.host)}] ${oneTerminalLine(f.task)}: ${oneTerminalLine(f.msg, 500) || 'no message'} (${f.file})`, color));
  }
  if (out.length > 0) out.push('');
  out.push(formatRecap(merged.recap, { color }));
  out.push(formatRunSummary({ durationMs: merged.durationMs, changesPending: merged.changesPending, interrupted: merged.interrupted }, merged.check, { color }) + ' (the longest slice)');
  const slices = merged.slices.map((s) => `${s.file}: ${s.hosts} host${s.hosts === 1 ? '' : 's'}, ${s.finished ? `exit ${s.exitCode}` : 'did not finish'}`);
  out.push(`${merged.slices.length} slice${merged.slices.length === 1 ? '' : 's'} merged, exit ${merged.exitCode}: ${slices.join('; ')}`);
  process.stdout.write(out.join('\n') + '\n');
  return merged.exitCode;
}
