/**
 * SshConnection against the real sshd of the lab's spare hosts (infra3..; never the etcd group).
 * Each test opens its own connection and works under its own /tmp/quorum-ssh-test-* paths.
 *
 * The hosts are read from .lab/state.json directly: test/helpers/lab.ts did not exist yet when
 * this suite was written.
 */
import { labStateFile } from '../helpers/lab.js';
import anyTest from 'ava';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openConnection } from '../../runner/connection/connect.js';
import type { Connection, ConnectionSpec } from '../../runner/connection/types.js';
import { CommandError, ConfigError, UnreachableError } from '../../runner/errors.js';

interface LabState {
  keyFile: string;
  knownHostsFile: string;
  user: string;
  bridgeAddress: string;
  hosts: { name: string; address: string; group: string }[];
}

// One test at a time: sshd's MaxStartups (10:30:100) drops connections at random when many
// handshakes to one host overlap, which would make the suite flaky for reasons not ours.
const test = anyTest.serial;

const stateFile = labStateFile();
const lab: LabState | undefined = existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : undefined;
const spare = lab?.hosts.filter((h) => h.group === 'spare') ?? [];

/** The spec of a spare host, as the inventory would resolve it. */
function specOf(index: number, overrides: Partial<ConnectionSpec> = {}): ConnectionSpec {
  const host = spare[index % spare.length]!;
  return {
    name: host.name,
    kind: 'ssh',
    address: host.address,
    port: 22,
    user: lab!.user,
    privateKeyFile: lab!.keyFile,
    knownHostsFile: lab!.knownHostsFile,
    hostKeyPolicy: 'strict',
    connectTimeoutMs: 10_000,
    ...overrides,
  };
}

if (!lab || spare.length === 0) {
  test('lab is up (run `quorum lab up` first)', (t) => t.fail('no .lab/state.json with spare hosts'));
}

const connections: Connection[] = [];
async function connect(index = 0, overrides: Partial<ConnectionSpec> = {}): Promise<Connection> {
  const conn = await openConnection(specOf(index, overrides));
  connections.push(conn);
  return conn;
}
anyTest.after.always(async () => {
  await Promise.all(connections.map((c) => c.close()));
});

test('stdout and stderr stay apart and exact, marker-like output included', async (t) => {
  const conn = await connect();
  const r = await conn.exec(`printf 'no newline'; printf '_QF0123456789abcdef0123456789abcdef_1:0\\n' >&2; printf 'x'`);
  t.is(r.exitCode, 0);
  t.is(r.stdout.toString(), 'no newlinex');
  t.is(r.stderr.toString(), '_QF0123456789abcdef0123456789abcdef_1:0\n');
});

test('binary stdin comes back byte for byte; commands read only their own stdin', async (t) => {
  const conn = await connect();
  const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(300_000)]);
  const r = await conn.exec('cat', { stdin: bytes });
  t.true(r.stdout.equals(bytes));
  const next = await conn.exec('cat; echo read=$?');
  t.is(next.stdout.toString(), 'read=0\n');
});

test('5 MB of output arrives complete when asked for whole; by default its middle is dropped and counted', async (t) => {
  const conn = await connect();
  const command = `printf start; head -c 5242880 /dev/zero | tr '\\0' 'q'; printf end`;
  const r = await conn.exec(command, { keepOutput: Infinity });
  t.is(r.stdout.length, 5 * 1024 * 1024 + 8);
  t.is(r.stdout.subarray(-4).toString(), 'qend');
  t.is(r.stdout.indexOf('\0'), -1);
  t.is(r.dropped, undefined);
  const capped = await conn.exec(command);
  const dropped = 5 * 1024 * 1024 + 8 - 2 * 1024 * 1024;
  t.deepEqual(capped.dropped, { stdout: dropped, stderr: 0 });
  t.is(capped.stdout.subarray(0, 6).toString(), 'startq');
  t.is(capped.stdout.subarray(-4).toString(), 'qend');
  t.true(capped.stdout.includes(`\n[quorum: ${dropped} bytes of output dropped here;`));
  t.is((await conn.exec('printf next')).stdout.toString(), 'next', 'the shell is framed right after dropping');
});

