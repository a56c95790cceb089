/**
 * Each command's output is its own over real SSH (issue 13 item 11): what a background job
 * prints belongs to the command that started it, never to the next command on the same
 * persistent shell, as the login user and as root. The FIFOs and relays behind it
 * (frame.ts sessionSetup) leave nothing behind on the host: not when the connection closes, not
 * when a command kills the shell itself.
 */
import anyTest from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { openConnection } from '../../runner/connection/connect.js';
import type { Connection } from '../../runner/connection/types.js';
import { labHosts, labState, rootSh } from '../helpers/lab.js';

const test = anyTest.serial;
const host = labHosts('etcd')[1]!;

function connect(): Promise<Connection> {
  const lab = labState();
  return openConnection({ name: host.name, kind: 'ssh', address: host.address, port: 22, user: lab.user, privateKeyFile: lab.keyFile, knownHostsFile: lab.knownHostsFile, hostKeyPolicy: 'strict', connectTimeoutMs: 10_000 });
}

/** The session directories and relay processes left on the host, polled until none (10 s). */
async function leftovers(): Promise<string> {
  let left = '';
  for (let i = 0; i < 100; i++) {
    left = await rootSh(host, 'ls -d /tmp/.quorum-sh?* 2>/dev/null; pgrep -a -f "/tmp/.quorum-sh[.]" || true');
    if (left === '') return '';
    await sleep(100);
  }
  return left;
}

test('a background job\'s output stays with its command, as the login user and as root', async (t) => {
  t.is(await leftovers(), '', 'nothing left by an earlier run');
  const conn = await connect();
  try {
    for (const sudo of [false, true]) {
      const first = await conn.exec('(sleep 0.3; echo LEAK; echo LEAK2 >&2) & echo started', { sudo });
      t.is(first.stdout.toString(), 'started\nLEAK\n', `sudo ${sudo}`);
      t.is(first.stderr.toString(), 'LEAK2\n');
      const quiet = await conn.exec('nohup sleep 30 >/dev/null 2>&1 & echo started', { sudo });
      t.is(quiet.stdout.toString(), 'started\n', 'a job whose output goes elsewhere does not hold its command');
      const next = await conn.exec('echo next', { sudo });
      t.is(next.stdout.toString(), 'next\n');
      t.is(next.stderr.toString(), '');
    }
    // Past one batch of FIFOs (64 commands), framing and order hold.
    for (let i = 0; i < 70; i++) t.is((await conn.exec(`echo ${i}`)).stdout.toString(), `${i}\n`);
  } finally {
    await conn.close();
  }
  t.is(await leftovers(), '', 'no FIFO directory and no relay left after close');
});

test('a command that kills its own shell: its output comes back, the next command gets a new shell, no relay is left', async (t) => {
  const conn = await connect();
  try {
    const killed = await conn.exec('echo bye; kill -9 $$');
    t.not(killed.exitCode, 0);
    t.is(killed.stdout.toString(), 'bye\n');
    t.is((await conn.exec('echo again')).stdout.toString(), 'again\n');
  } finally {
    await conn.close();
  }
  t.is(await leftovers(), '');
});
