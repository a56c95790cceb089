/**
 * A real 3-member etcd 3.4.23 cluster on the lab's spare hosts (infra3..5), set up with the
 * systemd module (own unit `quorum-test-etcd`, own data and pki dirs) and checked with
 * etcd-health (etcdctl on a host and the JSON gateway from the controller) against etcdctl's own
 * verdict; then one member stopped: degraded, quorum kept, named. Also kubeadm-phase on a lab
 * host, where kubeadm really is missing.
 */
import { labStateFile } from '../helpers/lab.js';
import { labModuleContext } from '../helpers/lab-module-context.js';
import { planModule } from '../helpers/module-run.js';
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openConnection } from '../../runner/connection/connect.js';
import type { Connection } from '../../runner/connection/types.js';
import type { ModuleDefinition, Plan } from '../../runner/types.js';
import { applyPlan, type ApplyOutcome } from '../../runner/plan/apply.js';
import { systemd } from '../../modules/systemd.js';
import { etcdHealth } from '../../modules/etcd-health.js';
import { kubeadmPhase } from '../../modules/kubeadm-phase.js';
import { runEngine } from '../helpers/quorum.js';

const HOSTS = ['infra3', 'infra4', 'infra5'];
const UNIT = 'quorum-test-etcd';
const PKI = '/etc/quorum-test-etcd/pki';
const DATA = '/var/lib/quorum-test-etcd';

interface LabState { inventory: string; keyFile: string; knownHostsFile: string; user: string; hosts: Array<{ name: string; address: string }> }
const stateFile = labStateFile();
if (!existsSync(stateFile)) throw new Error('the lab is not up: run `node --import=tsx runner/cli.ts lab up` first');
const lab = JSON.parse(readFileSync(stateFile, 'utf8')) as LabState;
const address = (name: string) => lab.hosts.find((h) => h.name === name)?.address ?? '';
const endpoint = (name: string) => `https://${address(name)}:2379`;

async function connectLab(name: string): Promise<Connection> {
  const known = existsSync(lab.knownHostsFile);
  return openConnection({
    name, kind: 'ssh', address: address(name), port: 22, user: lab.user, privateKeyFile: lab.keyFile,
    knownHostsFile: known ? lab.knownHostsFile : '/tmp/quorum-lab-etcd-known_hosts', hostKeyPolicy: known ? 'strict' : 'accept-new', connectTimeoutMs: 15_000,
  });
}


/** Validate, gather, plan and (unless check or read-only) apply, as the executor does. */
async function runModule<P>(conn: Connection, module: ModuleDefinition<P>, params: P, opts: { check?: boolean; vars?: Record<string, unknown>; playbookDir?: string } = {}): Promise<{ plan: Plan; outcome?: ApplyOutcome }> {
  const check = opts.check ?? false;
  const ctx = labModuleContext(conn, conn.host, { checkMode: check, playbookDir: opts.playbookDir ?? '.', vars: opts.vars ?? {} });
  const plan = await planModule(module as ModuleDefinition, params, ctx);
  if (check || plan.failed !== undefined || plan.changes.length === 0) return { plan };
  return { plan, outcome: await applyPlan(ctx, plan) };
}

/** CA, one member cert per host (server+client auth, IP SAN) and a controller client cert. */
function makeCerts(dir: string): void {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=etcd-ca', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,digitalSignature');
  for (const name of [...HOSTS, 'client']) {
    const san = name === 'client' ? '' : `subjectAltName=DNS:${name},DNS:localhost,IP:${address(name)},IP:127.0.0.1\n`;
    const eku = name === 'client' ? 'clientAuth' : 'serverAuth,clientAuth';
    writeFileSync(join(dir, `${name}.ext`), `${san}extendedKeyUsage=${eku}\nkeyUsage=critical,digitalSignature,keyEncipherment\nbasicConstraints=critical,CA:FALSE\n`);
    run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    run('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
  }
}

