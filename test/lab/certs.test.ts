/**
 * certs module against a real lab host (infra4, `spare` group) over our ssh2 connection:
 * check mode touches nothing; apply puts the five kubeadm etcd certs under
 * /tmp/quorum-certs-test; real openssl on the host verifies them; a real etcd 3.4 on the host
 * serves mTLS with them (our client certs accepted, a cert from another CA rejected); the
 * second run changes nothing; a wrong mode is fixed without reissuing; a new SAN reissues one.
 */
import { labInventoryPath, labStateFile } from '../helpers/lab.js';
import test from 'ava';
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openConnection } from '../../runner/connection/connect.js';
import type { Connection } from '../../runner/connection/types.js';
import type { ModuleContext, Plan } from '../../runner/types.js';
import { applyPlan, type ApplyOutcome } from '../../runner/plan/apply.js';
import { validateAgainst } from '../../runner/validators/validate.js';
import { parseYamlText } from '../../runner/load/yaml.js';
import { certs, type CertsParams } from '../../modules/certs.js';
import { createCa, issueLeaf } from '../../runner/pki/issue.js';
import { writeFileSync } from 'node:fs';
import { runEngine, total, PROJECT_DIR } from '../helpers/quorum.js';
import { resolveWantedLeaf } from '../../runner/pki/check.js';

const HOST = 'infra4';
const DIR = '/tmp/quorum-certs-test';
const PKI = `${DIR}/pki`;
const OPENSSL = `${DIR}/bin/openssl`;
const ETCD_PORT = 22379;
const playbookDir = mkdtempSync(join(tmpdir(), 'quorum-certs-lab-'));

interface LabHost {
  name: string;
  address: string;
}

/** Connect to a lab host listed in .lab/state.json (written by `quorum lab up`). */
async function connectLab(name: string): Promise<{ conn: Connection; host: LabHost }> {
  const stateFile = labStateFile();
  if (!existsSync(stateFile)) throw new Error('the lab is not up: run `node --import=tsx runner/cli.ts lab up` first');
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { keyFile: string; knownHostsFile: string; user: string; hosts: LabHost[] };
  const host = state.hosts.find((h) => h.name === name);
  if (!host) throw new Error(`lab host ${name} not in .lab/state.json`);
  const known = existsSync(state.knownHostsFile);
  const conn = await openConnection({
    name, kind: 'ssh', address: host.address, port: 22, user: state.user, privateKeyFile: state.keyFile,
    knownHostsFile: known ? state.knownHostsFile : '/tmp/quorum-lab-certs-known_hosts', hostKeyPolicy: known ? 'strict' : 'accept-new', connectTimeoutMs: 15_000,
  });
  return { conn, host };
}

let conn: Connection;
let params: CertsParams;

/** Validate, gather, plan and (unless check) apply, as the executor does for one task. */
async function runCerts(p: CertsParams, check = false): Promise<{ plan: Plan; outcome?: ApplyOutcome }> {
  const problems = validateAgainst(certs.schema, p, parseYamlText('lab-test', '{}'), '');
  if (problems.length > 0) throw new Error(`invalid params: ${problems.map((x) => x.message).join('; ')}`);
  const ctx: ModuleContext = {
    host: HOST, inventoryHost: HOST, conn, become: true, vars: {}, checkMode: check, playbookDir, render: (s) => s,
    facts: { get: () => Promise.reject(new Error('certs uses no cached facts')), clear: () => {} },
  };
  const plan = certs.plan(p, await certs.gather(ctx, p), { host: HOST, inventoryHost: HOST, checkMode: check });
  if (check || plan.failed !== undefined) return { plan };
  return { plan, outcome: await applyPlan(ctx, plan) };
}

const run = (script: string) => conn.exec(script, { sudo: true });
const sh = async (script: string) => (await run(script)).stdout.toString().trim();
const describes = (plan: Plan) => plan.changes.map((c) => c.describe);

function etcdctl(cert: string, key: string, args: string): string {
  return `ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:${ETCD_PORT} --cacert=${PKI}/etcd/ca.crt --cert=${cert} --key=${key} --dial-timeout=3s --command-timeout=5s ${args}`;
}

