/**
 * The pure parts of issue 16's system modules: getent output (captured on a lab host, Debian 12)
 * parsed as data, the user/group/service/shell/wait_for/get_url/unarchive plans, and the shell
 * scripts wait_for and unarchive run on hosts, run here by dash (the hosts' /bin/sh) on real
 * files and archives.
 */
import test from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accounts, parseAccounts, parsePasswdLine, parseGroupLine, type Accounts } from '../../runner/facts/accounts.js';
import { planUser, splitGroups } from '../../modules/user.js';
import { planGroup } from '../../modules/group.js';
import { findRefusals, service } from '../../modules/service.js';
import { shell } from '../../modules/shell.js';
import { buildProbeScript, planWaitFor } from '../../modules/wait_for.js';
import { planGetUrl } from '../../modules/get_url.js';
import { EXTRACT_SCRIPT, formatOf, planUnarchive, type UnarchiveFacts } from '../../modules/unarchive.js';
import type { PathState } from '../../runner/facts/path-state.js';
import { isSecret } from '../../runner/secret.js';
import { runCli } from '../helpers/quorum.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/facts/accounts/${name}.stdout`, import.meta.url), 'utf8');
const HASH = '$6$abcdefgh$oGoxMtczJ0/xYkNKQnGuC3pOdNoGsZRZNs7n5JzX8KfMJWEmD2Bx4wBt/tMCPvjE87aPyrlQPEKxEcxV6d4J6.';

test('getent output of a lab host parses: the user, its shadow field, every group', (t) => {
  const a = parseAccounts(fixture('ubuntu'));
  t.deepEqual(a.user, { name: 'ubuntu', uid: 1000, gid: 1000, comment: '', home: '/home/ubuntu', shell: '/bin/bash' });
  t.is(a.shadowHash, '!');
  t.deepEqual(a.groups.find((g) => g.name === 'sudo'), { name: 'sudo', gid: 27, members: ['ubuntu'] });
  t.is(a.groups.length, 44);
  const none = parseAccounts(fixture('nobody-here'));
  t.is(none.user, undefined);
  t.is(none.shadowHash, undefined);
  t.is(none.groups.length, 44);
});

test('getent lines that are not passwd/group entries are refused, not guessed', (t) => {
  t.throws(() => parsePasswdLine('a:x:1:2:home'), { message: /5 fields, want 7/ });
  t.throws(() => parsePasswdLine('a:x:one:2:c:/h:/bin/sh'), { message: /uid from getent: not a number/ });
  t.deepEqual(parseGroupLine('team:x:2601:a,b'), { name: 'team', gid: 2601, members: ['a', 'b'] });
  t.throws(() => parseAccounts('::passwd\n'), { message: /no group section/ });
  t.throws(() => accounts.parse({ stdout: '', stderr: 'getent group failed (exit 3)', exitCode: 3 }, {}), { message: /exit 3\): getent group failed/ });
});

const groups = [
  { name: 'alice', gid: 1001, members: [] },
  { name: 'sudo', gid: 27, members: ['alice'] },
  { name: 'adm', gid: 4, members: [] },
  { name: 'team', gid: 2601, members: ['alice', 'bob'] },
];
const alice: Accounts = { user: { name: 'alice', uid: 1001, gid: 1001, comment: 'Alice', home: '/home/alice', shell: '/bin/sh' }, shadowHash: HASH, groups };
const real = { checkMode: false };

test('user: a new user is one useradd; the hash goes to chpasswd on stdin as a Secret, nowhere else', (t) => {
  const plan = planUser({ name: 'carol', uid: 3000, groups: 'sudo, adm', shell: '/bin/bash', password: HASH, system: false }, { groups }, real);
  t.deepEqual(plan.changes.map((c) => c.kind === 'exec' && c.command), [['useradd', '-u', '3000', '-G', 'sudo,adm', '-s', '/bin/bash', '-m', 'carol'], ['chpasswd', '-e']]);
  const chpasswd = plan.changes[1]!;
  t.true(chpasswd.kind === 'exec' && isSecret(chpasswd.stdin));
  t.is(chpasswd.kind === 'exec' && Buffer.from((chpasswd.stdin as { reveal(): Uint8Array }).reveal()).toString(), `carol:${HASH}\n`);
  const shown = JSON.stringify({ changes: plan.changes.map((c) => c.describe), diffs: plan.diffs, result: plan.result, stdin: chpasswd.kind === 'exec' ? String(chpasswd.stdin) : '' });
  t.false(shown.includes('$6$'), 'no hash in describe, diff, result or the printed stdin');
  t.like(plan.result, { uid: 3000, groups: ['adm', 'sudo'], password_changed: true });
});

