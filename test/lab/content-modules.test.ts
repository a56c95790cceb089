/**
 * copy, template, lineinfile, blockinfile and stat on real hosts (sshd, sudo, the hosts' own sh
 * and coreutils), through the built CLI, and the facts under Ansible's names checked against
 * what the hosts themselves say (hostname, ip route, /etc/os-release, /etc/debian_version).
 *
 * The playbook (test/fixtures/playbooks/lab/content/site.yaml) works under its own directory
 * per run of the suite; --check on fresh hosts must create nothing, the first run changes every
 * content task, the second nothing; --check --diff after hand edits reports exactly those
 * tasks, shows the change, never the private key, and leaves every byte as it was.
 */
import { netnsName } from '../../runner/lab/paths.js';
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { labHosts, labInventoryPath, rootSh, sshExec, type LabHost } from '../helpers/lab.js';
import { runBuiltCli, PROJECT_DIR } from '../helpers/quorum.js';
import { openConnection } from '../../runner/connection/connect.js';
import { gatherHostFacts } from '../../runner/facts/host-facts.js';
import { ansibleFactsOf } from '../../runner/facts/ansible-facts.js';
import { labState } from '../helpers/lab.js';

const hosts = labHosts('all').slice(0, 3);
const BASE = `/opt/quorum-content-${process.pid}`;
const PLAYBOOK = join(PROJECT_DIR, 'test/fixtures/playbooks/lab/content/site.yaml');
const CONTENT_TASKS = ['copy content', 'copy src into a directory', 'copy remote_src', 'copy a key', 'template', 'sshd-like file', 'lineinfile regexp', 'lineinfile create', 'blockinfile'];
const KEY_BODY = 'TUlJQkZBS0VGQUtFRkFLRUtFWUJPRFlOT1RBUkVBTEtFWQ==';

interface HostEvent {
  kind: string;
  task: string;
  host: string;
  status: string;
  diffs: Array<{ label: string; before: string; after: string; secret?: boolean }>;
  result?: Record<string, unknown>;
}

async function play(...args: string[]): Promise<{ code: number; events: HostEvent[]; stdout: string; stderr: string }> {
  const r = await runBuiltCli(['run', PLAYBOOK, '-i', labInventoryPath(), '-e', `base=${BASE}`, '-o', 'json', ...args]);
  const events = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as HostEvent).filter((e) => e.kind === 'task:host');
  return { code: r.code, events, stdout: r.stdout, stderr: r.stderr };
}

const statusOf = (events: HostEvent[], task: string, host: string) => events.find((e) => e.task === task && e.host === host)?.status;

/** sha256 of every file under BASE on a host, one "sum  path" line each (sorted): what a run must not touch. */
const fingerprint = (h: LabHost) => rootSh(h, `if [ -d ${BASE} ]; then cd ${BASE} && find . -type f | sort | xargs -r sha256sum; stat -c '%a %U %n' * | sort; else echo absent; fi`);

test.before(() => {
  if (hosts.length < 3) throw new Error('content-modules needs 3 lab hosts: QUORUM_LAB_ID=N quorum lab up --hosts 3');
});

test.after.always(async () => {
  await Promise.all(hosts.map((h) => sshExec(h, `sudo -n rm -rf ${BASE}`)));
});

test.serial('--check on fresh hosts reports every content task as a change and creates nothing', async (t) => {
  const r = await play('--check');
  t.is(r.code, 0, r.stdout.slice(-2000) + r.stderr);
  for (const h of hosts) {
    for (const task of ['base directory', ...CONTENT_TASKS.filter((x) => x !== 'lineinfile regexp')]) t.is(statusOf(r.events, task, h.name), 'changed', `${task} on ${h.name}`);
    // Its file is created by an earlier task: in check mode it does not exist yet, so the effect cannot be predicted.
    t.is(statusOf(r.events, 'lineinfile regexp', h.name), 'skipped');
    t.is(statusOf(r.events, 'stat', h.name), 'ok', 'stat runs in check mode too');
    t.is((await fingerprint(h)).trim(), 'absent');
  }
});

