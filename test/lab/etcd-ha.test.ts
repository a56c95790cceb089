/**
 * The flagship, end to end, on the lab's `etcd` hosts (infra0..2) with the systemd runtime:
 * check mode on fresh hosts, the real run, the file lists of the procedure, certificates
 * checked by openssl, idempotence without restarts, a member down and healed, and a new SAN
 * that reissues exactly one certificate. Every verdict comes from real etcdctl/openssl/systemd.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { PROJECT_DIR, runBuiltCli, runEngine, total } from '../helpers/quorum.js';
import { labHosts, labInventoryPath, sshExec, rootSh as sh } from '../helpers/lab.js';

const hosts = labHosts('etcd');
const caDir = mkdtempSync(join(tmpdir(), 'quorum-etcd-ha-ca-'));
const playbookFile = join(PROJECT_DIR, 'playbooks/etcd-ha.yaml');
const extraVars = { etcd_runtime: 'systemd', etcd_ca_dir: caDir };
const cliVars = ['-e', `etcd_runtime=systemd etcd_ca_dir=${caDir}`];
const PKI = '/etc/kubernetes/pki';

/** etcdctl on infra0 with the doc's flags, against all members. */
function etcdctl(args: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const h = hosts[0]!;
  return sshExec(h, `sudo etcdctl --cert ${PKI}/etcd/peer.crt --key ${PKI}/etcd/peer.key --cacert ${PKI}/etcd/ca.crt --endpoints ${hosts.map((x) => `https://${x.address}:2379`).join(',')} ${args}`);
}

/** What check mode must not change: /etc and /var/lib/etcd, content and attributes. */
function treeFingerprint(host: (typeof hosts)[number]): Promise<string> {
  return sh(host, `find /etc /var/lib/etcd -xdev -printf '%p %y %m %u %g %s\\n' 2>/dev/null | sort | sha256sum; find /etc /var/lib/etcd -xdev -type f -print0 2>/dev/null | sort -z | xargs -0 sha256sum | sha256sum`);
}

function startedAt(host: (typeof hosts)[number]): Promise<string> {
  return sh(host, 'systemctl show etcd -p ExecMainStartTimestampMonotonic -p ActiveState');
}

test.serial('--check on fresh hosts: changes pending (exit 10), nothing touched, no key generated', async (t) => {
  const before = await Promise.all(hosts.map(treeFingerprint));
  const r = await runBuiltCli(['run', playbookFile, '-i', labInventoryPath(), ...cliVars, '--check', '--diff', '--detailed-exitcode']);
  t.is(r.code, 10, r.stdout + r.stderr);
  t.regex(r.stdout, /changes pending/);
  t.deepEqual(await Promise.all(hosts.map(treeFingerprint)), before);
  t.deepEqual(execFileSync('ls', ['-A', caDir], { encoding: 'utf8' }), '', 'check mode generated no CA');
  t.notRegex(r.stdout, /PRIVATE KEY/);
});

test.serial('the run leaves a healthy 3-member cluster', async (t) => {
  const r = await runBuiltCli(['run', playbookFile, '-i', labInventoryPath(), ...cliVars]);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.notRegex(r.stdout + r.stderr, /PRIVATE KEY/);
  const health = await etcdctl('endpoint health --cluster');
  t.is(health.code, 0, health.stderr);
  // etcdctl 3.4 prints the verdict on stderr, 3.5+ on stdout.
  t.is((health.stdout + health.stderr).match(/is healthy/g)?.length, 3);
  const members = await etcdctl('member list -w simple');
  for (const h of hosts) t.regex(members.stdout, new RegExp(`, started, ${h.name}, https://${h.address.replace(/\./g, '\\.')}:2380, https://${h.address.replace(/\./g, '\\.')}:2379`));
  const put = await sshExec(hosts[0]!, `sudo etcdctl --cert ${PKI}/etcd/peer.crt --key ${PKI}/etcd/peer.key --cacert ${PKI}/etcd/ca.crt --endpoints https://${hosts[0]!.address}:2379 put quorum-e2e written-on-infra0`);
  t.is(put.code, 0, put.stderr);
  const got = await sshExec(hosts[2]!, `sudo etcdctl --cert ${PKI}/etcd/peer.crt --key ${PKI}/etcd/peer.key --cacert ${PKI}/etcd/ca.crt --endpoints https://${hosts[2]!.address}:2379 get quorum-e2e --print-value-only`);
  t.is(got.stdout.trim(), 'written-on-infra0');
});

test.serial("each host holds exactly the procedure's files, owned by root, keys 0600", async (t) => {
  const common = [
    'apiserver-etcd-client.crt 644', 'apiserver-etcd-client.key 600', 'etcd/ca.crt 644', 'etcd/healthcheck-client.crt 644',
    'etcd/healthcheck-client.key 600', 'etcd/peer.crt 644', 'etcd/peer.key 600', 'etcd/server.crt 644', 'etcd/server.key 600',
  ];
  for (const [i, h] of hosts.entries()) {
    const files = (await sh(h, `find ${PKI} -type f -printf '%P %m %u:%g\\n'`)).trim().split('\n').sort();
    const expected = [...common, ...(i === 0 ? ['etcd/ca.key 600'] : [])].map((f) => `${f} root:root`).sort();
    t.deepEqual(files, expected, h.name);
    t.true((await sh(h, 'cat /etc/kubernetes/kubeadmcfg.yaml')).includes(`advertiseAddress: ${h.address}`));
  }
});

test.serial('the certificates pass openssl: chain, subjects, SANs, usages', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-etcd-ha-certs-'));
  const ca = join(dir, 'ca.crt');
  writeFileSync(ca, await sh(hosts[0]!, `cat ${PKI}/etcd/ca.crt`));
  t.regex(openssl(['x509', '-in', ca, '-noout', '-subject']), /CN ?= ?etcd-ca/);
  for (const h of hosts) {
    const server = join(dir, `${h.name}-server.crt`);
    writeFileSync(server, await sh(h, `cat ${PKI}/etcd/server.crt`));
    t.regex(openssl(['verify', '-CAfile', ca, server]), /OK/);
    const text = openssl(['x509', '-in', server, '-noout', '-text']);
    t.regex(text, new RegExp(`Subject: CN ?= ?${h.name}\\b`));
    t.regex(text, new RegExp(`DNS:${h.name}, DNS:localhost, IP Address:${h.address.replace(/\./g, '\\.')}, IP Address:127\\.0\\.0\\.1, IP Address:0:0:0:0:0:0:0:1`));
    t.regex(text, /TLS Web Server Authentication, TLS Web Client Authentication/);
    const keyModulus = await sh(h, `cat ${PKI}/etcd/server.key`).then((k) => {
      writeFileSync(join(dir, 'k'), k, { mode: 0o600 });
      return openssl(['rsa', '-in', join(dir, 'k'), '-noout', '-modulus']);
    });
    t.is(keyModulus, openssl(['x509', '-in', server, '-noout', '-modulus']), `${h.name}: key matches cert`);
  }
});

