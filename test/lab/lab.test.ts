/**
 * The lab itself: every host is up, reachable over SSH with host key checking, booted cleanly,
 * named after its machine, carrying etcd, and described correctly by quorum's host facts
 * (checked against the system ssh client, a second implementation).
 */
import test from 'ava';
import { readFileSync, readlinkSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { gatherHostFacts } from '../../runner/facts/host-facts.js';
import { ToolVersionCache } from '../../runner/facts/version-cache.js';
import { buildScript, quote } from '../../runner/connection/quote.js';
import type { Connection, ExecResult } from '../../runner/connection/types.js';
import { labStatus, labUp } from '../../runner/lab/lab.js';
import { parseAptMirror, readAptMirror } from '../../runner/lab/rootfs.js';
import { labHosts, labInventoryPath, labState, sshExec, type LabHost } from '../helpers/lab.js';

const all = labHosts('all');

/** A Connection over the system ssh client (our ssh2 connection is tested in its own suite). */
function sshConnection(host: LabHost): Connection {
  const exec = async (command: string | readonly string[], options: { sudo?: boolean; stdin?: Uint8Array | string; cwd?: string; env?: Record<string, string> } = {}): Promise<ExecResult> => {
    const script = buildScript(command, options);
    const started = performance.now();
    const r = await sshExec(host, options.sudo ? `sudo -n sh -c ${quote(script)}` : script, { stdin: options.stdin?.toString() });
    if (r.code === 255) throw new Error(`${host.name}: ssh failed: ${r.stderr}`);
    return { exitCode: r.code, stdout: Buffer.from(r.stdout), stderr: Buffer.from(r.stderr), durationMs: performance.now() - started };
  };
  return {
    host: host.name,
    exec,
    async put(dest, content, options = {}) {
      const r = await exec(`cat > ${quote(dest)}`, { sudo: options.sudo, stdin: Buffer.from(content).toString() });
      if (r.exitCode !== 0) throw new Error(`put ${dest}: ${r.stderr.toString()}`);
    },
    async get(path, options = {}) {
      const r = await exec(['cat', '--', path], options);
      if (r.exitCode !== 0) throw new Error(`get ${path}: ${r.stderr.toString()}`);
      return r.stdout;
    },
    async close() {},
  };
}

test('the lab is up with the etcd group first', async (t) => {
  const status = await labStatus();
  t.true(status.up, JSON.stringify(status.hosts.filter((h) => !h.running || !h.sshPort)));
  t.true(all.length >= 3);
  t.deepEqual(labHosts('etcd').map((h) => h.name), ['infra0', 'infra1', 'infra2']);
  t.deepEqual(labHosts('spare').map((h) => h.name), all.slice(3).map((h) => h.name));
});

test('the inventory lists the groups, connection variables and known_hosts', (t) => {
  const inv = parseYaml(readFileSync(labInventoryPath(), 'utf8'));
  const state = labState();
  t.is(inv.all.vars.quorum_known_hosts, state.knownHostsFile);
  t.deepEqual(Object.keys(inv.all.children.etcd.hosts), ['infra0', 'infra1', 'infra2']);
  t.deepEqual(Object.keys(inv.all.children.spare.hosts ?? {}), all.slice(3).map((h) => h.name));
  const infra1 = inv.all.children.etcd.hosts.infra1;
  t.deepEqual(infra1, { ansible_host: all[1]!.address, ansible_user: 'ubuntu', ansible_ssh_private_key_file: state.keyFile, ansible_become: true });
});

for (const host of all) {
  test(`${host.name}: ssh with host key checking, hostname, sudo, no default route`, async (t) => {
    const r = await sshExec(host, 'hostname; sudo -n id -u; ip -4 route show default | wc -l');
    t.is(r.code, 0, r.stderr);
    t.deepEqual(r.stdout.trim().split('\n'), [host.name, '0', '0']);
  });
}

test('every host booted cleanly (or is degraded only by units a test suite left behind)', async (t) => {
  for (const host of all) {
    const r = await sshExec(host, 'systemctl is-system-running; systemctl --failed --no-legend --plain | cut -d" " -f1');
    const [state, ...failed] = r.stdout.trim().split('\n').filter(Boolean);
    const base = failed.filter((u) => /^(ssh|quorum-ssh-hostkeys|dbus|systemd-[a-z-]+)\.(service|socket)$/.test(u));
    // Lab suites run units of their own on spare hosts; a failed one degrades the host but not the lab.
    if (state === 'degraded') t.true(failed.length > 0 && base.length === 0, `${host.name} degraded by base units: ${base.join(', ')}`);
    else t.is(state, 'running', `${host.name}: ${r.stdout}`);
    if (labHosts('etcd').some((h) => h.name === host.name)) t.is(state, 'running', `${host.name}: ${failed.join(', ')}`);
  }
});

test('etcd 3.4 is installed, and the image masks its packaged service', async (t) => {
  // A spare host: the etcd-ha suite replaces etcd.service on the etcd group, as it should.
  const r = await sshExec(all[all.length - 1]!, 'etcd --version | head -n 1; etcdctl version | head -n 1');
  const [etcd, etcdctl] = r.stdout.trim().split('\n');
  t.regex(etcd ?? '', /^etcd Version: 3\.4\.\d+$/);
  t.regex(etcdctl ?? '', /^etcdctl version: 3\.4\.\d+$/);
  t.is(readlinkSync(`${labState().rootfs}/etc/systemd/system/etcd.service`), '/dev/null');
});

test('each host runs in a cgroup of its own', (t) => {
  const seen = new Set<string>();
  for (const h of labState().hosts) {
    const init = readFileSync(`/proc/${h.pid}/task/${h.pid}/children`, 'utf8').trim().split(' ')[0];
    const line = readFileSync(`/proc/${init}/cgroup`, 'utf8').split('\n').find((l) => /^\d+:(name=systemd)?:/.test(l)) ?? '';
    t.regex(line, new RegExp(`/quorum-lab\\d+-${h.name}/payload/init\\.scope$`), h.name);
    seen.add(line);
  }
  t.is(seen.size, labState().hosts.length);
});

test('each host has its own SSH host key', (t) => {
  const lines = readFileSync(labState().knownHostsFile, 'utf8').split('\n').filter((l) => l.includes(' ssh-ed25519 '));
  t.is(lines.length, all.length);
  t.is(new Set(lines.map((l) => l.split(' ')[2])).size, all.length);
  for (const h of all) t.true(lines.some((l) => l.startsWith(`${h.address},${h.name} `)), h.name);
});

test('hosts reach each other by name through the bridge', async (t) => {
  const [a, b] = all;
  const r = await sshExec(a!, `getent hosts ${b!.name}; timeout 5 bash -c '</dev/tcp/${b!.name}/22' && echo open`);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(r.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]), [b!.address, 'open']);
});

