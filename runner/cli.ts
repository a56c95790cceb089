#!/usr/bin/env node
/**
 * The `quorum` command line: argument parsing only. Heavy modules are imported inside the
 * actions so that `quorum --version` and `--help` start fast.
 */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseSlice, type Slice } from './engine/slice.js';
// Type only: erased at run time, so `quorum --version` still loads no command's code.
import type { RunCliOptions } from './cli/run.js';

// `quorum lab status | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const pkg = JSON.parse(readFileSync(new URL(packageJsonUrl(), import.meta.url), 'utf8')) as { version: string };

const program = new Command('quorum')
  .description('Agentless playbook runner: Ansible-style inventories and playbooks, validated up front, run over SSH in parallel.')
  .version(pkg.version, '-V, --version')
  .showHelpAfterError()
  // A usage error (unknown option, bad option value, missing argument) is invalid input: exit 5
  // like any other (runner/exit-codes.ts), with commander's message naming the option. Help
  // and --version end with 0. Subcommands inherit this.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 5));

program
  .command('run')
  .description('Run a playbook against the hosts of an inventory.')
  .argument('<playbook>', 'playbook file (YAML)')
  .option('-i, --inventory <source>', 'inventory: a YAML or INI file, a directory, or a comma list of hosts (repeatable, merged in order); default: localhost only', (v: string, prev: string[]) => collect(nonEmpty(v), prev), [] as string[])
  .option('-C, --check', 'dry run: gather and plan, change nothing', false)
  .option('-D, --diff', 'show what changes (file content, attributes, certificates)', false)
  .option('-l, --limit <pattern>', 'only hosts matching this pattern (groups, globs, a:b, a:&b, a:!b)', nonEmpty)
  .option('--slice <K/N>', 'only the K-th of N stable slices of the selected hosts (by sorted name; K from 1), to split one run across machines (docs/scale.md)', toSlice)
  .option('-t, --tags <tags>', 'only tasks with these tags (comma-separated)', splitList)
  .option('--skip-tags <tags>', 'skip tasks with these tags (comma-separated)', splitList)
  .option('-e, --extra-vars <vars>', 'key=value, a JSON/YAML mapping, or @file (repeatable; highest precedence)', collect, [] as string[])
  .option('--vault-password-file <file>', 'decrypt the inventory\'s ansible-vault values and files with the password in this file')
  .option('--roles-path <dir>', 'also look for roles in this directory, after roles/ beside the playbook (repeatable; then QUORUM_ROLES_PATH and ANSIBLE_ROLES_PATH, colon-separated)', (v: string, prev: string[]) => collect(nonEmpty(v), prev), [] as string[])
  .option('-f, --forks <n>', 'hosts worked on in parallel (1 to 1000)', (v) => toInt(v, 1000), 50)
  .option('-v, --verbose', 'more output (repeat for more)', increase, 0)
  .addOption(new Option('-o, --output <kind>', 'output format').choices(['auto', 'plain', 'json', 'listr']).default('auto'))
  .addOption(new Option('--host-key-policy <policy>', 'check SSH host keys against known_hosts').choices(['strict', 'accept-new', 'off']).default('strict'))
  .option('-T, --timeout <seconds>', 'SSH connect timeout (1 to 3600)', (v) => toInt(v, 3600), 10)
  .option('-K, --ask-become-pass', 'ask for the sudo password once, before the run', false)
  .option('--detailed-exitcode', 'with --check: exit 10 when changes are pending (0 when none)', false)
  .option('--syntax-check', 'load and validate everything, touch no host, and exit', false)
  .option('--list-hosts', 'list the hosts of each play and exit', false)
  .option('--list-tasks', 'list the tasks of each play and exit', false)
  .option('--list-tags', 'list the tags of each play and exit', false)
  .option('--no-color', 'no ANSI colours')
  .action(async (playbook: string, opts: RunCliOptions) => {
    const { runCommand } = await import('./cli/run.js');
    process.exitCode = await runCommand(playbook, opts);
  });

program
  .command('recap')
  .description('Merge the `-o json` outputs of the slices of one run (`run --slice K/N`) into one recap and one exit code.')
  .argument('<files...>', "each slice's `quorum run -o json` output")
  .option('--no-color', 'no ANSI colours')
  .action(async (files: string[], opts: { color: boolean }) => {
    const { recapCommand } = await import('./cli/recap.js');
    process.exitCode = recapCommand(files, { color: opts.color && Boolean(process.stdout.isTTY) });
  });

program
  .command('inventory')
  .description('Print the inventory as loaded, in the JSON of ansible-inventory (--list, or --host NAME).')
  .option('-i, --inventory <source>', 'a YAML or INI file, a directory, or a comma list of hosts (repeatable, merged in order)', collect, [] as string[])
  .option('--list', 'every group and host, with _meta.hostvars', false)
  .option('--host <name>', "one host's merged variables")
  .option('--origins', 'with --host: also print where each variable was set (on stderr)', false)
  .option('--playbook-dir <dir>', "also read group_vars/ and host_vars/ of this playbook directory")
  .option('--vault-password-file <file>', "decrypt ansible-vault values and files with the password in this file")
  .action(async (opts: InventoryCommandOptions) => {
    const { inventoryCommand } = await import('./cli/inventory.js');
    process.exitCode = inventoryCommand(opts);
  });

// No top-level await: the bundle is also built as CommonJS (scripts/bundle.mjs).
void (async () => {
  const { registerDocCommands } = await import('./doc/command.js');
  registerDocCommands(program);
  const { registerLabCommand } = await import('./lab/command.js');
  registerLabCommand(program);
  await program.parseAsync(process.argv);
})();

export interface InventoryCommandOptions {
  inventory: string[];
  list: boolean;
  host?: string;
  origins: boolean;
  playbookDir?: string;
  vaultPasswordFile?: string;
}

function splitList(value: string, previous: string[] = []): string[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('write at least one name (comma-separated).');
  return [...previous, ...items];
}
/**
 * An empty -i or -l (`-l "$HOSTS"` with HOSTS unset) would silently mean "localhost" or "every
 * host": refused instead.
 */
function nonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('it is empty: write a value, or leave the option out.');
  return value;
}
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
/** A whole number from 1 to `max`, written in digits only ('10s', '1e3' and '0x10' are refused). */
function toInt(value: string, max: number): number {
  const n = /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  // InvalidArgumentError: commander reports it naming the option, instead of a stack trace.
  if (!(n >= 1 && n <= max)) throw new InvalidArgumentError(`write a whole number from 1 to ${max}.`);
  return n;
}
/** `--slice K/N`; a bad value is a usage error naming the option (exit 5). */
function toSlice(value: string): Slice {
  try {
    return parseSlice(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}
function increase(_: string, previous: number): number {
  return previous + 1;
}
/** dist/bundle/main.cjs and runner/cli.ts sit at different depths below package.json. */
function packageJsonUrl(): string {
  return import.meta.url.includes('/dist/') ? '../../package.json' : '../package.json';
}
