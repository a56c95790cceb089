/**
 * Benchmark (not a test): what one command round trip costs the controller's CPU, with every host
 * of a lab worked on at once, against the floor ssh2 itself sets. Issue 17: a changing task is
 * one or two round trips per host, so this is most of what a task costs on a first run.
 *
 *   node --import=tsx bench/round-trip.ts [STATE=.lab/state.json] [ROUNDS=50]
 *
 * Needs a lab (`quorum lab up --thin --hosts 100` is the intended one); STATE is its state.json.
 * Opens one connection per host, then, timed with process.cpuUsage() (this process only, every
 * thread), ROUNDS commands one after the other on each host, all hosts at once:
 *
 * - quorum: `true` through Connection.exec with sudo, the framed root shell every task uses
 *   (runner/connection/shell-session.ts): one packet out, two in (stdout and stderr trailers);
 * - ssh2 floor: one line written to `cat` on a raw ssh2 exec channel and its echo awaited: one
 *   packet out and one in, through ssh2 and Node's streams and nothing of quorum's;
 * - ssh2 floor, two streams: the line echoed on stdout and on stderr, both awaited: the packets
 *   of a framed command without the framing;
 * - and what the command's shape on the host adds, with the same controller code for all three
 *   (a raw channel to `sudo -n sh`, the two trailers found by a plain text search): only the two
 *   trailers printed; `true` in a subshell as runner/connection/frame.ts's encodeCommand runs it;
 *   `true` with its output through the session's FIFO relays (encodeIsolatedCommand, what quorum
 *   sends).
 *
 * Prints microseconds of controller CPU per round trip for each, alternating the kinds over three
 * passes and giving the median (this machine's speed drifts within minutes).
 */
import { readFileSync } from 'node:fs';
import type { ClientChannel } from 'ssh2';
import { buildSshConfig, openConnection } from '../runner/connection/connect.js';
import { connectRawClient } from '../runner/connection/ssh.js';
import { createMarker, encodeCommand, encodeIsolatedCommand, FIFO_BATCH, sessionSetup } from '../runner/connection/frame.js';
import type { Connection, ConnectionSpec } from '../runner/connection/types.js';

interface LabState {
  keyFile: string;
  knownHostsFile: string;
  user: string;
  hosts: { name: string; address: string }[];
}

const stateFile = process.argv[2] ?? new URL('../.lab/state.json', import.meta.url).pathname;
const rounds = Number(process.argv[3] ?? 50);
if (!(Number.isInteger(rounds) && rounds > 0)) throw new Error(`bench/round-trip: ROUNDS must be a whole number above 0, got ${process.argv[3]}`);
const lab = JSON.parse(readFileSync(stateFile, 'utf8')) as LabState;
const specs: ConnectionSpec[] = lab.hosts.map((h) => ({
  name: h.name,
  kind: 'ssh',
  address: h.address,
  port: 22,
  user: lab.user,
  privateKeyFile: lab.keyFile,
  knownHostsFile: lab.knownHostsFile,
  hostKeyPolicy: 'strict',
  connectTimeoutMs: 60_000,
}));

/** A raw exec channel on its own ssh2 client, running `command`. */
async function rawChannel(spec: ConnectionSpec, command: string): Promise<ClientChannel> {
  const client = await connectRawClient(spec, await buildSshConfig(spec, () => {}), () => undefined);
  return new Promise((resolve, reject) => client.exec(command, (err, channel) => (err ? reject(err) : resolve(channel))));
}

/** One line to the channel; resolves when it came back on stdout (and on stderr when `both`). */
function echo(channel: ClientChannel, line: string, both: boolean): Promise<void> {
  return new Promise((resolve) => {
    let waiting = both ? 2 : 1;
    const done = () => void (--waiting === 0 && resolve());
    channel.once('data', done);
    if (both) channel.stderr.once('data', done);
    channel.write(line);
  });
}