test.before(async () => {
  const lab = await connectLab(HOST);
  conn = lab.conn;
  params = { node_name: HOST, advertise_address: lab.host.address, server_cert_sans: [lab.host.address], peer_cert_sans: [lab.host.address], pki_dir: PKI, ca_dir: 'etcd-ca', copy_ca_key: true };
  // A previous run that died may have left its etcd: stop it by the pid it recorded.
  await run(`[ -f ${DIR}/etcd.pid ] && kill $(cat ${DIR}/etcd.pid); rm -rf ${DIR} && mkdir -p ${DIR}/bin`);
  // The hosts are minbase (no openssl); the controller's Debian 12 binary runs on their libssl3.
  await conn.put(OPENSSL, readFileSync('/usr/bin/openssl'), { mode: '0755', sudo: true });
});

test.after.always(async () => {
  if (conn) {
    await run(`[ -f ${DIR}/etcd.pid ] && kill $(cat ${DIR}/etcd.pid); rm -rf ${DIR}`);
    await conn.close();
  }
  rmSync(playbookDir, { recursive: true, force: true });
});

test.serial('check mode: plans the CA and every file, creates nothing on host or controller', async (t) => {
  const { plan } = await runCerts(params, true);
  t.is(plan.changes[0]!.describe, `create etcd CA ${playbookDir}/etcd-ca/ca.crt on the controller (RSA 2048, 3650 days; once, shared by all hosts)`);
  t.deepEqual(describes(plan).slice(1, 4), [`create directory ${PKI}`, `create directory ${PKI}/etcd`, 'put etcd/ca.crt: missing']);
  t.is(plan.changes.filter((c) => c.kind === 'put').length, 10);
  t.false(existsSync(join(playbookDir, 'etcd-ca')));
  t.is(await sh(`test -e ${PKI} && echo present || echo absent`), 'absent');
});

test.serial('apply: files with kubeadm names, modes and owners; real openssl on the host verifies them', async (t) => {
  const { outcome } = await runCerts(params);
  t.is(outcome!.failure, undefined);
  t.is(outcome!.applied.length, 13); // CA creation, 2 mkdir, 10 files
  const stats = await sh(`cd ${PKI} && stat -c '%n %a %U %G' etcd/ca.crt etcd/ca.key etcd/server.crt etcd/server.key etcd/peer.crt etcd/peer.key etcd/healthcheck-client.crt etcd/healthcheck-client.key apiserver-etcd-client.crt apiserver-etcd-client.key`);
  t.is(stats, ['etcd/ca.crt 644', 'etcd/ca.key 600', 'etcd/server.crt 644', 'etcd/server.key 600', 'etcd/peer.crt 644', 'etcd/peer.key 600', 'etcd/healthcheck-client.crt 644', 'etcd/healthcheck-client.key 600', 'apiserver-etcd-client.crt 644', 'apiserver-etcd-client.key 600'].map((s) => `${s} root root`).join('\n'));
  const verify = await sh(`cd ${PKI} && ${OPENSSL} verify -CAfile etcd/ca.crt etcd/server.crt etcd/peer.crt etcd/healthcheck-client.crt apiserver-etcd-client.crt`);
  t.is(verify, 'etcd/server.crt: OK\netcd/peer.crt: OK\netcd/healthcheck-client.crt: OK\napiserver-etcd-client.crt: OK');
  for (const base of ['etcd/ca', 'etcd/server', 'etcd/peer', 'etcd/healthcheck-client', 'apiserver-etcd-client']) {
    const certMod = await sh(`${OPENSSL} x509 -noout -modulus -in ${PKI}/${base}.crt`);
    t.regex(certMod, /^Modulus=[0-9A-F]{512}$/);
    t.is(await sh(`${OPENSSL} rsa -noout -modulus -in ${PKI}/${base}.key`), certMod, base);
  }
  const server = await sh(`${OPENSSL} x509 -noout -subject -issuer -ext subjectAltName,extendedKeyUsage -in ${PKI}/etcd/server.crt`);
  t.true(server.includes(`subject=CN = ${HOST}\nissuer=CN = etcd-ca\n`), server);
  t.true(server.includes(`DNS:${HOST}, DNS:localhost, IP Address:${params.advertise_address}, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1`), server);
  t.true(server.includes('TLS Web Server Authentication, TLS Web Client Authentication'), server);
  t.is(await sh(`${OPENSSL} x509 -noout -subject -in ${PKI}/apiserver-etcd-client.crt`), 'subject=CN = kube-apiserver-etcd-client');
  // The CA on the host is the controller's, byte for byte.
  t.is((await conn.get(`${PKI}/etcd/ca.crt`, { sudo: true })).toString(), readFileSync(join(playbookDir, 'etcd-ca', 'ca.crt'), 'utf8'));
});

