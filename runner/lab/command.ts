/**
 * The `lab` command group for the CLI: `lab up [--hosts N]`, `lab down`, `lab status`,
 * `lab ssh HOST [cmd...]`. runner/cli.ts calls `registerLabCommand(program)`. The lab's code
 * is imported only when a lab command runs, so `quorum --version` does not load it.
 */
import type { Command } from 'commander';

const actions = () => import('./actions.js');

/** Add the `lab` subcommands to `program`. Failures set a non-zero exit code with one clear message. */
export function registerLabCommand(program: Command): void {
  const lab = program.command('lab').description('real hosts on this machine (systemd-nspawn, root only) for tests and demos');
  lab
    .command('up')
    .description('start the lab (default 3 hosts) or resize it; writes .lab/inventory.yaml')
    .option('--hosts <n>', 'number of hosts: infra0..infra(N-1); the first 3 form group etcd', '3')
    .option('--node-tools <dir>', 'Kubernetes node hosts (kubelet, kubeadm, containerd) with the tools scripts/build-k8s-tools.sh built in <dir>')
    .option('--thin', 'benchmark aid: thin hosts, only sshd in their own namespaces over the shared image (no systemd), up to 1000', false)
    .action((o: { hosts: string; nodeTools?: string; thin: boolean }) => runAction(async () => (await actions()).up(parseHostCount(o.hosts), o.nodeTools, o.thin)));
  lab
    .command('down')
    .description('stop every host and remove the network and .lab/ (the cached root filesystem stays)')
    .action(() => runAction(async () => (await actions()).down()));
  lab
    .command('status')
    .description('show the hosts and whether each runs and answers on port 22')
    .action(() => runAction(async () => (await actions()).status()));
  lab
    .command('ssh')
    .description('open a shell on a lab host, or run a command there, as the lab user')
    .argument('<host>', 'host name, e.g. infra0')
    .argument('[cmd...]', 'command to run instead of a shell')
    .action((host: string, cmd: string[]) => runAction(async () => (await actions()).ssh(host, cmd)));
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

