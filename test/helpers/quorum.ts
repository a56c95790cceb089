/**
 * Running quorum from tests: the real CLI in a child process (exit codes, output), or the
 * engine in-process with the collecting reporter (events and results to assert on).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { runPlaybook, type RunSummary } from '../../runner/engine.js';
import { createCollector } from '../../runner/report/collect.js';
import type { RunEvent } from '../../runner/report/events.js';
import type { RunOptions } from '../../runner/run-state.js';

export const PROJECT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `quorum ARGS...` through tsx (no build needed), from the project directory. */
export function runCli(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import=tsx', join(PROJECT_DIR, 'runner/cli.ts'), ...args],
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
