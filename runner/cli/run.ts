/**
 * `quorum run`: turn CLI options into RunOptions, handle the listing modes, Ctrl-C, and map
 * the outcome to an exit code (runner/exit-codes.ts).
 */
import type { Slice } from '../engine/slice.js';
import type { RunOptions } from '../engine/run-state.js';
import { prepareRun, runPlaybook, type PreparedRun } from '../engine/engine.js';
import { parseExtraVars } from '../vars/extra-vars.js';
import { chooseReporter } from '../report/choose.js';
import { ConfigError, RunnerError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { listPlaybook } from './list-playbook.js';
import { askPassword } from './ask-password.js';
import { killProcessGroups } from '../connection/local-children.js';

/** `quorum run`'s options as commander parses them (runner/cli.ts declares them). */
export interface RunCliOptions {
  inventory: string[];
  vaultPasswordFile?: string;
  check: boolean;
  diff: boolean;
  limit?: string;
  slice?: Slice;
  tags?: string[];
  skipTags?: string[];
  extraVars: string[];
  forks: number;
  verbose: number;
  output: 'auto' | 'plain' | 'json' | 'listr';
  hostKeyPolicy: 'strict' | 'accept-new' | 'off';
  timeout: number;
  askBecomePass: boolean;
  detailedExitcode: boolean;
  syntaxCheck: boolean;
  listHosts: boolean;
  listTasks: boolean;
  listTags: boolean;
  color: boolean;
  rolesPath: string[];
}

export async function runCommand(playbookFile: string, cli: RunCliOptions): Promise<number> {
  let prepared: PreparedRun;
  let extraVars: Record<string, unknown>;
  try {
    extraVars = parseExtraVars(cli.extraVars);
    prepared = prepareRun({ playbookFile, extraVars, rolesPath: cli.rolesPath, inventorySources: cli.inventory, ...(cli.vaultPasswordFile ? { vaultPasswordFile: cli.vaultPasswordFile } : {}), ...(cli.limit ? { limit: cli.limit } : {}), ...(cli.slice ? { slice: cli.slice } : {}) });
    for (const warning of prepared.inventory.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
    if (cli.slice && prepared.playHosts.every((hosts) => hosts.length === 0)) {
      process.stderr.write(`warning: slice ${cli.slice.index}/${cli.slice.count} holds no host (fewer hosts selected than slices)\n`);
    }
  } catch (err) {
    return reportStartError(err);
  }
  if (cli.syntaxCheck) {
    process.stdout.write(`playbook: ${prepared.playbook.file}: no problems found\n`);
    return EXIT.ok;
  }
  if (cli.listHosts || cli.listTasks || cli.listTags) {
    process.stdout.write(listPlaybook(prepared, { hosts: cli.listHosts, tasks: cli.listTasks, tags: cli.listTags }));
    return EXIT.ok;
  }

  const becomePassword = cli.askBecomePass ? await askPassword('BECOME password: ') : undefined;
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      process.stderr.write('\ninterrupted: finishing the tasks in flight (Ctrl-C again to quit now)\n');
      controller.abort();
    } else {
      // Quit now, and take the local commands along: they run in process groups of their own.
      const { pids } = killProcessGroups();
      const what = pids.length === 0 ? 'no local process was running' : `killed ${pids.length} local process${pids.length === 1 ? '' : 'es'} (pid${pids.length === 1 ? '' : 's'} ${pids.join(', ')})`;
      process.stderr.write(`\ninterrupted again: ${what}; quitting without a recap (remote hosts lose their connections; a command already running there is not killed)\n`);
      process.exit(EXIT.interrupted);
    }
  };
  process.on('SIGINT', onSigint);

  const options: RunOptions = {
    playbookFile,
    inventorySources: cli.inventory,
    ...(cli.vaultPasswordFile ? { vaultPasswordFile: cli.vaultPasswordFile } : {}),
    check: cli.check,
    diff: cli.diff,
    ...(cli.limit ? { limit: cli.limit } : {}),
    ...(cli.tags ? { tags: cli.tags } : {}),
    ...(cli.skipTags ? { skipTags: cli.skipTags } : {}),
    extraVars,
    rolesPath: cli.rolesPath,
    forks: cli.forks,
    hostKeyPolicy: cli.hostKeyPolicy,
    connectTimeoutMs: cli.timeout * 1000,
    ...(becomePassword !== undefined ? { becomePassword } : {}),
    verbosity: cli.verbose,
    reporter: chooseReporter({ output: cli.output, tty: Boolean(process.stdout.isTTY), verbosity: cli.verbose, diff: cli.diff, color: cli.color && Boolean(process.stdout.isTTY) }),
    signal: controller.signal,
    detailedExitCode: cli.detailedExitcode,
  };
  try {
    const summary = await runPlaybook(options, prepared);
    return summary.exitCode;
  } catch (err) {
    return reportStartError(err);
  } finally {
    process.off('SIGINT', onSigint);
  }
}

function reportStartError(err: unknown): number {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.problems.length} problem${err.problems.length === 1 ? '' : 's'} found; nothing was run:\n${err.message}\n`);
    return EXIT.invalidInput;
  }
  if (err instanceof RunnerError) {
    process.stderr.write(`error: ${err.message}\n`);
    return EXIT.invalidInput;
  }
  process.stderr.write(`internal error (a bug in quorum, please report it): ${(err as Error)?.stack ?? String(err)}\n`);
  return EXIT.internal;
}
