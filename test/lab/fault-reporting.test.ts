/**
 * A fault is said at once and as it happens, on the lab's `etcd` hosts (infra0..2, systemd
 * runtime), through the built CLI:
 *
 * - one member's network cut (its veth on the controller's bridge taken down): the flagship
 *   ends with a non-zero exit naming the member as unreachable, instead of retrying its health
 *   check 60 times (7 min 21 s before), and prints no MaxListenersExceededWarning;
 * - one member's etcd stopped (host reachable): every failed health attempt is a line of plain
 *   output and a `task:retry` event of `-o json`, with etcd's own reason, as it happens;
 * - the network restored, a re-run leaves the cluster healthy.
 *
 * The hosts are wiped before (whatever earlier suites left) and after (etcd-ha.test.ts starts
 * from fresh hosts): etcd stopped and masked as the image ships it, /var/lib/etcd emptied,
 * /etc/kubernetes removed. The last test checks they are back to the state found after the wipe.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PROJECT_DIR, runBuiltCli } from '../helpers/quorum.js';
import { labHosts, labInventoryPath, RESET_ETCD_HOST, sshExec, rootSh as sh } from '../helpers/lab.js';
import { mustRun } from '../../runner/lab/run.js';
import { vethName } from '../../runner/lab/paths.js';

const hosts = labHosts('etcd');
const cut = hosts[2]!;
const caDir = mkdtempSync(join(tmpdir(), 'quorum-faults-ca-'));
const playbookFile = join(PROJECT_DIR, 'playbooks/etcd-ha.yaml');
const cliVars = ['-e', 'etcd_runtime=systemd', '-e', `etcd_ca_dir=${caDir}`];
const PKI = '/etc/kubernetes/pki';

/** Back to the image's state: etcd stopped and masked, no data, no /etc/kubernetes. */
const WIPE = RESET_ETCD_HOST;

/** What the wipe must restore, to compare before and after the suite. */
const FRESHNESS = [
  'readlink /etc/systemd/system/etcd.service',
  'readlink /etc/systemd/system/multi-user.target.wants/etcd.service',
  'systemctl is-enabled etcd',
  'systemctl is-active etcd',
  "stat -c '%U:%G %a' /var/lib/etcd",
  'ls -A /var/lib/etcd | wc -l',
  'test -e /etc/kubernetes && echo /etc/kubernetes exists || echo no /etc/kubernetes',
].map((c) => `${c} || true`).join('; ');

function setLink(state: 'up' | 'down'): Promise<string> {
  return mustRun(['ip', 'link', 'set', vethName(cut.name), state]);
}

let fresh: string[] = [];

test.before(async () => {
  await Promise.all(hosts.map((h) => sh(h, WIPE)));
  fresh = await Promise.all(hosts.map((h) => sh(h, FRESHNESS)));
});

test.after.always(async () => {
  // Whatever happened above: the member's network back, then the hosts as later suites expect.
  await setLink('up');
  await Promise.all(hosts.map((h) => sh(h, WIPE)));
});

test.serial('the playbook builds the cluster', async (t) => {
  const r = await runBuiltCli(['run', playbookFile, '-i', labInventoryPath(), ...cliVars]);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.notRegex(r.stderr, /MaxListenersExceededWarning/);
});

test.serial("one member's network cut: the run ends at once, non-zero, naming the unreachable member", async (t) => {
  await setLink('down');
  let r;
  const started = performance.now();
  try {
    r = await runBuiltCli(['run', playbookFile, '-i', labInventoryPath(), ...cliVars, '-o', 'plain'], { timeoutMs: 600_000 });
  } finally {
    await setLink('up');
  }
  const seconds = (performance.now() - started) / 1000;
  t.log(`run with ${cut.name}'s network cut: ${seconds.toFixed(1)} s, exit ${r.code}`);
  const retries = r.stdout.split('\n').filter((l) => l.includes(': retrying ('));
  t.log(retries.length > 0 ? `retry lines:\n${retries.join('\n')}` : 'no retry lines (the first attempt already named the unreachable host)');
  t.not(r.code, 0, r.stdout);
  t.regex(r.stdout, new RegExp(`unreachable: \\[${cut.name}\\] => `), 'the connection failure is reported');
  const verdict = r.stdout.split('\n').find((l) => l.startsWith('failed: [') && l.includes('quorum'));
  t.truthy(verdict, r.stdout);
  t.regex(verdict ?? '', new RegExp(`degraded, quorum kept: ${cut.name} \\(host unreachable in this run; https://${cut.address.replace(/\./g, '\\.')}:2379 unhealthy: `));
  t.regex(r.stdout, new RegExp(`${cut.name} +: ok=0 +changed=0 +unreachable=1`));
  t.notRegex(r.stderr, /MaxListenersExceededWarning/, r.stderr);
});