test.serial('a second run changes nothing and restarts nothing', async (t) => {
  const before = await Promise.all(hosts.map(startedAt));
  const run = await runEngine({ playbookFile, inventoryFile: labInventoryPath(), extraVars });
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().filter((r) => r.status === 'failed')));
  t.is(total(run.summary, 'changed'), 0, JSON.stringify(run.results().filter((r) => r.status === 'changed').map((r) => [r.task, r.host, r.changes])));
  t.deepEqual(await Promise.all(hosts.map(startedAt)), before);
});

test.serial('one member down: etcd-health says degraded with quorum and names it; a re-run heals it', async (t) => {
  const down = hosts[2]!;
  await sh(down, 'systemctl stop etcd');
  const probe = join(mkdtempSync(join(tmpdir(), 'quorum-probe-')), 'probe.yaml');
  writeFileSync(probe, stringify([{ name: 'probe', hosts: 'etcd', gather_facts: false, become: true, tasks: [{ name: 'health', 'etcd-health': { cacert: `${PKI}/etcd/ca.crt`, cert: `${PKI}/etcd/peer.crt`, key: `${PKI}/etcd/peer.key` }, run_once: true }] }]));
  const probed = await runEngine({ playbookFile: probe, inventoryFile: labInventoryPath() });
  const verdict = probed.results('health')[0];
  t.is(verdict?.status, 'failed');
  t.regex(verdict?.msg ?? '', /quorum/i);
  t.regex(verdict?.msg ?? '', new RegExp(down.name));
  const etcdctlVerdict = await etcdctl('endpoint health');
  t.not(etcdctlVerdict.code, 0, 'etcdctl agrees: one endpoint unhealthy');

  const heal = await runEngine({ playbookFile, inventoryFile: labInventoryPath(), extraVars });
  t.is(heal.summary.exitCode, 0, JSON.stringify(heal.results().filter((r) => r.status === 'failed')));
  t.regex(await startedAt(down), /ActiveState=active/);
  t.is((await etcdctl('endpoint health')).code, 0);
});

