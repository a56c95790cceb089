/**
 * Output per command is bounded (issue 13, item 8): a host printing hundreds of megabytes ends
 * its task with the head and the tail of its output and a note of how much was dropped, and the
 * controller's memory does not grow with it, so the run goes on for every host. The collector
 * on its own, then the real local connection, a real framed sh (the SSH transport's shell), and
 * a whole run on three local hosts.
 */
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { CappedOutput, OUTPUT_KEEP_BYTES } from '../../runner/connection/capped-output.js';
import { LocalConnection } from '../../runner/connection/local.js';
import { ShellSession, type ShellPipes } from '../../runner/connection/shell-session.js';
import { runEngine } from '../helpers/quorum.js';
import { localShellPipes } from '../helpers/local-shell.js';
import { writeScenario } from '../fixtures/playbooks/engine/scenario.js';

const HALF = OUTPUT_KEEP_BYTES / 2;
/** `seq 1 N` prints this many bytes. */
const SEQ_N = 25_000_000;
/** Generous: the output is ~214 MB; keeping it (or a string of it) would pass this several times over. */
const RSS_GROWTH_LIMIT = 300 * 1024 * 1024;

/** The first `bytes` bytes and the last `bytes` bytes of `seq 1 n`, and its total size. */
function seqParts(n: number, bytes: number): { head: Buffer; tail: Buffer; total: number } {
  let head = '';
  for (let i = 1; head.length < bytes; i++) head += `${i}\n`;
  let tail = '';
  for (let i = n; tail.length < bytes; i--) tail = `${i}\n${tail}`;
  let total = 0;
  for (let digits = 1, from = 1; from <= n; digits++, from *= 10) total += (Math.min(n, from * 10 - 1) - from + 1) * (digits + 1);
  return { head: Buffer.from(head.slice(0, bytes)), tail: Buffer.from(tail.slice(-bytes)), total };
}

/** Peak RSS growth while `work` runs, sampled every 20 ms. */
async function peakRssGrowth<T>(work: () => Promise<T>): Promise<{ value: T; growth: number }> {
  global.gc?.();
  const start = process.memoryUsage.rss();
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  try {
    const value = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { value, growth: peak - start };
  } finally {
    clearInterval(timer);
  }
}

function expectCapped(t: import('ava').ExecutionContext, stdout: Buffer, expected: { head: Buffer; tail: Buffer; total: number }): void {
  const dropped = expected.total - OUTPUT_KEEP_BYTES;
  t.deepEqual(stdout.subarray(0, HALF), expected.head, 'the head is kept byte for byte');
  t.deepEqual(stdout.subarray(stdout.length - HALF), expected.tail, 'the tail is kept byte for byte');
  const note = stdout.subarray(HALF, stdout.length - HALF).toString();
  t.is(note, `\n[quorum: ${dropped} bytes of output dropped here; the first ${HALF} and the last ${HALF} bytes are kept]\n`);
}

test('the collector keeps the first and last halves exactly and counts the rest, for any chunking', (t) => {
  for (const keep of [1, 2, 7, 64, 1000]) {
    for (const size of [0, 1, keep - 1, keep, keep + 1, 3 * keep + 5, 10_000]) {
      if (size < 0) continue;
      const data = randomBytes(size);
      for (const chunk of [1, 3, 17, 4096]) {
        const c = new CappedOutput(keep);
        for (let i = 0; i < size; i += chunk) c.push(data.subarray(i, i + chunk));
        const head = Math.floor(keep / 2);
        const tail = keep - head;
        if (size <= keep) {
          t.deepEqual(c.bytes(), data, `keep ${keep}, size ${size}, chunk ${chunk}`);
          t.is(c.dropped, 0);
        } else {
          t.is(c.dropped, size - keep, `keep ${keep}, size ${size}, chunk ${chunk}`);
          const out = c.bytes();
          t.deepEqual(out.subarray(0, head), data.subarray(0, head));
          t.deepEqual(out.subarray(out.length - tail), data.subarray(size - tail));
          t.true(out.subarray(head, out.length - tail).toString().includes(`${size - keep} bytes of output dropped`));
        }
      }
    }
  }
  const all = new CappedOutput(Infinity);
  const big = randomBytes(100_000);
  all.push(big);
  t.deepEqual(all.bytes(), big, 'Infinity keeps everything');
});