test('gatherHostFacts over ssh agrees with what the host says to the system ssh client', async (t) => {
  for (const host of [all[0]!, all[all.length - 1]!]) {
    const facts = await gatherHostFacts(sshConnection(host));
    const r = await sshExec(host, '. /etc/os-release; echo "$ID|$VERSION_ID|$PRETTY_NAME"; uname -n; uname -r; nproc');
    const [osLine, name, kernel, cpus] = r.stdout.trim().split('\n');
    t.is(`${facts.os.id}|${facts.os.versionId}|${facts.os.prettyName}`, osLine);
    t.is(facts.hostname, name);
    t.is(facts.hostname, host.name);
    t.is(facts.kernel, kernel);
    t.is(facts.cpus, Number(cpus));
    t.deepEqual(facts.interfaces.eth0?.ipv4, [`${host.address}/24`]);
    t.is(facts.defaultIpv4, null);
    t.true(facts.systemd);
    t.regex(facts.versions.etcd ?? '', /^3\.4\.\d+$/);
  }
});

test('facts read with builtins and remembered agree with the programs they replace, as the lab user and as root', async (t) => {
  const host = all[0]!;
  const versions = ToolVersionCache.load(undefined);
  // The host's own programs: uname, nproc, stat -f, systemctl (the facts script runs none of them on a re-run).
  const r = await sshExec(host, 'uname -n; uname -r; uname -m; nproc; stat -fc %T /sys/fs/cgroup; systemctl --version | head -n 1');
  const [name, kernel, machine, cpus, fsType, systemd] = r.stdout.trim().split('\n');
  t.is(r.code, 0, r.stderr);
  for (const sudo of [false, true]) {
    // Twice on the same connection: probed, then remembered (version-cache.ts).
    const conn = sshConnection(host);
    for (const round of ['probed', 'remembered']) {
      const facts = await gatherHostFacts(conn, { sudo, versions });
      const what = `${sudo ? 'root' : 'user'}, ${round}`;
      t.deepEqual([facts.hostname, facts.kernel, facts.architecture, facts.cpus], [name, kernel, machine, Number(cpus)], what);
      t.is(facts.cgroupVersion, fsType === 'cgroup2fs' ? 2 : fsType === 'tmpfs' ? 1 : null, what);
      t.is(facts.systemdVersion, Number(systemd!.match(/^systemd (\d+)/)![1]), what);
      t.regex(facts.versions.etcd ?? '', /^3\.4\.\d+$/, what);
    }
  }
});

// Serial (runs before the others): it rewrites known_hosts and the state while reusing the lab.
test.serial('lab up with the same size reuses every running host', async (t) => {
  const before = labState().hosts.map((h) => [h.name, h.pid]);
  await labUp({ hosts: before.length, log: () => {} });
  t.deepEqual(labState().hosts.map((h) => [h.name, h.pid]), before);
  t.true((await labStatus()).up);
});

test('the root filesystem was bootstrapped from this machine\'s apt mirror', async (t) => {
  const built = readFileSync(`${labState().rootfs}/etc/apt/sources.list`, 'utf8');
  t.is(built.trim(), `deb ${await readAptMirror()} bookworm main`);
});

test('the mirror is read from deb822 and one-line sources, skipping security and updates', (t) => {
  const deb822 = 'Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n\nTypes: deb deb-src\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main\n';
  t.is(parseAptMirror(deb822), 'http://mirror.example/debian');
  const oneLine = '# comment\ndeb http://security.debian.org/debian-security bookworm-security main\ndeb http://ftp.example/debian bookworm-updates main\ndeb [arch=amd64] http://ftp.example/debian bookworm main\n';
  t.is(parseAptMirror(oneLine), 'http://ftp.example/debian');
  t.is(parseAptMirror('Types: deb-src\nURIs: http://x/debian\nSuites: bookworm\n'), undefined);
});
