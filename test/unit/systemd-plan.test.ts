/**
 * systemd: the `systemctl show` parser on output captured on lab hosts (systemd 252, Debian 12),
 * and the module's pure plan for each captured unit state.
 */
import test from 'ava';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { parseSystemctlShow, normalizeUnitName, isUnitRunning, systemdUnit, UNIT_PROPERTIES, type SystemdUnitState } from '../../runner/facts/systemd-unit.js';
import { planSystemd, systemd, UNIT_DIR, type SystemdFacts } from '../../modules/systemd.js';
import { mkdirNoFollow } from '../../runner/connection/no-follow.js';
import { pathState } from '../../runner/facts/path-state.js';
import type { Fact, ModuleContext } from '../../runner/types.js';
import { createHostFactCache } from '../../runner/facts/cache.js';
import { readPathsAhead } from '../../runner/strategy/prefetch.js';
import { fileContent } from '../../runner/facts/file-content.js';
import { recordingLocal } from '../helpers/module-run.js';

const dir = new URL('../fixtures/facts/systemctl-show/', import.meta.url);
const show = (name: string): SystemdUnitState => parseSystemctlShow(readFileSync(new URL(`${name}.stdout`, dir), 'utf8'));

const EXPECTED: Record<string, SystemdUnitState> = {
  'not-found': { id: 'quorum-nonexistent-xyz.service', loadState: 'not-found', activeState: 'inactive', subState: 'dead', unitFileState: '', fragmentPath: '', dropInPaths: [], needDaemonReload: false, type: '', mainPid: 0, result: 'success' },
  masked: { id: 'etcd.service', loadState: 'masked', activeState: 'inactive', subState: 'dead', unitFileState: 'masked', fragmentPath: '/etc/systemd/system/etcd.service', dropInPaths: [], needDaemonReload: false, type: '', mainPid: 0, result: 'success' },
  'enabled-running': { id: 'ssh.service', loadState: 'loaded', activeState: 'active', subState: 'running', unitFileState: 'enabled', fragmentPath: '/lib/systemd/system/ssh.service', dropInPaths: [], needDaemonReload: false, type: 'notify', mainPid: 36, result: 'success' },
  'failed-with-dropin': { id: 'quorum-cap-fail.service', loadState: 'loaded', activeState: 'failed', subState: 'failed', unitFileState: 'static', fragmentPath: '/etc/systemd/system/quorum-cap-fail.service', dropInPaths: ['/etc/systemd/system/quorum-cap-fail.service.d/10-a.conf'], needDaemonReload: false, type: 'simple', mainPid: 0, result: 'exit-code' },
  'need-daemon-reload': { id: 'quorum-cap-fail.service', loadState: 'loaded', activeState: 'failed', subState: 'failed', unitFileState: 'static', fragmentPath: '/etc/systemd/system/quorum-cap-fail.service', dropInPaths: ['/etc/systemd/system/quorum-cap-fail.service.d/10-a.conf'], needDaemonReload: true, type: 'simple', mainPid: 0, result: 'exit-code' },
  'notify-activating': { id: 'quorum-cap-act.service', loadState: 'loaded', activeState: 'activating', subState: 'start', unitFileState: 'disabled', fragmentPath: '/etc/systemd/system/quorum-cap-act.service', dropInPaths: [], needDaemonReload: false, type: 'notify', mainPid: 179, result: 'success' },
  'disabled-inactive': { id: 'quorum-cap-act.service', loadState: 'loaded', activeState: 'inactive', subState: 'dead', unitFileState: 'disabled', fragmentPath: '/etc/systemd/system/quorum-cap-act.service', dropInPaths: [], needDaemonReload: false, type: 'notify', mainPid: 0, result: 'success' },
};

test('every captured systemctl show fixture parses to its expected state', (t) => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.stdout')).map((f) => f.replace(/\.stdout$/, '')).sort();
  t.deepEqual(files, Object.keys(EXPECTED).sort(), 'one expectation per fixture');
  for (const name of files) t.deepEqual(show(name), EXPECTED[name], name);
});