test('non-zero exits are results, and exit/cd do not end or change the shell', async (t) => {
  const conn = await connect();
  t.is((await conn.exec('exit 3')).exitCode, 3);
  t.is((await conn.exec('no-such-command-quorum')).exitCode, 127);
  t.is((await conn.exec(`sh -c 'kill -9 $$'`)).exitCode, 137);
  t.is((await conn.exec('cd / && set -e && false')).exitCode, 1);
  // Killing the shell itself ends only that command; the next one gets a new shell.
  const killed = await conn.exec('echo last words; kill -9 $$');
  t.is(killed.exitCode, 255);
  t.is(killed.stdout.toString(), 'last words\n');
  const pwd = await conn.exec('pwd');
  t.is(pwd.stdout.toString(), '/home/ubuntu\n');
  const opts = await conn.exec(['sh', '-c', 'printf "%s %s" "$PWD" "$GREETING"'], { cwd: '/etc', env: { GREETING: "it's me" } });
  t.is(opts.stdout.toString(), "/etc it's me");
});

test('sudo runs in the root shell, the rest as the login user; parallel calls are queued', async (t) => {
  const conn = await connect();
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => conn.exec(`id -u; echo ${i}`, { sudo: i % 2 === 0 })));
  results.forEach((r, i) => t.is(r.stdout.toString(), `${i % 2 === 0 ? 0 : 1000}\n${i}\n`));
});

test('a timeout returns 124, kills the command on the host, and the next command gets a fresh shell', async (t) => {
  const conn = await connect();
  const tag = `3${randomBytes(2).readUInt16BE() % 1000}.5`;
  const r = await conn.exec(`echo started; sleep ${tag}`, { timeoutMs: 1000 });
  t.is(r.exitCode, 124);
  t.true(r.timedOut);
  t.is(r.stdout.toString(), 'started\n');
  // Bracket the first digit so the search does not find its own command line.
  const asRoot = await conn.exec(`sleep ${tag}`, { sudo: true, timeoutMs: 1000 });
  t.true(asRoot.timedOut);
  t.is((await conn.exec('id -u', { sudo: true })).stdout.toString(), '0\n');
  const left = await conn.exec(`cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' ' | grep -c 'sleep [${tag[0]}]${tag.slice(1)}' || true`, { sudo: true });
  t.is(left.stdout.toString(), '0\n');
});

test('put and get round-trip small (shell) and large (SFTP) files, with mode and owner, atomically', async (t) => {
  const conn = await connect(1);
  const dir = `/tmp/quorum-ssh-test-${randomBytes(4).toString('hex')}`;
  t.is((await conn.exec(['mkdir', '-m', '0755', dir], { sudo: true })).exitCode, 0);
  const small = Buffer.concat([Buffer.from('small\n'), randomBytes(1000)]);
  const large = randomBytes(300 * 1024);
  await conn.put(`${dir}/small`, small, { mode: '0640', owner: 'root', group: 'ubuntu', sudo: true });
  await conn.put(`${dir}/large`, large, { mode: '0600', owner: 'root', sudo: true });
  await conn.put(`/tmp/quorum-ssh-test-own-${dir.slice(-8)}`, large, { mode: '0604' });
  const stat = await conn.exec(`stat -c '%n %a %U %G' ${dir}/small ${dir}/large /tmp/quorum-ssh-test-own-${dir.slice(-8)}; ls -A ${dir}`, { sudo: true });
  t.is(
    stat.stdout.toString(),
    `${dir}/small 640 root ubuntu\n${dir}/large 600 root root\n/tmp/quorum-ssh-test-own-${dir.slice(-8)} 604 ubuntu ubuntu\nlarge\nsmall\n`,
  );
  t.true((await conn.get(`${dir}/small`, { sudo: true })).equals(small));
  t.true((await conn.get(`${dir}/large`, { sudo: true })).equals(large));
  await t.throwsAsync(conn.get(`${dir}/large`), { instanceOf: CommandError, message: /Permission denied/ });
  const leftovers = await conn.exec('ls -A /tmp | grep -c quorum-upload || true');
  t.is(leftovers.stdout.toString(), '0\n');
  await t.throwsAsync(conn.put('/no-such-dir/file', small), { instanceOf: CommandError });
  await conn.exec(['rm', '-rf', dir, `/tmp/quorum-ssh-test-own-${dir.slice(-8)}`], { sudo: true });
});

