/**
 * playbooks/etcd-ha.yaml on day two, on real hosts (systemd runtime, real etcd 3.4): a second
 * controller adopts the cluster's CA instead of making one; a controller with another CA is
 * stopped before any change; new SANs restart members one at a time while a client writes
 * every 100 ms; 3 -> 5 members without restarting the first three; 5 -> 3 with
 * etcd-remove-member.yaml, and its quorum refusal; a member whose data was deleted is replaced.
 * Every verdict comes from etcdctl, systemd and the files on the hosts. Leaves every lab host
 * without etcd, as the next suites expect.
 */
import test from 'ava';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { PROJECT_DIR, runBuiltCli, runEngine, total, type EngineRun } from '../helpers/quorum.js';
import { labHosts, labInventoryPath, RESET_ETCD_HOST, sshExec, type LabHost, rootSh as sh } from '../helpers/lab.js';

const etcdHosts = labHosts('etcd');
const spares = labHosts('spare').slice(0, 2);
const allHosts = [...etcdHosts, ...spares];
const work = mkdtempSync(join(tmpdir(), 'quorum-day-two-'));
let caDir = join(work, 'ca');
const playbookFile = join(PROJECT_DIR, 'playbooks/etcd-ha.yaml');
const removeFile = join(PROJECT_DIR, 'playbooks/etcd-remove-member.yaml');
const PKI = '/etc/kubernetes/pki';

function startedAt(host: LabHost): Promise<string> {
  return sh(host, 'systemctl show etcd -p ExecMainStartTimestampMonotonic -p ActiveState');
}

/** An inventory whose group etcd is the lab's three plus `extra` spares. */
function inventoryWith(extra: LabHost[]): string {
  const inventory = parse(readFileSync(labInventoryPath(), 'utf8'));
  for (const h of extra) {
    inventory.all.children.etcd.hosts[h.name] = inventory.all.children.spare.hosts[h.name];
    delete inventory.all.children.spare.hosts[h.name];
  }
  const file = join(mkdtempSync(join(work, 'inv-')), 'inventory.yaml');
  writeFileSync(file, stringify(inventory));
  return file;
}

function run(inventoryFile: string, extraVars: Record<string, unknown> = {}): Promise<EngineRun> {
  return runEngine({ playbookFile, inventoryFile, extraVars: { etcd_runtime: 'systemd', etcd_ca_dir: caDir, ...extraVars } });
}

function failures(r: EngineRun): string {
  return JSON.stringify(r.results().filter((x) => x.status === 'failed' || x.status === 'unreachable').map((x) => [x.task, x.host, x.msg]));
}