test('the fact asks for exactly the parsed properties, `.service` implied', (t) => {
  t.is(systemdUnit.command('etcd'), `systemctl show --no-pager etcd.service -p ${UNIT_PROPERTIES.join(',')}`);
  t.is(normalizeUnitName('kubelet.service'), 'kubelet.service');
  t.is(normalizeUnitName('getty@tty1'), 'getty@tty1.service');
  t.is(normalizeUnitName('multi-user.target'), 'multi-user.target');
  t.throws(() => parseSystemctlShow(''), { message: /no LoadState/ });
  t.throws(() => systemdUnit.parse({ stdout: '', stderr: 'Failed to connect to bus', exitCode: 1 }, 'x'), { message: /systemctl show x.service failed \(exit 1\): Failed to connect to bus/ });
  t.true(isUnitRunning(show('notify-activating')), 'a Type=notify unit waiting for quorum counts as started');
  t.false(isUnitRunning(show('failed-with-dropin')));
});

const facts = (unit: string, extra: Partial<SystemdFacts> = {}): SystemdFacts => ({ unit: show(unit), dropins: {}, ...extra });
const describes = (p: ReturnType<typeof planSystemd>) => p.changes.map((c) => c.describe);

test('started + enabled on a running enabled unit: no change, says why', (t) => {
  const plan = planSystemd({ name: 'ssh', state: 'started', enabled: true }, facts('enabled-running'));
  t.deepEqual(plan.changes, []);
  t.is(plan.noop, 'ssh.service is active (running), enabled; unit files up to date');
  t.deepEqual(plan.result, { name: 'ssh.service', status: { LoadState: 'loaded', ActiveState: 'active', SubState: 'running', UnitFileState: 'enabled', NeedDaemonReload: 'no' }, files_changed: false });
});

test('restart_on_change: false writes a changed unit of a running service and reloads, never restarts; files_changed says a restart is due', (t) => {
  const unitFile = { path: '/etc/systemd/system/etcd.service', content: '[Service]\nExecStart=/old\n' };
  const held = planSystemd({ name: 'etcd', unit: '[Service]\nExecStart=/new\n', state: 'started', restart_on_change: false }, facts('enabled-running', { unitFile }));
  t.deepEqual(describes(held), ['write unit file /etc/systemd/system/etcd.service', 'daemon-reload (unit files of etcd.service changed)']);
  t.is(held.result?.['files_changed'], true);
  const restarted = planSystemd({ name: 'etcd', unit: '[Service]\nExecStart=/new\n', state: 'started' }, facts('enabled-running', { unitFile }));
  t.true(describes(restarted).includes('restart etcd.service (unit files changed)'), 'the default still restarts');
});

test('a missing unit fails with what to do; asking only to stop it is a no-op', (t) => {
  const plan = planSystemd({ name: 'quorum-nonexistent-xyz', state: 'started' }, facts('not-found'));
  t.is(plan.failed, 'unit quorum-nonexistent-xyz.service not found on the host (LoadState=not-found): install the package that provides it, or give its content with `unit:`');
  t.deepEqual(plan.changes, []);
  const stop = planSystemd({ name: 'quorum-nonexistent-xyz', state: 'stopped', enabled: false }, facts('not-found'));
  t.deepEqual(stop.changes, []);
  t.is(stop.noop, 'quorum-nonexistent-xyz.service is not installed; unit files up to date');
});