test('text puts travel inside the command: exact bytes, mode from the umask or chmod, as root and as the login user', async (t) => {
  const conn = await connect(1);
  const tag = randomBytes(4).toString('hex');
  const text = `quotes ' " \`x\` $HOME %s \\n\nünïcødé ✓\n\n  no newline at the end`;
  await conn.put(`/etc/quorum-text-${tag}.conf`, Buffer.from(text), { mode: '0644', sudo: true });
  await conn.put(`/tmp/quorum-text-${tag}.sh`, Buffer.from('#!/bin/sh\necho ran\n'), { mode: '0755' });
  const stat = await conn.exec(`stat -c '%a %U' /etc/quorum-text-${tag}.conf /tmp/quorum-text-${tag}.sh; /tmp/quorum-text-${tag}.sh`);
  t.is(stat.stdout.toString(), `644 root\n755 ubuntu\nran\n`);
  t.is((await conn.get(`/etc/quorum-text-${tag}.conf`)).toString('utf8'), text);
  await conn.exec(['rm', '-f', `/etc/quorum-text-${tag}.conf`, `/tmp/quorum-text-${tag}.sh`], { sudo: true });
});

test('a known_hosts entry with another key is refused, naming host and both fingerprints', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'quorum-kh-'));
  const file = join(dir, 'known_hosts');
  const [target, impostor] = [spare[0]!, spare[1]!];
  // The second host's keys, filed under the first host's address: a host key mismatch.
  const lines = (await readFile(lab!.knownHostsFile, 'utf8')).split('\n').filter((l) => l.startsWith(`${impostor.address},`));
  await writeFile(file, lines.map((l) => l.replace(/^\S+/, target.address)).join('\n') + '\n');
  const err = await t.throwsAsync(openConnection(specOf(0, { knownHostsFile: file })), { instanceOf: UnreachableError });
  t.regex(err!.message, new RegExp(`^${target.name}: HOST KEY MISMATCH for ${target.address.replace(/\./g, '\\.')}: known_hosts expect SHA256:\\S+ .* but the host offered SHA256:\\S+`));
});

test('an unknown host under strict is refused; accept-new learns it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'quorum-kh-'));
  const file = join(dir, 'known_hosts');
  await t.throwsAsync(openConnection(specOf(0, { knownHostsFile: file })), { instanceOf: UnreachableError, message: /not in known_hosts/ });
  const conn = await connect(0, { knownHostsFile: file, hostKeyPolicy: 'accept-new' });
  t.is((await conn.exec('true')).exitCode, 0);
  t.regex(await readFile(file, 'utf8'), new RegExp(`^${spare[0]!.address} ssh-\\S+ AAAA\\S+\\n$`));
  t.truthy(await connect(0, { knownHostsFile: file }));
});

test('an address where no host answers is UnreachableError', async (t) => {
  const address = lab!.bridgeAddress.replace(/\d+$/, '250');
  const err = await t.throwsAsync(openConnection(specOf(0, { address, connectTimeoutMs: 2000 })), { instanceOf: UnreachableError });
  t.true(err!.message.includes(address));
});

test('killing the host side of the connection makes pending and later calls UnreachableError', async (t) => {
  const conn = await connect(2);
  t.is((await conn.exec('true')).exitCode, 0);
  // $PPID of the shell is this connection's own sshd process; other connections are untouched.
  await t.throwsAsync(conn.exec('sudo -n kill -KILL $PPID'), { instanceOf: UnreachableError });
  await t.throwsAsync(conn.exec('true'), { instanceOf: UnreachableError });
  await t.throwsAsync(conn.put('/tmp/x', Buffer.from('x')), { instanceOf: UnreachableError });
});