test.serial('the local connection keeps the head and tail of 214 MB of output; memory stays bounded', async (t) => {
  const expected = seqParts(SEQ_N, HALF);
  const conn = new LocalConnection();
  const { value: r, growth } = await peakRssGrowth(() => conn.exec(['seq', '1', String(SEQ_N)]));
  t.log(`local exec of ${expected.total} bytes: peak RSS growth ${(growth / 1048576).toFixed(1)} MB, kept ${r.stdout.length} bytes`);
  t.is(r.exitCode, 0);
  t.deepEqual(r.dropped, { stdout: expected.total - OUTPUT_KEEP_BYTES, stderr: 0 });
  expectCapped(t, r.stdout, expected);
  t.true(growth < RSS_GROWTH_LIMIT, `peak RSS grew ${growth} bytes`);
  // Reading a whole file keeps it whole: the cap is for commands, not for what was asked in full.
  const whole = await conn.exec(['head', '-c', String(3 * OUTPUT_KEEP_BYTES), '/dev/zero'], { keepOutput: Infinity });
  t.is(whole.stdout.length, 3 * OUTPUT_KEEP_BYTES);
  t.is(whole.dropped, undefined);
});

/** A real local sh behind the ShellPipes interface (the SSH transport's persistent shell). */
const localShell = (): ShellPipes => localShellPipes();

test.serial('the framed shell keeps the head and tail on both streams, and the next command on it is framed right', async (t) => {
  const s = await ShellSession.start(localShell());
  const n = 5_000_000;
  const expected = seqParts(n, HALF);
  const { value: r, growth } = await peakRssGrowth(() => s.run(`seq 1 ${n}; seq 1 ${n} >&2; exit 3`));
  t.log(`framed shell, ${expected.total} bytes on each stream: peak RSS growth ${(growth / 1048576).toFixed(1)} MB`);
  t.is(r.exitCode, 3);
  t.deepEqual(r.dropped, { stdout: expected.total - OUTPUT_KEEP_BYTES, stderr: expected.total - OUTPUT_KEEP_BYTES });
  expectCapped(t, r.stdout, expected);
  expectCapped(t, r.stderr, expected);
  const next = await s.run('printf after');
  t.is(next.stdout.toString(), 'after');
  t.is(next.dropped, undefined);
  const timedOut = await s.run('seq 1 100000000', { timeoutMs: 1500 });
  t.true(timedOut.timedOut);
  t.true(timedOut.stdout.length <= OUTPUT_KEEP_BYTES + 200, `a timed-out command keeps ${timedOut.stdout.length} bytes`);
  s.destroy();
});

test.serial('a host printing 214 MB does not stop the run: its task ends capped with a note, the other hosts finish', async (t) => {
  const expected = seqParts(SEQ_N, HALF);
  const s = writeScenario(`
- hosts: nodes
  gather_facts: false
  tasks:
    - name: print
      command: { argv: [sh, -c, 'if [ "$0" = a ]; then seq 1 ${SEQ_N}; else echo small; fi', "{{ inventory_hostname }}"] }
      register: out
    - name: after
      debug: { msg: "{{ inventory_hostname }} goes on" }
`);
  const { value: run, growth } = await peakRssGrowth(() => runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile }));
  t.log(`whole run, host a printing ${expected.total} bytes: peak RSS growth ${(growth / 1048576).toFixed(1)} MB`);
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().filter((e) => e.status === 'failed').map((e) => e.msg)));
  for (const host of ['a', 'b', 'c']) t.is(run.results('after', host)[0]?.msg, `${host} goes on`);
  const printed = run.results('print', 'a')[0]!.result!;
  t.deepEqual(printed['output_dropped'], { stdout: expected.total - OUTPUT_KEEP_BYTES, stderr: 0 });
  const stdout = printed['stdout'] as string;
  t.true(stdout.startsWith(expected.head.toString()));
  t.true(stdout.endsWith(expected.tail.toString().replace(/\n$/, '')));
  t.true(stdout.includes(`\n[quorum: ${expected.total - OUTPUT_KEEP_BYTES} bytes of output dropped here;`));
  t.is(run.results('print', 'b')[0]!.result!['stdout'], 'small');
  t.is(run.results('print', 'b')[0]!.result!['output_dropped'], undefined);
  t.true(growth < RSS_GROWTH_LIMIT, `peak RSS grew ${growth} bytes`);
});
