/**
 * systemd module against real systemd on a lab host (infra3, `spare` group): unit + drop-in,
 * idempotence, check mode touching nothing, restart on a changed drop-in, stop, enable, a
 * missing unit and a failing start whose journal lines reach the failure message.
 */
import { labStateFile } from '../helpers/lab.js';
import { labModuleContext } from '../helpers/lab-module-context.js';
import { planModule } from '../helpers/module-run.js';
import test from 'ava';
import { readFileSync, existsSync } from 'node:fs';
import { openConnection } from '../../runner/connection/connect.js';
import type { Connection } from '../../runner/connection/types.js';
import type { ModuleDefinition, Plan } from '../../runner/types.js';
import { applyPlan, type ApplyOutcome } from '../../runner/plan/apply.js';
import { systemd } from '../../modules/systemd.js';

const HOST = 'infra3';
const UNIT = 'quorum-test-systemd';
const FAILING = 'quorum-test-systemd-fail';
const MASKED = 'quorum-test-systemd-masked';
const MARK_FILE = `/run/${UNIT}.mark`;

/** Connect to a lab host from .lab/state.json (written by `quorum lab up`). */
async function connectLab(name: string): Promise<Connection> {
  const stateFile = labStateFile();
  if (!existsSync(stateFile)) throw new Error('the lab is not up: run `node --import=tsx runner/cli.ts lab up` first');
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { keyFile: string; knownHostsFile: string; user: string; hosts: Array<{ name: string; address: string }> };
  const host = state.hosts.find((h) => h.name === name);
  if (!host) throw new Error(`lab host ${name} not in .lab/state.json`);
  const known = existsSync(state.knownHostsFile);
  return openConnection({
    name, kind: 'ssh', address: host.address, port: 22, user: state.user, privateKeyFile: state.keyFile,
    knownHostsFile: known ? state.knownHostsFile : '/tmp/quorum-lab-systemd-known_hosts', hostKeyPolicy: known ? 'strict' : 'accept-new', connectTimeoutMs: 15_000,
  });
}


/** Validate, gather, plan and (unless check) apply, as the executor does for one task. */
async function runModule<P>(conn: Connection, module: ModuleDefinition<P>, params: P, check = false): Promise<{ plan: Plan; outcome?: ApplyOutcome }> {
  const ctx = labModuleContext(conn, conn.host, { checkMode: check, playbookDir: '.' });
  const plan = await planModule(module as ModuleDefinition, params, ctx);
  if (check || plan.failed !== undefined) return { plan };
  return { plan, outcome: await applyPlan(ctx, plan) };
}

const sh = async (conn: Connection, script: string) => (await conn.exec(script, { sudo: true })).stdout.toString().trim();
const describes = (plan: Plan) => plan.changes.map((c) => c.describe);

const unitText = `[Unit]\nDescription=quorum lab test unit\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/sh -c 'echo "$MARK" > ${MARK_FILE}'\n[Install]\nWantedBy=multi-user.target\n`;
const dropin = (mark: string) => `[Service]\nEnvironment=MARK=${mark}\n`;

let conn: Connection;

test.before(async () => {
  conn = await connectLab(HOST);
  await cleanUp();
});

test.after.always(async () => {
  if (!conn) return;
  await cleanUp();
  await conn.close();
});

async function cleanUp(): Promise<void> {
  await conn.exec(
    `for u in ${UNIT} ${FAILING} ${MASKED}; do systemctl unmask $u.service 2>/dev/null; systemctl disable --now $u.service 2>/dev/null; rm -rf /etc/systemd/system/$u.service /etc/systemd/system/$u.service.d; systemctl reset-failed $u.service 2>/dev/null; done; rm -f ${MARK_FILE}; systemctl daemon-reload`,
    { sudo: true },
  );
}

test.serial('a new unit with a drop-in is written, reloaded and started; the second run changes nothing', async (t) => {
  const params = { name: UNIT, unit: unitText, dropins: { '10-mark.conf': dropin('one') }, state: 'started' as const };
  const first = await runModule(conn, systemd, params);
  t.deepEqual(describes(first.plan), [
    `write unit file /etc/systemd/system/${UNIT}.service`,
    `create drop-in directory /etc/systemd/system/${UNIT}.service.d`,
    `write drop-in /etc/systemd/system/${UNIT}.service.d/10-mark.conf`,
    `daemon-reload (unit files of ${UNIT}.service changed)`,
    `start ${UNIT}.service`,
  ]);
  t.is(first.outcome?.failure, undefined);
  t.is(await sh(conn, `systemctl is-active ${UNIT}`), 'active');
  t.is(await sh(conn, `cat ${MARK_FILE}`), 'one', 'the drop-in environment reached the service');
  const second = await runModule(conn, systemd, params);
  t.deepEqual(second.plan.changes, []);
  t.is(second.plan.noop, `${UNIT}.service is active (exited), disabled; unit files up to date`);
});