test('a new unit with a drop-in: write both, daemon-reload, enable, start with --no-block; diffs show the content', (t) => {
  const unit = '[Service]\nType=notify\nExecStart=/usr/bin/etcd\n';
  const params = { name: 'quorum-etcd', unit, dropins: { '10-env.conf': '[Service]\nEnvironment=A=1\n' }, enabled: true, state: 'started' as const, no_block: true };
  const dropinDir = { path: '/etc/systemd/system/quorum-etcd.service.d', type: 'absent' as const, parentExists: true };
  const plan = planSystemd(params, facts('not-found', { unitFile: { path: '/etc/systemd/system/quorum-etcd.service' }, dropins: { '10-env.conf': { path: 'x' } }, dropinDir }));
  t.deepEqual(describes(plan), [
    'write unit file /etc/systemd/system/quorum-etcd.service',
    'create drop-in directory /etc/systemd/system/quorum-etcd.service.d',
    'write drop-in /etc/systemd/system/quorum-etcd.service.d/10-env.conf',
    'daemon-reload (unit files of quorum-etcd.service changed)',
    'enable quorum-etcd.service',
    'start quorum-etcd.service',
  ]);
  const start = plan.changes[5]!;
  t.is(start.kind === 'exec' ? start.command : '', 'systemctl start --no-block quorum-etcd.service || { rc=$?; journalctl -u quorum-etcd.service -n 20 --no-pager >&2; echo "start quorum-etcd.service failed (exit $rc); the lines above are the end of its journal" >&2; exit $rc; }');
  const put = plan.changes[0]!;
  t.deepEqual(put.kind === 'put' ? [put.dest, put.mode, Buffer.from(put.content as Uint8Array).toString()] : [], ['/etc/systemd/system/quorum-etcd.service', '0644', unit]);
  t.deepEqual(plan.diffs, [
    { label: '/etc/systemd/system/quorum-etcd.service', before: '', after: unit },
    { label: '/etc/systemd/system/quorum-etcd.service.d/10-env.conf', before: '', after: '[Service]\nEnvironment=A=1\n' },
  ]);
});

test('a changed drop-in on a running unit: reload and restart, even without state', (t) => {
  const old = { path: '/etc/systemd/system/ssh.service.d/10-a.conf', content: 'old\n' };
  const plan = planSystemd({ name: 'ssh', dropins: { '10-a.conf': 'new\n' } }, facts('enabled-running', { dropins: { '10-a.conf': old } }));
  t.deepEqual(describes(plan), ['write drop-in /etc/systemd/system/ssh.service.d/10-a.conf', 'daemon-reload (unit files of ssh.service changed)', 'restart ssh.service (unit files changed)'], 'the drop-in was there, so its directory is: nothing to create');
  t.deepEqual(plan.diffs, [{ label: '/etc/systemd/system/ssh.service.d/10-a.conf', before: 'old\n', after: 'new\n' }]);
  const same = planSystemd({ name: 'ssh', dropins: { '10-a.conf': 'old\n' } }, facts('enabled-running', { dropins: { '10-a.conf': old } }));
  t.deepEqual(same.changes, [], 'unchanged drop-in: nothing to do');
});

test('a changed unit on a stopped unit with state stopped: reload only, no restart', (t) => {
  const plan = planSystemd({ name: 'quorum-cap-act', unit: 'new', state: 'stopped' }, facts('disabled-inactive', { unitFile: { path: 'p', content: 'old' } }));
  t.deepEqual(describes(plan), ['write unit file /etc/systemd/system/quorum-cap-act.service', 'daemon-reload (unit files of quorum-cap-act.service changed)']);
});

test('activating (Type=notify waiting for quorum) counts as started; stopped stops it', (t) => {
  t.deepEqual(planSystemd({ name: 'quorum-cap-act', state: 'started', no_block: true }, facts('notify-activating')).changes, []);
  t.deepEqual(describes(planSystemd({ name: 'quorum-cap-act', state: 'stopped' }, facts('notify-activating'))), ['stop quorum-cap-act.service']);
});

test('restarted always acts; reloaded reloads a running unit and starts a stopped one', (t) => {
  t.deepEqual(describes(planSystemd({ name: 'ssh', state: 'restarted' }, facts('enabled-running'))), ['restart ssh.service']);
  t.deepEqual(describes(planSystemd({ name: 'ssh', state: 'reloaded' }, facts('enabled-running'))), ['reload ssh.service']);
  t.deepEqual(describes(planSystemd({ name: 'quorum-cap-act', state: 'reloaded' }, facts('disabled-inactive'))), ['start quorum-cap-act.service (reloaded: it was not running)']);
  t.deepEqual(describes(planSystemd({ name: 'quorum-cap-fail', state: 'started' }, facts('failed-with-dropin'))), ['start quorum-cap-fail.service']);
});

test('daemon_reload runs only when systemd reports NeedDaemonReload', (t) => {
  t.deepEqual(describes(planSystemd({ name: 'quorum-cap-fail', daemon_reload: true }, facts('need-daemon-reload'))), ['daemon-reload (systemd reports NeedDaemonReload)']);
  t.deepEqual(planSystemd({ name: 'quorum-cap-fail', daemon_reload: true }, facts('failed-with-dropin')).changes, []);
});

