/**
 * The engine over SSH on real hosts, through the real CLI (`quorum run -o json`): file and
 * command tasks on the `spare` hosts (infra3..5) as the lab user with become, idempotence,
 * check mode that touches nothing, facts, an address that answers nothing, a host key that does
 * not match, and a host killed in the middle of a run (a host of a second lab, id 7, so the
 * shared lab loses nothing). What is on the hosts is checked with the system ssh client
 * (`sshExec`), never with quorum's own connection.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labHosts, labInventoryPath, sshExec, type LabHost } from '../helpers/lab.js';
import { runBuiltCli, PROJECT_DIR, type CliResult } from '../helpers/quorum.js';
import { createTempInventoryDir, toInventoryEntry, unusedLabAddress, writeMismatchedKnownHosts } from '../helpers/inventory.js';
import { runPlaybook } from '../../runner/engine/engine.js';
import type { RunEvent } from '../../runner/report/events.js';
import type { HostFacts } from '../../runner/facts/host-facts.js';

type TaskHostEvent = Extract<RunEvent, { kind: 'task:host' }>;
type RunEndEvent = Extract<RunEvent, { kind: 'run:end' }>;

const PLAYBOOKS = join(PROJECT_DIR, 'test/fixtures/playbooks/lab/engine-ssh');
const ROOT = '/opt/quorum-engine-ssh';
/** Fresh paths per test run, so check mode always meets paths that do not exist yet. */
const RUN_ID = `${process.pid}-${Date.now().toString(36)}`;
const BASE = `${ROOT}/apply-${RUN_ID}`;
const CHECK_BASE = `${ROOT}/check-${RUN_ID}`;
const BECOME_BASE = `${ROOT}/become-${RUN_ID}`;
/** Lab id of the second lab; QUORUM_SECOND_LAB_ID lets a CI clone running this suite pick another. */
const SECOND_LAB_ID = process.env.QUORUM_SECOND_LAB_ID ?? '7';
if (!/^[1-9]\d*$/.test(SECOND_LAB_ID) || SECOND_LAB_ID === process.env.QUORUM_LAB_ID) {
  throw new Error(`QUORUM_SECOND_LAB_ID must be a lab id from 1 to 250 other than QUORUM_LAB_ID, got "${SECOND_LAB_ID}"`);
}

const spare = labHosts('spare').slice(0, 3);
const temp = createTempInventoryDir('quorum-engine-ssh-');
const secondLabRoot = mkdtempSync(join(tmpdir(), 'quorum-engine-ssh-lab-'));
let secondLabStarted = false;

/** What one `quorum run -o json` did: exit code, stderr, its events. */
interface CliRun extends CliResult {
  events: RunEvent[];
  results(task?: string, host?: string): TaskHostEvent[];
  end: RunEndEvent;
}