const unitText = `[Unit]\nDescription=quorum lab test etcd\nAfter=network.target\n[Service]\nType=notify\nExecStart=/usr/bin/etcd\nRestart=no\n`;
function memberDropin(name: string): string {
  const ip = address(name);
  const cluster = HOSTS.map((h) => `${h}=https://${address(h)}:2380`).join(',');
  const env = {
    ETCD_NAME: name, ETCD_DATA_DIR: DATA,
    ETCD_LISTEN_CLIENT_URLS: `https://${ip}:2379`, ETCD_ADVERTISE_CLIENT_URLS: `https://${ip}:2379`,
    ETCD_LISTEN_PEER_URLS: `https://${ip}:2380`, ETCD_INITIAL_ADVERTISE_PEER_URLS: `https://${ip}:2380`,
    ETCD_INITIAL_CLUSTER: cluster, ETCD_INITIAL_CLUSTER_STATE: 'new',
    ETCD_CERT_FILE: `${PKI}/member.crt`, ETCD_KEY_FILE: `${PKI}/member.key`, ETCD_TRUSTED_CA_FILE: `${PKI}/ca.crt`, ETCD_CLIENT_CERT_AUTH: 'true',
    ETCD_PEER_CERT_FILE: `${PKI}/member.crt`, ETCD_PEER_KEY_FILE: `${PKI}/member.key`, ETCD_PEER_TRUSTED_CA_FILE: `${PKI}/ca.crt`, ETCD_PEER_CLIENT_CERT_AUTH: 'true',
  };
  return `[Service]\n${Object.entries(env).map(([k, v]) => `Environment=${k}=${v}`).join('\n')}\n`;
}
const unitParams = (name: string) => ({ name: UNIT, unit: unitText, dropins: { '10-member.conf': memberDropin(name) }, state: 'started' as const, no_block: true });

const conns = new Map<string, Connection>();
const certDir = mkdtempSync(join(tmpdir(), 'quorum-lab-etcd-'));
const healthParams = { group: 'qtest', cacert: `${PKI}/ca.crt`, cert: `${PKI}/member.crt`, key: `${PKI}/member.key`, timeout: 3 };
const vars = { groups: { qtest: HOSTS }, hostvars: Object.fromEntries(HOSTS.map((h) => [h, { ansible_host: address(h) }])) };
const gatewayParams = { method: 'gateway' as const, endpoints: HOSTS.map(endpoint), cacert: 'ca.crt', cert: 'client.crt', key: 'client.key', timeout: 3 };

async function cleanUp(conn: Connection): Promise<void> {
  await conn.exec(`systemctl stop ${UNIT}.service 2>/dev/null; rm -rf /etc/systemd/system/${UNIT}.service /etc/systemd/system/${UNIT}.service.d /etc/quorum-test-etcd ${DATA}; systemctl reset-failed ${UNIT}.service 2>/dev/null; systemctl daemon-reload`, { sudo: true });
}

/** Re-run etcd-health (the executor's retries/until, done by hand) until `done` holds. */
async function pollHealth(params: Record<string, unknown>, done: (plan: Plan) => boolean, playbookDir = '.'): Promise<Plan> {
  let plan: Plan | undefined;
  for (let attempt = 0; attempt < 60; attempt++) {
    plan = (await runModule(conns.get('infra3')!, etcdHealth, params, { vars, playbookDir })).plan;
    if (done(plan)) break;
    await sleep(1000);
  }
  return plan!;
}

/** etcdctl's own verdict, run directly on infra3. */
async function etcdctlOwn(args: string): Promise<{ rc: number; out: string }> {
  const r = await conns.get('infra3')!.exec(`ETCDCTL_API=3 etcdctl --endpoints=${HOSTS.map(endpoint).join(',')} --cacert=${PKI}/ca.crt --cert=${PKI}/member.crt --key=${PKI}/member.key --dial-timeout=3s --command-timeout=3s ${args}`, { sudo: true });
  return { rc: r.exitCode, out: r.stdout.toString() + r.stderr.toString() };
}

test.before(async () => {
  makeCerts(certDir);
  for (const h of HOSTS) conns.set(h, await connectLab(h));
  await Promise.all(HOSTS.map(async (h) => {
    const conn = conns.get(h)!;
    await cleanUp(conn);
    await conn.exec(['mkdir', '-p', PKI], { sudo: true });
    await conn.put(`${PKI}/ca.crt`, readFileSync(join(certDir, 'ca.crt')), { mode: '0644', sudo: true });
    await conn.put(`${PKI}/member.crt`, readFileSync(join(certDir, `${h}.crt`)), { mode: '0644', sudo: true });
    await conn.put(`${PKI}/member.key`, readFileSync(join(certDir, `${h}.key`)), { mode: '0600', sudo: true });
  }));
});