test('enable/disable follow UnitFileState; static units need no enable', (t) => {
  t.deepEqual(describes(planSystemd({ name: 'quorum-cap-act', enabled: true }, facts('disabled-inactive'))), ['enable quorum-cap-act.service']);
  t.deepEqual(describes(planSystemd({ name: 'ssh', enabled: false }, facts('enabled-running'))), ['disable ssh.service']);
  t.deepEqual(planSystemd({ name: 'quorum-cap-fail', enabled: true }, facts('failed-with-dropin')).changes, []);
});

test('mask stops a running unit first; a masked unit refuses to start until unmasked', (t) => {
  t.deepEqual(describes(planSystemd({ name: 'ssh', masked: true }, facts('enabled-running'))), ['stop ssh.service', 'mask ssh.service']);
  t.deepEqual(planSystemd({ name: 'etcd', masked: true, state: 'stopped' }, facts('masked')).changes, []);
  t.is(planSystemd({ name: 'etcd', state: 'started' }, facts('masked')).failed, 'unit etcd.service is masked: add `masked: false` to unmask it before starting or enabling it');
  t.deepEqual(describes(planSystemd({ name: 'etcd', masked: false, state: 'started' }, facts('masked'))), ['unmask etcd.service', 'start etcd.service']);
  t.regex(planSystemd({ name: 'etcd', masked: true, state: 'started' }, facts('masked')).failed ?? '', /masked: true contradicts state: started/);
});

test('masking a unit whose file is in /etc/systemd/system is refused before systemctl fails', (t) => {
  // Observed: `systemctl mask` there fails with "File /etc/systemd/system/X already exists."
  t.is(planSystemd({ name: 'quorum-cap-act', masked: true }, facts('disabled-inactive')).failed, 'cannot mask quorum-cap-act.service: its unit file is /etc/systemd/system/quorum-cap-act.service, where the mask link must go; remove that file (and `unit:`) first');
  t.regex(planSystemd({ name: 'ssh', masked: true, unit: 'x' }, facts('enabled-running', { unitFile: { path: 'p' } })).failed ?? '', /^cannot mask ssh.service/);
});

test('the drop-in directory is created by mkdirNoFollow (never mkdir -p), and only when it was not there', (t) => {
  const params = { name: 'ssh', dropins: { '20-b.conf': 'b\n' } };
  const dirAs = (type: 'absent' | 'directory' | 'link' | 'file') => facts('enabled-running', { dropins: { '20-b.conf': { path: 'p' } }, dropinDir: { path: `${UNIT_DIR}/ssh.service.d`, type, parentExists: true } });
  const absent = planSystemd(params, dirAs('absent'));
  t.deepEqual(absent.changes[0], { kind: 'exec', command: mkdirNoFollow(UNIT_DIR, ['ssh.service.d']), describe: `create drop-in directory ${UNIT_DIR}/ssh.service.d` });
  t.deepEqual(describes(absent).slice(1), [`write drop-in ${UNIT_DIR}/ssh.service.d/20-b.conf`, 'daemon-reload (unit files of ssh.service changed)', 'restart ssh.service (unit files changed)']);
  // A directory there, or a link the administrator made (followed as named, as mkdir -p did): no command.
  t.deepEqual(describes(planSystemd(params, dirAs('directory'))), [`write drop-in ${UNIT_DIR}/ssh.service.d/20-b.conf`, 'daemon-reload (unit files of ssh.service changed)', 'restart ssh.service (unit files changed)']);
  t.deepEqual(describes(planSystemd(params, dirAs('link'))), describes(planSystemd(params, dirAs('directory'))));
  // A file there: mkdir is planned and fails on the host, as mkdir -p did.
  t.is(planSystemd(params, dirAs('file')).changes[0]?.describe, `create drop-in directory ${UNIT_DIR}/ssh.service.d`);
});