test.serial("one member's etcd stopped: each failed health attempt is said as it happens, in plain and JSON output", async (t) => {
  await sh(cut, 'systemctl stop etcd');
  try {
    const dir = mkdtempSync(join(tmpdir(), 'quorum-faults-probe-'));
    const probe = join(dir, 'probe.yaml');
    writeFileSync(probe, stringify([{
      name: 'probe', hosts: 'etcd', gather_facts: false, become: true,
      tasks: [{
        name: 'cluster health',
        // 2 s per attempt instead of etcdctl's 5: an attempt against a stopped member lasts its timeout.
        'etcd-health': { cacert: `${PKI}/etcd/ca.crt`, cert: `${PKI}/etcd/peer.crt`, key: `${PKI}/etcd/peer.key`, timeout: 2 },
        register: 'etcd_health', run_once: true, retries: 2, delay: 1,
        until: 'etcd_health.healthy || size(etcd_health.unreachable_hosts) > 0',
      }],
    }]));
    const plain = await runBuiltCli(['run', probe, '-i', labInventoryPath(), '-o', 'plain']);
    const lines = plain.stdout.split('\n').filter((l) => l.includes(': retrying ('));
    t.log(lines.join('\n'));
    t.is(plain.code, 2, plain.stdout + plain.stderr);
    t.deepEqual(lines.map((l) => /retrying \((\d+) left\)/.exec(l)?.[1]), ['2', '1']);
    for (const line of lines) t.regex(line, new RegExp(`^${hosts[0]!.name} \\| cluster health: retrying \\(\\d left\\): degraded, quorum kept: ${cut.name} \\(https://[^)]+\\) unhealthy: `));
    // The reachable host's member is not called unreachable: retrying may help it.
    t.notRegex(plain.stdout, /host unreachable in this run/);

    const json = await runBuiltCli(['run', probe, '-i', labInventoryPath(), '-o', 'json']);
    const events = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const retries = events.filter((e) => e['kind'] === 'task:retry');
    t.deepEqual(retries.map((e) => [e['task'], e['host'], e['attempt'], e['retriesLeft'], e['delaySeconds']]), [
      ['cluster health', hosts[0]!.name, 1, 2, 1],
      ['cluster health', hosts[0]!.name, 2, 1, 1],
    ]);
    for (const e of retries) t.regex(String(e['msg']), new RegExp(`${cut.name} \\(https://`));
    const final = events.find((e) => e['kind'] === 'task:host' && e['task'] === 'cluster health');
    t.is(final?.['status'], 'failed');
    t.true(events.indexOf(retries[1]!) < events.indexOf(final!), 'the retries come before the result');
    t.notRegex(plain.stderr + json.stderr, /MaxListenersExceededWarning/);
  } finally {
    await sh(cut, 'systemctl start etcd');
  }
});

test.serial('the network restored, a re-run leaves the cluster healthy', async (t) => {
  const r = await runBuiltCli(['run', playbookFile, '-i', labInventoryPath(), ...cliVars]);
  t.is(r.code, 0, r.stdout + r.stderr);
  const health = await sshExec(hosts[0]!, `sudo etcdctl --cert ${PKI}/etcd/peer.crt --key ${PKI}/etcd/peer.key --cacert ${PKI}/etcd/ca.crt --endpoints ${hosts.map((h) => `https://${h.address}:2379`).join(',')} endpoint health`);
  t.is(health.code, 0, health.stderr);
  t.is((health.stdout + health.stderr).match(/is healthy/g)?.length, 3);
});

test.serial('wiped, the etcd hosts are as fresh as before the suite', async (t) => {
  await Promise.all(hosts.map((h) => sh(h, WIPE)));
  t.deepEqual(await Promise.all(hosts.map((h) => sh(h, FRESHNESS))), fresh);
  t.regex(fresh[0]!, /^\/dev\/null\n/, 'etcd masked, as the image ships it');
  t.regex(fresh[0]!, /no \/etc\/kubernetes/);
});
