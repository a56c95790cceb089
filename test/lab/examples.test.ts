/**
 * The example playbooks, run for real on the lab's spare hosts (infra3..5; infra0..2 belong
 * to the etcd-ha suite): the flagship first builds a 3-member etcd cluster (systemd runtime)
 * on them, then the rolling restart, the certificate renewal and the snapshot backup run
 * against it, and the tutorial's service playbook runs on the same hosts. Every verdict comes
 * from the hosts themselves (systemd, openssl, etcdctl, sha256sum) over the system ssh client.
 * At the end the hosts are cleaned (etcd stopped and disabled, /var/lib/etcd and
 * /etc/kubernetes removed, the demo service gone) so other suites start clean.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { PROJECT_DIR, runBuiltCli, runEngine, total } from '../helpers/quorum.js';
import { labHosts, labInventoryPath, labState, sshExec, type LabHost, rootSh as sh } from '../helpers/lab.js';

const hosts = labHosts('spare').slice(0, 3);
const work = mkdtempSync(join(tmpdir(), 'quorum-examples-'));
const caDir = join(work, 'ca');
const inventoryFile = join(work, 'inventory.yaml');
const PKI = '/etc/kubernetes/pki';
const example = (name: string) => join(PROJECT_DIR, 'examples', name);

/** A root shell command on a host; throws with stderr when it fails. */
/** When systemd last started the unit, on the kernel's monotonic clock (shared by the lab's containers). */
async function startedAt(host: LabHost, unit: string): Promise<number> {
  return Number((await sh(host, `systemctl show ${unit} -p ExecMainStartTimestampMonotonic --value`)).trim());
}

/** etcdctl on a host with the healthcheck client certificate, against all three members. */
function etcdctl(host: LabHost, args: string) {
  const endpoints = hosts.map((h) => `https://${h.address}:2379`).join(',');
  return sshExec(host, `sudo etcdctl --cacert ${PKI}/etcd/ca.crt --cert ${PKI}/etcd/healthcheck-client.crt --key ${PKI}/etcd/healthcheck-client.key --endpoints ${endpoints} ${args}`);
}

/** Anything listening on TCP 2379 (0x094B) on the host, from /proc: needs no ss/netstat. */
async function listensOn2379(host: LabHost): Promise<boolean> {
  const table = await sh(host, 'cat /proc/net/tcp /proc/net/tcp6');
  return table.split('\n').some((line) => / [0-9A-F]+:094B [0-9A-F]+:0000 0A /.test(line));
}

const cleanup = [
  'systemctl disable --now etcd quorum-demo 2>/dev/null || true',
  'rm -f /etc/systemd/system/etcd.service /etc/systemd/system/quorum-demo.service',
  'rm -rf /etc/systemd/system/etcd.service.d /var/lib/etcd /etc/kubernetes /var/backups/etcd',
  'rm -rf /opt/quorum-demo /var/lib/quorum-demo /etc/quorum-demo.conf',
  'userdel quorum-demo 2>/dev/null || true',
  // Leave etcd as the lab made it: Debian's unit, masked.
  'systemctl mask etcd.service',
  'systemctl daemon-reload',
].join('; ');

test.before(async () => {
  if (hosts.length < 3) throw new Error(`the examples suite needs 3 spare lab hosts (infra3..5), the lab has ${hosts.length}: \`quorum lab up --hosts 6\``);
  for (const h of hosts) {
    if (await listensOn2379(h)) {
      throw new Error(`${h.name} already has something listening on port 2379 (another suite's etcd?): wait for it to finish, or stop it, then run this suite again`);
    }
  }
  await Promise.all(hosts.map((h) => sh(h, cleanup)));
  // The lab inventory's spare hosts, as the group `etcd` the etcd examples expect and `app`.
  const lab = parse(readFileSync(labInventoryPath(), 'utf8'));
  const spare = lab.all.children.spare.hosts as Record<string, unknown>;
  const chosen = Object.fromEntries(hosts.map((h) => [h.name, spare[h.name]]));
  const app = Object.fromEntries(hosts.map((h) => [h.name, null]));
  writeFileSync(inventoryFile, stringify({ all: { vars: lab.all.vars, children: { etcd: { hosts: chosen }, app: { hosts: app } } } }));
});

