/**
 * Running quorum from tests: the real CLI in a child process (exit codes, output), or the
 * engine in-process with the collecting reporter (events and results to assert on).
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { runPlaybook, type RunSummary } from '../../runner/engine/engine.js';
import { createCollector } from '../../runner/report/collect.js';
import type { RunEvent } from '../../runner/report/events.js';
import type { RunOptions } from '../../runner/engine/run-state.js';

export const PROJECT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** With `measure`: the process's peak RSS in KiB and wall-clock time, from GNU time. */
  peakRssKb?: number;
  elapsedMs?: number;
}

/** `quorum ARGS...` through tsx (no build needed), from the project directory. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return runProgram(process.execPath, ['--import=tsx', join(PROJECT_DIR, 'runner/cli.ts'), ...args], options);
}

/**
 * `quorum ARGS...` through the built bundle, dist/bundle/quorum.cjs: what `npm run build` makes and
 * users run (package.json bin). The lab suites use it, so they test the shipped artefact.
 * Throws when the bundle is missing or older than a source file, rather than testing old code.
 */
export function runBuiltCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  assertBundleFresh();
  // Executed as a program, as `quorum` is: through its #!/bin/sh header (scripts/bundle.mjs).
  if (options.measure) return runMeasured(BUNDLE, args, options);
  return runProgram(BUNDLE, args, options);
}

export interface CliOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Run under GNU time (/usr/bin/time, Debian package `time`) to report peak RSS and time. */
  measure?: boolean;
}

const GNU_TIME = '/usr/bin/time';
const MEASURE_MARK = 'quorum-test-measure:';

/** GNU time writes its line last on stderr; it is taken off stderr and parsed. */
async function runMeasured(program: string, argv: string[], options: CliOptions): Promise<CliResult> {
  if (!existsSync(GNU_TIME)) throw new Error(`${GNU_TIME} is missing: install the Debian package \`time\` (npm run lab:deps)`);
  const started = performance.now();
  const result = await runProgram(GNU_TIME, ['-f', `${MEASURE_MARK}%M`, program, ...argv], options);
  const elapsedMs = performance.now() - started;
  const at = result.stderr.lastIndexOf(MEASURE_MARK);
  if (at < 0) throw new Error(`no peak RSS from ${GNU_TIME}: ${result.stderr.slice(-300)}`);
  const peakRssKb = Number(result.stderr.slice(at + MEASURE_MARK.length).trim());
  // GNU time prints "Command exited with non-zero status N" before its line: not quorum's output.
  const stderr = result.stderr.slice(0, at).replace(/Command exited with non-zero status \d+\n$/, '');
  return { ...result, stderr, peakRssKb, elapsedMs };
}

const BUNDLE = join(PROJECT_DIR, 'dist/bundle/quorum.cjs');
/** What the freshness check compares with: the bundle's code (quorum.cjs is only its launcher). */
const BUNDLE_MAIN = join(PROJECT_DIR, 'dist/bundle/main.cjs');
const SOURCE_DIRS = ['runner', 'modules', 'schemas'];
let bundleChecked = false;

function assertBundleFresh(): void {
  if (bundleChecked) return;
  if (!existsSync(BUNDLE) || !existsSync(BUNDLE_MAIN)) throw new Error(`${BUNDLE} is missing: run \`npm run build\` first`);
  const built = statSync(BUNDLE_MAIN).mtimeMs;
  const newer = SOURCE_DIRS.flatMap((d) => listFiles(join(PROJECT_DIR, d))).find((f) => statSync(f).mtimeMs > built);
  if (newer) throw new Error(`${BUNDLE} is older than ${newer}: run \`npm run build\` first`);
  bundleChecked = true;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

function runProgram(program: string, argv: string[], options: CliOptions): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      program,
      argv,
      { cwd: PROJECT_DIR, timeout: options.timeoutMs ?? 600_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, CI: 'true', ...options.env } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export interface EngineRun {
  summary: RunSummary;
  events: RunEvent[];
  /** task:host events, optionally of one task and/or host. */
  results(task?: string, host?: string): Extract<RunEvent, { kind: 'task:host' }>[];
}

/** Run a playbook in-process with the collector; options default to a plain apply. */
export async function runEngine(options: Partial<RunOptions> & Pick<RunOptions, 'playbookFile'>): Promise<EngineRun> {
  const collector = createCollector();
  const summary = await runPlaybook({
    check: false,
    diff: true,
    extraVars: {},
    forks: 50,
    hostKeyPolicy: 'strict',
    connectTimeoutMs: 10_000,
    verbosity: 0,
    ...options,
    reporter: collector.reporter,
  });
  const events = collector.events;
  const results = (task?: string, host?: string) =>
    events.filter((e): e is Extract<RunEvent, { kind: 'task:host' }> => e.kind === 'task:host' && (task === undefined || e.task === task) && (host === undefined || e.host === host));
  return { summary, events, results };
}

/** Sum of a recap column over every host. */
export function total(summary: RunSummary, column: 'ok' | 'changed' | 'failed' | 'unreachable' | 'skipped' | 'rescued' | 'ignored'): number {
  return Object.values(summary.recap).reduce((n, r) => n + r[column], 0);
}