/** `quorum run PLAYBOOK -o json ARGS...`, its NDJSON output parsed into events. */
async function runQuorum(playbook: string, args: string[]): Promise<CliRun> {
  const r = await runBuiltCli(['run', join(PLAYBOOKS, playbook), '-o', 'json', ...args]);
  const events = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as RunEvent);
  const end = events.find((e): e is RunEndEvent => e.kind === 'run:end');
  if (!end) throw new Error(`quorum run ended without a run:end event (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  const results = (task?: string, host?: string) =>
    events.filter((e): e is TaskHostEvent => e.kind === 'task:host' && (task === undefined || e.task === task) && (host === undefined || e.host === host));
  return { ...r, events, results, end };
}

/**
 * The lines of the lab's private key that hold key material (the first base64 line is the
 * format's header, the same for every key): none may appear in quorum's output.
 */
function privateKeyLines(host: LabHost): string[] {
  return readFileSync(host.keyFile, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('-----')).slice(1);
}

/** The files.yaml variables of one run: where to work and a fresh controller barrier directory. */
function filesVars(base: string, hosts = 3): string[] {
  const barrier = mkdtempSync(join(temp.dir, 'barrier-'));
  return ['-e', `base=${base}`, '-e', `barrier=${barrier}`, '-e', `expected_hosts=${hosts}`];
}

/** A shell command on a lab host through the system ssh client; throws on a non-zero exit. */
async function sh(host: LabHost, command: string): Promise<string> {
  const r = await sshExec(host, command);
  if (r.code !== 0) throw new Error(`${host.name}: \`${command}\` exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Every path under `root` with type, mode, owner, size, mtime, and every file's sha256. */
function describeTree(host: LabHost, root: string): Promise<string> {
  return sh(host, `sudo -n sh -c 'test -e ${root} || exit 0; find ${root} -printf "%p %y %m %u %g %s %T@\\n" | sort; find ${root} -type f -print0 | sort -z | xargs -0 -r sha256sum'`);
}

/** Run the lab code with QUORUM_LAB_ID=SECOND_LAB_ID in a child process, its `.lab/` under its own root. */
function runSecondLab(action: 'labUp' | 'labDown'): Promise<CliResult> {
  // The lab reads QUORUM_LAB_ID when loaded, and keeps its files in `<projectRoot>/.lab-ID`: the
  // CLI's root is this checkout, whose .lab/ is the shared lab's, so a separate root is given.
  const options = JSON.stringify({ ...(action === 'labUp' ? { hosts: 1 } : {}), projectRoot: secondLabRoot });
  const script = `const lab = await import(${JSON.stringify(join(PROJECT_DIR, 'runner/lab/lab.ts'))}); await lab.${action}(${options});`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], { cwd: PROJECT_DIR, timeout: 240_000, env: { ...process.env, QUORUM_LAB_ID: SECOND_LAB_ID } }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** The container's init (systemd): the only child of the host's nspawn process. */
function findContainerInit(nspawnPid: number): number {
  const children = readFileSync(`/proc/${nspawnPid}/task/${nspawnPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  const init = children.find((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'systemd');
  if (init === undefined) throw new Error(`nspawn ${nspawnPid} has no systemd child (children: ${children.join(', ') || 'none'})`);
  return init;
}

test.before(() => {
  if (spare.length < 3) throw new Error(`the lab has ${spare.length} spare host(s); this suite needs infra3..infra5: run \`node --import=tsx runner/cli.ts lab up --hosts 6\``);
});

test.after.always(async () => {
  await Promise.all(spare.map((h) => sshExec(h, `sudo -n rm -rf ${BASE} ${CHECK_BASE} ${BECOME_BASE}; sudo -n rmdir ${ROOT} 2>/dev/null; true`)));
  if (secondLabStarted) {
    const down = await runSecondLab('labDown');
    if (down.code !== 0) console.error(`lab ${SECOND_LAB_ID} down failed: ${down.stderr}`);
  }
  rmSync(secondLabRoot, { recursive: true, force: true });
  temp.remove();
});

const FIRST_RUN: Record<string, 'ok' | 'changed'> = {
  'Gathering Facts': 'ok',
  'all hosts at once': 'ok',
  'who logged in and who runs': 'ok',
  'base directory': 'changed',
  'private directory for the lab user': 'changed',
  'static file for root only': 'changed',
  'read the kernel host name': 'ok',
  'rendered template': 'changed',
  'one-shot command': 'changed',
  'file from a registered output': 'changed',
};

test.serial('file and command tasks run on the three spare hosts at once, as the lab user with become', async (t) => {
  const run = await runQuorum('files.yaml', ['-i', labInventoryPath(), ...filesVars(BASE)]);
  t.is(run.code, 0, run.stderr);
  for (const h of spare) {
    t.deepEqual(run.end.recap[h.name], { ok: 10, changed: 6, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 }, h.name);
    for (const [task, status] of Object.entries(FIRST_RUN)) t.deepEqual(run.results(task, h.name).map((r) => r.status), [status], `${h.name}: ${task}`);
  }
  t.deepEqual(Object.keys(run.end.recap).sort(), spare.map((h) => h.name));
  // Logged in as the lab user, commands run as root through sudo (the inventory's ansible_become).
  for (const h of spare) t.is((run.results('who logged in and who runs', h.name)[0]?.result as { stdout?: string })?.stdout, 'root for ubuntu', h.name);
  const keyLines = privateKeyLines(spare[0]!);
  t.true(keyLines.length >= 3, 'the lab key has key material lines');
  t.deepEqual(keyLines.filter((l) => run.stdout.includes(l) || run.stderr.includes(l)), [], 'the private key is not in the output');
  for (const h of spare) {
    const stats = await sh(h, `sudo -n stat -c '%n %F %a %U %G' ${BASE} ${BASE}/private ${BASE}/static.txt ${BASE}/private/app.conf ${BASE}/stamp ${BASE}/uname.txt`);
    t.is(stats, [
      `${BASE} directory 755 root root`,
      `${BASE}/private directory 750 ubuntu ubuntu`,
      `${BASE}/static.txt regular file 600 root root`,
      `${BASE}/private/app.conf regular file 640 ubuntu ubuntu`,
      `${BASE}/stamp regular file 644 root root`,
      `${BASE}/uname.txt regular file 644 root root`,
      '',
    ].join('\n'), h.name);
    const os = (await sh(h, '. /etc/os-release && echo "$ID $VERSION_ID"')).trim();
    t.is(await sh(h, `sudo -n cat ${BASE}/static.txt`), 'static content\nsecond line\n');
    // Readable by the lab user without sudo: owner and mode really are what the task said.
    t.is(await sh(h, `cat ${BASE}/private/app.conf`), `# rendered by quorum for ${h.name}\ngreeting=hello from quorum\nuname=${h.name}\nos=${os}\n`);
    t.is(await sh(h, `cat ${BASE}/stamp`), 'made-by-command\n');
    t.is(await sh(h, `cat ${BASE}/uname.txt`), h.name);
    t.is((await sshExec(h, `cat ${BASE}/static.txt`)).code, 1, 'root-only file is not readable by the lab user');
  }
});

test.serial('the second run changes nothing', async (t) => {
  const before = await Promise.all(spare.map((h) => describeTree(h, BASE)));
  t.true(before.every((tree) => tree.includes(`${BASE}/private/app.conf f 640 ubuntu ubuntu`)), 'the first run left its files');
  const run = await runQuorum('files.yaml', ['-i', labInventoryPath(), ...filesVars(BASE)]);
  t.is(run.code, 0, run.stderr);
  for (const h of spare) {
    t.deepEqual(run.end.recap[h.name], { ok: 10, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 }, h.name);
    t.deepEqual(run.results(undefined, h.name).filter((r) => r.status !== 'ok').map((r) => `${r.task}: ${r.status}`), [], h.name);
  }
  t.deepEqual(await Promise.all(spare.map((h) => describeTree(h, BASE))), before);
});

test.serial('--check on fresh paths changes nothing on the hosts and reports changes pending (exit 10)', async (t) => {
  const before = await Promise.all(spare.map((h) => describeTree(h, ROOT)));
  const run = await runQuorum('files.yaml', ['-i', labInventoryPath(), '--check', '--diff', '--detailed-exitcode', ...filesVars(CHECK_BASE)]);
  t.is(run.code, 10, run.stderr);
  t.true(run.end.changesPending);
  for (const h of spare) {
    const statuses = Object.fromEntries(run.results(undefined, h.name).map((r) => [r.task, r.status]));
    // The barrier command cannot be predicted, so check mode skips it; every file task would change.
    t.deepEqual(statuses, { ...FIRST_RUN, 'all hosts at once': 'skipped' }, h.name);
    t.deepEqual(run.end.recap[h.name], { ok: 9, changed: 6, unreachable: 0, failed: 0, skipped: 1, rescued: 0, ignored: 0 }, h.name);
    const diff = run.results('rendered template', h.name)[0]!.diffs;
    t.true(JSON.stringify(diff).includes(`uname=${h.name}`), `${h.name}: the diff shows the rendered template`);
  }
  t.deepEqual(await Promise.all(spare.map((h) => describeTree(h, ROOT))), before);
  for (const h of spare) t.is((await sshExec(h, `test -e ${CHECK_BASE}`)).code, 1, `${h.name}: ${CHECK_BASE} was not created`);
});

test.serial('become from the play keyword alone reads root-only paths as root: the second run and --check change nothing', async (t) => {
  const host = spare[0]!;
  // No ansible_become in this inventory: only the play's `become: true` says to become root.
  const inventory = temp.write('become-keyword.yaml', { nodes: [toInventoryEntry(host, { ansible_become: undefined })] });
  t.false(readFileSync(inventory, 'utf8').includes('ansible_become'));
  const args = ['-i', inventory, '-e', `base=${BECOME_BASE}`];
  const first = await runQuorum('become-keyword.yaml', args);
  t.is(first.code, 0, first.stderr);
  t.is(first.end.recap[host.name]!.changed, 3);
  t.is((await sh(host, `sudo -n stat -c '%a %U' ${BECOME_BASE}/private/secret.conf`)).trim(), '600 root');

  const second = await runQuorum('become-keyword.yaml', args);
  t.is(second.code, 0, second.stderr);
  t.deepEqual(second.results().map((r) => `${r.task}: ${r.status}`), ['private directory: ok', 'secret file inside: ok', 'command guarded by a root-only path: ok']);
  const check = await runQuorum('become-keyword.yaml', [...args, '--check']);
  t.is(check.code, 0, `--check must find nothing to change (exit 10 means changes pending): ${check.stderr}`);
});

test.serial('facts match what the host says about itself', async (t) => {
  const run = await runQuorum('facts.yaml', ['-i', labInventoryPath(), '-l', 'spare']);
  t.is(run.code, 0, run.stderr);
  t.deepEqual(Object.keys(run.end.recap).sort(), spare.map((h) => h.name));
  for (const h of spare) {
    const [hostname, osId, osVersion, kernel, arch] = (await sh(h, 'hostname; . /etc/os-release && echo "$ID" && echo "$VERSION_ID"; uname -r; uname -m')).trim().split('\n');
    t.is(hostname, h.name);
    t.deepEqual(run.results('show the facts', h.name)[0]?.result, { changed: false, msg: `${hostname} ${osId} ${osVersion}` }, h.name);
    const facts = run.results('show every fact', h.name)[0]?.result?.['facts'] as HostFacts;
    t.is(facts.hostname, hostname);
    t.deepEqual(facts.os.id, osId);
    t.deepEqual(facts.os.versionId, osVersion);
    t.is(facts.kernel, kernel);
    t.is(facts.architecture, arch);
    t.true((facts.interfaces['eth0']?.ipv4 ?? []).includes(`${h.address}/24`), `${h.name}: eth0 has ${h.address}/24`);
  }
});

test.serial('a host whose address answers nothing ends unreachable (exit 4) while the others succeed', async (t) => {
  const ghost = { ...toInventoryEntry(spare[0]!), name: 'ghost', address: unusedLabAddress(spare[0]!) };
  const inventory = temp.write('ghost.yaml', { spare: [...spare.map((h) => toInventoryEntry(h)), ghost] });
  const run = await runQuorum('probe.yaml', ['-i', inventory, '-T', '3']);
  t.is(run.code, 4, run.stderr);
  t.deepEqual(run.end.recap['ghost'], { ok: 0, changed: 0, unreachable: 1, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
  const [gathered] = run.results('Gathering Facts', 'ghost');
  t.is(gathered?.status, 'unreachable');
  t.is(gathered?.msg, `ghost: no SSH answer from ubuntu@${ghost.address}:22 within the connect timeout (3000 ms)`);
  t.deepEqual(run.results('kernel host name', 'ghost'), [], 'an unreachable host runs no further task');
  for (const h of spare) {
    t.deepEqual(run.end.recap[h.name], { ok: 2, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 }, h.name);
    t.is((run.results('kernel host name', h.name)[0]?.result as { stdout?: string })?.stdout, h.name);
  }
});

test.serial('a host key that does not match known_hosts is refused; --host-key-policy off connects', async (t) => {
  const victim = spare[1]!;
  const keyFile = join(temp.dir, 'impostor');
  await new Promise<void>((resolve, reject) => execFile('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'impostor', '-f', keyFile], (err) => (err ? reject(err) : resolve())));
  const knownHosts = join(temp.dir, 'known_hosts.mismatch');
  writeMismatchedKnownHosts(victim.knownHostsFile, knownHosts, victim.address, readFileSync(`${keyFile}.pub`, 'utf8'));
  const written = readFileSync(knownHosts, 'utf8');
  const inventory = temp.write('mismatch.yaml', { spare: spare.map((h) => toInventoryEntry({ ...h, knownHostsFile: knownHosts })) });

  const strict = await runQuorum('probe.yaml', ['-i', inventory]);
  t.is(strict.code, 4, strict.stderr);
  const refused = strict.results('Gathering Facts', victim.name)[0];
  t.is(refused?.status, 'unreachable');
  t.regex(refused?.msg ?? '', /HOST KEY MISMATCH for 10\.213\.\d+\.\d+: known_hosts expect SHA256:\S+ \(ssh-ed25519, known_hosts line \d+\) but the host offered SHA256:/);
  t.deepEqual(strict.end.recap[victim.name], { ok: 0, changed: 0, unreachable: 1, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
  for (const h of spare.filter((x) => x !== victim)) t.is(strict.results('kernel host name', h.name)[0]?.status, 'ok', h.name);

  const off = await runQuorum('probe.yaml', ['-i', inventory, '--host-key-policy', 'off']);
  t.is(off.code, 0, off.stderr);
  for (const h of spare) t.is(off.results('kernel host name', h.name)[0]?.status, 'ok', h.name);
  t.is(readFileSync(knownHosts, 'utf8'), written, 'known_hosts is left as it was');
});

test.serial('a host killed mid-run ends unreachable and the run finishes (second lab, id 7)', async (t) => {
  secondLabStarted = true;
  const up = await runSecondLab('labUp');
  t.is(up.code, 0, up.stderr);
  const stateFile = join(secondLabRoot, `.lab-${SECOND_LAB_ID}`, 'state.json');
  t.true(existsSync(stateFile), up.stderr);
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { keyFile: string; knownHostsFile: string; user: string; hosts: { name: string; address: string; pid: number }[] };
  const [doomed] = state.hosts;
  const doomedHost: LabHost = { name: 'lab7-infra0', address: doomed!.address, port: 22, user: state.user, keyFile: state.keyFile, knownHostsFile: state.knownHostsFile };
  t.is((await sh(doomedHost, 'hostname')).trim(), doomed!.name, 'the second lab host answers before the run');
  // The pid must be lab 7's nspawn for this host, never one of the shared lab's.
  const cmdline = readFileSync(`/proc/${doomed!.pid}/cmdline`, 'utf8').split('\0');
  t.true(cmdline[0]!.endsWith('systemd-nspawn') && cmdline.includes(`--network-namespace-path=/run/netns/q${SECOND_LAB_ID}-${doomed!.name}`), cmdline.join(' '));
  const init = findContainerInit(doomed!.pid);

  const inventory = temp.write('killed.yaml', { victims: [toInventoryEntry(spare[0]!), toInventoryEntry(doomedHost)] });
  const events: RunEvent[] = [];
  let killedAfter: string | undefined;
  const summary = await runPlaybook({
    playbookFile: join(PLAYBOOKS, 'slow.yaml'), inventoryFile: inventory, check: false, diff: false, extraVars: {}, forks: 10,
    hostKeyPolicy: 'strict', connectTimeoutMs: 10_000, verbosity: 0,
    reporter: {
      emit(e) {
        events.push(e);
        // Synchronous with the engine: the kill lands after task 1 ends and before task 2 starts.
        if (e.kind === 'task:end' && e.task === 'slow 1' && killedAfter === undefined) {
          killedAfter = e.task;
          // SIGKILL to nspawn alone orphans the container and the host keeps running; SIGKILL to
          // the container's init ends every process of its pid namespace, sshd included.
          process.kill(init, 'SIGKILL');
          process.kill(doomed!.pid, 'SIGKILL');
        }
      },
    },
  });
  t.is(killedAfter, 'slow 1');
  t.is(summary.exitCode, 4);
  const statuses = (host: string) => events.filter((e): e is TaskHostEvent => e.kind === 'task:host' && e.host === host).map((e) => `${e.task}: ${e.status}`);
  t.deepEqual(statuses(doomedHost.name), ['slow 1: ok', 'slow 2: unreachable']);
  const lost = events.find((e): e is TaskHostEvent => e.kind === 'task:host' && e.host === doomedHost.name && e.status === 'unreachable');
  t.regex(lost?.msg ?? '', /^lab7-infra0: connection closed by the host or the network/);
  t.deepEqual(statuses(spare[0]!.name), ['slow 1: ok', 'slow 2: ok', 'slow 3: ok', 'slow 4: ok', 'slow 5: ok']);
  t.deepEqual(summary.recap[doomedHost.name], { ok: 1, changed: 0, unreachable: 1, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
  t.deepEqual(summary.recap[spare[0]!.name], { ok: 5, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 });
  t.is((await sshExec(doomedHost, 'true')).code, 255, 'the killed host is really gone');
});