test.serial('real etcd 3.4 on the host serves mTLS with these certs; our client certs pass, a foreign CA is refused', async (t) => {
  const pki = PKI;
  const flags = [
    // zap logs each refused TLS handshake ("rejected connection"); 3.4's default capnslog does not.
    '--name quorum-certs-test', `--data-dir ${DIR}/etcd-data`, '--logger=zap', '--log-outputs=stderr',
    `--listen-client-urls https://127.0.0.1:${ETCD_PORT}`, `--advertise-client-urls https://127.0.0.1:${ETCD_PORT}`,
    '--listen-peer-urls https://127.0.0.1:22380', '--initial-advertise-peer-urls https://127.0.0.1:22380',
    '--initial-cluster quorum-certs-test=https://127.0.0.1:22380', '--listen-metrics-urls http://127.0.0.1:22381',
    `--cert-file ${pki}/etcd/server.crt`, `--key-file ${pki}/etcd/server.key`, '--client-cert-auth', `--trusted-ca-file ${pki}/etcd/ca.crt`,
    `--peer-cert-file ${pki}/etcd/peer.crt`, `--peer-key-file ${pki}/etcd/peer.key`, '--peer-client-cert-auth', `--peer-trusted-ca-file ${pki}/etcd/ca.crt`,
  ].join(' ');
  await run(`setsid etcd ${flags} > ${DIR}/etcd.log 2>&1 < /dev/null & echo $! > ${DIR}/etcd.pid`);
  const hc = [`${pki}/etcd/healthcheck-client.crt`, `${pki}/etcd/healthcheck-client.key`] as const;
  // Wait (bounded) for etcd to serve; the assertion is on the outcome, not on the time taken.
  const ready = await run(`for i in $(seq 1 100); do ${etcdctl(...hc, 'endpoint health')} 2>/dev/null && exit 0; sleep 0.2; done; exit 1`);
  t.is(ready.exitCode, 0, await sh(`tail -20 ${DIR}/etcd.log`));

  const health = await run(etcdctl(...hc, 'endpoint health'));
  t.is(health.exitCode, 0);
  t.regex(health.stderr.toString(), new RegExp(`https://127.0.0.1:${ETCD_PORT} is healthy`)); // 3.4 prints success on stderr
  const api = [`${pki}/apiserver-etcd-client.crt`, `${pki}/apiserver-etcd-client.key`] as const;
  t.is((await run(etcdctl(...api, 'put quorum-certs ok'))).exitCode, 0);
  t.is(await sh(etcdctl(...api, 'get quorum-certs --print-value-only')), 'ok');
  // The seed procedure's health check uses the peer cert as a client: it has clientAuth.
  t.is((await run(etcdctl(`${pki}/etcd/peer.crt`, `${pki}/etcd/peer.key`, 'endpoint health'))).exitCode, 0);

  const foreignCa = await createCa({ keySize: 2048, validityDays: 30 });
  const foreign = await issueLeaf(foreignCa, resolveWantedLeaf('etcd-healthcheck-client', { nodeName: HOST, serverCertSans: [], peerCertSans: [], keySize: 2048, validityDays: 30 }).spec);
  await conn.put(`${DIR}/foreign.crt`, Buffer.from(foreign.certPem), { mode: '0644', sudo: true });
  await conn.put(`${DIR}/foreign.key`, foreign.keyPem.reveal(), { mode: '0600', sudo: true });
  const refused = await run(etcdctl(`${DIR}/foreign.crt`, `${DIR}/foreign.key`, 'endpoint health'));
  t.not(refused.exitCode, 0);
  t.regex(refused.stderr.toString(), /is unhealthy/);
  const log = await sh(`cat ${DIR}/etcd.log`);
  t.regex(log, /rejected connection.*(unknown authority|bad certificate)/, log.slice(-3000));
});