test.after.always(async () => {
  await Promise.all([...conns.values()].map(async (c) => { await cleanUp(c); await c.close(); }));
});

test.serial('three members started with no_block become one healthy cluster; etcd-health agrees with etcdctl', async (t) => {
  // Type=notify blocks a start until quorum: all three starts are queued at once (no_block).
  const started = await Promise.all(HOSTS.map((h) => runModule(conns.get(h)!, systemd, unitParams(h))));
  for (const s of started) {
    t.deepEqual(s.plan.changes.map((c) => c.describe).slice(-2), [`daemon-reload (unit files of ${UNIT}.service changed)`, `start ${UNIT}.service`]);
    t.is(s.outcome?.failure, undefined);
  }
  const plan = await pollHealth(healthParams, (p) => p.failed === undefined);
  t.is(plan.failed, undefined, plan.failed);
  const r = plan.result as Record<string, any>;
  t.is(r.healthy, true);
  t.is(r.quorum, true);
  t.deepEqual(r.endpoints.map((e: any) => [e.name, e.endpoint, e.healthy, e.version]), HOSTS.map((h) => [h, endpoint(h), true, '3.4.23']));
  t.deepEqual(r.members.map((m: any) => m.name).sort(), HOSTS);
  t.true(r.members.some((m: any) => m.id === r.leader), 'the leader is a member');
  t.deepEqual(r.endpoints.map((e: any) => e.memberId), HOSTS.map((h) => r.members.find((m: any) => m.name === h).id));

  const own = await etcdctlOwn('endpoint health');
  t.is(own.rc, 0, own.out);
  for (const h of HOSTS) t.regex(own.out, new RegExp(`${endpoint(h).replace(/\./g, '\\.')} is healthy`));
  const table = await etcdctlOwn('member list');
  t.deepEqual(table.out.trim().split('\n').map((l) => l.split(', ')[0]).sort(), r.members.map((m: any) => m.id).sort(), 'hex ids equal etcdctl\'s own table');
  const status = await etcdctlOwn('endpoint status');
  t.is(status.out.split('\n').find((l) => l.split(', ')[4] === 'true')?.split(', ')[1], r.leader, 'leader equals the IS LEADER row');

  // cluster: etcdctl's own `endpoint health --cluster` in the same call; its lines are registered.
  const cluster = await runModule(conns.get('infra3')!, etcdHealth, { ...healthParams, cluster: true }, { vars });
  t.is(cluster.plan.failed, undefined, cluster.plan.failed);
  for (const h of HOSTS) t.regex((cluster.plan.result as any).etcdctl_output, new RegExp(`${endpoint(h).replace(/\./g, '\\.')} is healthy: successfully committed proposal`));

  const gateway = await runModule(conns.get('infra3')!, etcdHealth, gatewayParams, { playbookDir: certDir });
  t.is(gateway.plan.failed, undefined, gateway.plan.failed);
  t.is((gateway.plan.result as any).leader, r.leader);
  t.deepEqual((gateway.plan.result as any).members, r.members);
});

test.serial('second run of systemd changes nothing, check mode plans nothing', async (t) => {
  for (const h of HOSTS) {
    const again = await runModule(conns.get(h)!, systemd, unitParams(h));
    t.deepEqual(again.plan.changes, [], h);
    t.deepEqual((await runModule(conns.get(h)!, systemd, unitParams(h), { check: true })).plan.changes, [], h);
  }
  const check = await runModule(conns.get('infra3')!, etcdHealth, healthParams, { vars, check: true });
  t.is((check.plan.result as any).healthy, true, 'etcd-health is read-only and runs in check mode');
});