test.after.always(async () => {
  await Promise.all(hosts.map((h) => sh(h, cleanup).catch(() => undefined)));
});

test.serial('the flagship builds a 3-member cluster on the spare hosts', async (t) => {
  const r = await runBuiltCli(['run', join(PROJECT_DIR, 'playbooks/etcd-ha.yaml'), '-i', inventoryFile, '-e', `etcd_runtime=systemd etcd_ca_dir=${caDir}`]);
  t.is(r.code, 0, r.stdout + r.stderr);
  const health = await etcdctl(hosts[0]!, 'endpoint health');
  t.is(health.code, 0, health.stderr);
  t.is((health.stdout + health.stderr).match(/is healthy/g)?.length, 3);
});

test.serial('rolling restart: --check restarts nothing; the run restarts every member, one at a time, each behind a health gate', async (t) => {
  const before = await Promise.all(hosts.map((h) => startedAt(h, 'etcd')));
  const check = await runEngine({ playbookFile: example('etcd-rolling-restart.yaml'), inventoryFile, check: true });
  t.is(check.summary.exitCode, 0);
  t.true(check.summary.changesPending);
  t.deepEqual(await Promise.all(hosts.map((h) => startedAt(h, 'etcd'))), before, 'check mode restarted nothing');

  const run = await runEngine({ playbookFile: example('etcd-rolling-restart.yaml'), inventoryFile });
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().filter((r) => r.status === 'failed')));
  const after = await Promise.all(hosts.map((h) => startedAt(h, 'etcd')));
  hosts.forEach((h, i) => t.true(after[i]! > before[i]!, `${h.name} was restarted`));
  t.true(after[0]! < after[1]! && after[1]! < after[2]!, `restarted in order: ${after.join(' < ')}`);
  // The order of the engine's results: each member's gate, restart and gate before the next member.
  const sequence = run.results().filter((r) => r.task !== 'report').map((r) => `${r.host} ${r.task} ${r.status}`);
  t.deepEqual(sequence, hosts.flatMap((h) => [
    `${h.name} every member healthy before this one goes down ok`,
    `${h.name} restart this member changed`,
    `${h.name} every member healthy again before the next one ok`,
  ]));
  for (const r of run.results('every member healthy again before the next one')) t.is(r.result?.healthy, true, r.host);
  t.is((await etcdctl(hosts[0]!, 'endpoint health')).code, 0);
});

test.serial('certificate renewal: nothing is due by default; renew_before_days beyond the validity reissues every leaf and restarts each member in turn', async (t) => {
  const certsOf = (h: LabHost) => sh(h, `sha256sum ${PKI}/etcd/server.crt ${PKI}/etcd/peer.crt ${PKI}/etcd/healthcheck-client.crt ${PKI}/apiserver-etcd-client.crt ${PKI}/etcd/ca.crt`);
  const extraVars = { etcd_ca_dir: caDir };
  const startsBefore = await Promise.all(hosts.map((h) => startedAt(h, 'etcd')));
  const idle = await runEngine({ playbookFile: example('etcd-renew-certs.yaml'), inventoryFile, extraVars });
  t.is(idle.summary.exitCode, 0, JSON.stringify(idle.results().filter((r) => r.status === 'failed')));
  t.is(total(idle.summary, 'changed'), 0, 'fresh certificates (365 days) are not due within 30 days');
  t.deepEqual(await Promise.all(hosts.map((h) => startedAt(h, 'etcd'))), startsBefore, 'nobody restarted');

  const certsBefore = await Promise.all(hosts.map(certsOf));
  // Leaves are valid 365 days: with 400 every one of them "expires soon".
  const run = await runEngine({ playbookFile: example('etcd-renew-certs.yaml'), inventoryFile, extraVars: { ...extraVars, renew_before_days: 400 } });
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().filter((r) => r.status === 'failed')));
  const certsAfter = await Promise.all(hosts.map(certsOf));
  const startsAfter = await Promise.all(hosts.map((h) => startedAt(h, 'etcd')));
  hosts.forEach((h, i) => {
    const [b, a] = [certsBefore[i]!.trim().split('\n'), certsAfter[i]!.trim().split('\n')];
    for (let k = 0; k < 4; k++) t.not(a[k], b[k], `${h.name}: ${b[k]!.split(/\s+/)[1]} reissued`);
    t.is(a[4], b[4], `${h.name}: the CA is kept`);
    t.true(startsAfter[i]! > startsBefore[i]!, `${h.name} restarted`);
  });
  t.true(startsAfter[0]! < startsAfter[1]! && startsAfter[1]! < startsAfter[2]!, 'one member at a time');
  const gates = run.results('the cluster is healthy before the next member');
  t.deepEqual(gates.map((r) => [r.host, r.result?.healthy]), hosts.map((h) => [h.name, true]));

  // The new server certificate chains to the kept CA (openssl on the controller).
  const dir = mkdtempSync(join(work, 'certs-'));
  writeFileSync(join(dir, 'ca.crt'), await sh(hosts[1]!, `cat ${PKI}/etcd/ca.crt`));
  writeFileSync(join(dir, 'server.crt'), await sh(hosts[1]!, `cat ${PKI}/etcd/server.crt`));
  t.regex(execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.crt'), join(dir, 'server.crt')], { encoding: 'utf8' }), /OK/);
  t.is((await etcdctl(hosts[2]!, 'endpoint health')).code, 0);
});