test('close ends the connection: later calls throw, closing twice is fine', async (t) => {
  const conn = await connect();
  await conn.close();
  await conn.close();
  await t.throwsAsync(conn.exec('true'), { instanceOf: UnreachableError, message: /closed by quorum/ });
});

/** A user whose sudo asks for a password every time, created on the first spare host. */
let sudoer: Promise<string> | undefined;
function createPasswordSudoer(password: string): Promise<string> {
  sudoer ??= setUpPasswordSudoer(password);
  return sudoer;
}

async function setUpPasswordSudoer(password: string): Promise<string> {
  const user = 'quorumpw';
  const root = await connect();
  const setup = [
    `id ${user} >/dev/null 2>&1 || useradd -m -s /bin/sh ${user}`,
    `chpasswd`,
    `install -d -m 0700 -o ${user} -g ${user} /home/${user}/.ssh`,
    `install -m 0600 -o ${user} -g ${user} /home/ubuntu/.ssh/authorized_keys /home/${user}/.ssh/authorized_keys`,
  ].join(' && ');
  const r = await root.exec(setup, { sudo: true, stdin: `${user}:${password}\n` });
  if (r.exitCode !== 0) throw new Error(`setting up ${user} failed: ${r.stderr}`);
  await root.put(`/etc/sudoers.d/${user}`, Buffer.from(`Defaults:${user} timestamp_timeout=0\n${user} ALL=(ALL) ALL\n`), { mode: '0440', owner: 'root', group: 'root', sudo: true });
  return user;
}

const sudoerPassword = `pw-${randomBytes(6).toString('hex')}`;

test('become with a password: sudo -S is fed it once, a wrong one is refused, and it is never printed', async (t) => {
  const password = sudoerPassword;
  const user = await createPasswordSudoer(password);
  const good = await connect(0, { user, becomePassword: password });
  const asRoot = await good.exec('id -u; id -un', { sudo: true });
  t.is(asRoot.stdout.toString(), '0\nroot\n');
  t.is((await good.exec('id -un; sudo -n true 2>/dev/null; echo $?')).stdout.toString(), `${user}\n1\n`);
  t.is((await good.exec('id -u', { sudo: true })).stdout.toString(), '0\n');

  const bad = await connect(0, { user, becomePassword: 'wrong-password' });
  const refused = await bad.exec('id -u', { sudo: true });
  t.is(refused.exitCode, 1);
  t.is(refused.stderr.toString(), 'sudo rejected the become password');
  t.is((await bad.exec('id -un')).stdout.toString(), `${user}\n`);

  const none = await connect(0, { user });
  const noPassword = await none.exec('id -u', { sudo: true });
  t.is(noPassword.exitCode, 1);
  t.regex(noPassword.stderr.toString(), /password is required/);

  for (const r of [asRoot, refused, noPassword]) t.false(Buffer.concat([r.stdout, r.stderr]).includes(password));
});

test('a become password given for a NOPASSWD user never reaches the shell as a command', async (t) => {
  // Were the password line read by the shell, this command would leave the file behind.
  const witness = `/tmp/quorum-injected-${randomBytes(4).toString('hex')}`;
  const conn = await connect(0, { becomePassword: `touch ${witness}` });
  const r = await conn.exec('id -u', { sudo: true });
  t.is(r.stdout.toString(), '0\n');
  t.is(r.stderr.toString(), '');
  t.is((await conn.exec(['test', '-e', witness])).exitCode, 1);
});

test('password authentication works without any key', async (t) => {
  const user = await createPasswordSudoer(sudoerPassword);
  const conn = await connect(0, { user, password: sudoerPassword, privateKeyFile: undefined });
  t.is((await conn.exec('id -un')).stdout.toString(), `${user}\n`);
  await t.throwsAsync(openConnection(specOf(0, { user, password: 'wrong', privateKeyFile: undefined })), { instanceOf: UnreachableError, message: /authentication failed/ });
});

