/**
 * The flagship with its default runtime, the doc's own way, on real Kubernetes node hosts:
 * kubelet (built from k8s.io/kubernetes by scripts/build-k8s-tools.sh) started by the doc's
 * drop-in, `kubeadm init phase etcd local` writing each manifest, kubelet running etcd as a
 * static pod in containerd from the image built here; then kubeadm as the reference for quorum's
 * certificates and for the systemd runtime's etcd flags. Verdicts come from etcdctl, openssl, the
 * manifest kubeadm wrote, the host's process table and containerd.
 *
 * Needs a node lab: `quorum lab up --hosts 3 --node-tools "$(scripts/build-k8s-tools.sh)"`. On a
 * plain lab every test here is reported as skipped, with the command above in the log.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { PROJECT_DIR, runBuiltCli, runEngine, total } from '../helpers/quorum.js';
import { labHosts, labInventoryPath, labState, sshExec, type LabHost, rootSh as sh } from '../helpers/lab.js';

const nodeTools = labState().nodeTools;
const serial = nodeTools ? test.serial : test.serial.skip;
if (!nodeTools) console.log('etcd-static-pod: the lab has plain hosts; start it with `quorum lab up --hosts 3 --node-tools "$(scripts/build-k8s-tools.sh)"`');
const tools = nodeTools ? (JSON.parse(readFileSync(join(nodeTools, 'node-tools.json'), 'utf8')) as { etcdVersion: string; etcdImageRepository: string; etcdImageTag: string }) : undefined;

const hosts = labHosts('etcd');
const caDir = mkdtempSync(join(tmpdir(), 'quorum-static-pod-ca-'));
const playbookFile = join(PROJECT_DIR, 'playbooks/etcd-ha.yaml');
const extraVars = { etcd_ca_dir: caDir };
const PKI = '/etc/kubernetes/pki';

function etcdctl(args: string) {
  return sshExec(hosts[0]!, `sudo etcdctl --cert ${PKI}/etcd/peer.crt --key ${PKI}/etcd/peer.key --cacert ${PKI}/etcd/ca.crt --endpoints ${hosts.map((x) => `https://${x.address}:2379`).join(',')} ${args}`);
}

/** The running etcd's pid and start time (clock ticks since boot): changes when the pod's etcd restarts. */
function etcdProcess(host: LabHost): Promise<string> {
  return script(host, 'pid=$(pgrep -xo etcd) && echo "$pid $(cut -d" " -f22 /proc/$pid/stat)"').then((s) => s.trim());
}

/**
 * Back to a fresh host: the static pod removed through kubelet (manifest gone), kubelet stopped
 * and its drop-in removed, every container of the k8s.io namespace gone, the systemd runtime's
 * etcd too (an earlier suite may have left it), then /etc/kubernetes and /var/lib/etcd.
 */
async function wipe(host: LabHost): Promise<void> {
  await script(
    host,
    [
      'rm -f /etc/kubernetes/manifests/etcd.yaml',
      'if systemctl is-active -q kubelet; then for i in $(seq 60); do pgrep -x etcd >/dev/null || break; sleep 1; done; fi',
      'systemctl stop kubelet etcd 2>/dev/null; systemctl disable kubelet etcd 2>/dev/null',
      'for c in $(ctr -n k8s.io tasks ls -q); do ctr -n k8s.io tasks kill -s KILL $c; done',
      'sleep 1; for c in $(ctr -n k8s.io containers ls -q); do ctr -n k8s.io tasks rm -f $c 2>/dev/null; ctr -n k8s.io containers rm $c; done',
      'systemctl restart containerd',
      'rm -rf /etc/systemd/system/kubelet.service.d /etc/systemd/system/etcd.service /var/lib/kubelet /var/lib/etcd /etc/kubernetes',
      'systemctl daemon-reload; systemctl reset-failed kubelet 2>/dev/null; true',
    ].join('\n'),
  );
}