/** A fact cache that answers from `answers` by fact name and records what was asked. */
function recordingFacts(answers: Record<string, (args: unknown) => unknown>): { ctx: ModuleContext; asked: string[] } {
  const asked: string[] = [];
  const get = async <T, A>(fact: Fact<T, A>, args: A): Promise<T> => {
    asked.push(`${fact.name} ${typeof args === 'string' ? args : JSON.stringify(args)}`);
    return answers[fact.name]!(args) as T;
  };
  const ctx = { host: 'h', inventoryHost: 'h', become: true, facts: { get, clear: () => {} }, vars: {}, checkMode: true, playbookDir: '/nonexistent', render: (x: string) => x } as unknown as ModuleContext;
  return { ctx, asked };
}

test('gather reads the drop-in directory only when none of the drop-ins is there; the play reads it ahead', async (t) => {
  const params = { name: 'kubelet', dropins: { '10-a.conf': 'a\n', '20-b.conf': 'b\n' } };
  const dirPath = `${UNIT_DIR}/kubelet.service.d`;
  t.deepEqual(systemd.inspectsPaths!(params), [dirPath]);
  t.deepEqual(systemd.inspectsPaths!({ name: 'kubelet', state: 'started' }), [], 'no drop-ins: nothing to read ahead');
  const unit = () => show('enabled-running');
  // First run: no drop-in there, so the directory is read (from the read-ahead cache in a play).
  const fresh = recordingFacts({ 'systemd-unit': unit, 'file-content': (p) => ({ path: p }), [pathState.name]: () => ({ path: dirPath, type: 'absent', parentExists: true }) });
  const freshFacts = await systemd.gather(fresh.ctx, params);
  t.deepEqual(fresh.asked, ['systemd-unit kubelet.service', `file-content ${dirPath}/10-a.conf`, `file-content ${dirPath}/20-b.conf`, `path-state {"path":"${dirPath}"}`]);
  t.is(systemd.plan(params, freshFacts, { host: 'h', inventoryHost: 'h', checkMode: true }).changes[0]?.describe, `create drop-in directory ${dirPath}`);
  // Re-run with one drop-in changed: the other one says the directory is there, no read.
  const rerun = recordingFacts({ 'systemd-unit': unit, 'file-content': (p) => ({ path: p, ...(String(p).endsWith('10-a.conf') ? { content: 'a\n' } : {}) }), [pathState.name]: () => t.fail('read the directory') });
  const rerunFacts = await systemd.gather(rerun.ctx, params);
  t.false(rerun.asked.some((a) => a.startsWith('path-state')));
  t.deepEqual(describes(systemd.plan(params, rerunFacts, { host: 'h', inventoryHost: 'h', checkMode: true })).slice(0, 1), [`write drop-in ${dirPath}/20-b.conf`]);
});

test('the directory read ahead with the play\'s paths answers gather: no command of its own', async (t) => {
  // A name whose drop-in directory cannot exist here: the batch runs for real on this machine.
  const params = { name: `quorum-absent-${process.pid}`, dropins: { '10-a.conf': 'a\n' } };
  const name = `quorum-absent-${process.pid}.service`;
  const { conn, calls } = recordingLocal();
  const cache = createHostFactCache(conn);
  // What systemctl and the drop-in read would say, put in the cache as if read by the tasks before.
  cache.seed(true, systemdUnit, name, show('not-found'), cache.generation);
  cache.seed(true, fileContent, `${UNIT_DIR}/${name}.d/10-a.conf`, { path: `${UNIT_DIR}/${name}.d/10-a.conf` }, cache.generation);
  await readPathsAhead(conn, cache, systemd.inspectsPaths!(params).map((path) => ({ path: String(path), become: true })));
  t.is(calls.length, 1, 'the play\'s batch');
  const ctx = { host: 'h', inventoryHost: 'h', conn, become: true, facts: cache.forTask(true), vars: {}, checkMode: true, playbookDir: '/nonexistent', render: (x: string) => x } as unknown as ModuleContext;
  const gathered = await systemd.gather(ctx, params);
  t.is(calls.length, 1, 'gather found the directory in the cache');
  t.deepEqual(gathered.dropinDir, { path: `${UNIT_DIR}/${name}.d`, type: 'absent', parentExists: existsSync(UNIT_DIR) });
});