/** etcdctl on `via` against `endpoints`, with the procedure's peer certificate. */
function etcdctl(via: LabHost, endpoints: LabHost[], args: string) {
  return sshExec(via, `sudo etcdctl --cert ${PKI}/etcd/peer.crt --key ${PKI}/etcd/peer.key --cacert ${PKI}/etcd/ca.crt --endpoints ${endpoints.map((x) => `https://${x.address}:2379`).join(',')} ${args}`);
}

async function memberNames(via: LabHost): Promise<string[]> {
  const r = await etcdctl(via, [via], 'member list -w simple');
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout.trim().split('\n').map((l) => l.split(', ')[2]!).sort();
}

async function healthyCount(members: LabHost[]): Promise<number> {
  const r = await etcdctl(members[0]!, members, 'endpoint health');
  return ((r.stdout + r.stderr).match(/is healthy/g) ?? []).length;
}

async function wipe(host: LabHost): Promise<void> {
  await sh(host, `systemctl disable etcd 2>/dev/null; ${RESET_ETCD_HOST}`);
}

test.before(async () => {
  await Promise.all(allHosts.map(wipe));
});

test.after.always(async () => {
  await Promise.all(allHosts.map(wipe));
});

test.serial('set-up: a fresh 3-member cluster', async (t) => {
  const r = await run(labInventoryPath());
  t.is(r.summary.exitCode, 0, failures(r));
  t.is(await healthyCount(etcdHosts), 3);
});

test.serial("a controller without the CA adopts the cluster's: nothing changes on the hosts, nothing restarts", async (t) => {
  const caBefore = await Promise.all(etcdHosts.map((h) => sh(h, `sha256sum ${PKI}/etcd/ca.crt ${PKI}/etcd/ca.key 2>/dev/null; true`)));
  const starts = await Promise.all(etcdHosts.map(startedAt));
  const original = caDir;
  caDir = join(work, 'ca-fresh-clone');
  const r = await run(labInventoryPath());
  t.is(r.summary.exitCode, 0, failures(r));
  const changed = r.results().filter((x) => x.status === 'changed');
  t.deepEqual(changed.map((x) => [x.task, x.host]), [["adopt the cluster's CA on the controller", etcdHosts[0]!.name]], 'the only change is the adoption, on the controller');
  t.regex(changed[0]!.changes.join('\n'), /adopt the cluster's CA sha256:[0-9a-f]{64}/);
  t.deepEqual(await Promise.all(etcdHosts.map((h) => sh(h, `sha256sum ${PKI}/etcd/ca.crt ${PKI}/etcd/ca.key 2>/dev/null; true`))), caBefore);
  t.deepEqual(await Promise.all(etcdHosts.map(startedAt)), starts, 'no member restarted');
  t.is(readFileSync(join(caDir, 'ca.crt'), 'utf8'), readFileSync(join(original, 'ca.crt'), 'utf8'), 'the adopted ca.crt is the original, byte for byte');
  t.is(readFileSync(join(caDir, 'ca.key'), 'utf8'), readFileSync(join(original, 'ca.key'), 'utf8'));
  t.notRegex(JSON.stringify(r.events), /PRIVATE KEY/);
  const again = await run(labInventoryPath());
  t.is(total(again.summary, 'changed'), 0, 'a second run from the new controller changes nothing');
});

test.serial("a controller holding another CA is stopped before any change, with both fingerprints", async (t) => {
  const other = join(work, 'other-ca');
  execFileSync('mkdir', ['-p', other]);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(other, 'ca.key'), '-out', join(other, 'ca.crt'), '-subj', '/CN=etcd-ca', '-days', '30', '-addext', 'basicConstraints=critical,CA:TRUE'], { stdio: 'ignore' });
  const fp = (file: string) => execFileSync('openssl', ['x509', '-in', file, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' }).split('=')[1]!.trim().replace(/:/g, '').toLowerCase();
  const tree = () => Promise.all(etcdHosts.map((h) => sh(h, 'find /etc/kubernetes /etc/systemd/system/etcd.service -type f -print0 | sort -z | xargs -0 sha256sum')));
  const before = await tree();
  const starts = await Promise.all(etcdHosts.map(startedAt));
  const r = await runBuiltCli(['run', playbookFile, '-i', labInventoryPath(), '-e', `etcd_runtime=systemd etcd_ca_dir=${other}`]);
  t.not(r.code, 0);
  t.true(r.stdout.includes(fp(join(other, 'ca.crt'))), "the controller's fingerprint is named");
  t.true(r.stdout.includes(fp(join(caDir, 'ca.crt'))), "the cluster's fingerprint is named");
  t.regex(r.stdout, /never replaces a CA that hosts trust/);
  t.deepEqual(await tree(), before, 'no file changed on any host');
  t.deepEqual(await Promise.all(etcdHosts.map(startedAt)), starts, 'no member restarted');
});

test.serial('new SANs on every member: one restart each, one at a time, the leader last, every write of a client succeeds', async (t) => {
  // A client with the cluster's healthcheck certificate writes a key every 100 ms for the whole run.
  const tls = mkdtempSync(join(work, 'client-'));
  for (const f of ['ca.crt', 'healthcheck-client.crt', 'healthcheck-client.key']) writeFileSync(join(tls, f), await sh(etcdHosts[0]!, `cat ${PKI}/etcd/${f}`), { mode: 0o600 });
  const endpoints = etcdHosts.map((h) => `https://${h.address}:2379`).join(',');
  const writes: Array<{ ok: boolean; at: number; err?: string }> = [];
  let writing = true;
  const writer = (async () => {
    for (let i = 0; writing; i++) {
      const at = Date.now();
      const ok = await new Promise<{ ok: boolean; err?: string }>((resolve) => {
        execFile('etcdctl', ['--endpoints', endpoints, '--cacert', join(tls, 'ca.crt'), '--cert', join(tls, 'healthcheck-client.crt'), '--key', join(tls, 'healthcheck-client.key'), '--command-timeout=5s', 'put', 'quorum-writer', String(i)],
          { env: { ...process.env, ETCDCTL_API: '3' } }, (err, _o, stderr) => resolve(err ? { ok: false, err: stderr.trim().split('\n').pop() } : { ok: true }));
      });
      writes.push({ ...ok, at });
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - at))));
    }
  })();
  const leaderBefore = String((await run(labInventoryPath())).results('what this run does to the cluster')[0]?.result?.['leader_host']);
  const startsBefore = await Promise.all(etcdHosts.map(startedAt));
  let r: EngineRun;
  try {
    r = await run(labInventoryPath(), { etcd_server_cert_sans: ['etcd.quorum.test'] });
  } finally {
    writing = false;
    await writer;
  }
  t.is(r.summary.exitCode, 0, failures(r));
  const restarts = r.results().filter((x) => x.task === 'restart this member (systemd)' && x.status === 'changed').map((x) => x.host);
  t.deepEqual([...restarts].sort(), etcdHosts.map((h) => h.name), 'each member restarted exactly once');
  t.is(restarts[restarts.length - 1], leaderBefore, 'the leader went last');
  const startsAfter = await Promise.all(etcdHosts.map(startedAt));
  etcdHosts.forEach((h, i) => t.not(startsAfter[i], startsBefore[i], `${h.name} restarted`));
  const failed = writes.filter((w) => !w.ok);
  const gaps = writes.slice(1).map((w, i) => w.at - writes[i]!.at);
  t.log(`${writes.length} writes, ${failed.length} failed, longest gap between writes ${Math.max(...gaps)} ms`);
  t.true(writes.length > 20, 'the writer ran during the rollout');
  t.deepEqual(failed, [], 'every write succeeded');
  t.is(await healthyCount(etcdHosts), 3);
});

