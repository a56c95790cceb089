/**
 * execConcurrently (runner/connection/concurrent.ts) on the real local shell: commands really
 * overlap, each result keeps its own exit status and exact stdout/stderr bytes, and output that
 * imitates the markers cannot confuse the parser.
 */
import test from 'ava';
import { LocalConnection } from '../../runner/connection/local.js';
import { execConcurrently, parseConcurrentOutput } from '../../runner/connection/concurrent.js';

const conn = new LocalConnection('controller');

test('each command keeps its own exit status and exact output bytes, in order', async (t) => {
  const results = await execConcurrently(conn, [
    ['sh', '-c', 'printf "no newline"; printf "to stderr\\n" >&2; exit 3'],
    ['printf', '%s', ''],
    ['sh', '-c', 'printf "\\n\\nlines\\n\\n"'],
    ['no-such-command-quorum'],
  ]);
  t.is(results.length, 4);
  t.is(results[0]!.exitCode, 3);
  t.is(results[0]!.stdout.toString(), 'no newline');
  t.is(results[0]!.stderr.toString(), 'to stderr\n');
  t.is(results[1]!.exitCode, 0);
  t.is(results[1]!.stdout.length, 0);
  t.is(results[2]!.stdout.toString(), '\n\nlines\n\n');
  t.is(results[3]!.exitCode, 127);
});

test('the commands run at the same time, not one after another', async (t) => {
  // Each waits until all three have started: run one after another, the first would wait forever.
  const dir = (await conn.exec('mktemp -d')).stdout.toString().trim();
  const argv = (i: number) => ['sh', '-c', `touch ${dir}/${i}; n=0; while [ $(ls ${dir} | wc -l) -lt 3 ] && [ $n -lt 100 ]; do sleep 0.05; n=$((n+1)); done; [ $n -lt 100 ] && echo together`];
  const results = await execConcurrently(conn, [argv(0), argv(1), argv(2)]);
  t.deepEqual(results.map((r) => r.stdout.toString().trim()), ['together', 'together', 'together']);
  await conn.exec(['rm', '-rf', dir]);
});

test('env reaches every command; output that looks like a marker stays output', async (t) => {
  const results = await execConcurrently(conn, [['sh', '-c', 'echo "$QUORUM_X"; echo "_QCdeadbeef_ 0 out 0"']], { env: { QUORUM_X: 'value' } });
  t.is(results[0]!.stdout.toString(), 'value\n_QCdeadbeef_ 0 out 0\n');
});

test('output cut short is an error, not a silent empty result', (t) => {
  const marker = '_QCtest_';
  t.throws(() => parseConcurrentOutput(Buffer.from(`\n${marker} 0 out 0\nhello`), marker, 1, 1), { message: /expected "0 err"/ });
  t.throws(() => parseConcurrentOutput(Buffer.from('nothing'), marker, 1, 1), { message: /no output markers/ });
});

test('on a framed shell with a FIFO directory ($q_d), the outputs are written there and emptied, with no mktemp and one cat', async (t) => {
  const dir = (await conn.exec('mktemp -d')).stdout.toString().trim();
  // What frame.ts sessionSetup leaves in the shell: a private directory in $q_d. A `cat` and a
  // `mktemp` on PATH before the real ones count their runs.
  const bin = (await conn.exec('mktemp -d')).stdout.toString().trim();
  for (const tool of ['cat', 'mktemp']) {
    await conn.exec(['sh', '-c', `printf '#!/bin/sh\\necho %s >> %s/runs\\nexec /usr/bin/%s "$@"\\n' ${tool} ${bin} ${tool} > ${bin}/${tool} && chmod 755 ${bin}/${tool}`]);
  }
  const shell = { ...conn, host: conn.host, exec: (command: string | readonly string[], options = {}) => conn.exec(`q_d=${dir} PATH=${bin}:$PATH; ${String(command)}`, options) } as typeof conn;
  const results = await execConcurrently(shell, [['sh', '-c', 'printf one; exit 4'], ['sh', '-c', 'printf two >&2']]);
  t.deepEqual(results.map((r) => [r.exitCode, r.stdout.toString(), r.stderr.toString()]), [[4, 'one', ''], [0, '', 'two']]);
  t.deepEqual((await conn.exec(['cat', `${bin}/runs`])).stdout.toString().split('\n').filter(Boolean), ['cat']);
  const left = (await conn.exec(['sh', '-c', `for f in ${dir}/*; do printf '%s %s\\n' "$(wc -c < "$f")" "\${f##*/}"; done`])).stdout.toString();
  t.regex(left, /^(0 _QC[0-9a-f]{32}_\.[01]\.(out|err)\n){4}$/, 'four files, emptied, named by the marker');
  await conn.exec(['rm', '-rf', dir, bin]);
});
