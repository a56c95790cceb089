// certs with a controller that holds no CA while the host trusts one (a second controller, a
// fresh clone): adopt it (adopt_ca, on the host that holds the key), plan against it in check
// mode, refuse otherwise; never plan a new CA. Plans from hand-made facts, then a real adoption
// into a directory on this machine through the local connection.
import test from 'ava';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certs, type CertsFacts, type CertsParams } from '../../modules/certs.js';
import { createCa, issueLeaf, type CaMaterial } from '../../runner/pki/issue.js';
import { summarizeHostFile, type HostFile } from '../../runner/pki/host-facts.js';
import { summarizeCertPem } from '../../runner/pki/inspect.js';
import { resolveWantedLeaf } from '../../runner/pki/check.js';
import { adoptCa } from '../../runner/pki/ca-store.js';
import type { Plan, PlanContext } from '../../runner/types.js';

const work = mkdtempSync(join(tmpdir(), 'quorum-certs-adopt-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));

const PKI = '/etc/kubernetes/pki';
const base: CertsParams = { node_name: 'infra0', advertise_address: '10.0.0.6', ca_dir: 'ca', profiles: ['etcd-ca', 'etcd-server'] };
const apply: PlanContext = { host: 'infra0', inventoryHost: 'infra0', checkMode: false };
const check: PlanContext = { ...apply, checkMode: true };
const caPromise = createCa({ keySize: 2048, validityDays: 3650 });

/** The host as gather sees it when the controller has no CA: leaves judged against the host's CA. */
async function hostHolding(ca: CaMaterial, withKey: boolean): Promise<CertsFacts> {
  const file = (path: string, content: string, mode = '0644') => summarizeHostFile(path, { mode, owner: 'root', group: 'root', content }, ca.certPem);
  const files: Record<string, HostFile> = { 'etcd/ca.crt': file('etcd/ca.crt', ca.certPem) };
  if (withKey) files['etcd/ca.key'] = file('etcd/ca.key', Buffer.from(ca.keyPem.reveal()).toString(), '0600');
  const want = resolveWantedLeaf('etcd-server', { nodeName: 'infra0', advertiseAddress: '10.0.0.6', serverCertSans: [], peerCertSans: [], keySize: 2048, validityDays: 365 });
  const leaf = await issueLeaf(ca, want.spec);
  files[want.certPath] = file(want.certPath, leaf.certPem);
  files[want.keyPath] = file(want.keyPath, Buffer.from(leaf.keyPem.reveal()).toString(), '0600');
  return { now: Date.now(), ca: { dir: join(work, 'empty-ca') }, files, dirs: [PKI, `${PKI}/etcd`], hostCa: { ...summarizeCertPem(ca.certPem, ca.certPem), pem: ca.certPem } };
}

const describe = (plan: Plan) => plan.changes.map((c) => c.describe);

test('adopt_ca on the host holding the key: the adoption is the only change; the leaves are kept', async (t) => {
  const ca = await caPromise;
  const plan = certs.plan({ ...base, adopt_ca: true, copy_ca_key: true }, await hostHolding(ca, true), apply);
  t.is(plan.failed, undefined);
  t.is(plan.changes.length, 1);
  t.regex(describe(plan)[0]!, /^adopt the cluster's CA sha256:[0-9a-f]{64} \(CN=etcd-ca\) from \/etc\/kubernetes\/pki\/etcd\/ca\.\{crt,key\} into .*empty-ca on the controller$/);
  t.is((plan.result?.['ca'] as Record<string, unknown>)['adopted'], true);
  t.false(describe(plan).some((d) => /create etcd CA|reissue|put etcd\/ca/.test(d)), 'no new CA, no reissue, the host\'s ca.crt untouched');
});

test('without the key, or without adopt_ca: refused at apply, both saying what to do; planned against the host\'s CA in check mode', async (t) => {
  const ca = await caPromise;
  const noKey = certs.plan({ ...base, adopt_ca: true }, await hostHolding(ca, false), apply);
  t.deepEqual(noKey.changes, []);
  t.regex(noKey.failed ?? '', /holds no CA and this host does not hold its key .*never replaces a CA that hosts trust/);
  const notAsked = certs.plan(base, await hostHolding(ca, true), apply);
  t.regex(notAsked.failed ?? '', /adopt_ca is off/);
  const dryRun = certs.plan(base, await hostHolding(ca, true), check);
  t.is(dryRun.failed, undefined);
  t.deepEqual(dryRun.changes, [], 'in check mode the leaves chain to the CA the host trusts: nothing to do');
  t.regex(dryRun.msg ?? '', /does not hold yet \(adopted by an earlier task\)/);
});

test('a leaves-only task never creates a CA while the host trusts one', async (t) => {
  const ca = await caPromise;
  const facts = await hostHolding(ca, false);
  delete facts.files['etcd/ca.crt'];
  const plan = certs.plan({ ...base, profiles: ['etcd-server'] }, facts, apply);
  t.deepEqual(plan.changes, []);
  t.regex(plan.failed ?? '', /never replaces a CA that hosts trust/);
});

test('adoptCa writes the host\'s CA byte for byte (with the PEM\'s final newline), 0700/0600/0644; refuses a key that is not the CA\'s and a directory that holds another CA', async (t) => {
  const [ca, other] = await Promise.all([caPromise, createCa({ keySize: 2048, validityDays: 30 })]);
  const fingerprint = summarizeCertPem(ca.certPem).fingerprint;
  const dir = join(work, 'adopted');
  const certAsRead = ca.certPem.replace(/\n$/, '');
  t.deepEqual(await adoptCa(dir, certAsRead, ca.keyPem.reveal(), fingerprint), { adopted: true });
  t.is(readFileSync(join(dir, 'ca.crt'), 'utf8'), ca.certPem.endsWith('\n') ? ca.certPem : `${ca.certPem}\n`);
  t.is(readFileSync(join(dir, 'ca.key'), 'utf8'), Buffer.from(ca.keyPem.reveal()).toString());
  t.is(statSync(dir).mode & 0o777, 0o700);
  t.is(statSync(join(dir, 'ca.key')).mode & 0o777, 0o600);
  t.is(statSync(join(dir, 'ca.crt')).mode & 0o777, 0o644);
  t.deepEqual(await adoptCa(dir, ca.certPem, ca.keyPem.reveal(), fingerprint), { adopted: false }, 'adopting the same CA again is a no-op');

  const wrongKey = join(work, 'wrong-key');
  await t.throwsAsync(adoptCa(wrongKey, ca.certPem, other.keyPem.reveal(), fingerprint), { message: /does not match/ });
  t.throws(() => statSync(join(wrongKey, 'ca.key')), undefined, 'nothing written');

  const taken = join(work, 'taken');
  mkdirSync(taken, { mode: 0o700 });
  writeFileSync(join(taken, 'ca.crt'), other.certPem);
  writeFileSync(join(taken, 'ca.key'), Buffer.from(other.keyPem.reveal()), { mode: 0o600 });
  const err = await t.throwsAsync(adoptCa(taken, ca.certPem, ca.keyPem.reveal(), fingerprint));
  t.regex(err?.message ?? '', /now holds another CA/);
  t.notRegex(err?.message ?? '', /PRIVATE KEY/);
  t.is(readFileSync(join(taken, 'ca.crt'), 'utf8'), other.certPem, 'the other CA was left as it was');
});
