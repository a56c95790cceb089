/**
 * A second Ctrl-C quits now and leaves no local child running (issue 13 item 11). The built
 * executable runs a playbook on the controller (ansible_connection: local) whose command starts
 * a real process tree (a shell, a background sleep, a foreground sleep); SIGINT once (the run
 * finishes the tasks in flight), SIGINT again: quorum must kill the whole tree, say so, and exit
 * 99. Before, the second Ctrl-C exited and the three processes kept running.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PROJECT_DIR, runBuiltCli } from '../helpers/quorum.js';

/** Alive and not a zombie waiting to be reaped. */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function waitFor<T>(what: string, probe: () => T | undefined, seconds = 60): Promise<T> {
  for (let i = 0; i < seconds * 20; i++) {
    const value = probe();
    if (value !== undefined) return value;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('the second SIGINT kills every local child process and exits 99 saying what it killed', async (t) => {
  await runBuiltCli(['--version']); // fails the test when dist/ is older than the sources
  const dir = mkdtempSync(join(tmpdir(), 'quorum-interrupt-'));
  const pids = join(dir, 'pids');
  writeFileSync(join(dir, 'inventory.yaml'), 'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n');
  writeFileSync(
    join(dir, 'play.yaml'),
    [
      '- hosts: all',
      '  tasks:',
      '    - name: a process tree that would outlive quorum',
      `      command: "sleep 300 & echo $! >> ${pids}; echo $$ >> ${pids}; exec sleep 301"`,
      '',
    ].join('\n'),
  );
  const cli = spawn(join(PROJECT_DIR, 'dist/bundle/quorum.cjs'), ['run', join(dir, 'play.yaml'), '-i', join(dir, 'inventory.yaml'), '-o', 'plain', '--no-color'], { cwd: PROJECT_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  cli.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  cli.stdout.resume();
  const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
  const tree = await waitFor('the task\'s processes', () => {
    if (cli.exitCode !== null) throw new Error(`quorum exited ${cli.exitCode} before the task ran: ${stderr}`);
    const list = existsSync(pids) ? readFileSync(pids, 'utf8').trim().split('\n').filter(Boolean).map(Number) : [];
    return list.length === 2 && list.every(running) ? list : undefined;
  });
  try {
    cli.kill('SIGINT');
    await waitFor('the first interrupt\'s notice', () => (stderr.includes('Ctrl-C again to quit now') ? true : undefined));
    t.true(tree.every(running), 'the first Ctrl-C lets the task in flight run');
    cli.kill('SIGINT');
    const code = await exited;
    t.is(code, 99);
    t.regex(stderr, /interrupted again: killed 2 local processes? \(pids? [\d, ]+\)/);
    await waitFor('the processes to end', () => (tree.every((p) => !running(p)) ? true : undefined), 5).catch(() => undefined);
    t.deepEqual(tree.filter(running), [], `still running: ${tree.filter(running).join(', ')}\n${stderr}`);
  } finally {
    for (const pid of tree) if (running(pid)) process.kill(pid, 'SIGKILL');
    cli.kill('SIGKILL');
  }
});
