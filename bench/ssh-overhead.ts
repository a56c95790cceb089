/**
 * Benchmark (not a test): cost per command of the persistent framed shell versus a new exec
 * channel per command, on one spare lab host. Prints medians in ms per command.
 *
 *   node --import=tsx bench/ssh-overhead.ts [N=2000] [M=50]
 *
 * Needs the lab (`quorum lab up`); uses the first host of the `spare` group. The lab's state file
 * is <project>/.lab/state.json unless QUORUM_BENCH_LAB_STATE names another (bench/run.ts points
 * it at the bench's own lab).
 */
import { readFileSync } from 'node:fs';
import { openConnection } from '../runner/connection/connect.js';
import { SshConnection } from '../runner/connection/ssh.js';

interface LabState {
  keyFile: string;
  knownHostsFile: string;
  user: string;
  hosts: { name: string; address: string; group: string }[];
}

const persistentRuns = Number(process.argv[2] ?? 2000);
const channelRuns = Number(process.argv[3] ?? 50);

/** Median and total of `runs` sequential calls, in ms. */
async function measure(runs: number, call: () => Promise<unknown>): Promise<{ median: number; mean: number }> {
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await call();
    times.push(performance.now() - t0);
  }
  const total = performance.now() - started;
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)]!, mean: total / runs };
}

const stateFile = process.env.QUORUM_BENCH_LAB_STATE ?? new URL('../.lab/state.json', import.meta.url).pathname;
const lab = JSON.parse(readFileSync(stateFile, 'utf8')) as LabState;
const host = lab.hosts.find((h) => h.group === 'spare');
if (!host) throw new Error(`no spare host in ${stateFile}: run \`quorum lab up --hosts 4\` (or more) first`);

const connectStarted = performance.now();
const conn = await openConnection({
  name: host.name,
  kind: 'ssh',
  address: host.address,
  port: 22,
  user: lab.user,
  privateKeyFile: lab.keyFile,
  knownHostsFile: lab.knownHostsFile,
  hostKeyPolicy: 'strict',
  connectTimeoutMs: 10_000,
});
const connectMs = performance.now() - connectStarted;
if (!(conn instanceof SshConnection)) throw new Error('expected an SSH connection');

// Warm up both shells so session start-up is not counted as per-command cost.
await conn.exec('true');
await conn.exec('true', { sudo: true });

const shell = await measure(persistentRuns, () => conn.exec('true'));
const sudoShell = await measure(persistentRuns, () => conn.exec('true', { sudo: true }));
const channel = await measure(channelRuns, () => conn.execOnNewChannel('true'));
const sudoChannel = await measure(channelRuns, () => conn.execOnNewChannel('sudo -n true'));
await conn.close();

const fmt = (n: number) => n.toFixed(3).padStart(8);
console.log(`host ${host.name} (${host.address}), connect ${connectMs.toFixed(1)} ms`);
console.log(`                                      runs  median ms   mean ms`);
console.log(`persistent sh        \`true\`          ${String(persistentRuns).padStart(5)}  ${fmt(shell.median)}  ${fmt(shell.mean)}`);
console.log(`persistent sudo sh   \`true\`          ${String(persistentRuns).padStart(5)}  ${fmt(sudoShell.median)}  ${fmt(sudoShell.mean)}`);
console.log(`new exec channel     \`true\`          ${String(channelRuns).padStart(5)}  ${fmt(channel.median)}  ${fmt(channel.mean)}`);
console.log(`new exec channel     \`sudo -n true\`  ${String(channelRuns).padStart(5)}  ${fmt(sudoChannel.median)}  ${fmt(sudoChannel.mean)}`);
console.log(`speed-up (median): ${(channel.median / shell.median).toFixed(0)}x`);
