/**
 * Host facts parsed from captured real output (test/fixtures/facts/*.txt: this controller and
 * lab hosts. The three older captures were converted to the current layout: one `uname -nrm`
 * section, MemTotal as the shell's `read` prints it, no stamps section, as on a host without
 * mktemp. lab-infra3-probed.txt and lab-infra3-remembered.txt are captures of the current
 * script as they came), the script run for real on the controller, and the per-host fact cache
 * over a real LocalConnection. Tool stamps and remembered versions: tool-versions.test.ts.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, readFileSync as readText } from 'node:fs';
import { tmpdir, hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { buildHostFactsScript, gatherHostFacts, parseHostFacts, parseVersion, splitSections, type HostFacts } from '../../runner/facts/host-facts.js';
import { createFactCache, createHostFactCache } from '../../runner/facts/cache.js';
import { LocalConnection } from '../../runner/connection/local.js';
import type { Fact } from '../../runner/types.js';
import { recordingLocal } from '../helpers/module-run.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/facts/${name}`, import.meta.url), 'utf8');

const bookworm = { id: 'debian', versionId: '12', prettyName: 'Debian GNU/Linux 12 (bookworm)' };
const noRuntimes = { containerd: null, crio: null, docker: null };

test('lab host (bookworm in systemd-nspawn, as the lab user): every field', (t) => {
  const expected: HostFacts = {
    hostname: 'infra3',
    fqdn: 'infra3',
    os: bookworm,
    // This capture predates the debian-version, links and clock sections: they parse as empty.
    osRelease: { name: 'Debian GNU/Linux', idLike: [], codename: 'bookworm' },
    debianVersion: null,
    kernel: '6.18.44-fc-v782',
    architecture: 'x86_64',
    cpus: 2,
    memoryTotalBytes: 24683656 * 1024,
    links: {},
    interfaces: {
      lo: { ipv4: ['127.0.0.1/8'], ipv6: ['::1/128'] },
      eth0: { ipv4: ['10.213.0.13/24'], ipv6: ['fe80::7cbd:c7ff:fe25:6e08/64'] },
    },
    // Lab hosts have no default route on purpose (their network never leaves the machine).
    defaultInterface: null,
    defaultGateway4: null,
    defaultIpv4: null,
    defaultIpv6: null,
    initName: 'systemd',
    systemd: true,
    systemdVersion: 252,
    cgroupVersion: 1,
    clock: null,
    containerRuntimes: noRuntimes,
    versions: { kubeadm: null, kubelet: null, etcd: '3.4.23', etcdctl: '3.4.23' },
  };
  t.deepEqual(parseHostFacts(fixture('lab-infra3-bookworm.txt')), expected);
});

test('lab host run as root with containerd and docker sockets present', (t) => {
  const facts = parseHostFacts(fixture('lab-infra5-sockets-root.txt'));
  t.is(facts.hostname, 'infra5');
  t.deepEqual(facts.interfaces.eth0?.ipv4, ['10.213.0.15/24']);
  // /var/run is a symlink to /run: the script sees both paths, the parser keeps the canonical one.
  t.deepEqual(facts.containerRuntimes, { containerd: '/run/containerd/containerd.sock', crio: null, docker: '/run/docker.sock' });
  t.is(facts.systemd, true);
  t.deepEqual(facts.versions, { kubeadm: null, kubelet: null, etcd: '3.4.23', etcdctl: '3.4.23' });
});

test('controller (Debian 12, no systemd as pid 1, default routes): every field', (t) => {
  const facts = parseHostFacts(fixture('controller-debian12.txt'));
  const { interfaces, ...rest } = facts;
  t.deepEqual(rest, {
    hostname: 'vm',
    fqdn: 'vm',
    os: bookworm,
    osRelease: { name: 'Debian GNU/Linux', idLike: [], codename: 'bookworm' },
    debianVersion: null,
    links: {},
    defaultGateway4: '192.0.2.1',
    clock: null,
    kernel: '6.18.44-fc-v782',
    architecture: 'x86_64',
    cpus: 2,
    memoryTotalBytes: 24683656 * 1024,
    defaultInterface: 'eth0',
    defaultIpv4: '192.0.2.2',
    // The link-local fe80:: address is skipped: it is not what the default route uses.
    defaultIpv6: 'fd00::2',
    initName: 'process_api',
    systemd: false,
    systemdVersion: 252,
    cgroupVersion: 1,
    containerRuntimes: noRuntimes,
    versions: { kubeadm: null, kubelet: null, etcd: null, etcdctl: '3.4.23' },
  });
  t.deepEqual(interfaces.eth0, { ipv4: ['192.0.2.2/24'], ipv6: ['fd00::2/64', 'fe80::fc:ff:fe00:1/64'] });
  t.deepEqual(interfaces.qlab0, { ipv4: ['10.213.0.1/24'], ipv6: ['fe80::38ce:e2ff:fef3:5a5d/64'] });
  t.deepEqual(interfaces['qv-infra0'], { ipv4: [], ipv6: ['fe80::8867:4aff:fe60:623/64'] });
  t.deepEqual(Object.keys(interfaces), ['lo', 'eth0', 'qlab0', 'qv-infra0', 'qv-infra1', 'qv-infra2', 'qv-infra3', 'qv-infra4', 'qv-infra5']);
});

test('the memory fixture value is the MemTotal line, in bytes', (t) => {
  const line = splitSections(fixture('controller-debian12.txt')).get('meminfo');
  t.is(line, 'MemTotal: 24683656 kB');
});

test('versions as kubeadm, kubelet, etcd and etcdctl print them', (t) => {
  t.is(parseVersion('v1.31.2'), 'v1.31.2');
  t.is(parseVersion('Kubernetes v1.30.14'), 'v1.30.14');
  t.is(parseVersion('etcd Version: 3.5.16\nGit SHA: f20bbad\nGo Version: go1.22.7'), '3.5.16');
  t.is(parseVersion('etcdctl version: 3.4.23\nAPI version: 3.4'), '3.4.23');
  t.is(parseVersion('v1.32.0-rc.1'), 'v1.32.0-rc.1');
  t.is(parseVersion('command not found'), null);
});

test('output cut short is an error that says so', (t) => {
  const cut = fixture('lab-infra3-bookworm.txt').split('::quorum:: cgroup')[0]!;
  t.throws(() => parseHostFacts(cut), { message: /no end marker.*cut short/s });
  t.throws(() => parseHostFacts('Welcome to the host!\n'), { message: /no end marker/ });
});

test('an empty or short uname section is an error naming the section', (t) => {
  const short = fixture('lab-infra3-bookworm.txt').replace('infra3 6.18.44-fc-v782 x86_64\n', 'infra3\n');
  t.throws(() => parseHostFacts(short), { message: /section "uname" is empty or short/ });
  const empty = fixture('lab-infra3-bookworm.txt').replace('infra3 6.18.44-fc-v782 x86_64\n', '\n');
  t.throws(() => parseHostFacts(empty), { message: /section "uname" is empty or short/ });
});

test('the script is POSIX: dash runs it and it ends with the end marker', (t) => {
  const out = execFileSync('dash', ['-c', buildHostFactsScript()], { encoding: 'utf8' });
  t.true(out.trimEnd().endsWith('::quorum:: end'));
  t.is(parseHostFacts(out).hostname, execFileSync('uname', ['-n'], { encoding: 'utf8' }).trim());
});

test('gatherHostFacts over a LocalConnection agrees with Node and /etc/os-release', async (t) => {
  const facts = await gatherHostFacts(new LocalConnection());
  t.is(facts.hostname, osHostname());
  const osRelease = readText('/etc/os-release', 'utf8');
  t.is(facts.os.id, osRelease.match(/^ID=(.*)$/m)![1]!.replace(/"/g, ''));
  t.true(facts.cpus >= 1);
  t.true(facts.memoryTotalBytes > 0);
  t.deepEqual(facts.interfaces.lo?.ipv4, ['127.0.0.1/8']);
});

/** A fact that appends to a counter file each time it really runs, so runs can be counted on disk. */
function countingFact(counter: string): Fact<string, string> {
  return {
    name: 'echo-count',
    command: (word) => `echo x >> ${counter}; echo ${word}`,
    parse: ({ stdout, exitCode }) => `${exitCode}:${stdout.trim()}`,
  };
}

