/**
 * The `lab` command group for the CLI: `lab up [--hosts N]`, `lab down`, `lab status`,
 * `lab ssh HOST [cmd...]`. runner/cli.ts calls `registerLabCommand(program)`.
 */
import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { sshOptions } from './access.js';
import { labDown, labStatus, labUp } from './lab.js';
import { labPaths } from './paths.js';
import { readLabState } from './state.js';

export { labDown, labStatus, labUp } from './lab.js';
export type { LabStatus, LabHostStatus, LabUpOptions } from './lab.js';
export type { LabState, LabHostState } from './state.js';

/** Add the `lab` subcommands to `program`. Failures set a non-zero exit code with one clear message. */
export function registerLabCommand(program: Command): void {
  const lab = program.command('lab').description('real hosts on this machine (systemd-nspawn, root only) for tests and demos');
  lab
    .command('up')
    .description('start the lab (default 3 hosts) or resize it; writes .lab/inventory.yaml')
    .option('--hosts <n>', 'number of hosts: infra0..infra(N-1); the first 3 form group etcd', '3')
    .action((o: { hosts: string }) => runAction(async () => printUp(await labUp({ hosts: parseHostCount(o.hosts) }))));
  lab
    .command('down')
    .description('stop every host and remove the network and .lab/ (the cached root filesystem stays)')
    .action(() => runAction(() => labDown()));
  lab
    .command('status')
    .description('show the hosts and whether each runs and answers on port 22')
    .action(() => runAction(printStatus));
  lab
    .command('ssh')
    .description('open a shell on a lab host, or run a command there, as the lab user')
    .argument('<host>', 'host name, e.g. infra0')
    .argument('[cmd...]', 'command to run instead of a shell')
    .action((host: string, cmd: string[]) => runAction(() => sshToHost(host, cmd)));
}

/** Parse `--hosts`, rejecting "3x" and "", which parseInt would accept or turn into NaN. */
function parseHostCount(text: string): number {
  if (!/^\d+$/.test(text)) throw new Error(`lab: --hosts expects a whole number, got "${text}"`);
  return Number(text);
}

async function runAction(action: () => Promise<unknown>): Promise<void> {
  try {
    await action();
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = process.exitCode || 1;
  }
}

function printUp(state: Awaited<ReturnType<typeof labUp>>): void {
  for (const h of state.hosts) process.stdout.write(`${h.name}\t${h.address}\t${h.group}\n`);
  process.stdout.write(`inventory: ${state.inventory}\n`);
}

async function printStatus(): Promise<void> {
  const status = await labStatus();
  if (!status.state) {
    process.stdout.write('lab: not up (run `lab up`)\n');
    process.exitCode = 3;
    return;
  }
  for (const h of status.hosts) {
    process.stdout.write(`${h.name}\t${h.address}\t${h.group}\tpid ${h.pid}\t${h.running ? 'running' : 'STOPPED'}\t${h.sshPort ? 'ssh' : 'NO SSH'}\n`);
  }
  if (!status.up) process.exitCode = 3;
}

/** Hand the terminal to the system ssh client with the lab's key and known_hosts. */
async function sshToHost(host: string, cmd: string[]): Promise<void> {
  const paths = labPaths();
  const state = await readLabState(paths);
  const entry = state?.hosts.find((h) => h.name === host);
  if (!state || !entry) throw new Error(state ? `lab: no host ${host}; hosts are ${state.hosts.map((h) => h.name).join(', ')}` : 'lab: not up (run `lab up`)');
  // An interactive shell may prompt (e.g. a changed host key); a command must never hang on one.
  const options = sshOptions(paths).map((o) => (o === 'BatchMode=yes' && cmd.length === 0 ? 'BatchMode=no' : o));
  const argv = [...options, ...(cmd.length === 0 ? ['-t'] : []), `${state.user}@${entry.address}`, ...cmd];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn('ssh', argv, { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (c) => resolve(c ?? 255));
  });
  process.exitCode = code;
}