/** Run a root shell script on `host`, given on stdin (no quoting through the login shell). */
async function script(host: LabHost, text: string): Promise<string> {
  const r = await sshExec(host, 'sudo sh -s', { stdin: text });
  if (r.code !== 0) throw new Error(`${host.name}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

test.before(async () => {
  if (nodeTools) await Promise.all(hosts.map(wipe));
});

test.after.always(async () => {
  if (nodeTools) await Promise.all(hosts.map(wipe));
});

serial('the default runtime on fresh node hosts: kubelet runs etcd from kubeadm\'s manifest, 3 healthy members', async (t) => {
  const r = await runBuiltCli(['run', playbookFile, '-i', labInventoryPath(), '-e', `etcd_ca_dir=${caDir}`]);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.notRegex(r.stdout + r.stderr, /PRIVATE KEY/);
  const health = await etcdctl('endpoint health --cluster');
  t.is(health.code, 0, health.stderr);
  t.is((health.stdout + health.stderr).match(/is healthy/g)?.length, 3, health.stdout + health.stderr);
  // The members are the pods' etcd (the image's release), not Debian's etcd 3.4 of the host.
  const status = await etcdctl('endpoint status -w json');
  t.is(status.code, 0, status.stderr);
  const versions = (JSON.parse(status.stdout) as { Status: { version: string } }[]).map((s) => s.Status.version);
  t.deepEqual(versions, hosts.map(() => tools!.etcdVersion.replace(/^v/, '')));
  for (const h of hosts) {
    t.is((await sh(h, 'systemctl is-active kubelet')).trim(), 'active', h.name);
    t.regex(await sh(h, 'systemctl cat kubelet'), /ExecStart=\/usr\/bin\/kubelet --config=\/etc\/systemd\/system\/kubelet\.service\.d\/kubelet\.conf/, h.name);
    const manifest = parse(await sh(h, 'cat /etc/kubernetes/manifests/etcd.yaml'));
    const container = manifest.spec.containers[0];
    t.is(container.image, `${tools!.etcdImageRepository}/etcd:${tools!.etcdImageTag}`, h.name);
    t.true(container.command.includes(`--name=${h.name}`), h.name);
    t.true(container.command.includes(`--advertise-client-urls=https://${h.address}:2379`), h.name);
    // The etcd process runs the manifest's command line, in a pod cgroup of kubelet's.
    const pid = (await sh(h, 'pgrep -xo etcd')).trim();
    const argv = (await script(h, `tr '\\0' '\\n' < /proc/${pid}/cmdline`)).trim().split('\n');
    t.deepEqual(argv, container.command, h.name);
    t.regex(await sh(h, `cat /proc/${pid}/cgroup`), /kubepods/, h.name);
    t.regex(await sh(h, 'ctr -n k8s.io containers ls'), new RegExp(`${tools!.etcdImageRepository}/etcd:${tools!.etcdImageTag}`), h.name);
  }
});

serial('a second run changes nothing and restarts nothing', async (t) => {
  const before = await Promise.all(hosts.map(etcdProcess));
  const run = await runEngine({ playbookFile, inventoryFile: labInventoryPath(), extraVars });
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().filter((r) => r.status === 'failed')));
  t.is(total(run.summary, 'changed'), 0, JSON.stringify(run.results().filter((r) => r.status === 'changed').map((r) => [r.task, r.host, r.changes])));
  t.deepEqual(await Promise.all(hosts.map(etcdProcess)), before);
});

serial('--check after it reports nothing pending', async (t) => {
  const r = await runBuiltCli(['run', playbookFile, '-i', labInventoryPath(), '-e', `etcd_ca_dir=${caDir}`, '--check', '--detailed-exitcode']);
  t.is(r.code, 0, r.stdout + r.stderr);
});

/**
 * The certificate fields kubeadm and quorum must agree on, read by openssl on the controller:
 * everything but serial, signature, key material and the moment of issue.
 */
function certFields(pem: string): Record<string, string> {
  const text = openssl(['x509', '-noout', '-text'], pem);
  const dates = openssl(['x509', '-noout', '-startdate', '-enddate'], pem);
  const [start, end] = [/notBefore=(.*)/, /notAfter=(.*)/].map((re) => Date.parse(dates.match(re)![1]!));
  const ext = (name: string) => openssl(['x509', '-noout', '-ext', name], pem).replace(/\s+/g, ' ');
  return {
    subject: openssl(['x509', '-noout', '-subject', '-nameopt', 'RFC2253'], pem),
    issuer: openssl(['x509', '-noout', '-issuer', '-nameopt', 'RFC2253'], pem),
    subjectAltName: ext('subjectAltName'),
    keyUsage: ext('keyUsage'),
    extendedKeyUsage: ext('extendedKeyUsage'),
    basicConstraints: ext('basicConstraints'),
    validitySeconds: String((end! - start!) / 1000),
    publicKey: [...text.matchAll(/(Public Key Algorithm: .*|Public-Key: .*|ASN1 OID: .*)/g)].map((m) => m[1]!.trim()).join('; '),
    pemType: pem.split('\n')[0]!,
  };
}