test.serial('first run changes every content task; second run changes nothing', async (t) => {
  const first = await play();
  t.is(first.code, 0, first.stdout.slice(-3000) + first.stderr);
  for (const h of hosts) {
    for (const task of CONTENT_TASKS) t.is(statusOf(first.events, task, h.name), 'changed', `${task} on ${h.name}`);
    t.is(statusOf(first.events, 'stat says what the file is', h.name), 'ok');
  }
  const h = hosts[0]!;
  t.is(await rootSh(h, `cat ${BASE}/content.txt`), `hello from ${h.name}\n`);
  t.is(await rootSh(h, `stat -c '%a %U' ${BASE}/content.txt ${BASE}/fake.key ${BASE}/os-release`), '640 root\n600 root\n600 root\n');
  t.is(await rootSh(h, `cat ${BASE}/motd.txt`), 'Welcome to a quorum lab host.\n', 'dest ending in / receives src under its own name');
  t.is(await rootSh(h, `cat ${BASE}/os-release`), await rootSh(h, 'cat /etc/os-release'), 'remote_src follows the link and copies its bytes');
  const app = await rootSh(h, `cat ${BASE}/app.conf`);
  t.is(app, `# demo on ${h.name}\nhostname=${h.name}\naddress=${h.address}\nos=Debian 12 (Debian)\nport=8080\n`);
  t.is(await rootSh(h, `cat ${BASE}/sshd_config`), 'Port 22\nPasswordAuthentication no\nUsePAM yes\n');
  // lineinfile's backup holds the file as it was before the edit.
  t.is(await rootSh(h, `cat ${BASE}/sshd_config.*~`), 'Port 22\n#PasswordAuthentication yes\nUsePAM yes\n');
  t.is(await rootSh(h, `cat ${BASE}/hosts`), '# BEGIN ANSIBLE MANAGED BLOCK\n10.0.0.10 etcd-0\n10.0.0.11 etcd-1\n# END ANSIBLE MANAGED BLOCK\n');
  const stat = first.events.find((e) => e.task === 'stat' && e.host === h.name)?.result?.['stat'] as Record<string, unknown>;
  const [sha1] = (await rootSh(h, `sha1sum ${BASE}/content.txt`)).split(' ');
  t.like(stat, { exists: true, isreg: true, mode: '0640', uid: 0, pw_name: 'root', gr_name: 'root', checksum: sha1 });
  t.is(stat['mtime'], Number((await rootSh(h, `stat -c %Y ${BASE}/content.txt`)).trim()));

  const before = await Promise.all(hosts.map(fingerprint));
  const second = await play();
  t.is(second.code, 0, second.stderr);
  t.false(second.events.some((e) => e.status === 'changed'), second.events.filter((e) => e.status === 'changed').map((e) => `${e.task}@${e.host}`).join(', '));
  t.deepEqual(await Promise.all(hosts.map(fingerprint)), before, 'a second run touches no byte');
});

test.serial('--check --diff after hand edits reports exactly those tasks, shows the change, never the key, touches nothing', async (t) => {
  const h = hosts[1]!;
  await rootSh(h, [
    `echo 'changed by hand' > ${BASE}/content.txt`,
    `echo 'PasswordAuthentication yes' >> ${BASE}/sshd_config`,
    `sed -i 's/etcd-1/etcd-9/' ${BASE}/hosts`,
    `printf -- '-----BEGIN PRIVATE KEY-----\\nb3RoZXI=\\n-----END PRIVATE KEY-----\\n' > ${BASE}/fake.key`,
    `echo extra >> ${BASE}/motd.txt`,
  ].join(' && '));
  const before = await fingerprint(h);
  const r = await play('--check', '--diff');
  t.is(r.code, 0, r.stderr);
  const changed = r.events.filter((e) => e.status === 'changed').map((e) => `${e.task}@${e.host}`).sort();
  t.deepEqual(changed, ['blockinfile', 'copy a key', 'copy content', 'copy src into a directory', 'lineinfile regexp'].map((task) => `${task}@${h.name}`).sort());
  const diffOf = (task: string) => r.events.find((e) => e.task === task && e.host === h.name)!.diffs;
  t.deepEqual(diffOf('copy content')[0], { label: `${BASE}/content.txt`, before: 'changed by hand\n', after: `hello from ${h.name}\n` });
  t.regex(diffOf('blockinfile')[0]!.before, /etcd-9/);
  t.regex(diffOf('blockinfile')[0]!.after, /etcd-1/);
  // Ansible's last match: the line appended by hand is the one lineinfile replaces.
  t.deepEqual(diffOf('lineinfile regexp')[0]!.after, 'Port 22\nPasswordAuthentication no\nUsePAM yes\nPasswordAuthentication no\n');
  t.true(diffOf('copy a key')[0]!.secret, 'a private key diff is secret');
  t.deepEqual(diffOf('copy src into a directory')[0], { label: `${BASE}/motd.txt`, before: 'Welcome to a quorum lab host.\nextra\n', after: 'Welcome to a quorum lab host.\n' });
  t.false(r.stdout.includes(KEY_BODY) || r.stdout.includes('b3RoZXI='), 'no key material in the output');
  t.is(await fingerprint(h), before, '--check touched nothing');
  const fix = await play();
  t.is(fix.code, 0, fix.stderr);
  t.is(await rootSh(h, `cat ${BASE}/content.txt`), `hello from ${h.name}\n`);
});

