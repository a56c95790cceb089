/**
 * The certs and systemd modules never create a directory through a symbolic link planted
 * between gather and apply (issue 13 item 5), on a real host over SSH as root, as
 * planted-link.test.ts shows for `file`. Both created their directories with `mkdir -p`, which
 * followed the link: certs made pki_dir and pki_dir/etcd inside the link's target and put
 * etcd/ca.crt there; systemd's drop-in went into the directory a link at NAME.d pointed to. Now
 * the apply fails naming the link and the target is untouched.
 */
import anyTest from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPlan } from '../../runner/plan/apply.js';
import { openConnection } from '../../runner/connection/connect.js';
import type { Connection } from '../../runner/connection/types.js';
import type { ModuleContext } from '../../runner/types.js';
import { certs } from '../../modules/certs.js';
import { systemd } from '../../modules/systemd.js';
import { labHosts, labState, rootSh } from '../helpers/lab.js';
import { planModule } from '../helpers/module-run.js';
import { labModuleContext } from '../helpers/lab-module-context.js';

const test = anyTest.serial;
const host = labHosts('etcd')[0]!;
const BASE = `/tmp/quorum-planted-dirs-${process.pid}`;
const VICTIM = `/etc/quorum-victim-dirs-${process.pid}`;
const UNIT = `quorum-planted-${process.pid}`;
const DROPIN_DIR = `/etc/systemd/system/${UNIT}.service.d`;
// The CA lives on the controller (ca_dir is relative to the playbook directory).
const playbookDir = mkdtempSync(join(tmpdir(), 'quorum-planted-dirs-'));
let conn: Connection;

const sshContext = (): ModuleContext => labModuleContext(conn, host.name, { playbookDir });

async function victimState(): Promise<string> {
  return rootSh(host, `ls -A ${VICTIM}; stat -c '%a %U' ${VICTIM}`);
}

test.before(async () => {
  const lab = labState();
  conn = await openConnection({ name: host.name, kind: 'ssh', address: host.address, port: 22, user: lab.user, privateKeyFile: lab.keyFile, knownHostsFile: lab.knownHostsFile, hostKeyPolicy: 'strict', connectTimeoutMs: 10_000 });
  // BASE is the login user's: the user who plants the link under it is not root.
  await rootSh(host, `rm -rf ${BASE} ${VICTIM} ${DROPIN_DIR}; mkdir -m 0700 ${VICTIM}; mkdir ${BASE}; chown ${lab.user} ${BASE}`);
});

test.afterEach.always(async () => {
  await rootSh(host, `rm -rf ${VICTIM}/* ${DROPIN_DIR}; chmod 0700 ${VICTIM}`);
});

test.after.always(async () => {
  await conn?.close();
  await rootSh(host, `rm -rf ${BASE} ${VICTIM} ${DROPIN_DIR}; systemctl daemon-reload`).catch(() => {});
  rmSync(playbookDir, { recursive: true, force: true });
});

const certsParams = { profile: 'etcd-ca', pki_dir: `${BASE}/k8s/pki`, ca_dir: 'ca' };

test('certs: a link planted as pki_dir\'s missing parent after gather is refused; nothing is made or put where it points', async (t) => {
  const ctx = sshContext();
  const plan = await planModule(certs, certsParams, ctx);
  t.deepEqual(plan.changes.map((c) => c.describe).filter((d) => d.startsWith('create directory')), [`create directory ${BASE}/k8s/pki`, `create directory ${BASE}/k8s/pki/etcd`]);
  // Planted by the unprivileged login user, between gather and apply.
  const planted = await conn.exec(['ln', '-s', VICTIM, `${BASE}/k8s`]);
  t.is(planted.exitCode, 0, planted.stderr.toString());
  const outcome = await applyPlan(ctx, plan);
  t.regex(outcome.failure?.message ?? '', /\/k8s is a symbolic link that appeared after quorum read the path: not following it/);
  t.is(await victimState(), '700 root\n', 'nothing made inside the victim, its mode and owner kept');
});

test('certs: without a planted link the same task creates the missing parent, pki_dir and etcd/ 0755, and puts ca.crt', async (t) => {
  await rootSh(host, `rm -rf ${BASE}/k8s`);
  const outcome = await applyPlan(sshContext(), await planModule(certs, certsParams, sshContext()));
  t.is(outcome.failure, undefined);
  t.is(await rootSh(host, `stat -c '%a %U %F' ${BASE}/k8s/pki ${BASE}/k8s/pki/etcd ${BASE}/k8s/pki/etcd/ca.crt`), '755 root directory\n755 root directory\n644 root regular file\n');
  const again = await planModule(certs, certsParams, sshContext());
  t.deepEqual(again.changes, [], 'a second run is a noop');
});

const systemdParams = { name: UNIT, dropins: { '10-planted.conf': '[Service]\nEnvironment=A=1\n' } };

test('systemd: a link planted at the missing drop-in directory after gather is refused; the drop-in does not land where it points', async (t) => {
  const ctx = sshContext();
  const plan = await planModule(systemd, systemdParams, ctx);
  t.deepEqual(plan.changes.map((c) => c.describe).slice(0, 2), [`create drop-in directory ${DROPIN_DIR}`, `write drop-in ${DROPIN_DIR}/10-planted.conf`]);
  // /etc/systemd/system is root's: the link is planted as root (another tool or a package
  // script racing quorum); what matters is that it appears after gather.
  await rootSh(host, `ln -s ${VICTIM} ${DROPIN_DIR}`);
  const outcome = await applyPlan(ctx, plan);
  t.regex(outcome.failure?.message ?? '', new RegExp(`${DROPIN_DIR.replace(/\./g, '\\.')} is a symbolic link that appeared after quorum read the path: not following it`));
  t.is(await victimState(), '700 root\n', 'no drop-in written inside the victim, its mode and owner kept');
});

test('systemd: without a planted link the drop-in directory is created and written; a second run is a noop', async (t) => {
  const outcome = await applyPlan(sshContext(), await planModule(systemd, systemdParams, sshContext()));
  t.is(outcome.failure, undefined);
  t.is(await rootSh(host, `stat -c '%a %U %F' ${DROPIN_DIR} ${DROPIN_DIR}/10-planted.conf`), '755 root directory\n644 root regular file\n');
  const again = await planModule(systemd, systemdParams, sshContext());
  t.deepEqual(again.changes, [], 'a second run is a noop');
});