/** Microseconds of this process's CPU per round trip: `rounds` in turn on every host, hosts at once. */
async function cpuPerRoundTrip(trip: (host: number, round: number) => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await Promise.all(specs.map(async (_, host) => {
    for (let round = 0; round < rounds; round++) await trip(host, round);
  }));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / (specs.length * rounds);
}

const conns: Connection[] = await Promise.all(specs.map(async (spec) => {
  const conn = await openConnection(spec);
  await conn.exec('true', { sudo: true }); // the root shell opened before timing
  return conn;
}));
const cats = await Promise.all(specs.map((spec) => rawChannel(spec, 'cat')));
const twoStreams = 'while IFS= read -r l; do printf "%s\\n" "$l"; printf "%s\\n" "$l" >&2; done';
const echoes = await Promise.all(specs.map((spec) => rawChannel(spec, twoStreams)));

// The command's shape on the host, one root shell per host and kind, the same controller code.
const marker = createMarker();
const rootShell = async (spec: ConnectionSpec, setUp: boolean) => {
  const channel = await rawChannel(spec, 'sudo -n sh');
  if (setUp) channel.write(sessionSetup(marker));
  return { channel, seq: 0 };
};
const trailersOnly = await Promise.all(specs.map((spec) => rootShell(spec, false)));
const subshell = await Promise.all(specs.map((spec) => rootShell(spec, false)));
const relayed = await Promise.all(specs.map((spec) => rootShell(spec, true)));

/** Write a command; resolves once both streams have shown its marker (a plain text search). */
function framed(shell: { channel: ClientChannel; seq: number }, text: (seq: number) => string): Promise<void> {
  const seq = ++shell.seq;
  const tag = `${marker}${seq}`;
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    let waiting = 2;
    const onOut = (b: Buffer) => void ((out += b.toString('latin1')).includes(tag) && (shell.channel.removeListener('data', onOut), --waiting === 0) && resolve());
    const onErr = (b: Buffer) => void ((err += b.toString('latin1')).includes(tag) && (shell.channel.stderr.removeListener('data', onErr), --waiting === 0) && resolve());
    shell.channel.on('data', onOut);
    shell.channel.stderr.on('data', onErr);
    shell.channel.write(text(seq));
  });
}

const kinds = {
  'quorum: framed root shell, `true`': (host: number) => conns[host]!.exec('true', { sudo: true }),
  'ssh2 floor: a line echoed by cat': (host: number, round: number) => echo(cats[host]!, `line ${round}\n`, false),
  'ssh2 floor: echoed on stdout and stderr': (host: number, round: number) => echo(echoes[host]!, `line ${round}\n`, true),
  'shape: the two trailers only': (host: number) => framed(trailersOnly[host]!, (seq) => `printf '${marker}${seq}:0\\n'; printf '${marker}${seq}\\n' >&2\n`),
  'shape: `true` in a subshell': (host: number) => framed(subshell[host]!, (seq) => encodeCommand(marker, seq, 'true')),
  'shape: `true` through the FIFO relays': (host: number) => framed(relayed[host]!, (seq) => encodeIsolatedCommand(marker, seq, 'true', undefined, seq % FIFO_BATCH === 1 ? seq + FIFO_BATCH - 1 : undefined)),
};
const samples = new Map<string, number[]>(Object.keys(kinds).map((k) => [k, []]));
for (let pass = 0; pass < 3; pass++) {
  for (const [name, trip] of Object.entries(kinds)) samples.get(name)!.push(await cpuPerRoundTrip(trip));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`${specs.length} hosts at once, ${rounds} round trips each, 3 passes alternated; controller CPU per round trip (us):`);
for (const [name, xs] of samples) console.log(`  ${name.padEnd(44)} median ${median(xs).toFixed(0).padStart(4)}   (${xs.map((x) => x.toFixed(0)).join(', ')})`);
await Promise.all(conns.map((c) => c.close()));
process.exit(0);