test('user: an existing user as wanted is a noop; only what differs goes to one usermod', (t) => {
  const same = planUser({ name: 'alice', uid: 1001, groups: ['sudo', 'team'], shell: '/bin/sh', comment: 'Alice', password: HASH }, alice, real);
  t.deepEqual(same.changes, []);
  t.is(same.noop, 'user alice is as wanted');
  const changed = planUser({ name: 'alice', groups: ['adm'], shell: '/bin/bash' }, alice, real);
  t.deepEqual(changed.changes.map((c) => c.kind === 'exec' && c.command), [['usermod', '-G', 'adm', '-s', '/bin/bash', 'alice']]);
  t.is(changed.changes[0]!.describe, 'change user alice: add to adm, remove from sudo, team; shell "/bin/sh" -> "/bin/bash"');
  const appended = planUser({ name: 'alice', groups: ['adm', 'sudo'], append: true }, alice, real);
  t.deepEqual(appended.changes.map((c) => c.kind === 'exec' && c.command), [['usermod', '-a', '-G', 'adm', 'alice']]);
  t.deepEqual(appended.result?.['groups'], ['adm', 'sudo', 'team']);
  // Its own primary group listed in groups is a membership already.
  t.deepEqual(planUser({ name: 'alice', groups: ['alice', 'sudo', 'team'] }, alice, real).changes, []);
});

test('user: a new hash changes only the password (update_password on_create keeps it); absent is userdel', (t) => {
  const other = '$6$zzzzzzzz$' + 'A'.repeat(86);
  t.deepEqual(planUser({ name: 'alice', password: other }, alice, real).changes.map((c) => c.describe), ['set the password hash of alice (not shown)']);
  t.deepEqual(planUser({ name: 'alice', password: other, update_password: 'on_create' }, alice, real).changes, []);
  t.deepEqual(planUser({ name: 'alice', state: 'absent', remove: true }, alice, real).changes.map((c) => c.kind === 'exec' && c.command), [['userdel', '-r', 'alice']]);
  t.is(planUser({ name: 'nobody', state: 'absent' }, { groups }, real).noop, 'user nobody does not exist');
});

test('user: a clear-text password is refused without being shown; a missing group fails, except in check mode', (t) => {
  const plan = planUser({ name: 'alice', password: 'hunter2' }, alice, real);
  t.regex(plan.failed ?? '', /must be a crypt hash/);
  t.false((plan.failed ?? '').includes('hunter2'));
  t.regex(planUser({ name: 'dave', groups: ['ghosts'] }, { groups }, real).failed ?? '', /group ghosts does not exist on the host: create it first/);
  const check = planUser({ name: 'dave', groups: ['ghosts'] }, { groups }, { checkMode: true });
  t.is(check.failed, undefined);
  t.deepEqual(check.changes.map((c) => c.describe), ['create user dave']);
  t.deepEqual(splitGroups('a, b,,a'), ['a', 'b']);
});

test('group: create, change gid, delete, and a gid taken by another group', (t) => {
  t.deepEqual(planGroup({ name: 'ops', gid: 3000, system: true }, { groups }).changes.map((c) => c.kind === 'exec' && c.command), [['groupadd', '-g', '3000', '-r', 'ops']]);
  t.is(planGroup({ name: 'team', gid: 2601 }, { groups }).noop, 'group team exists (gid 2601)');
  t.deepEqual(planGroup({ name: 'team', gid: 2700 }, { groups }).changes.map((c) => c.kind === 'exec' && c.command), [['groupmod', '-g', '2700', 'team']]);
  t.regex(planGroup({ name: 'team', gid: 27 }, { groups }).failed ?? '', /group sudo has it/);
  t.regex(planGroup({ name: 'ops', gid: 4 }, { groups }).failed ?? '', /gid 4 is taken by group adm/);
  t.deepEqual(planGroup({ name: 'adm', state: 'absent' }, { groups }).changes.map((c) => c.kind === 'exec' && c.command), [['groupdel', 'adm']]);
});