test('an encrypted key without a terminal is a clear error naming the file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'quorum-key-'));
  const keyFile = join(dir, 'id_encrypted');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'a passphrase', '-f', keyFile]);
  const err = await t.throwsAsync(openConnection(specOf(0, { privateKeyFile: keyFile })), { instanceOf: ConfigError });
  t.true(err!.message.startsWith(`${keyFile}:1:1`));
  t.regex(err!.message, /encrypted and there is no terminal .* ssh-agent/);
});

test('ssh-agent via SSH_AUTH_SOCK authenticates without a key file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'quorum-agent-'));
  const sock = join(dir, 'agent.sock');
  const out = execFileSync('ssh-agent', ['-a', sock, '-s'], { encoding: 'utf8' });
  const agentPid = /SSH_AGENT_PID=(\d+)/.exec(out)![1]!;
  const previous = process.env.SSH_AUTH_SOCK;
  try {
    execFileSync('ssh-add', ['-q', lab!.keyFile], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
    process.env.SSH_AUTH_SOCK = sock;
    const conn = await connect(0, { privateKeyFile: undefined });
    t.is((await conn.exec('id -un')).stdout.toString(), 'ubuntu\n');
  } finally {
    if (previous === undefined) delete process.env.SSH_AUTH_SOCK;
    else process.env.SSH_AUTH_SOCK = previous;
    process.kill(Number(agentPid));
  }
});

test('through a jump host: the host sees the jump host as its SSH client; closing ends both', async (t) => {
  const [bastion, target] = [spare[0]!, spare[1]!];
  const conn = await connect(1, { jumpHosts: [{ address: bastion.address, port: 22 }] });
  // SSH_CONNECTION is "client-ip client-port server-ip server-port" as the host's sshd saw it.
  const seen = (await conn.exec('echo "$SSH_CONNECTION"; hostname')).stdout.toString().trim().split('\n');
  t.is(seen[0]!.split(' ')[0], bastion.address, 'the connection came from the jump host, not from the bridge');
  t.is(seen[0]!.split(' ')[2], target.address);
  t.is(seen[1], target.name);
  t.is((await conn.exec('true', { sudo: true })).exitCode, 0);
  // A direct connection for comparison comes from the bridge address.
  const direct = await connect(1);
  t.is((await direct.exec('echo "$SSH_CONNECTION"')).stdout.toString().split(' ')[0], lab!.bridgeAddress);
  await conn.close();
  await t.throwsAsync(conn.exec('true'), { instanceOf: UnreachableError });
});

test('a jump host whose key does not match known_hosts is refused, naming the jump host', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'quorum-kh-'));
  const file = join(dir, 'known_hosts');
  const [bastion, target, impostor] = [spare[0]!, spare[1]!, spare[2] ?? spare[1]!];
  // The target's own line stays right; the jump host's line carries another host's keys.
  const all = (await readFile(lab!.knownHostsFile, 'utf8')).split('\n');
  const targetLines = all.filter((l) => l.startsWith(`${target.address},`));
  const forged = all.filter((l) => l.startsWith(`${impostor.address},`)).map((l) => l.replace(/^\S+/, bastion.address));
  await writeFile(file, [...targetLines, ...forged].join('\n') + '\n');
  const err = await t.throwsAsync(openConnection(specOf(1, { knownHostsFile: file, jumpHosts: [{ address: bastion.address, port: 22 }] })), { instanceOf: UnreachableError });
  t.regex(err!.message, new RegExp(`^${target.name} \\(jump host ${bastion.address.replace(/\./g, '\\.')}\\): HOST KEY MISMATCH`));
});

test('a jump host that cannot reach the host says so, naming both', async (t) => {
  const bastion = spare[0]!;
  // A port nothing listens on: the jump host answers, the forward is refused.
  const err = await t.throwsAsync(openConnection(specOf(1, { port: 1, jumpHosts: [{ address: bastion.address, port: 22 }] })), { instanceOf: UnreachableError });
  t.regex(err!.message, new RegExp(`jump host ${bastion.address.replace(/\./g, '\\.')}\\): cannot reach ${spare[1]!.address.replace(/\./g, '\\.')}:1 from the jump host`));
});