test.serial('an extra server SAN on one host reissues just that certificate and restarts just that member', async (t) => {
  const target = hosts[1]!;
  const inventory = parse(readFileSync(labInventoryPath(), 'utf8'));
  inventory.all.children.etcd.hosts[target.name].etcd_server_cert_sans = ['etcd-1.quorum.test'];
  const inventoryFile = join(mkdtempSync(join(tmpdir(), 'quorum-inv-')), 'inventory.yaml');
  writeFileSync(inventoryFile, stringify(inventory));
  const certsBefore = await Promise.all(hosts.map((h) => sh(h, `sha256sum ${PKI}/etcd/server.crt ${PKI}/etcd/peer.crt`)));
  const startsBefore = await Promise.all(hosts.map(startedAt));

  const run = await runEngine({ playbookFile, inventoryFile, extraVars });
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().filter((r) => r.status === 'failed')));
  const reissued = run.results('member certificates').filter((r) => r.status === 'changed');
  t.deepEqual(reissued.map((r) => r.host), [target.name]);
  t.regex(reissued[0]!.changes.join('\n'), /etcd-1\.quorum\.test/, 'the plan says why');
  t.notRegex(reissued[0]!.changes.join('\n'), /peer/, 'the peer certificate was kept');

  const certsAfter = await Promise.all(hosts.map((h) => sh(h, `sha256sum ${PKI}/etcd/server.crt ${PKI}/etcd/peer.crt`)));
  const startsAfter = await Promise.all(hosts.map(startedAt));
  hosts.forEach((h, i) => {
    const changed = h.name === target.name;
    const [serverBefore, peerBefore] = certsBefore[i]!.trim().split('\n');
    const [serverAfter, peerAfter] = certsAfter[i]!.trim().split('\n');
    t.is(serverBefore !== serverAfter, changed, `${h.name} server.crt`);
    t.is(peerBefore, peerAfter, `${h.name} peer.crt`);
    t.is(startsBefore[i] !== startsAfter[i], changed, `${h.name} restarted`);
  });
  const text = await sh(target, `cat ${PKI}/etcd/server.crt`);
  const file = join(mkdtempSync(join(tmpdir(), 'quorum-san-')), 'server.crt');
  writeFileSync(file, text);
  t.regex(openssl(['x509', '-in', file, '-noout', '-ext', 'subjectAltName']), /DNS:etcd-1\.quorum\.test/);
  const health = await etcdctl('endpoint health --cluster');
  t.is(health.code, 0, health.stderr);
});

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8' }).trim();
}