test('service refuses what only init scripts do, with what to write instead', (t) => {
  t.deepEqual(findRefusals({ name: 'ssh', state: 'started', use: 'systemd' }), []);
  const problems = findRefusals({ name: 'ssh', pattern: 'sshd', runlevel: '3', use: 'sysvinit' });
  t.deepEqual(problems.map((p) => p.param), ['pattern', 'runlevel', 'use']);
  t.regex(problems[2]!.message, /use: sysvinit is not supported.*use: systemd/);
  t.regex(problems[1]!.message, /enabled: true/);
  t.deepEqual(service.checkArgs!({ name: 'x', sleep: 3 }, 'h').map((p) => p.param), ['sleep']);
});

test('shell is command with a cmd; executable runs the line as EXECUTABLE -c', (t) => {
  const facts = {};
  const ctx = { host: 'h', inventoryHost: 'h', checkMode: false };
  const plain = shell.plan('echo $HOME | wc -c', facts, ctx);
  t.like(plain.changes[0], { kind: 'exec', command: 'echo $HOME | wc -c' });
  t.is(plain.unpredictable, 'a command without creates or removes');
  const bash = shell.plan({ cmd: 'set -o pipefail; false | true', executable: '/bin/bash', chdir: '/tmp' }, facts, ctx);
  t.like(bash.changes[0], { kind: 'exec', command: ['/bin/bash', '-c', 'set -o pipefail; false | true'], cwd: '/tmp' });
  t.is(bash.result?.['cmd'], 'set -o pipefail; false | true');
  const done = shell.plan({ cmd: 'make', chdir: '/src', creates: 'out' }, { createsExists: true }, ctx);
  t.deepEqual(done.changes, []);
  t.is(done.noop, '/src/out exists');
});

