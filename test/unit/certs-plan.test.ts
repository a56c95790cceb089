// certs module: plan decisions from hand-made facts (real certs made with runner/pki, no host),
// then a real gather -> plan -> apply -> gather -> plan round trip on the controller itself.
import test from 'ava';
import { lstatSync, mkdtempSync, mkdirSync, readdirSync, rmSync, statSync, existsSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { certs, type CertsFacts, type CertsParams } from '../../modules/certs.js';
import { createCa, issueLeaf, type CaMaterial } from '../../runner/pki/issue.js';
import { summarizeHostFile, type HostFile } from '../../runner/pki/host-facts.js';
import { summarizeCertPem } from '../../runner/pki/inspect.js';
import { resolveWantedLeaf } from '../../runner/pki/check.js';
import { applyPlan } from '../../runner/plan/apply.js';
import { LocalConnection } from '../../runner/connection/local.js';
import { isSecret } from '../../runner/secret.js';
import { chmodNoFollow, mkdirNoFollow } from '../../runner/connection/no-follow.js';
import type { Change, ModuleContext, Plan, PlanContext } from '../../runner/types.js';

const work = mkdtempSync(join(tmpdir(), 'quorum-certs-plan-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

const PKI = '/etc/kubernetes/pki';
const base: CertsParams = { node_name: 'infra0', advertise_address: '10.0.0.6', server_cert_sans: ['10.0.0.6'], peer_cert_sans: ['10.0.0.6'], ca_dir: 'ca' };
const pctx: PlanContext = { host: 'infra0', inventoryHost: 'infra0', checkMode: true };
const caPromise = createCa({ keySize: 2048, validityDays: 3650 });
const otherCaPromise = createCa({ keySize: 2048, validityDays: 3650 });

type Files = Record<string, HostFile>;

/**
 * A host holding every file of `params`, issued by `ca`, with kubeadm's modes, as gather
 * summarizes it against the controller's CA `seenBy` (default: the issuing CA).
 */
async function buildGoodHost(ca: CaMaterial, seenBy: CaMaterial = ca, params: CertsParams = base): Promise<Files> {
  const files: Files = { 'etcd/ca.crt': summarizeHostFile('etcd/ca.crt', { mode: '0644', owner: 'root', group: 'root', content: ca.certPem }, seenBy.certPem) };
  const inputs = { nodeName: params.node_name!, advertiseAddress: params.advertise_address!, serverCertSans: params.server_cert_sans ?? [], peerCertSans: params.peer_cert_sans ?? [], keySize: 2048 as const, validityDays: 365 };
  await Promise.all(
    (['etcd-server', 'etcd-peer', 'etcd-healthcheck-client', 'apiserver-etcd-client'] as const).map(async (name) => {
      const want = resolveWantedLeaf(name, inputs);
      const leaf = await issueLeaf(ca, want.spec);
      files[want.certPath] = summarizeHostFile(want.certPath, { mode: '0644', owner: 'root', group: 'root', content: leaf.certPem }, seenBy.certPem);
      files[want.keyPath] = summarizeHostFile(want.keyPath, { mode: '0600', owner: 'root', group: 'root', content: Buffer.from(leaf.keyPem.reveal()).toString() }, seenBy.certPem);
    }),
  );
  return files;
}

function buildFacts(ca: CaMaterial | undefined, files: Files, now = Date.now()): CertsFacts {
  return {
    now,
    ca: { dir: join(work, 'never-created'), ...(ca ? { cert: { ...summarizeCertPem(ca.certPem, ca.certPem), pem: ca.certPem } } : {}) },
    files,
    dirs: [PKI, `${PKI}/etcd`],
  };
}

const describe = (plan: Plan) => plan.changes.map((c) => c.describe);

test('fresh host, CA on the controller: mkdir, then key before cert for every leaf, ca.crt as bytes', async (t) => {
  const ca = await caPromise;
  // gather found / and /etc, not /etc/kubernetes: both directories are created from /etc.
  const plan = certs.plan(base, { ...buildFacts(ca, {}), dirs: ['/etc', '/'] }, pctx);
  t.deepEqual(plan.changes.slice(0, 2).map((c) => (c.kind === 'exec' ? c.command : c.kind)), [
    mkdirNoFollow('/etc', ['kubernetes', 'pki'], { mode: '0755' }),
    mkdirNoFollow('/etc', ['kubernetes', 'pki', 'etcd'], { mode: '0755' }),
  ]);
  t.deepEqual(describe(plan), [
    `create directory ${PKI}`,
    `create directory ${PKI}/etcd`,
    'put etcd/ca.crt: missing',
    'issue etcd/server.key: new 2048-bit RSA key',
    'issue etcd/server.crt: etcd/server.crt is missing',
    'issue etcd/peer.key: new 2048-bit RSA key',
    'issue etcd/peer.crt: etcd/peer.crt is missing',
    'issue etcd/healthcheck-client.key: new 2048-bit RSA key',
    'issue etcd/healthcheck-client.crt: etcd/healthcheck-client.crt is missing',
    'issue apiserver-etcd-client.key: new 2048-bit RSA key',
    'issue apiserver-etcd-client.crt: apiserver-etcd-client.crt is missing',
  ]);
  const puts = plan.changes.filter((c): c is Extract<Change, { kind: 'put' }> => c.kind === 'put');
  t.deepEqual(puts.map((p) => [p.dest, p.mode, p.owner, p.group, typeof p.content === 'function']), [
    [`${PKI}/etcd/ca.crt`, '0644', 'root', 'root', false],
    [`${PKI}/etcd/server.key`, '0600', 'root', 'root', true],
    [`${PKI}/etcd/server.crt`, '0644', 'root', 'root', true],
    [`${PKI}/etcd/peer.key`, '0600', 'root', 'root', true],
    [`${PKI}/etcd/peer.crt`, '0644', 'root', 'root', true],
    [`${PKI}/etcd/healthcheck-client.key`, '0600', 'root', 'root', true],
    [`${PKI}/etcd/healthcheck-client.crt`, '0644', 'root', 'root', true],
    [`${PKI}/apiserver-etcd-client.key`, '0600', 'root', 'root', true],
    [`${PKI}/apiserver-etcd-client.crt`, '0644', 'root', 'root', true],
  ]);
  const result = plan.result as { ca: Record<string, unknown>; certs: Record<string, Record<string, unknown>> };
  t.is(result.ca.created, false);
  t.deepEqual(result.certs['etcd-server'], {
    path: `${PKI}/etcd/server.crt`,
    serial: null,
    sans: ['DNS:infra0', 'DNS:localhost', 'IP:10.0.0.6', 'IP:127.0.0.1', 'IP:::1'],
    not_after: null,
    issued: true,
    reasons: ['etcd/server.crt is missing'],
  });
  const serverDiff = plan.diffs!.find((d) => d.label === `${PKI}/etcd/server.crt`)!;
  t.is(serverDiff.before, '(absent)');
  t.is(serverDiff.after, 'subject: CN=infra0\nissuer: CN=etcd-ca\nSANs: DNS:infra0, DNS:localhost, IP:10.0.0.6, IP:127.0.0.1, IP:::1\nEKU: serverAuth, clientAuth\nvalidity: apply time - 5m .. apply time + 365d');
  t.is(plan.noop, undefined);
});

test('only the missing directory is created, from the deepest one gather found; none when both are there', async (t) => {
  const ca = await caPromise;
  const plan = certs.plan({ ...base, profile: 'etcd-ca' }, { ...buildFacts(ca, {}), dirs: ['/', '/etc', '/etc/kubernetes', PKI] }, pctx);
  t.deepEqual(plan.changes[0], { kind: 'exec', command: mkdirNoFollow(PKI, ['etcd'], { mode: '0755' }), describe: `create directory ${PKI}/etcd` });
  t.deepEqual(describe(plan), [`create directory ${PKI}/etcd`, 'put etcd/ca.crt: missing']);
  // Client profiles outside etcd/ need pki_dir only.
  const client = certs.plan({ ...base, profile: 'apiserver-etcd-client' }, { ...buildFacts(ca, {}), dirs: ['/'] }, pctx);
  t.deepEqual(client.changes[0], { kind: 'exec', command: mkdirNoFollow('/', ['etc', 'kubernetes', 'pki'], { mode: '0755' }), describe: `create directory ${PKI}` });
  t.false(describe(client).includes(`create directory ${PKI}/etcd`));
  t.false(describe(certs.plan({ ...base, profile: 'etcd-ca' }, buildFacts(ca, {}), pctx)).some((d) => d.startsWith('create directory')));
});

test('fresh host, no CA yet: the CA creation comes first and ca.crt is lazy too', (t) => {
  const plan = certs.plan({ ...base, profiles: ['etcd-ca', 'etcd-healthcheck-client'] }, buildFacts(undefined, {}), pctx);
  t.deepEqual(describe(plan), [
    `create etcd CA ${join(work, 'never-created')}/ca.crt on the controller (RSA 2048, 3650 days; once, shared by all hosts)`,
    'put etcd/ca.crt: missing',
    'issue etcd/healthcheck-client.key: new 2048-bit RSA key',
    'issue etcd/healthcheck-client.crt: etcd/healthcheck-client.crt is missing',
  ]);
  t.is(plan.changes[0]!.kind, 'call');
  t.true(plan.changes.slice(1).every((c) => c.kind === 'put' && typeof c.content === 'function'));
  t.is((plan.result as { ca: { created: boolean } }).ca.created, true);
  t.false(existsSync(join(work, 'never-created')));
});

test('good certs: no change, the reason says each file is current', async (t) => {
  const ca = await caPromise;
  const plan = certs.plan(base, buildFacts(ca, await buildGoodHost(ca)), pctx);
  t.deepEqual(plan.changes, []);
  t.deepEqual(plan.diffs, []);
  t.regex(plan.noop!, /^etcd\/ca.crt is this CA; etcd\/server.crt is current \(until \d{4}-\d\d-\d\d\); etcd\/peer.crt is current .*apiserver-etcd-client.crt is current/);
  const server = (plan.result as { certs: Record<string, Record<string, unknown>> }).certs['etcd-server']!;
  t.is(server.issued, false);
  t.regex(String(server.serial), /^\d+$/);
});

test('missing SAN: reissue says which SAN; other leaves stay', async (t) => {
  const ca = await caPromise;
  const files = await buildGoodHost(ca);
  const plan = certs.plan({ ...base, server_cert_sans: ['10.0.0.6', '10.0.0.9', 'etcd.example.com'] }, buildFacts(ca, files), pctx);
  t.deepEqual(describe(plan), ['reissue etcd/server.key: new 2048-bit RSA key', 'reissue etcd/server.crt: missing DNS SAN etcd.example.com; missing IP SAN 10.0.0.9']);
  const diff = plan.diffs![0]!;
  t.regex(diff.before, /^subject: CN=infra0\nissuer: CN=etcd-ca\nSANs: DNS:infra0, DNS:localhost, IP:10.0.0.6, IP:127.0.0.1, IP:::1\nEKU: serverAuth, clientAuth\nvalidity: \S+ \.\. \S+$/);
  t.regex(diff.after, /SANs: DNS:etcd.example.com, DNS:infra0, DNS:localhost, IP:10.0.0.6, IP:127.0.0.1, IP:::1, IP:10.0.0.9\n/);
});

test('expiring within renew_before_days: reissue with the date; expired says so', async (t) => {
  const ca = await caPromise;
  const files = await buildGoodHost(ca);
  const notAfter = (files['etcd/peer.crt']!.cert as { notAfter: string }).notAfter;
  const tenDaysBefore = Date.parse(notAfter) - 10 * 86_400_000;
  const plan = certs.plan({ ...base, profile: 'etcd-peer' }, buildFacts(ca, files, tenDaysBefore), pctx);
  t.deepEqual(describe(plan), ['reissue etcd/peer.key: new 2048-bit RSA key', `reissue etcd/peer.crt: expires ${notAfter.slice(0, 10)} (within 30 days)`]);
  t.deepEqual(certs.plan({ ...base, profile: 'etcd-peer', renew_before_days: 5 }, buildFacts(ca, files, tenDaysBefore), pctx).changes, []);
  const late = certs.plan({ ...base, profile: 'etcd-peer' }, buildFacts(ca, files, Date.parse(notAfter) + 1000), pctx);
  t.is(late.changes[1]!.describe, `reissue etcd/peer.crt: expired on ${notAfter.slice(0, 10)}`);
});

test('wrong mode or owner: chmod/chown only, no reissue', async (t) => {
  const ca = await caPromise;
  const files = await buildGoodHost(ca);
  files['etcd/server.key'] = { ...files['etcd/server.key']!, mode: '0644' };
  files['etcd/ca.crt'] = { ...files['etcd/ca.crt']!, owner: 'etcd', group: 'etcd' };
  const plan = certs.plan(base, buildFacts(ca, files), pctx);
  t.deepEqual(
    plan.changes.map((c) => (c.kind === 'exec' ? c.command : c.kind)),
    [
      ['chown', '-h', 'root:root', '--', `${PKI}/etcd/ca.crt`],
      chmodNoFollow('0600', `${PKI}/etcd/server.key`),
    ],
  );
  t.deepEqual(describe(plan), ['chown root:root etcd/ca.crt (was etcd:etcd)', 'chmod 0600 etcd/server.key (was 0644)']);
  t.deepEqual(plan.diffs, [{ label: `attributes of ${PKI}/etcd/server.{crt,key}`, before: 'crt 0644 root:root\nkey 0644 root:root', after: 'crt 0644 root:root\nkey 0600 root:root' }]);
});

test('a host that trusts another CA: refused, never replaced, both fingerprints named', async (t) => {
  const [ca, other] = await Promise.all([caPromise, otherCaPromise]);
  const foreign = await buildGoodHost(other, ca);
  const plan = certs.plan({ ...base, profiles: ['etcd-ca', 'etcd-healthcheck-client'] }, buildFacts(ca, foreign), pctx);
  t.deepEqual(plan.changes, []);
  t.regex(plan.failed ?? '', /is another CA \(sha256:[0-9a-f]{64}, CN=etcd-ca\) and the controller's CA is sha256:[0-9a-f]{64}: quorum never replaces a CA that hosts trust/);
  // Without the etcd-ca profile the leaves signed by the other CA are reissued, saying why.
  const leaves = certs.plan({ ...base, profiles: ['etcd-healthcheck-client'] }, buildFacts(ca, foreign), pctx);
  t.deepEqual(describe(leaves), ['reissue etcd/healthcheck-client.key: new 2048-bit RSA key', 'reissue etcd/healthcheck-client.crt: not signed by this CA']);
});

test('a foreign key, a wrong CN: each reissue says why', async (t) => {
  const ca = await caPromise;
  const mine = await buildGoodHost(ca);
  mine['etcd/peer.key'] = mine['etcd/server.key']!;
  const mixed = certs.plan({ ...base, profile: 'etcd-peer' }, buildFacts(ca, mine), pctx);
  t.is(mixed.changes[1]!.describe, 'reissue etcd/peer.crt: etcd/peer.key does not match the certificate');
  const renamed = certs.plan({ ...base, profile: 'etcd-server', node_name: 'infra9' }, buildFacts(ca, mine), pctx);
  t.is(renamed.changes[1]!.describe, 'reissue etcd/server.crt: subject CN is infra0, want infra9; missing DNS SAN infra9');
  const bigger = certs.plan({ ...base, profile: 'etcd-server', key_size: 3072 }, buildFacts(ca, mine), pctx);
  t.is(bigger.changes[1]!.describe, 'reissue etcd/server.crt: key is 2048 bits, want 3072');
  const garbled = certs.plan({ ...base, profile: 'etcd-server' }, buildFacts(ca, { ...mine, 'etcd/server.crt': summarizeHostFile('etcd/server.crt', { mode: '0644', owner: 'root', group: 'root', content: 'junk' }) }), pctx);
  t.regex(garbled.changes[1]!.describe, /^reissue etcd\/server.crt: etcd\/server.crt cannot be parsed \(/);
});

test('bad input: no advertise address fails the plan with what to do; odd SANs are dropped with a message', async (t) => {
  const ca = await caPromise;
  const { advertise_address: _, ...noAddress } = base;
  const failed = certs.plan(noAddress, buildFacts(ca, {}), pctx);
  t.deepEqual(failed.changes, []);
  t.is(failed.failed, 'profile etcd-server needs advertise_address: set it to the IP address etcd listens on (e.g. "{{ ansible_host }}")');
  const clientOnly = certs.plan({ ...noAddress, profile: 'apiserver-etcd-client' }, buildFacts(ca, {}), pctx);
  t.is(clientOnly.failed, undefined);
  const odd = certs.plan({ ...base, profile: 'etcd-peer', peer_cert_sans: ['not a name'] }, buildFacts(ca, {}), pctx);
  t.is(odd.msg, 'dropped SANs that are neither an IP nor a DNS name: not a name (etcd-peer)');
});

test('copy_ca_key: ca.key is put as a Secret, its diff is marked secret and shows nothing', async (t) => {
  const ca = await caPromise;
  const plan = certs.plan({ ...base, profile: 'etcd-ca', copy_ca_key: true }, buildFacts(ca, {}), pctx);
  const put = plan.changes.find((c) => c.kind === 'put' && c.dest.endsWith('ca.key')) as Extract<Change, { kind: 'put' }>;
  t.is(put.mode, '0600');
  t.deepEqual(plan.diffs!.find((d) => d.label.endsWith('ca.key')), { label: `${PKI}/etcd/ca.key`, before: '', after: '', secret: true });
});

/** A ModuleContext over the real local connection: the controller is the host. */
function buildContext(checkMode: boolean): ModuleContext {
  return {
    host: 'localhost',
    inventoryHost: 'infra0',
    conn: new LocalConnection(),
    become: false,
    facts: { get: () => Promise.reject(new Error('certs uses no cached facts')), clear: () => {} },
    vars: {},
    checkMode,
    playbookDir: work,
    render: (s) => s,
  };
}

test('real round trip on this machine: check mode generates nothing; apply writes; second plan is a no-op', async (t) => {
  const pkiDir = join(work, 'host', 'pki');
  const params: CertsParams = { ...base, pki_dir: pkiDir, ca_dir: 'roundtrip-ca', copy_ca_key: true };
  const ctx = buildContext(true);
  const checkPlan = certs.plan(params, await certs.gather(ctx, params), pctx);
  // Spy on every lazy content: check mode (gather + plan) must not call one.
  const calls = new Map<string, number>();
  for (const c of checkPlan.changes) {
    if (c.kind !== 'put' || typeof c.content !== 'function') continue;
    const inner = c.content;
    calls.set(c.dest, 0);
    c.content = () => (calls.set(c.dest, calls.get(c.dest)! + 1), inner());
  }
  t.is(calls.size, 10); // ca.crt, ca.key and 4 x (key, cert), all lazy since no CA exists yet
  t.false(existsSync(join(work, 'roundtrip-ca')), 'no CA created by gather or plan');
  t.false(existsSync(pkiDir));
  t.true([...calls.values()].every((n) => n === 0));

  const outcome = await applyPlan(buildContext(false), checkPlan);
  t.is(outcome.failure, undefined);
  t.true([...calls.values()].every((n) => n === 1));
  t.is(statSync(join(work, 'roundtrip-ca')).mode & 0o777, 0o700);
  for (const [file, mode] of [['etcd/ca.key', 0o600], ['etcd/server.key', 0o600], ['etcd/server.crt', 0o644], ['apiserver-etcd-client.crt', 0o644]] as const) {
    t.is(statSync(join(pkiDir, file)).mode & 0o777, mode, file);
  }
  const verify = execFileSync('openssl', ['verify', '-CAfile', join(pkiDir, 'etcd/ca.crt'), join(pkiDir, 'etcd/server.crt'), join(pkiDir, 'etcd/peer.crt')], { encoding: 'utf8' });
  t.is(verify, `${pkiDir}/etcd/server.crt: OK\n${pkiDir}/etcd/peer.crt: OK\n`);
  t.is(readFileSync(join(pkiDir, 'etcd/ca.crt'), 'utf8'), readFileSync(join(work, 'roundtrip-ca', 'ca.crt'), 'utf8'));
  // The registered result learned the real serials at apply time.
  const server = (checkPlan.result as { certs: Record<string, Record<string, unknown>> }).certs['etcd-server']!;
  t.is(server.serial, summarizeCertPem(readFileSync(join(pkiDir, 'etcd/server.crt'), 'utf8')).serial);
  t.false(JSON.stringify(checkPlan).includes('PRIVATE KEY'));

  const second = certs.plan(params, await certs.gather(buildContext(false), params), pctx);
  t.deepEqual(describe(second), []);
  t.truthy(second.noop);
  const keyPut = checkPlan.changes.find((c) => c.kind === 'put' && c.dest.endsWith('server.key')) as Extract<Change, { kind: 'put' }>;
  t.true(isSecret(await (keyPut.content as () => Promise<unknown>)()));
});

test('a link planted as a missing parent of pki_dir between gather and apply is refused; the directory it points to is untouched', async (t) => {
  const root = join(work, 'planted');
  const victim = join(work, 'planted-victim');
  mkdirSync(root);
  mkdirSync(victim, { mode: 0o700 });
  const params: CertsParams = { ...base, profile: 'etcd-ca', pki_dir: join(root, 'k8s', 'pki'), ca_dir: 'planted-ca' };
  const plan = certs.plan(params, await certs.gather(buildContext(false), params), pctx);
  t.deepEqual(describe(plan).filter((d) => d.startsWith('create directory')), [`create directory ${root}/k8s/pki`, `create directory ${root}/k8s/pki/etcd`]);
  symlinkSync(victim, join(root, 'k8s')); // planted after the read
  const outcome = await applyPlan(buildContext(false), plan);
  t.regex(outcome.failure?.message ?? '', /\/k8s is a symbolic link that appeared after quorum read the path: not following it/);
  t.deepEqual(readdirSync(victim), [], 'nothing made or put inside the victim');
  t.is(statSync(victim).mode & 0o777, 0o700);
  // Without the link, the same plan creates both directories 0755, the missing parent too.
  rmSync(join(root, 'k8s'));
  const again = await applyPlan(buildContext(false), certs.plan(params, await certs.gather(buildContext(false), params), pctx));
  t.is(again.failure, undefined);
  // The parent gets the umask's mode, as with mkdir -p -m; the two PKI directories 0755.
  t.deepEqual([join(root, 'k8s'), params.pki_dir!, join(params.pki_dir!, 'etcd')].map((d) => statSync(d).mode & 0o7777), [0o777 & ~process.umask(), 0o755, 0o755]);
  t.false(lstatSync(join(root, 'k8s')).isSymbolicLink());
  t.true(existsSync(join(params.pki_dir!, 'etcd', 'ca.crt')));
});

test('parallel hosts with no CA yet: every plan says "create CA", applied concurrently they share ONE CA', async (t) => {
  const hosts = ['infra0', 'infra1', 'infra2'].map((name, i) => ({
    name,
    params: { ...base, node_name: name, advertise_address: `10.0.0.${6 + i}`, server_cert_sans: [], peer_cert_sans: [], pki_dir: join(work, 'parallel', name), ca_dir: 'parallel-ca', profiles: ['etcd-ca' as const, 'etcd-server' as const] },
  }));
  const plans = await Promise.all(hosts.map(async (h) => certs.plan(h.params, await certs.gather({ ...buildContext(false), inventoryHost: h.name }, h.params), { ...pctx, inventoryHost: h.name })));
  t.true(plans.every((p) => p.changes[0]!.kind === 'call' && (p.result as { ca: { created: boolean } }).ca.created));
  const outcomes = await Promise.all(plans.map((p) => applyPlan(buildContext(false), p)));
  t.true(outcomes.every((o) => o.failure === undefined));
  // After apply the registered result tells which host's task really created it: exactly one.
  t.deepEqual(plans.map((p) => (p.result as { ca: { created: boolean } }).ca.created).filter(Boolean), [true]);
  const caPem = readFileSync(join(work, 'parallel-ca', 'ca.crt'), 'utf8');
  for (const h of hosts) {
    t.is(readFileSync(join(h.params.pki_dir, 'etcd/ca.crt'), 'utf8'), caPem, h.name);
    const out = execFileSync('openssl', ['verify', '-CAfile', join(work, 'parallel-ca', 'ca.crt'), join(h.params.pki_dir, 'etcd/server.crt')], { encoding: 'utf8' });
    t.is(out, `${h.params.pki_dir}/etcd/server.crt: OK\n`);
    t.is(summarizeCertPem(readFileSync(join(h.params.pki_dir, 'etcd/server.crt'), 'utf8')).subjectCN, h.name);
  }
});
