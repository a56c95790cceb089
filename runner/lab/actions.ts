/** What the `lab` subcommands do (runner/lab/command.ts wires them to the CLI). */
import { spawn } from 'node:child_process';
import { sshOptions } from './access.js';
import { labDown, labStatus, labUp } from './lab.js';
import { labPaths } from './paths.js';
import { readLabState } from './state.js';

export async function up(hosts: number, nodeTools?: string, thin = false): Promise<void> {
  printUp(await labUp({ hosts, nodeTools, thin }));
}

export async function down(): Promise<void> {
  await labDown();
}

export { printStatus as status, sshToHost as ssh };

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
  const kind = status.state.thin ? '\tthin' : '';
  for (const h of status.hosts) {
    process.stdout.write(`${h.name}\t${h.address}\t${h.group}\tpid ${h.pid}\t${h.running ? 'running' : 'STOPPED'}\t${h.sshPort ? 'ssh' : 'NO SSH'}${kind}\n`);
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