/** Files under a pki directory: name, mode and (for keys) PEM type, one per line. */
async function pkiListing(host: LabHost, dir: string): Promise<string[]> {
  const text = await script(host, `cd ${dir} && find . -type f -printf '%P %m ' -exec head -1 {} \\; | sort`);
  return text.trim().split('\n');
}

serial('kubeadm as the reference: the etcd certificates kubeadm issues for the same config match quorum\'s, field by field', async (t) => {
  const h = hosts[0]!;
  const scratch = '/root/kubeadm-reference';
  // kubeadm's own certificates for the same kubeadmcfg.yaml, from quorum's CA (kubeadm uses an
  // existing CA), into a scratch certificatesDir: etcd-ca, etcd-server, etcd-peer,
  // etcd-healthcheck-client, apiserver-etcd-client.
  await script(
    h,
    [
      'set -e',
      `rm -rf ${scratch}; mkdir -p ${scratch}/pki/etcd`,
      `cp -p ${PKI}/etcd/ca.crt ${PKI}/etcd/ca.key ${scratch}/pki/etcd/`,
      `sed 's|^kind: ClusterConfiguration$|kind: ClusterConfiguration\\ncertificatesDir: ${scratch}/pki|' /etc/kubernetes/kubeadmcfg.yaml > ${scratch}/kubeadmcfg.yaml`,
      `grep -q 'certificatesDir: ${scratch}/pki' ${scratch}/kubeadmcfg.yaml`,
      ...['etcd-ca', 'etcd-server', 'etcd-peer', 'etcd-healthcheck-client', 'apiserver-etcd-client'].map((phase) => `kubeadm init phase certs ${phase} --config=${scratch}/kubeadmcfg.yaml`),
    ].join('\n'),
  );
  t.deepEqual(await pkiListing(h, `${scratch}/pki`), await pkiListing(h, PKI), 'file names, modes and PEM types');
  for (const cert of ['etcd/ca', 'etcd/server', 'etcd/peer', 'etcd/healthcheck-client', 'apiserver-etcd-client']) {
    const [ours, theirs] = await Promise.all([sh(h, `cat ${PKI}/${cert}.crt`), sh(h, `cat ${scratch}/pki/${cert}.crt`)]);
    const fields = certFields(ours);
    t.deepEqual(fields, certFields(theirs), cert);
    // What was compared is real data, not empty strings that would agree anyway.
    t.regex(fields.publicKey!, /Public Key Algorithm: \w+/, cert);
    t.regex(fields.keyUsage!, /Key Usage: critical .*Digital Signature/, cert);
    t.true(Number(fields.validitySeconds) > 364 * 86400, cert);
    if (cert === 'etcd/server' || cert === 'etcd/peer') t.regex(fields.subjectAltName!, new RegExp(`DNS:${h.name}, .*IP Address:${h.address.replace(/\./g, '\\.')}`), cert);
    if (cert === 'etcd/server') t.log(fields);
  }
  await script(h, `rm -rf ${scratch}`);
});

serial('kubeadm certs check-expiration reads quorum\'s certificates', async (t) => {
  const out = await script(hosts[0]!, 'kubeadm certs check-expiration --config=/etc/kubernetes/kubeadmcfg.yaml');
  for (const cert of ['apiserver-etcd-client', 'etcd-healthcheck-client', 'etcd-peer', 'etcd-server']) {
    t.regex(out, new RegExp(`^${cert}\\s+\\w{3} \\d{2}, \\d{4} \\d{2}:\\d{2} UTC\\s+36[45]d\\s+etcd-ca\\s+no`, 'm'), `${cert}\n${out}`);
  }
  t.regex(out, /^etcd-ca\s+\w{3} \d{2}, \d{4} \d{2}:\d{2} UTC\s+9y\s+no/m, out);
});

/** etcd's process on each host before and after the SAN change (for the restart test after it). */
const sanChange: { before: string[]; after: string[]; target?: LabHost } = { before: [], after: [] };