test.serial('second run: no changes; a wrong mode is fixed alone; a new SAN reissues only the server cert', async (t) => {
  const again = await runCerts(params);
  t.deepEqual(describes(again.plan), []);
  t.regex(again.plan.noop!, /^etcd\/ca.crt and etcd\/ca.key are this CA; etcd\/server.crt is current/);
  t.deepEqual(again.outcome!.applied, []);

  const serialBefore = await sh(`${OPENSSL} x509 -noout -serial -in ${PKI}/etcd/server.crt`);
  await run(`chmod 0644 ${PKI}/etcd/server.key`);
  const fixed = await runCerts(params);
  t.deepEqual(describes(fixed.plan), ['chmod 0600 etcd/server.key (was 0644)']);
  t.is(await sh(`stat -c %a ${PKI}/etcd/server.key`), '600');
  t.is(await sh(`${OPENSSL} x509 -noout -serial -in ${PKI}/etcd/server.crt`), serialBefore);

  const wider = { ...params, server_cert_sans: [...params.server_cert_sans!, '10.213.0.99'] };
  const reissued = await runCerts(wider);
  t.deepEqual(describes(reissued.plan), ['reissue etcd/server.key: new 2048-bit RSA key', 'reissue etcd/server.crt: missing IP SAN 10.213.0.99']);
  t.regex(await sh(`${OPENSSL} x509 -noout -ext subjectAltName -in ${PKI}/etcd/server.crt`), /IP Address:10\.213\.0\.99/);
  t.not(await sh(`${OPENSSL} x509 -noout -serial -in ${PKI}/etcd/server.crt`), serialBefore);
  t.deepEqual(describes((await runCerts(wider, true)).plan), []);
});

test.serial('through the engine on two spare hosts in parallel: --check touches nothing, apply shares one CA, re-run changes nothing', async (t) => {
  const playbookFile = join(playbookDir, 'certs.yaml');
  writeFileSync(playbookFile, [
    '- hosts: spare',
    '  become: true',
    '  gather_facts: false',
    '  tasks:',
    '    - name: etcd pki',
    '      certs:',
    '        ca_dir: engine-ca',
    `        pki_dir: ${DIR}/engine`,
    '        advertise_address: "{{ ansible_host }}"',
    '        server_cert_sans: ["{{ ansible_host }}"]',
    '      register: pki',
    '',
  ].join('\n'));
  const options = { playbookFile, inventoryFile: labInventoryPath(), limit: 'infra4:infra5' };
  const check = await runEngine({ ...options, check: true });
  t.is(total(check.summary, 'changed'), 2);
  t.is(total(check.summary, 'failed'), 0);
  t.false(existsSync(join(playbookDir, 'engine-ca')));

  const applied = await runEngine(options);
  t.is(total(applied.summary, 'changed'), 2);
  const results = applied.results('etcd pki');
  t.deepEqual(results.map((r) => r.host).sort(), ['infra4', 'infra5']);
  const created = results.map((r) => (r.result as { ca: { created: boolean } }).ca.created);
  t.deepEqual(created.filter(Boolean), [true]); // one host created the CA, the other found it
  for (const r of results) {
    const server = (r.result as { certs: Record<string, { serial: string; issued: boolean }> }).certs['etcd-server']!;
    t.true(server.issued);
    t.regex(server.serial, /^\d+$/);
  }
  t.false(JSON.stringify(applied.events).includes('PRIVATE KEY'));

  const again = await runEngine(options);
  t.is(total(again.summary, 'changed'), 0);
  t.is(total(again.summary, 'ok'), 2);
  const other = await connectLab('infra5');
  try {
    const caOn5 = (await other.conn.get(`${DIR}/engine/etcd/ca.crt`, { sudo: true })).toString();
    t.is(caOn5, (await conn.get(`${DIR}/engine/etcd/ca.crt`, { sudo: true })).toString());
    t.is(caOn5, readFileSync(join(playbookDir, 'engine-ca', 'ca.crt'), 'utf8'));
    await other.conn.exec(`rm -rf ${DIR}`, { sudo: true });
  } finally {
    await other.conn.close();
  }
  await run(`rm -rf ${DIR}/engine`);
});