test.serial('backup: a snapshot holding the latest write lands on the controller, 0600, byte for byte', async (t) => {
  const marker = `quorum-backup-${randomBytes(6).toString('hex')}`;
  const put = await etcdctl(hosts[1]!, `put quorum-backup-probe ${marker}`);
  t.is(put.code, 0, put.stderr);
  const localDir = join(work, 'backups');
  const run = await runEngine({ playbookFile: example('etcd-backup.yaml'), inventoryFile, extraVars: { local_backup_dir: localDir } });
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().filter((r) => r.status === 'failed')));
  t.deepEqual(run.results('snapshot').map((r) => [r.host, r.status]), [[hosts[0]!.name, 'changed']], 'one snapshot, on the first member');
  const local = join(localDir, `${hosts[0]!.name}-snapshot.db`);
  const bytes = readFileSync(local);
  t.is(statSync(local).mode & 0o777, 0o600);
  const remoteSha = (await sh(hosts[0]!, 'sha256sum /var/backups/etcd/snapshot.db')).split(' ')[0];
  t.is(createHash('sha256').update(bytes).digest('hex'), remoteSha);
  t.true(bytes.includes(Buffer.from(marker)), 'the snapshot holds the value written just before');
  const fetched = run.results('copy it to the controller')[0];
  t.is(fetched?.result?.sha256, remoteSha);
  t.is(fetched?.result?.size, bytes.length);
});

test.serial('fetch over SSH: a second fetch of the same file changes nothing; a missing file fails or is accepted', async (t) => {
  const playbook = join(work, 'fetch.yaml');
  const dest = join(work, 'fetched', 'debian_version');
  writeFileSync(playbook, stringify([{ hosts: hosts[2]!.name, gather_facts: false, become: true, tasks: [
    { name: 'fetch', fetch: { src: '/etc/debian_version', dest } },
    { name: 'missing, accepted', fetch: { src: '/nonexistent/file', dest: `${dest}.none`, fail_on_missing: false } },
  ] }]));
  const first = await runEngine({ playbookFile: playbook, inventoryFile });
  t.is(first.summary.exitCode, 0, JSON.stringify(first.results().map((r) => [r.task, r.status, r.msg])));
  t.is(first.results('fetch')[0]?.status, 'changed');
  t.is(readFileSync(dest, 'utf8'), await sh(hosts[2]!, 'cat /etc/debian_version'));
  t.is(first.results('missing, accepted')[0]?.status, 'ok');
  const second = await runEngine({ playbookFile: playbook, inventoryFile });
  t.is(second.results('fetch')[0]?.status, 'ok');
  t.is(total(second.summary, 'changed'), 0);

  const failing = join(work, 'fetch-missing.yaml');
  writeFileSync(failing, stringify([{ hosts: hosts[2]!.name, gather_facts: false, tasks: [{ name: 'missing', fetch: { src: '/nonexistent/file', dest: `${dest}.none` } }] }]));
  const missing = await runEngine({ playbookFile: failing, inventoryFile });
  t.is(missing.summary.exitCode, 2);
  t.regex(missing.results('missing')[0]?.msg ?? '', /\/nonexistent\/file does not exist on the host/);
});

