/**
 * Thin lab hosts (`lab up --thin`, runner/lab/thin.ts), end to end with the built CLI: a thin
 * lab of four hosts comes up, each host is its own machine for SSH, sudo, hostname and writes
 * (without systemd, over a private layer of the shared image), costs well under 10 MB idle,
 * answers a quorum run (facts + a file task) whole and in two slices merged by `quorum recap`,
 * and `lab down` leaves no namespace, veth, bridge, process or file behind.
 *
 * This suite brings its own lab up and takes it down: run it with no lab of QUORUM_LAB_ID up,
 *   QUORUM_LAB_ID=N npx ava --concurrency=1 test/lab/thin-lab.test.ts   (after npm run build)
 * `npm test` runs it as a stage of its own, with lab id QUORUM_LAB_ID + 100 (scripts/test-all.sh),
 * since the main lab suite runs on a full lab of QUORUM_LAB_ID.
 */
import test from 'ava';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BRIDGE, LAB_ID, ROOTFS_DIR, labPaths, netnsName, vethName } from '../../runner/lab/paths.js';
import { runCommand } from '../../runner/lab/run.js';
import { labHosts, labState, sshExec } from '../helpers/lab.js';
import { PROJECT_DIR, runBuiltCli } from '../helpers/quorum.js';

const PLAYBOOK = join(PROJECT_DIR, 'test/fixtures/playbooks/lab/thin/facts-and-file.yaml');
const HOSTS = 4;
const paths = labPaths(PROJECT_DIR);

test.serial('lab up --thin starts the hosts; lab status shows them as thin, running, with ssh', async (t) => {
  t.not(LAB_ID, 0, 'run this suite with its own QUORUM_LAB_ID, never the shared lab 0');
  const up = await runBuiltCli(['lab', 'up', '--hosts', String(HOSTS), '--thin']);
  t.is(up.code, 0, up.stderr);
  const state = labState();
  t.true(state.thin);
  t.is(state.hosts.length, HOSTS);
  const status = await runBuiltCli(['lab', 'status']);
  t.is(status.code, 0, status.stdout + status.stderr);
  const rows = status.stdout.trim().split('\n').map((l) => l.split('\t'));
  t.deepEqual(rows.map((r) => [r[0], r[4], r[5], r[6]]), state.hosts.map((h) => [h.name, 'running', 'ssh', 'thin']));
});

test.serial('each thin host: its own name, the lab user with sudo, no systemd, private writes over the shared image', async (t) => {
  const hosts = labHosts('all');
  for (const host of hosts) {
    const r = await sshExec(host, 'hostname; id -un; sudo -n id -u; test -d /run/systemd/system && echo systemd || echo no-systemd; ip -4 -o addr show dev eth0 | wc -l');
    t.is(r.code, 0, r.stderr);
    t.deepEqual(r.stdout.trim().split('\n'), [host.name, 'ubuntu', '0', 'no-systemd', '1'], host.name);
  }
  const marker = `/etc/quorum-thin-probe-${process.pid}`;
  t.is((await sshExec(hosts[0]!, `echo mine | sudo -n tee ${marker} >/dev/null && cat ${marker}`)).stdout.trim(), 'mine');
  t.is((await sshExec(hosts[1]!, `test -e ${marker} && echo seen || echo absent`)).stdout.trim(), 'absent', 'another host does not see it');
  t.false(existsSync(join(ROOTFS_DIR, marker)), 'the shared image was not written');
});

test.serial('a thin host\'s session runs under SCHED_BATCH (it never preempts the controller it shares the cores with)', async (t) => {
  for (const host of labHosts('all')) {
    // Field 41 of /proc/PID/stat is the policy (3: SCHED_BATCH, 0: SCHED_OTHER); fields count from
    // after the command name's closing parenthesis as field 3.
    const r = await sshExec(host, 'sed "s/.*) //" /proc/$$/stat | cut -d" " -f39; sudo -n sh -c \'sed "s/.*) //" /proc/$$/stat | cut -d" " -f39\'');
    t.is(r.code, 0, r.stderr);
    t.deepEqual(r.stdout.trim().split('\n'), ['3', '3'], `${host.name}: the login shell and a root shell`);
  }
});

