/**
 * One host printing 1 GB over real SSH (issue 13 item 8): through the built CLI, the host's task
 * ends with the head and the tail of its output and a note of what was dropped, the two other
 * hosts finish their tasks, the recap is printed, and the controller's peak RSS (VmHWM of the
 * quorum process, read from /proc while it runs) stays under 300 MB. Before the cap the same
 * kind of run ended with exit 1 ("Cannot create a string longer than ...") at 1.2 GB RSS.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labHosts, labInventoryPath } from '../helpers/lab.js';
import { PROJECT_DIR } from '../helpers/quorum.js';
import { createTempInventoryDir } from '../helpers/inventory.js';
import type { RunEvent } from '../../runner/report/events.js';

const GB = 1_000_000_000;
const RSS_LIMIT_KB = 300 * 1024;
const spare = labHosts('spare').slice(0, 3);
const temp = createTempInventoryDir('quorum-output-cap-');

test.after.always(() => temp.remove());

/** Run the built `quorum` with ARGS; its stdout, exit code and peak RSS (kB, from /proc VmHWM). */
function runMeasured(args: string[]): Promise<{ code: number; stdout: string; stderr: string; peakKb: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(PROJECT_DIR, 'dist/bundle/quorum.cjs'), args, { cwd: PROJECT_DIR, env: { ...process.env, CI: 'true' } });
    let stdout = '';
    let stderr = '';
    let peakKb = 0;
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    // The launcher is a sh script that execs node: the pid is node's once it runs.
    const timer = setInterval(() => {
      try {
        const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
      } catch {
        // exited between two samples
      }
    }, 50);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ code: code ?? 1, stdout, stderr, peakKb });
    });
  });
}

test('a host printing 1 GB: its task ends capped with a note, the two others finish, the recap is printed, controller RSS under 300 MB', async (t) => {
  t.timeout(600_000);
  if (spare.length < 3) return t.fail('this test needs the spare hosts infra3..infra5: `quorum lab up --hosts 6`');
  const [loud, ...quiet] = spare.map((h) => h.name);
  const playbook = join(temp.dir, 'loud.yaml');
  writeFileSync(
    playbook,
    `- hosts: spare
  gather_facts: false
  tasks:
    - name: print
      command: { argv: [sh, -c, 'if [ "$0" = ${loud} ]; then head -c ${GB} /dev/zero; printf END; else echo small; fi', "{{ inventory_hostname }}"] }
      register: out
    - name: after
      debug: { msg: "{{ inventory_hostname }} goes on; dropped {{ default out.output_dropped 'nothing' }}" }
`,
  );
  const started = performance.now();
  const r = await runMeasured(['run', playbook, '-i', labInventoryPath(), '-o', 'json']);
  const seconds = (performance.now() - started) / 1000;
  t.log(`1 GB from ${loud} over SSH: ${seconds.toFixed(1)} s, controller peak RSS ${(r.peakKb / 1024).toFixed(0)} MB`);
  t.is(r.code, 0, r.stderr.slice(-2000));
  const events = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as RunEvent);
  const results = events.filter((e): e is Extract<RunEvent, { kind: 'task:host' }> => e.kind === 'task:host');
  const printed = results.find((e) => e.task === 'print' && e.host === loud)!;
  t.is(printed.status, 'changed');
  const dropped = GB + 3 - 2 * 1024 * 1024;
  t.deepEqual(printed.result?.['output_dropped'], { stdout: dropped, stderr: 0 });
  const stdout = printed.result?.['stdout'] as string;
  t.true(stdout.endsWith('\0END'), 'the tail is kept');
  t.true(stdout.includes(`\n[quorum: ${dropped} bytes of output dropped here;`));
  for (const host of quiet) {
    t.is(results.find((e) => e.task === 'print' && e.host === host)?.result?.['stdout'], 'small');
    t.is(results.find((e) => e.task === 'after' && e.host === host)?.msg, `${host} goes on; dropped nothing`);
  }
  t.truthy(results.find((e) => e.task === 'after' && e.host === loud), 'the loud host goes on too');
  const end = events.find((e) => e.kind === 'run:end');
  t.truthy(end, 'the run ends with its recap');
  t.true(r.peakKb > 0, 'RSS was sampled');
  t.true(r.peakKb < RSS_LIMIT_KB, `controller peak RSS ${r.peakKb} kB`);
});