const runsOf = (counter: string) => readText(counter, 'utf8').split('\n').filter(Boolean).length;

test('fact cache: one run per name and args, including concurrent gets; clear forgets', async (t) => {
  const counter = join(mkdtempSync(join(tmpdir(), 'quorum-facts-')), 'runs');
  const cache = createFactCache(new LocalConnection(), { sudo: false });
  const fact = countingFact(counter);
  const [a, b] = await Promise.all([cache.get(fact, 'alpha'), cache.get(fact, 'alpha')]);
  t.is(a, '0:alpha');
  t.is(b, '0:alpha');
  t.is(runsOf(counter), 1);
  t.is(await cache.get(fact, 'beta'), '0:beta');
  t.is(runsOf(counter), 2);
  t.is(await cache.get(fact, 'alpha'), '0:alpha');
  t.is(runsOf(counter), 2);
  cache.clear();
  await cache.get(fact, 'alpha');
  t.is(runsOf(counter), 3);
});

test('fact cache: a failing parse is not cached, so the next get runs again', async (t) => {
  const counter = join(mkdtempSync(join(tmpdir(), 'quorum-facts-')), 'runs');
  let fail = true;
  const fact: Fact<string, void> = {
    name: 'flaky',
    command: () => `echo x >> ${counter}; echo ok`,
    parse: ({ stdout }) => {
      if (fail) throw new Error('parse failed');
      return stdout.trim();
    },
  };
  const cache = createFactCache(new LocalConnection(), { sudo: false });
  await t.throwsAsync(cache.get(fact, undefined), { message: 'parse failed' });
  fail = false;
  t.is(await cache.get(fact, undefined), 'ok');
  t.is(runsOf(counter), 2);
});