test.serial('a thin host costs well under 10 MB idle (PSS of its processes)', async (t) => {
  for (const h of labState().hosts) {
    const pids = (await runCommand(['ip', 'netns', 'pids', netnsName(h.name)])).stdout.split(/\s+/).filter(Boolean);
    t.true(pids.length >= 1, `${h.name} has its sshd`);
    const pss = pids.map((p) => Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'))?.[1] ?? NaN)).reduce((a, b) => a + b, 0);
    t.log(`${h.name}: ${pids.length} process(es), ${(pss / 1024).toFixed(2)} MB PSS`);
    t.true(pss > 0 && pss < 10 * 1024, `${h.name}: ${pss} kB`);
  }
});

test.serial('a quorum run answers on every thin host: facts and a file task, then a clean re-run', async (t) => {
  const state = labState();
  const first = await runBuiltCli(['run', PLAYBOOK, '-i', state.inventory, '-o', 'json']);
  t.is(first.code, 0, first.stdout + first.stderr);
  const end = first.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.kind === 'run:end');
  t.deepEqual(Object.keys(end.recap).sort(), state.hosts.map((h) => h.name).sort());
  for (const r of Object.values(end.recap) as { changed: number; failed: number }[]) t.like(r, { changed: 2, failed: 0 });
  for (const host of labHosts('all')) {
    const r = await sshExec(host, '. /etc/os-release; echo "$(uname -n) $ID $VERSION_ID"; cat /var/tmp/quorum-thin/facts.txt');
    const [itself, written] = r.stdout.trim().split('\n');
    t.is(written, itself, `${host.name}: the facts match what the host says`);
  }
  const again = await runBuiltCli(['run', PLAYBOOK, '-i', state.inventory, '-o', 'plain']);
  t.is(again.code, 0, again.stderr);
  t.regex(again.stdout, /changed=0/);
  t.notRegex(again.stdout, /changed=[1-9]/);
});

test.serial('two slices of one run cover the thin hosts once each; quorum recap merges them to exit 0', async (t) => {
  const state = labState();
  const dir = mkdtempSync(join(tmpdir(), 'quorum-thin-slices-'));
  const files: string[] = [];
  const sliceHosts: string[][] = [];
  for (const k of [1, 2]) {
    await sshExecAll('sudo -n rm -rf /var/tmp/quorum-thin');
    const r = await runBuiltCli(['run', PLAYBOOK, '-i', state.inventory, '-o', 'json', '--slice', `${k}/2`]);
    t.is(r.code, 0, r.stderr);
    const file = join(dir, `slice-${k}.jsonl`);
    writeFileSync(file, r.stdout);
    files.push(file);
    sliceHosts.push(r.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.kind === 'run:start').hosts);
  }
  t.deepEqual(sliceHosts, [['infra0', 'infra1'], ['infra2', 'infra3']]);
  const merged = await runBuiltCli(['recap', '--no-color', ...files]);
  t.is(merged.code, 0, merged.stdout + merged.stderr);
  for (const h of state.hosts) t.regex(merged.stdout, new RegExp(`^${h.name} +: ok=3 +changed=2 +unreachable=0 +failed=0`, 'm'));
  t.regex(merged.stdout, /2 slices merged, exit 0/);
});

// A test that failed before the last one must not leave the thin lab running.
test.after.always(async () => {
  if (existsSync(paths.state)) await runBuiltCli(['lab', 'down']);
});

async function sshExecAll(command: string): Promise<void> {
  await Promise.all(labHosts('all').map((h) => sshExec(h, command)));
}

test.serial('lab down leaves nothing: no namespace, veth, bridge, host process or lab file', async (t) => {
  const state = labState();
  const pids = state.hosts.map((h) => h.pid);
  const down = await runBuiltCli(['lab', 'down']);
  t.is(down.code, 0, down.stderr);
  const netns = (await runCommand(['ip', 'netns', 'list'])).stdout;
  for (const h of state.hosts) {
    t.false(netns.split('\n').some((l) => l.split(' ')[0] === netnsName(h.name)), `${h.name}: namespace gone`);
    t.not((await runCommand(['ip', 'link', 'show', vethName(h.name)])).code, 0, `${h.name}: veth gone`);
  }
  t.not((await runCommand(['ip', 'link', 'show', BRIDGE])).code, 0, 'bridge gone');
  // Dead means not running: a killed sshd may linger a moment as a zombie until the machine's
  // init reaps it (it was started detached, by a `lab up` that has exited).
  for (const pid of pids) t.false(isRunningSshd(pid), `sshd ${pid} gone: ${describe(pid)}`);
  const addresses = new Set(state.hosts.map((h) => h.address));
  const strays = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && thinSshdAddress(p) !== undefined && addresses.has(thinSshdAddress(p)!));
  t.deepEqual(strays, [], 'no thin sshd of this lab left');
  t.false(existsSync(paths.dir), `${paths.dir} removed`);
});

function isRunningSshd(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')) === 'sshd' && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

function describe(pid: number): string {
  try {
    return `${readFileSync(`/proc/${pid}/stat`, 'utf8').slice(0, 80)} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')}`;
  } catch {
    return 'gone';
  }
}

/** The address a thin host's sshd listens on (its config, read through its root), or undefined for any other process. */
function thinSshdAddress(pid: string): string | undefined {
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('sshd_config.quorum-thin')) return undefined;
    return /^ListenAddress (\S+)$/m.exec(readFileSync(`/proc/${pid}/root/etc/ssh/sshd_config.quorum-thin`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}
