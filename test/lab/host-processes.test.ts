/**
 * The programs quorum starts on a host (issue 17: the lab hosts share the controller's cores,
 * so each one is wall time). Traced with strace on the host's sshd from the controller: a
 * become play's facts run in its one root shell (no second shell for the login user), and a
 * re-run's facts start none of the programs replaced by shell builtins or remembered stamps.
 */
import anyTest from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labHosts, labInventoryPath } from '../helpers/lab.js';
import { runBuiltCli } from '../helpers/quorum.js';
import { hostSshdPid, traceProcessTree } from '../helpers/host-trace.js';

const test = anyTest.serial;
const host = labHosts('etcd')[0]!;

/** The argv of every program started (execve that succeeded), from strace lines. */
function programsOf(lines: string[]): string[][] {
  return lines
    .filter((l) => /\bexecve\(/.test(l) && !/= -1 /.test(l))
    .map((l) => [...(/execve\("[^"]*", \[(.*?)\]/.exec(l)?.[1] ?? '').matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!));
}

test('a become play re-run: one root shell, and its facts start no uname, nproc, systemctl, head or mktemp', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-host-processes-'));
  const playbook = join(dir, 'site.yaml');
  const target = `/var/tmp/quorum-host-processes-${process.pid}`;
  writeFileSync(playbook, `- hosts: ${host.name}
  become: true
  tasks:
    - name: dir
      file: { path: ${target}, state: directory, mode: "0755" }
    - name: file
      file: { path: ${target}/a.conf, content: "a\\n", mode: "0644" }
    - name: show a fact
      debug: { msg: "{{ ansible_facts.kernel }} {{ ansible_facts.processor_vcpus }}" }
`);
  const run = () => runBuiltCli(['run', playbook, '-i', labInventoryPath(), '-o', 'json'], { env: { ...process.env, XDG_CACHE_HOME: dir } });
  const first = await run();
  t.is(first.code, 0, first.stderr);
  const trace = await traceProcessTree(hostSshdPid(host.name), ['execve']);
  let lines: string[];
  let second;
  try {
    second = await run();
  } finally {
    lines = await trace.stop();
  }
  t.is(second.code, 0, second.stderr);
  const programs = programsOf(lines);
  const shown = programs.map((a) => a.join(' ').slice(0, 120)).join('\n');
  const named = (name: string) => programs.filter((a) => a[0] === name || a[0]?.endsWith(`/${name}`));
  t.deepEqual(named('bash').map((a) => a.slice(1).join(' ')), ['-c sudo -n sh'], `one login, for the root shell:\n${shown}`);
  t.is(named('sudo').length, 1, shown);
  // PAM's motd on the lab hosts runs `uname -snrvm` (host configuration, not quorum's).
  t.deepEqual(named('uname').filter((a) => a[1] !== '-snrvm'), [], shown);
  for (const name of ['nproc', 'systemctl', 'head']) t.deepEqual(named(name), [], `${name}:\n${shown}`);
  t.deepEqual(named('mktemp').map((a) => a.slice(1).join(' ')), ['-d /tmp/.quorum-sh.XXXXXXXXXX'], `only the shell's FIFO directory:\n${shown}`);
  t.true(named('stat').length <= 3, `paths read ahead, tool stamps, cgroup fs type (v1 hosts only):\n${shown}`);
  // The facts are still right (the kernel release is the host's; nproc's count).
  const debug = second.stdout.split('\n').filter((l) => l.includes('"show a fact"') && l.includes('task:host'));
  t.is(debug.length, 1);
  t.regex(debug[0]!, /"msg":"\d+\.\d+\S* \d+"/);
});