test.serial('validate: content the command refuses is never written, and the task fails naming the command', async (t) => {
  const h = hosts[2]!;
  const before = await rootSh(h, `cat ${BASE}/app.conf`);
  const r = await play('-e', 'app_port=none', '--limit', h.name);
  t.is(r.code, 2, r.stdout.slice(-1500));
  const failed = r.events.find((e) => e.task === 'template' && e.host === h.name);
  t.is(failed?.status, 'failed');
  t.regex(JSON.stringify(failed), /grep -q/);
  t.is(await rootSh(h, `cat ${BASE}/app.conf`), before);
});

test.serial('ansible_* facts agree with hostname, ip route, /etc/os-release and /etc/debian_version on each host', async (t) => {
  const state = labState();
  const [withRoute] = hosts;
  // Lab hosts have no default route, and root inside one may not add it (no CAP_NET_ADMIN): add
  // it from the controller, in the host's network namespace (named q<lab id>-<host>).
  const netns = netnsName(withRoute!.name);
  const route = (verb: string) => execFileSync('ip', ['netns', 'exec', netns, 'ip', 'route', verb, 'default', ...(verb === 'del' ? [] : ['via', state.bridgeAddress, 'dev', 'eth0'])]);
  route('replace');
  t.teardown(() => {
    try {
      route('del');
    } catch {
      // already gone
    }
  });
  for (const h of hosts) {
    const conn = await openConnection({ name: h.name, kind: 'ssh', address: h.address, port: 22, user: h.user, privateKeyFile: h.keyFile, knownHostsFile: h.knownHostsFile, hostKeyPolicy: 'strict', connectTimeoutMs: 10_000 });
    try {
      const facts = ansibleFactsOf((await gatherHostFacts(conn)) as unknown as Record<string, unknown>);
      const said = (await sshExec(h, '. /etc/os-release; hostname; hostname -f; echo "$ID|$VERSION_ID|$VERSION_CODENAME"; cat /etc/debian_version; uname -m; nproc; ip -4 route show default; ip -o -4 addr show eth0; cat /sys/class/net/eth0/mtu; ip -o link show eth0; date +%s')).stdout.trim().split('\n');
      const [hostname, fqdn, osLine, debianVersion, machine, nproc] = said;
      const [id, versionId, codename] = osLine!.split('|');
      t.is(facts['hostname'], hostname);
      t.is(facts['fqdn'], fqdn);
      t.is(id, 'debian');
      t.is(facts['distribution'], 'Debian');
      t.is(facts['os_family'], 'Debian');
      t.is(facts['distribution_version'], debianVersion);
      t.is(facts['distribution_major_version'], versionId);
      t.is(facts['distribution_release'], codename);
      t.is(facts['architecture'], machine);
      t.is(facts['processor_vcpus'], Number(nproc));
      t.is(facts['service_mgr'], 'systemd');
      t.deepEqual(facts['all_ipv4_addresses'], [h.address]);
      const route = said.find((l) => l.startsWith('default '));
      const link = said.find((l) => /^\d+: eth0.*link\/ether/.test(l))!;
      const mac = /link\/ether (\S+)/.exec(link)![1];
      if (h === withRoute) {
        t.truthy(route, 'the default route is there');
        t.like(facts['default_ipv4'] as object, { address: h.address, interface: 'eth0', gateway: state.bridgeAddress, prefix: '24', netmask: '255.255.255.0', network: h.address.replace(/\.\d+$/, '.0'), macaddress: mac, type: 'ether' });
      } else {
        t.is(route, undefined);
        t.deepEqual(facts['default_ipv4'], {});
      }
      t.is((facts['eth0'] as Record<string, unknown>)['macaddress'], mac);
      const epoch = Number(said.at(-1));
      const dt = facts['date_time'] as Record<string, string>;
      t.true(Math.abs(Number(dt['epoch']) - epoch) < 120, `host clock ${epoch}, fact ${dt['epoch']}`);
      t.is(dt['date'], new Date(Number(dt['epoch']) * 1000).toISOString().slice(0, 10), 'lab hosts run in UTC');
    } finally {
      await conn.close();
    }
  }
});