/** Run a probe with dash; PATH can hide python3 to test the fallback. */
function probe(params: Parameters<typeof buildProbeScript>[0], env: NodeJS.ProcessEnv = process.env): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('/bin/dash', ['-c', buildProbeScript(params)], { env, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('wait_for probes run by dash: path, regex, absent, a closed port, and no tool to connect with', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-waitfor-'));
  const log = join(dir, 'app.log');
  writeFileSync(log, 'starting\nlistening on 8080\n');
  t.is(probe({ path: log, search_regex: 'listening on [0-9]+' }).stdout, 'yes\n');
  t.is(probe({ path: log, search_regex: '^ready$' }).stdout, 'no\nno matching line yet\n');
  t.is(probe({ path: join(dir, 'none') }).stdout, 'no\nit does not exist\n');
  t.is(probe({ path: join(dir, 'none'), state: 'absent' }).stdout, 'yes\n');
  t.is(probe({ path: log, state: 'absent' }).stdout, 'no\nit exists\n');
  // A bad regex is an error of the check, not "not yet".
  t.is(probe({ path: log, search_regex: '(' }).status, 3);
  // Port 1 on loopback: nothing listens there.
  t.is(probe({ port: 1, connect_timeout: 2 }).stdout, 'no\nConnection refused\n');
  t.is(probe({ port: 1, state: 'stopped' }).stdout, 'yes\n');
  const noTools = probe({ port: 1, host: '10.0.0.1' }, { PATH: '/nonexistent' });
  t.is(noTools.status, 3);
  t.regex(noTools.stderr, /install python3/);
});

test('wait_for plan: true is ok, not yet is skipped in check mode, a timeout fails with what was awaited', (t) => {
  const facts = { satisfied: false, elapsed: 3.1, attempts: 4, detail: 'Connection refused' };
  t.is(planWaitFor({ port: 2379 }, { ...facts, satisfied: true }, false).noop, '127.0.0.1:2379 accepts connections: true after 3.1 s');
  t.is(planWaitFor({ port: 2379 }, facts, true).unpredictable, '127.0.0.1:2379 accepts connections is not true yet (Connection refused)');
  t.is(planWaitFor({ port: 2379 }, facts, false).failed, 'timed out after 3.1 s (4 checks) waiting until 127.0.0.1:2379 accepts connections; last check: Connection refused');
  t.is(planWaitFor({ port: 2379, msg: 'etcd did not come up' }, facts, false).failed, 'etcd did not come up');
  t.like(planWaitFor({ path: '/x', state: 'stopped' }, { ...facts, satisfied: true }, false).result, { state: 'absent', path: '/x' });
});

const SUM = 'a'.repeat(64);
const fileState = (extra: Partial<PathState> = {}): PathState => ({ path: '/opt/t', type: 'file', mode: '0644', owner: 'root', group: 'root', sha256: SUM, parentExists: true, ...extra });

test('get_url: idempotent by checksum, by existence without one; a link or directory at dest is refused', (t) => {
  const url = 'http://10.0.0.1/t';
  t.is(planGetUrl({ url, dest: '/opt/t', checksum: `sha256:${SUM.toUpperCase()}` }, { current: fileState() }).noop, '/opt/t: sha256 matches checksum already as wanted');
  const mode = planGetUrl({ url, dest: '/opt/t', checksum: `sha256:${SUM}`, mode: '0755' }, { current: fileState() });
  t.deepEqual(mode.changes.map((c) => c.describe), ['chmod 0755 /opt/t']);
  t.deepEqual(planGetUrl({ url, dest: '/opt/t' }, { current: fileState({ sha256: 'b'.repeat(64) }) }).changes, []);
  const stale = planGetUrl({ url, dest: '/opt/t', checksum: `sha256:${SUM}` }, { current: fileState({ sha256: 'b'.repeat(64) }), tool: 'python3' });
  t.deepEqual(stale.changes.map((c) => c.describe), ['download http://10.0.0.1/t to /opt/t (sha256 checked)']);
  t.regex(planGetUrl({ url, dest: '/opt/t' }, { current: { path: '/opt/t', type: 'link', target: '/etc/shadow', parentExists: true } }).failed ?? '', /symbolic link: get_url does not write through a link/);
  t.regex(planGetUrl({ url, dest: '/opt/t' }, { current: { path: '/opt/t', type: 'directory', parentExists: true } }).failed ?? '', /is a directory: give the full path/);
  t.regex(planGetUrl({ url, dest: '/opt/t' }, { current: { path: '/opt/t', type: 'absent', parentExists: true }, tool: 'none' }).failed ?? '', /none of python3, curl is installed/);
});

test('unarchive plan: marker, creates, missing dest and missing tools', (t) => {
  const facts: UnarchiveFacts = { format: 'xz', sha256: SUM, archivePath: '/tmp/a.tar.xz', destIsDirectory: true, markerPath: '/var/lib/quorum/unarchive/k', stateDir: '/var/lib/quorum/unarchive', tools: ['tar', 'python3'] };
  const params = { src: '/tmp/a.tar.xz', dest: '/opt', remote_src: true };
  t.regex(planUnarchive(params, { ...facts, markerSha256: SUM }, false).noop ?? '', /already extracted into \/opt/);
  t.deepEqual(planUnarchive(params, facts, false).changes.map((c) => c.describe), ['create /var/lib/quorum/unarchive', 'extract /tmp/a.tar.xz into /opt']);
  t.is(planUnarchive({ ...params, creates: '/opt/bin' }, { ...facts, createsExists: true }, false).noop, '/opt/bin exists');
  t.regex(planUnarchive(params, { ...facts, destIsDirectory: false }, false).failed ?? '', /not a directory on the host: create it first/);
  t.is(planUnarchive(params, { ...facts, destIsDirectory: false }, true).failed, undefined, 'check mode: an earlier task may create it');
  t.regex(planUnarchive(params, { ...facts, tools: ['tar'] }, false).failed ?? '', /xz is not installed on the host, nor python3.*apt-get install xz-utils/);
  t.regex(planUnarchive({ ...params, src: '/tmp/a.zip' }, { ...facts, format: 'zip', tools: ['tar'] }, false).failed ?? '', /unzip is not installed/);
  t.is(formatOf('x.tgz'), 'gz');
  t.is(formatOf('x.tar'), 'tar');
});

/** Run the extraction script with dash as the module does; PATH may hide xz to force python3. */
function extract(archive: string, dest: string, format: string, marker: string, env: NodeJS.ProcessEnv = process.env, extra: string[] = []) {
  return spawnSync('/bin/dash', ['-c', EXTRACT_SCRIPT, 'sh', archive, dest, format, marker, SUM, '0', ...extra], { env, encoding: 'utf8' });
}

test('the extraction script extracts tar.gz and tar.xz (python3 when xz is missing), records the marker, refuses .. and absolute members', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-unarchive-'));
  mkdirSync(join(dir, 'src/app'), { recursive: true });
  writeFileSync(join(dir, 'src/app/a.txt'), 'A\n');
  execFileSync('tar', ['-czf', join(dir, 'app.tar.gz'), '-C', join(dir, 'src'), 'app']);
  execFileSync('python3', ['-c', 'import tarfile,sys\nwith tarfile.open(sys.argv[1],"w:xz") as t: t.add(sys.argv[2], arcname="app")', join(dir, 'app.tar.xz'), join(dir, 'src/app')]);
  for (const [archive, format] of [['app.tar.gz', 'gz'], ['app.tar.xz', 'xz']] as const) {
    const dest = join(dir, `out-${format}`);
    mkdirSync(dest);
    const marker = join(dir, `marker-${format}`);
    // Only /usr/bin/python3, tar, coreutils: no xz on PATH.
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    for (const tool of ['tar', 'python3', 'gzip', 'mktemp', 'cat', 'grep', 'head', 'rm', 'mv', 'printf']) {
      // The system python3, not a version manager's shell wrapper that needs more than this PATH.
      const path = tool === 'python3' && existsSync('/usr/bin/python3') ? '/usr/bin/python3' : execFileSync('sh', ['-c', `command -v ${tool} || true`]).toString().trim();
      if (path.startsWith('/') && !existsSync(join(bin, tool))) symlinkSync(path, join(bin, tool));
    }
    const r = extract(join(dir, archive), dest, format, marker, { PATH: bin });
    t.is(r.status, 0, r.stderr);
    t.is(readFileSync(join(dest, 'app/a.txt'), 'utf8'), 'A\n', format);
    t.is(readFileSync(marker, 'utf8'), `sha256 ${SUM}\ndest ${dest}\n`);
  }
  // A zip without unzip on PATH: python3's zipfile lists and extracts it.
  execFileSync('python3', ['-c', 'import zipfile,sys\nwith zipfile.ZipFile(sys.argv[1],"w") as z: z.writestr("site/index.html","hi\\n")', join(dir, 'site.zip')]);
  const zipDest = join(dir, 'zip-out');
  mkdirSync(zipDest);
  const zr = extract(join(dir, 'site.zip'), zipDest, 'zip', join(dir, 'mz'), { PATH: join(dir, 'bin') });
  t.is(zr.status, 0, zr.stderr);
  t.is(readFileSync(join(zipDest, 'site/index.html'), 'utf8'), 'hi\n');
  const strip = join(dir, 'strip');
  mkdirSync(strip);
  t.is(extract(join(dir, 'app.tar.gz'), strip, 'gz', join(dir, 'm3'), process.env, ['--strip-components=1']).status, 0);
  t.true(existsSync(join(strip, 'a.txt')));

  execFileSync('python3', ['-c', 'import io,sys,tarfile\nt=tarfile.open(sys.argv[1],"w")\nfor n in ("ok.txt","/etc/evil", "a/../../up.txt"):\n  i=tarfile.TarInfo(n); i.size=2; t.addfile(i,io.BytesIO(b"x\\n"))\nt.close()', join(dir, 'evil.tar')]);
  const evilDest = join(dir, 'evil-out');
  mkdirSync(evilDest);
  const r = extract(join(dir, 'evil.tar'), evilDest, 'tar', join(dir, 'm4'));
  t.is(r.status, 4);
  t.regex(r.stderr, /refusing to extract .*absolute path or a \.\. component/);
  t.regex(r.stderr, /\/etc\/evil/);
  t.regex(r.stderr, /a\/\.\.\/\.\.\/up\.txt/);
  t.false(existsSync(join(evilDest, 'ok.txt')), 'nothing extracted');
  t.false(existsSync(join(dir, 'm4')), 'no marker');
});

test('quorum run: service runlevel and a wait_for with both port and path are exit 5 with file:line:col, before any host', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-sysmods-cli-'));
  const pb = join(dir, 'pb.yaml');
  writeFileSync(pb, '- hosts: all\n  gather_facts: false\n  tasks:\n    - service: { name: ssh, state: started, runlevel: "3" }\n');
  // 192.0.2.1 (TEST-NET) is never reached: the problem is found first.
  const r = await runCli(['run', pb, '-i', '192.0.2.1,']);
  t.is(r.code, 5, r.stdout + r.stderr);
  t.regex(r.stdout + r.stderr, /pb\.yaml:4:55 +\/0\/tasks\/0\/service\/runlevel .*`runlevel` is for SysV\/OpenRC init: with systemd use `enabled: true`/);
  writeFileSync(pb, '- hosts: all\n  gather_facts: false\n  tasks:\n    - wait_for: { port: 22, path: /x }\n');
  const both = await runCli(['run', pb, '-i', '192.0.2.1,']);
  t.is(both.code, 5);
  t.regex(both.stdout + both.stderr, /pb\.yaml:4:17 +\/0\/tasks\/0\/wait_for +use only one of 'port', 'path'/);
});
