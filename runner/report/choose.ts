/**
 * Pick the reporter for `--output`: listr2's live view in a terminal, plain lines otherwise
 * (a pipe, a log file, CI), NDJSON when asked.
 */
import type { Reporter } from './events.js';
import { createPlainReporter } from './plain.js';
import { createJsonReporter } from './json.js';
import { createListrReporter } from './listr.js';

export type OutputKind = 'auto' | 'plain' | 'json' | 'listr';

export interface ChooseReporterOptions {
  output: OutputKind;
  /** Is the output a terminal (process.stdout.isTTY)? */
  tty: boolean;
  verbosity: number;
  diff: boolean;
  color: boolean;
  /** Where to write; default process.stdout. */
  out?: NodeJS.WritableStream;
  /** Environment to read CI from; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Resolve `auto` to a concrete reporter kind: listr in a terminal, plain otherwise. CI=true
 * forces plain because CI "terminals" keep every redraw of a live view as separate log lines.
 */
export function resolveOutputKind(opts: Pick<ChooseReporterOptions, 'output' | 'tty' | 'env'>): Exclude<OutputKind, 'auto'> {
  if (opts.output !== 'auto') return opts.output;
  const ci = (opts.env ?? process.env).CI;
  if (ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false') return 'plain';
  return opts.tty ? 'listr' : 'plain';
}

/** Create the reporter `--output` asks for. */
export function chooseReporter(opts: ChooseReporterOptions): Reporter {
  const out = opts.out ?? process.stdout;
  const style = { verbosity: opts.verbosity, diff: opts.diff, color: opts.color };
  switch (resolveOutputKind(opts)) {
    case 'json':
      return createJsonReporter(out);
    case 'plain':
      return createPlainReporter(out, style);
    case 'listr':
      return createListrReporter({ ...style, out });
  }
}