/**
 * The tutorial's own inventory (docs/writing-playbooks.md), with the lab's real addresses, user
 * and key: its structure, group vars and infra5's host var are what the tutorial describes.
 */
function writeTutorialInventory(): string {
  const doc = readFileSync(join(PROJECT_DIR, 'docs/writing-playbooks.md'), 'utf8');
  const snippet = [...doc.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1]!).find((b) => /^all:/m.test(b));
  if (!snippet) throw new Error('docs/writing-playbooks.md has no inventory snippet');
  const inventory = parse(snippet);
  const lab = labState();
  Object.assign(inventory.all.vars, { ansible_user: lab.user, ansible_ssh_private_key_file: lab.keyFile, quorum_known_hosts: lab.knownHostsFile });
  const app = inventory.all.children.app.hosts as Record<string, Record<string, unknown>>;
  if (Object.keys(app).join(',') !== hosts.map((h) => h.name).join(',')) throw new Error(`the tutorial's app hosts are not the spare hosts ${hosts.map((h) => h.name).join(',')}`);
  for (const h of hosts) app[h.name]!.ansible_host = h.address;
  const file = join(work, 'tutorial-inventory.yaml');
  writeFileSync(file, stringify(inventory));
  return file;
}

test.serial("the tutorial playbook with the tutorial's inventory: check mode, a run, an idempotent re-run, -e and a tag", async (t) => {
  const playbook = example('tutorial.yaml');
  const inventoryFile = writeTutorialInventory();
  const check = await runBuiltCli(['run', playbook, '-i', inventoryFile, '--check', '--diff', '--detailed-exitcode']);
  t.is(check.code, 10, check.stdout + check.stderr);
  t.is((await sshExec(hosts[0]!, 'test -e /etc/quorum-demo.conf')).code, 1, 'check mode wrote nothing');

  const run = await runBuiltCli(['run', playbook, '-i', inventoryFile]);
  t.is(run.code, 0, run.stdout + run.stderr);
  for (const h of hosts) {
    // infra5's host var beats the play's defaults, as the tutorial says.
    const greeting = h.name === 'infra5' ? 'hi' : 'hello';
    t.is((await sh(h, 'cat /var/lib/quorum-demo/heartbeat')).trim(), `${greeting} from ${h.name}`);
    t.is((await sh(h, 'systemctl is-enabled quorum-demo; systemctl is-active quorum-demo')).trim(), 'enabled\nactive');
    t.is((await sh(h, 'stat -c %U /var/lib/quorum-demo /proc/$(systemctl show -p MainPID --value quorum-demo)')).trim().split(/\s+/).join(' '), 'quorum-demo quorum-demo');
  }
  const again = await runEngine({ playbookFile: playbook, inventoryFile });
  t.is(again.summary.exitCode, 0);
  t.is(total(again.summary, 'changed'), 0, JSON.stringify(again.results().filter((r) => r.status === 'changed').map((r) => [r.task, r.host])));

  const greet = await runEngine({ playbookFile: playbook, inventoryFile, extraVars: { app_greeting: 'bonjour' }, tags: ['config'] });
  t.is(greet.summary.exitCode, 0);
  t.deepEqual([...new Set(greet.results().filter((r) => r.status === 'changed').map((r) => r.task))].sort(), ['restart quorum-demo', 'the configuration']);
  // The restarted service writes its first heartbeat at start: poll the host, not the clock.
  for (const h of hosts) {
    let line = '';
    for (let i = 0; i < 20 && !line.startsWith('bonjour'); i++) {
      line = (await sh(h, 'sleep 0.5; cat /var/lib/quorum-demo/heartbeat')).trim();
    }
    t.is(line, `bonjour from ${h.name}`, '-e beats the host var');
  }
});