test('fact cache: a task that becomes reads facts as root, one that does not as the login user; a change clears both', async (t) => {
  // The bug this pins: the privilege came from the inventory's ansible_become alone, so a play
  // with `become: true` read root-only paths as the login user and changed them on every run.
  const { conn, calls } = recordingLocal();
  const counter = join(mkdtempSync(join(tmpdir(), 'quorum-facts-')), 'runs');
  const fact = countingFact(counter);
  const host = createHostFactCache(conn);
  await host.forTask(true).get(fact, 'x');
  await host.forTask(false).get(fact, 'x');
  await host.forTask(true).get(fact, 'x');
  t.deepEqual(calls.map((c) => c.sudo), [true, false], 'one run per privilege, each with its own');
  host.forTask(false).clear();
  await host.forTask(true).get(fact, 'x');
  t.is(runsOf(counter), 3, 'a change applied by either clears what both know');
});

test('fact cache: a change applied to one host makes every host of the run read again', async (t) => {
  // A task on one host may change another (a command copying files to its peers).
  const counter = join(mkdtempSync(join(tmpdir(), 'quorum-facts-')), 'runs');
  const fact = countingFact(counter);
  const epoch = { value: 0 };
  const [a, b] = [createHostFactCache(new LocalConnection('a'), epoch), createHostFactCache(new LocalConnection('b'), epoch)];
  await b.forTask(false).get(fact, 'x');
  await b.forTask(false).get(fact, 'x');
  t.is(runsOf(counter), 1);
  a.forTask(false).clear();
  await b.forTask(false).get(fact, 'x');
  t.is(runsOf(counter), 2, 'b read again after the change on a');
  t.is(b.generation, 1);
});

test('fact cache: sudo when the task becomes or the fact asks for root', async (t) => {
  const { conn, calls } = recordingLocal();
  const plain: Fact<string, void> = { name: 'p', command: () => 'echo p', parse: ({ stdout }) => stdout.trim() };
  const rooted: Fact<string, void> = { ...plain, name: 'r', sudo: true };
  await createFactCache(conn, { sudo: false }).get(plain, undefined);
  await createFactCache(conn, { sudo: false }).get(rooted, undefined);
  await createFactCache(conn, { sudo: true }).get(plain, undefined);
  t.deepEqual(calls.map((c) => c.sudo), [false, true, true]);
});