serial('an extra server SAN on one host reissues just its certificate, and its etcd serves it', async (t) => {
  const target = hosts[1]!;
  const inventory = parse(readFileSync(labInventoryPath(), 'utf8'));
  inventory.all.children.etcd.hosts[target.name].etcd_server_cert_sans = ['etcd-1.quorum.test'];
  const inventoryFile = join(mkdtempSync(join(tmpdir(), 'quorum-inv-')), 'inventory.yaml');
  writeFileSync(inventoryFile, stringify(inventory));
  sanChange.before = await Promise.all(hosts.map(etcdProcess));
  sanChange.target = target;

  const run = await runEngine({ playbookFile, inventoryFile, extraVars });
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().filter((r) => r.status === 'failed')));
  t.deepEqual(run.results('member certificates').filter((r) => r.status === 'changed').map((r) => r.host), [target.name]);
  sanChange.after = await Promise.all(hosts.map(etcdProcess));
  // What the restarted etcd serves is the new certificate (read from the controller).
  const dir = mkdtempSync(join(tmpdir(), 'quorum-static-pod-tls-'));
  for (const f of ['ca.crt', 'peer.crt']) writeFileSync(join(dir, f), await sh(hosts[0]!, `cat ${PKI}/etcd/${f}`));
  writeFileSync(join(dir, 'peer.key'), await sh(hosts[0]!, `cat ${PKI}/etcd/peer.key`), { mode: 0o600 });
  const hello = execFileSync('openssl', ['s_client', '-connect', `${target.address}:2379`, '-CAfile', join(dir, 'ca.crt'), '-cert', join(dir, 'peer.crt'), '-key', join(dir, 'peer.key')], { input: '', encoding: 'utf8', stdio: ['pipe', 'pipe', 'ignore'] });
  t.regex(openssl(['x509', '-noout', '-ext', 'subjectAltName'], hello), /DNS:etcd-1\.quorum\.test/);
  const health = await etcdctl('endpoint health --cluster');
  t.is(health.code, 0, health.stderr);
});

// kubeadm writes the same manifest for new certificates (they are not part of it), so the rolling
// restart takes the manifest out of staticPodPath until kubelet stops etcd, then kubeadm writes
// it anew: the changed member's pod restarts, once, and no other.
(nodeTools ? test.serial : test.serial.skip)('the changed member\'s static pod restarted, and only it', (t) => {
  t.true(sanChange.before.length === hosts.length && sanChange.after.length === hosts.length, 'the SAN test ran');
  hosts.forEach((h, i) => t.is(sanChange.before[i] !== sanChange.after[i], h === sanChange.target, `${h.name} restarted`));
});

serial('the systemd runtime\'s etcd flags are those of the manifest kubeadm writes for the same host', async (t) => {
  await Promise.all(hosts.map(wipe));
  // kubeadm picks etcd's flag spellings from the image tag, quorum's unit from the etcd binary's
  // version: give kubeadm the tag of the host's etcd (Debian's 3.4), so both mean the same etcd.
  const version = (await sh(hosts[0]!, 'etcd --version')).match(/etcd Version: (\S+)/)![1]!;
  const run = await runEngine({ playbookFile, inventoryFile: labInventoryPath(), extraVars: { ...extraVars, etcd_runtime: 'systemd', etcd_image_tag: `${version}-0` } });
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().filter((r) => r.status === 'failed').map((r) => [r.task, r.host, r.msg])));
  for (const h of hosts) {
    t.is((await script(h, 'systemctl is-active kubelet || true')).trim(), 'inactive', `${h.name}: no kubelet to start the manifest`);
    await sh(h, 'kubeadm init phase etcd local --config=/etc/kubernetes/kubeadmcfg.yaml');
    const manifest = parse(await sh(h, 'cat /etc/kubernetes/manifests/etcd.yaml'));
    const kubeadmFlags: string[] = manifest.spec.containers[0].command.slice(1);
    const unit = await sh(h, 'cat /etc/systemd/system/etcd.service');
    const execStart = unit.replace(/\\\n\s*/g, ' ').match(/^ExecStart=(.*)$/m)![1]!.trim().split(/\s+/);
    t.deepEqual([...execStart.slice(1)].sort(), [...kubeadmFlags].sort(), h.name);
    // And the running etcd has exactly the unit's command line.
    const pid = (await sh(h, 'systemctl show -p MainPID --value etcd')).trim();
    t.deepEqual((await script(h, `tr '\\0' '\\n' < /proc/${pid}/cmdline`)).trim().split('\n'), execStart, h.name);
    await sh(h, 'rm -f /etc/kubernetes/manifests/etcd.yaml');
  }
});

/** openssl on the controller. */
function openssl(args: string[], input?: string): string {
  return execFileSync('openssl', args, { encoding: 'utf8', input }).trim();
}