/** A playbook on infra3 that waits for the cluster with retries/until, run by the real engine. */
async function runHealthPlaybook(check: boolean) {
  const file = join(certDir, 'health.yaml');
  writeFileSync(file, [
    '- hosts: infra3',
    '  gather_facts: false',
    '  become: true',
    '  tasks:',
    '    - name: wait for etcd',
    '      etcd-health:',
    `        endpoints: [${HOSTS.map(endpoint).join(', ')}]`,
    `        cacert: ${PKI}/ca.crt`,
    `        cert: ${PKI}/member.crt`,
    `        key: ${PKI}/member.key`,
    '        timeout: 3',
    '      register: health',
    '      retries: 3',
    '      delay: 1',
    '      until: health.healthy',
    '',
  ].join('\n'));
  const run = await runEngine({ playbookFile: file, inventoryFile: lab.inventory, check });
  return run.results('wait for etcd', 'infra3');
}

test.serial('through the engine: retries/until on the registered result, in check mode too', async (t) => {
  for (const check of [false, true]) {
    const [result] = await runHealthPlaybook(check);
    t.is(result?.status, 'ok', JSON.stringify(result));
    t.is(result?.result?.['healthy'], true);
    t.deepEqual((result?.result?.['endpoints'] as Array<{ name: string }>).map((e) => e.name), HOSTS, 'endpoints named after inventory hosts');
    t.deepEqual(result?.changes, []);
  }
});

test.serial('one member stopped: degraded, quorum kept, the member named; etcdctl agrees', async (t) => {
  const stop = await runModule(conns.get('infra5')!, systemd, { name: UNIT, state: 'stopped' as const });
  t.deepEqual(stop.plan.changes.map((c) => c.describe), [`stop ${UNIT}.service`]);
  // If infra5 led, the others elect a new leader first: wait for a verdict with a leader.
  const plan = await pollHealth(healthParams, (p) => (p.result as any)?.leader !== null);
  const prefix = `degraded, quorum kept: infra5 (${endpoint('infra5')}) unhealthy: `;
  t.true(plan.failed?.startsWith(prefix), plan.failed);
  t.regex(plan.failed ?? '', /connection refused/);
  t.is((plan.result as any).quorum, true);
  t.is((plan.result as any).healthy, false);
  t.deepEqual((plan.result as any).endpoints.map((e: any) => e.healthy), [true, true, false]);
  const own = await etcdctlOwn('endpoint health');
  t.is(own.rc, 1);
  t.regex(own.out, new RegExp(`${endpoint('infra5').replace(/\./g, '\\.')} is unhealthy`));
  const [viaEngine] = await runHealthPlaybook(false);
  t.is(viaEngine?.status, 'failed');
  t.true(String(viaEngine?.result?.['msg']).startsWith(prefix), JSON.stringify(viaEngine?.result?.['msg']));
  // Asked about infra3 and infra4 alone, the stopped member goes unseen; with cluster: true
  // etcdctl also checks the client URL infra5 advertises in the member list, and fails it.
  const two = { cacert: healthParams.cacert, cert: healthParams.cert, key: healthParams.key, timeout: healthParams.timeout, endpoints: [endpoint('infra3'), endpoint('infra4')], expect_members: 3 };
  t.is((await runModule(conns.get('infra3')!, etcdHealth, two, { vars })).plan.failed, undefined);
  const clusterTwo = (await runModule(conns.get('infra3')!, etcdHealth, { ...two, cluster: true }, { vars })).plan;
  t.true(clusterTwo.failed?.startsWith(`client URLs the member list advertises are unhealthy: infra5 (${endpoint('infra5')}): `), clusterTwo.failed);
  t.regex((clusterTwo.result as any).etcdctl_output, new RegExp(`${endpoint('infra5').replace(/\./g, '\\.')} is unhealthy`));

  const gateway = await runModule(conns.get('infra3')!, etcdHealth, gatewayParams, { playbookDir: certDir });
  t.is(gateway.plan.failed, `degraded, quorum kept: infra5 (${endpoint('infra5')}) unhealthy: connection refused`);
});

test.serial('kubeadm-phase on a lab host without kubeadm fails saying how to install it', async (t) => {
  const { plan } = await runModule(conns.get('infra3')!, kubeadmPhase, { phase: 'etcd local', config: '/root/kubeadmcfg.yaml' });
  t.regex(plan.failed ?? '', /^kubeadm not found on infra3 \(`command -v kubeadm` failed\): install it from the Kubernetes apt repository \(https:\/\/pkgs\.k8s\.io/);
  t.deepEqual(plan.changes, []);
});