test.serial('check mode plans reload + restart for a changed drop-in and touches nothing; applying restarts', async (t) => {
  const params = { name: UNIT, dropins: { '10-mark.conf': dropin('two') }, state: 'started' as const };
  const checked = await runModule(conn, systemd, params, true);
  // The drop-in is there, so its directory is: nothing to create.
  t.deepEqual(describes(checked.plan), [
    `write drop-in /etc/systemd/system/${UNIT}.service.d/10-mark.conf`,
    `daemon-reload (unit files of ${UNIT}.service changed)`,
    `restart ${UNIT}.service (unit files changed)`,
  ]);
  t.deepEqual(checked.plan.diffs, [{ label: `/etc/systemd/system/${UNIT}.service.d/10-mark.conf`, before: dropin('one'), after: dropin('two') }]);
  t.is(await sh(conn, `cat /etc/systemd/system/${UNIT}.service.d/10-mark.conf`), dropin('one').trim(), 'check mode wrote nothing');
  t.is(await sh(conn, `cat ${MARK_FILE}`), 'one', 'check mode restarted nothing');
  const applied = await runModule(conn, systemd, params);
  t.is(applied.outcome?.failure, undefined);
  t.is(await sh(conn, `cat ${MARK_FILE}`), 'two', 'the restart ran the service with the new drop-in');
  t.is(await sh(conn, `systemctl show -p NeedDaemonReload --value ${UNIT}`), 'no');
  t.deepEqual((await runModule(conn, systemd, params)).plan.changes, []);
});

test.serial('enable, then stop: each once', async (t) => {
  const enable = await runModule(conn, systemd, { name: UNIT, enabled: true });
  t.deepEqual(describes(enable.plan), [`enable ${UNIT}.service`]);
  t.is(await sh(conn, `systemctl is-enabled ${UNIT}`), 'enabled');
  t.deepEqual((await runModule(conn, systemd, { name: UNIT, enabled: true })).plan.changes, []);
  const stop = await runModule(conn, systemd, { name: UNIT, state: 'stopped' as const, enabled: false });
  t.deepEqual(describes(stop.plan), [`disable ${UNIT}.service`, `stop ${UNIT}.service`]);
  t.is(await sh(conn, `systemctl is-active ${UNIT} || true`), 'inactive');
  t.deepEqual((await runModule(conn, systemd, { name: UNIT, state: 'stopped' as const, enabled: false })).plan.changes, []);
});

test.serial('unmask then mask a packaged unit (Debian etcd.service, masked by the lab), each once', async (t) => {
  // The lab masks it; another suite may have used the host since: start from that state.
  await conn.exec('rm -f /etc/systemd/system/etcd.service && systemctl mask etcd.service && systemctl daemon-reload', { sudo: true });
  try {
    const unmask = await runModule(conn, systemd, { name: 'etcd', masked: false });
    t.deepEqual(describes(unmask.plan), ['unmask etcd.service']);
    t.not(await sh(conn, 'systemctl show -p UnitFileState --value etcd'), 'masked');
    t.deepEqual((await runModule(conn, systemd, { name: 'etcd', masked: false })).plan.changes, []);
    const mask = await runModule(conn, systemd, { name: 'etcd', masked: true, state: 'stopped' as const });
    t.deepEqual(describes(mask.plan), ['mask etcd.service']);
    t.is(await sh(conn, 'systemctl show -p UnitFileState --value etcd'), 'masked');
    t.deepEqual((await runModule(conn, systemd, { name: 'etcd', masked: true, state: 'stopped' as const })).plan.changes, []);
  } finally {
    await conn.exec('systemctl mask etcd.service', { sudo: true });
  }
});

test.serial('a masked unit gets its own unit file with masked: false (the etcd-ha playbook\'s path)', async (t) => {
  await conn.exec(`systemctl mask ${MASKED}.service`, { sudo: true });
  t.is(await sh(conn, `readlink /etc/systemd/system/${MASKED}.service`), '/dev/null');
  const params = { name: MASKED, unit: unitText.replace(MARK_FILE, `/run/${MASKED}.mark`), masked: false, enabled: true, state: 'started' as const };
  const first = await runModule(conn, systemd, params);
  t.deepEqual(describes(first.plan), [`unmask ${MASKED}.service`, `write unit file /etc/systemd/system/${MASKED}.service`, `daemon-reload (unit files of ${MASKED}.service changed)`, `enable ${MASKED}.service`, `start ${MASKED}.service`]);
  t.is(first.outcome?.failure, undefined);
  t.is(await sh(conn, `systemctl is-active ${MASKED}`), 'active');
  t.deepEqual((await runModule(conn, systemd, params)).plan.changes, []);
});

test.serial('a unit that does not exist fails with a clear message', async (t) => {
  const { plan } = await runModule(conn, systemd, { name: 'quorum-test-no-such-unit', state: 'started' as const });
  t.is(plan.failed, 'unit quorum-test-no-such-unit.service not found on the host (LoadState=not-found): install the package that provides it, or give its content with `unit:`');
});

test.serial('a failed start fails the task with the unit\'s journal lines in the message', async (t) => {
  const unit = `[Service]\nType=oneshot\nExecStart=/bin/sh -c 'echo quorum-boom >&2; exit 3'\n`;
  const { plan, outcome } = await runModule(conn, systemd, { name: FAILING, unit, state: 'started' as const });
  t.deepEqual(describes(plan).slice(-1), [`start ${FAILING}.service`]);
  t.is(outcome?.failure?.change, `start ${FAILING}.service`);
  const message = outcome?.failure?.message ?? '';
  t.regex(message, new RegExp(`\\nstart ${FAILING}.service failed \\(exit 1\\); the lines above are the end of its journal$`));
  t.regex(message, new RegExp(`systemd\\[1\\]: Failed to start ${FAILING}.service`));
  t.is(await sh(conn, `systemctl is-failed ${FAILING} || true`), 'failed');
});