test.serial('3 -> 5 members: the new hosts join one at a time, the first three never restart, a re-run changes nothing', async (t) => {
  const inventory = inventoryWith(spares);
  const starts = await Promise.all(etcdHosts.map(startedAt));
  const r = await run(inventory);
  t.is(r.summary.exitCode, 0, failures(r));
  t.deepEqual(r.results('member add').filter((x) => x.status === 'changed').map((x) => x.host), spares.map((h) => h.name));
  t.deepEqual(await Promise.all(etcdHosts.map(startedAt)), starts, 'the members already running were not restarted');
  t.deepEqual(await memberNames(etcdHosts[0]!), allHosts.map((h) => h.name).sort());
  t.is(await healthyCount(allHosts), 5);
  for (const h of spares) t.regex(await sh(h, 'cat /etc/systemd/system/etcd.service'), /--initial-cluster-state=existing/);
  const again = await run(inventory);
  t.is(again.summary.exitCode, 0, failures(again));
  t.is(total(again.summary, 'changed'), 0, JSON.stringify(again.results().filter((x) => x.status === 'changed').map((x) => [x.task, x.host])));
});

test.serial('5 -> 3 with etcd-remove-member.yaml; a removal that would cost quorum is refused', async (t) => {
  const inventory = inventoryWith(spares);
  for (const gone of [...spares].reverse()) {
    const r = await runEngine({ playbookFile: removeFile, inventoryFile: inventory, extraVars: { member: gone.name } });
    t.is(r.summary.exitCode, 0, failures(r));
    t.regex(await sh(gone, 'systemctl is-active etcd; ls /var/lib/etcd 2>&1; true'), /inactive[\s\S]*No such file/);
  }
  t.deepEqual(await memberNames(etcdHosts[0]!), etcdHosts.map((h) => h.name).sort());
  const back = await run(labInventoryPath());
  t.is(back.summary.exitCode, 0, failures(back));
  t.is(total(back.summary, 'changed'), 0);

  // 3 members with one down: removing a healthy one would leave 1 of 2, below a quorum of 2.
  await sh(etcdHosts[2]!, 'systemctl stop etcd');
  try {
    const refused = await runEngine({ playbookFile: removeFile, inventoryFile: labInventoryPath(), extraVars: { member: etcdHosts[1]!.name } });
    t.not(refused.summary.exitCode, 0);
    t.regex(refused.results('member remove (through a member that stays)').find((x) => x.status === 'failed')?.msg ?? '', /below the quorum of 2/);
    t.deepEqual(await memberNames(etcdHosts[0]!), etcdHosts.map((h) => h.name).sort(), 'nobody was removed');
  } finally {
    await sh(etcdHosts[2]!, 'systemctl start --no-block etcd');
  }
});

test.serial('a member whose data directory was deleted is replaced: removed, wiped, joined anew', async (t) => {
  const lost = etcdHosts[2]!;
  const idOf = async () => (await etcdctl(etcdHosts[0]!, [etcdHosts[0]!], 'member list -w simple')).stdout.split('\n').find((l) => l.includes(`, ${lost.name}, `))?.split(',')[0];
  for (let i = 0; i < 30 && (await healthyCount(etcdHosts)) < 3; i++) await new Promise((r) => setTimeout(r, 1000));
  const oldId = await idOf();
  t.truthy(oldId);
  await sh(lost, 'systemctl stop etcd; rm -rf /var/lib/etcd/member');
  const r = await run(labInventoryPath());
  t.is(r.summary.exitCode, 0, failures(r));
  t.regex(r.results('member add', lost.name)[0]?.changes.join('\n') ?? '', /member remove[\s\S]*member add/);
  const newId = await idOf();
  t.truthy(newId);
  t.not(newId, oldId, 'a new member id: it joined anew');
  t.deepEqual(await memberNames(etcdHosts[0]!), etcdHosts.map((h) => h.name).sort());
  t.is(await healthyCount(etcdHosts), 3);
});
