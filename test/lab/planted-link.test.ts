/**
 * A symbolic link planted between gather and apply is not followed on a real host (issue 13
 * item 5, directories): `file: state: directory` of a path whose parents are missing read the
 * host, then a link to a root-owned directory is planted as the missing parent, then the plan
 * is applied over SSH as root. `mkdir -p` followed it and made, chmod'ed and chown'ed a directory
 * inside the victim; now the apply fails naming the link and the victim is untouched.
 */
import anyTest from 'ava';
import { applyPlan } from '../../runner/plan/apply.js';
import { openConnection } from '../../runner/connection/connect.js';
import type { Connection } from '../../runner/connection/types.js';
import type { ModuleContext } from '../../runner/types.js';
import { file } from '../../modules/file.js';
import { labHosts, labState, rootSh } from '../helpers/lab.js';
import { planModule } from '../helpers/module-run.js';
import { labModuleContext } from '../helpers/lab-module-context.js';

const test = anyTest.serial;
const host = labHosts('etcd')[0]!;
const BASE = `/tmp/quorum-planted-${process.pid}`;
const VICTIM = `/etc/quorum-victim-${process.pid}`;
let conn: Connection;

const sshContext = (): ModuleContext => labModuleContext(conn, host.name);

test.before(async () => {
  const lab = labState();
  conn = await openConnection({ name: host.name, kind: 'ssh', address: host.address, port: 22, user: lab.user, privateKeyFile: lab.keyFile, knownHostsFile: lab.knownHostsFile, hostKeyPolicy: 'strict', connectTimeoutMs: 10_000 });
  // BASE is the login user's: the user who plants the link is not root.
  await rootSh(host, `rm -rf ${BASE} ${VICTIM}; mkdir -m 0700 ${VICTIM}; mkdir ${BASE}; chown ${lab.user} ${BASE}`);
});

test.after.always(async () => {
  await conn?.close();
  await rootSh(host, `rm -rf ${BASE} ${VICTIM}`).catch(() => {});
});

test('a link planted as a missing parent after gather is refused; the directory it points to is untouched', async (t) => {
  const ctx = sshContext();
  const params = { path: `${BASE}/app/data/cache`, state: 'directory', mode: '0777', owner: 'nobody' };
  const plan = await planModule(file, params, ctx);
  t.regex(plan.changes[0]?.describe ?? '', /^create directory /);
  // Planted by the unprivileged login user, between gather and apply.
  const planted = await conn.exec(['ln', '-s', VICTIM, `${BASE}/app`]);
  t.is(planted.exitCode, 0, planted.stderr.toString());
  const outcome = await applyPlan(ctx, plan);
  t.regex(outcome.failure?.message ?? '', /\/app is a symbolic link that appeared after quorum read the path: not following it/);
  t.is(await rootSh(host, `ls -A ${VICTIM}; stat -c '%a %U' ${VICTIM}`), '700 root\n', 'nothing made inside the victim, its mode and owner kept');
});

test('without a planted link the same task creates the whole path with its mode and owner', async (t) => {
  await rootSh(host, `rm -rf ${BASE}/app`);
  const ctx = sshContext();
  const params = { path: `${BASE}/app/data/cache`, state: 'directory', mode: '0750', owner: 'nobody' };
  const outcome = await applyPlan(ctx, await planModule(file, params, ctx));
  t.is(outcome.failure, undefined);
  t.is(await rootSh(host, `stat -c '%a %U' ${BASE}/app/data/cache ${BASE}/app`), `750 nobody\n755 root\n`);
  const again = await planModule(file, params, sshContext());
  t.deepEqual(again.changes, [], 'a second run is a noop');
});
