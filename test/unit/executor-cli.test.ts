/**
 * The engine through the real CLI (a child process): exit codes, Ctrl-C, -v and --output json.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_DIR, runCli } from '../helpers/quorum.js';
import { writeScenario, type Scenario } from '../fixtures/playbooks/engine/scenario.js';

function scenario(tasks: string, hosts: Record<string, Record<string, unknown>> = { a: {}, b: {} }): Scenario {
  return writeScenario(`- hosts: nodes\n  gather_facts: false\n  tasks:\n${tasks}`, { hosts });
}

function cli(s: Scenario, ...args: string[]) {
  return runCli(['run', s.playbookFile, '-i', s.inventoryFile, '--output', 'plain', ...args]);
}

const MKDIR = `    - name: mkdir
      file: { path: "{{ workdir }}/{{ inventory_hostname }}/made", state: directory }
`;

test('exit 0 when every host is ok', async (t) => {
  const s = scenario(MKDIR);
  const r = await cli(s);
  t.is(r.code, 0, r.stderr);
  t.true(existsSync(join(s.workdir, 'b/made')));
  t.regex(r.stdout, /PLAY RECAP/);
});

test('exit 2 when a host failed a task', async (t) => {
  const r = await cli(scenario(`    - name: fail on b\n      command: { argv: [test, "{{ inventory_hostname }}", "!=", "b"] }\n`));
  t.is(r.code, 2, r.stderr);
  t.regex(r.stdout, /failed: \[b\]/);
});

test('exit 5 on an invalid playbook: located error, nothing run', async (t) => {
  const s = scenario(`${MKDIR}    - name: bad\n      debug: { msg: x }\n      loop_contrl: { loop_var: y }\n`);
  const r = await cli(s);
  t.is(r.code, 5, r.stdout);
  t.regex(r.stderr, /nothing was run/);
  t.true(r.stderr.includes(`${s.playbookFile}:8:7  /0/tasks/1/loop_contrl  unknown keyword 'loop_contrl' (did you mean 'loop_control'?)`), r.stderr);
  t.false(existsSync(join(s.workdir, 'a/made')), 'the valid task before it did not run');
  t.notRegex(r.stdout, /TASK \[/);
});

test('exit 10 with --check --detailed-exitcode and pending changes; nothing changed', async (t) => {
  const s = scenario(MKDIR);
  const r = await cli(s, '--check', '--detailed-exitcode');
  t.is(r.code, 10, r.stderr);
  t.false(existsSync(join(s.workdir, 'a/made')));
});

test('exit 0 with --check --detailed-exitcode when nothing would change', async (t) => {
  const s = scenario(`    - name: exists\n      file: { path: "{{ workdir }}/{{ inventory_hostname }}", state: directory }\n`);
  const r = await cli(s, '--check', '--detailed-exitcode');
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /ok: \[a\]/);
});

test('exit 4 when a host is unreachable', async (t) => {
  const s = scenario(`    - name: touch\n      command: { argv: ["true"] }\n`, { a: {} });
  const inventory = join(s.dir, 'unreachable.yaml');
  writeFileSync(inventory, `all:\n  children:\n    nodes:\n      hosts:\n        a: { ansible_host: 127.0.0.1, ansible_port: 1, ansible_connection: ssh, ansible_user: root }\n`);
  const r = await runCli(['run', s.playbookFile, '-i', inventory, '--output', 'plain', '-T', '2']);
  t.is(r.code, 4, r.stdout + r.stderr);
  t.regex(r.stdout, /unreachable: \[a\]/);
});

test('Ctrl-C: the task in flight finishes, no later task starts, the recap is printed, exit 99', async (t) => {
  const sleep = (n: number) => `    - name: sleep ${n}\n      command: { argv: [sleep, "1"] }\n`;
  const s = scenario([1, 2, 3, 4].map(sleep).join(''));
  const child = spawn(process.execPath, ['--import=tsx', 'runner/cli.ts', 'run', s.playbookFile, '-i', s.inventoryFile, '--output', 'plain'], {
    cwd: PROJECT_DIR,
    env: { ...process.env, CI: 'true' },
  });
  let stdout = '';
  let sent = false;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (!sent && stdout.includes('TASK [sleep 1]')) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  t.true(sent);
  t.is(code, 99, stdout);
  t.regex(stdout, /changed: \[a\]/);
  t.regex(stdout, /changed: \[b\]/);
  t.notRegex(stdout, /TASK \[sleep 2\]/);
  t.regex(stdout, /PLAY RECAP/);
  t.regex(stdout, /a\s+:\s+ok=1\s+changed=1/);
});

test('-v shows the change descriptions and the command\'s stdout', async (t) => {
  const r = await cli(scenario(`    - name: echo\n      command: { argv: [echo, "hello-{{ inventory_hostname }}"] }\n`, { a: {} }), '-v');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /changed: \[a\] => 1 change\n\s+- run echo hello-a\n\s+stdout: hello-a\n/);
});

test('--output json: one JSON object per line, every task result in it', async (t) => {
  const s = scenario(`${MKDIR}    - name: echo\n      command: { argv: [echo, "x"] }\n`);
  const r = await runCli(['run', s.playbookFile, '-i', s.inventoryFile, '--output', 'json']);
  t.is(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.is(events.length, lines.length);
  const results = events.filter((e) => e['kind'] === 'task:host').map((e) => `${e['task']}:${e['host']}:${e['status']}`).sort();
  t.deepEqual(results, ['echo:a:changed', 'echo:b:changed', 'mkdir:a:changed', 'mkdir:b:changed']);
  const end = events.find((e) => e['kind'] === 'run:end');
  t.is(end?.['exitCode'], 0);
  t.is(events[0]?.['kind'], 'run:start');
  t.true(events.every((e) => typeof e['ts'] === 'string'));
});
