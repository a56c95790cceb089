/**
 * apt and package: the parsers of dpkg-query, apt-get -s and apt's lock message (on lines apt
 * 2.6 and dpkg 1.21 printed on lab hosts and on this controller), the command line, and the pure
 * plans: what runs no apt command, what is simulated, what is refused before a host is touched.
 */
import test from 'ava';
import { parseDpkgQuery, installedPackage, knownPackage, dpkgPackages } from '../../runner/facts/dpkg-packages.js';
import { parseAptSimulation, aptSimulation } from '../../runner/facts/apt-simulation.js';
import { aptCacheAge } from '../../runner/facts/apt-cache-age.js';
import { aptGetArgv, aptGetCommand } from '../../runner/apt/command-line.js';
import { lockHeld, updateFailures } from '../../runner/apt/run-apt-get.js';
import { apt, checkAptArgs, gatherApt, packageSpecs, planApt, type AptFacts, type AptParams } from '../../modules/apt.js';
import { createHostFactCache } from '../../runner/facts/cache.js';
import { readFactsAhead } from '../../runner/strategy/prefetch.js';
import { recordingLocal } from '../helpers/module-run.js';
import { planPackage } from '../../modules/package.js';
import { validateModuleArgs } from '../../runner/validators/module-args.js';

const DPKG = [
  'quorum-app\tall\t1.0\tinstalled',
  'quorum-hello\tall\t1.0\tinstalled',
  'quorum-old\tall\t0.9\tconfig-files',
  'quorum-gone\tall\t0.1\tnot-installed',
  'libc6\tamd64\t2.36-9+deb12u13\tinstalled',
  'libc6\ti386\t2.36-9+deb12u13\tinstalled',
  '',
].join('\n');
const installed = parseDpkgQuery(DPKG);

const facts = (extra: Partial<AptFacts> = {}): AptFacts => ({ installed, ...extra });
const describes = (p: { changes: Array<{ describe: string }> }) => p.changes.map((c) => c.describe);

test('dpkg-query lines parse into packages by name, multiarch kept apart; installed vs known', (t) => {
  t.deepEqual(installed.get('libc6')?.map((p) => p.architecture), ['amd64', 'i386']);
  t.is(installedPackage(installed, 'quorum-hello')?.version, '1.0');
  t.is(installedPackage(installed, 'libc6:i386')?.architecture, 'i386');
  t.is(installedPackage(installed, 'quorum-old'), undefined, 'config-files is not installed');
  t.is(knownPackage(installed, 'quorum-old')?.status, 'config-files', 'but purge has something to do');
  t.is(knownPackage(installed, 'quorum-gone'), undefined);
  t.throws(() => parseDpkgQuery('just-a-name\n'), { message: /cannot read/ });
  t.throws(() => dpkgPackages.parse({ stdout: 'quorum: no dpkg-query\n', stderr: '', exitCode: 0 }), { message: /needs a Debian-family host/ });
});

test('apt-get -s: Inst (new and replaced), Remv and Purg lines become actions; Conf lines are ignored', (t) => {
  const out = [
    'NOTE: This is only a simulation!',
    'Inst quorum-lib (1.0 quorum-tests:./ [all])',
    'Inst libappstream4 [0.16.1-2] (0.16.1-2+b1 Debian:12.15/oldstable [amd64])',
    'Conf quorum-lib (1.0 quorum-tests:./ [all])',
    'Remv quorum-app [1.0]',
    'Purg quorum-hello [1.0]',
    '',
  ].join('\n');
  t.deepEqual(parseAptSimulation(out), [
    { action: 'install', name: 'quorum-lib', to: '1.0' },
    { action: 'replace', name: 'libappstream4', from: '0.16.1-2', to: '0.16.1-2+b1' },
    { action: 'remove', name: 'quorum-app', from: '1.0' },
    { action: 'purge', name: 'quorum-hello', from: '1.0' },
  ]);
  const refused = aptSimulation.parse({ stdout: '', stderr: 'E: Unable to locate package nosuchpkg-x\n', exitCode: 100 }, { verb: 'install', packages: ['nosuchpkg-x'] });
  t.deepEqual(refused, { actions: [], error: 'Unable to locate package nosuchpkg-x' });
});

test('apt-get runs non-interactively, keeps edited conffiles, never waits on the lock itself; simulations take no lock option', (t) => {
  t.is(
    aptGetCommand({ verb: 'install', packages: ['quorum-hello=1.0'], installRecommends: false }),
    "DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get -q -y -o DPkg::Lock::Timeout=0 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold --no-install-recommends install quorum-hello=1.0",
  );
  t.deepEqual(aptGetArgv({ verb: 'remove', packages: ['a'], autoremove: true, simulate: true }), ['apt-get', '-q', '-y', '-s', '--autoremove', 'remove', 'a']);
});

test("apt's lock message names the lock and its holder; update warnings that mean a failed fetch are found", (t) => {
  const stderr = 'E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 260 (python3)\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), is another process using it?\n';
  t.deepEqual(lockHeld(stderr), { lock: '/var/lib/dpkg/lock-frontend', pid: 260, program: 'python3' });
  t.deepEqual(lockHeld('E: Could not get lock /var/lib/apt/lists/lock - open (11: Resource temporarily unavailable)\n'), { lock: '/var/lib/apt/lists/lock' }, 'apt before 1.9 names no holder');
  t.is(lockHeld('E: Unable to locate package x\n'), undefined);
  const update = "Err:3 http://deb.debian.org/debian bookworm InRelease\n  Temporary failure resolving 'deb.debian.org'\nW: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease  Temporary failure resolving 'deb.debian.org'\nW: Some index files failed to download. They have been ignored, or old ones used instead.\n";
  t.is(updateFailures(update).length, 2);
  t.deepEqual(updateFailures('W: Target Packages is configured multiple times\n'), [], 'other warnings do not fail the update');
});

test('present with everything installed: no change and no simulation, whatever the spelling of the list', (t) => {
  for (const name of ['quorum-app,quorum-hello=1.0', ['quorum-app', 'quorum-hello=1.0'], 'quorum-app, quorum-hello']) {
    const plan = planApt({ name } as AptParams, facts());
    t.deepEqual(plan.changes, [], JSON.stringify(name));
    t.regex(plan.noop ?? '', /quorum-app 1\.0, quorum-hello 1\.0 installed/);
  }
  t.deepEqual(packageSpecs('a, b,,a'), ['a', 'b']);
});

test('present with something missing or at another pinned version installs exactly those, described from the simulation', (t) => {
  const simulation = { actions: [{ action: 'install' as const, name: 'quorum-lib', to: '1.0' }, { action: 'install' as const, name: 'quorum-new', to: '3.0' }] };
  const plan = planApt({ name: ['quorum-app', 'quorum-new'] }, facts({ simulation }));
  t.deepEqual(describes(plan), ['apt-get install: install quorum-lib (dependency) 1.0, quorum-new 3.0']);
  t.deepEqual(plan.result?.['installed'], ['quorum-lib=1.0', 'quorum-new=3.0']);
  t.deepEqual(plan.diffs, [{ label: 'packages', before: '', after: 'quorum-lib 1.0\nquorum-new 3.0\n' }]);
});

test('latest: an empty simulation is a no-op, an Inst line an upgrade; absent and purge act only on what dpkg has', (t) => {
  t.deepEqual(planApt({ name: 'quorum-hello', state: 'latest' }, facts({ simulation: { actions: [] } })).changes, []);
  const up = planApt({ name: 'quorum-hello', state: 'latest' }, facts({ simulation: { actions: [{ action: 'replace', name: 'quorum-hello', from: '1.0', to: '2.0' }] } }));
  t.deepEqual(describes(up), ['apt-get install: upgrade quorum-hello 1.0 -> 2.0']);
  t.deepEqual(planApt({ name: ['quorum-old', 'quorum-gone', 'nosuch'], state: 'absent' }, facts()).changes, [], 'config-files is already removed');
  const purge = planApt({ name: ['quorum-old', 'nosuch'], state: 'absent', purge: true }, facts({ simulation: { actions: [{ action: 'purge', name: 'quorum-old', from: '0.9' }] } }));
  t.deepEqual(describes(purge), ['apt-get purge: purge quorum-old 0.9']);
});

test('update_cache: every run without cache_valid_time, only when older with it, judged by the host clock; it implies update_cache', (t) => {
  t.deepEqual(describes(planApt({ update_cache: true }, facts())), ['apt-get update (update_cache)']);
  const fresh = planApt({ cache_valid_time: 3600 }, facts({ cacheAge: { now: 10_000, updatedAt: 9_000 } }));
  t.deepEqual(fresh.changes, []);
  t.regex(fresh.noop ?? '', /lists updated 1000 s ago \(cache_valid_time 3600 s\)/);
  t.deepEqual(describes(planApt({ cache_valid_time: 600 }, facts({ cacheAge: { now: 10_000, updatedAt: 9_000 } }))), ['apt-get update (lists last updated 1000 s ago, more than cache_valid_time 600 s)']);
  t.deepEqual(describes(planApt({ cache_valid_time: 600 }, facts({ cacheAge: { now: 10_000, updatedAt: 0 } }))), ['apt-get update (lists never updated)']);
  t.deepEqual(planApt({ update_cache: false, cache_valid_time: 1 }, facts({ cacheAge: { now: 10_000, updatedAt: 0 } })).changes, [], 'update_cache: false wins');
  // With an update pending, the install is planned without a simulation of today's lists.
  const pending = planApt({ name: 'quorum-new', update_cache: true }, facts());
  t.deepEqual(describes(pending), ['apt-get update (update_cache)', 'install: quorum-new (versions known after apt-get update)']);
});

test('apt refusing the request fails the task with its words; in check mode an unknown package cannot be predicted', (t) => {
  const simulation = { actions: [], error: 'Unable to locate package quorum-new' };
  t.is(planApt({ name: 'quorum-new' }, facts({ simulation })).failed, 'apt-get refuses: Unable to locate package quorum-new');
  const check = planApt({ name: 'quorum-new' }, facts({ simulation }), true);
  t.is(check.failed, undefined);
  t.regex(check.unpredictable ?? '', /lists do not know it yet/);
  const down = planApt({ name: 'quorum-hello=0.5' }, facts({ simulation: { actions: [], error: 'Packages were downgraded and -y was used without --allow-downgrades.' } }));
  t.regex(down.failed ?? '', /allow_downgrade: true/);
});

test('arguments that mean nothing are refused before any host; the schema refuses wildcards and options', (t) => {
  t.deepEqual(checkAptArgs({ name: 'x', deb: '/tmp/x.deb' }).map((p) => p.param), ['deb']);
  t.deepEqual(checkAptArgs({ name: ['a=1', 'b'], state: 'latest' }).map((p) => p.suggestion), ['a']);
  t.deepEqual(checkAptArgs({ name: 'a=1', state: 'absent' }).map((p) => p.suggestion), ['a']);
  t.deepEqual(checkAptArgs({ name: 'a', state: 'latest' }), []);
  t.is(validateModuleArgs(apt, { name: 'nginx' }), undefined);
  t.is(validateModuleArgs(apt, { name: 'etcd-client:amd64=3.4.23-4+b7' }), undefined);
  t.truthy(validateModuleArgs(apt, { name: 'nginx*' }));
  t.truthy(validateModuleArgs(apt, { name: '-oAPT::x=1' }));
  t.truthy(validateModuleArgs(apt, { state: 'present' }), 'nothing to act on');
  t.is(validateModuleArgs(apt, { autoremove: true }), undefined);
});

test('package: apt on the Debian family; any other manager refused, naming it', (t) => {
  const ok = planPackage({ name: 'quorum-hello' }, { manager: 'apt', source: 'facts.os.id is debian', apt: facts() });
  t.deepEqual(ok.changes, []);
  t.is(ok.result?.['pkg_mgr'], 'apt');
  const dnf = planPackage({ name: 'httpd' }, { manager: 'dnf', source: 'ansible_pkg_mgr is dnf' });
  t.regex(dnf.failed ?? '', /^package: this host has package manager dnf \(ansible_pkg_mgr is dnf\); quorum's package module drives apt only/);
  t.regex(planPackage({ name: 'x' }, { manager: null, source: 'found none on the PATH' }).failed ?? '', /no package manager quorum knows/);
});

test('the cache age is read with the host clock in one command', (t) => {
  t.deepEqual(aptCacheAge.parse({ stdout: '1796616059\n1796612459\n', stderr: '', exitCode: 0 }), { now: 1796616059, updatedAt: 1796612459 });
  t.throws(() => aptCacheAge.parse({ stdout: 'x\n', stderr: '', exitCode: 0 }), { message: /cannot read the age/ });
});

test('read ahead on this (Debian) controller: one dpkg-query, then apt tasks with everything installed run no command at all', async (t) => {
  const { conn, calls } = recordingLocal();
  const cache = createHostFactCache(conn);
  const guesses = apt.readsAhead!({ name: 'dpkg' }).map((g) => ({ ...g, become: false }));
  t.deepEqual(guesses.map((g) => g.fact.name), ['dpkg-packages']);
  await readFactsAhead(cache, guesses);
  t.is(calls.length, 1);
  for (const name of ['dpkg', ['coreutils', 'dpkg'], 'dpkg,coreutils']) {
    const gathered = await gatherApt({ facts: cache.forTask(false) }, { name } as AptParams);
    t.deepEqual(planApt({ name } as AptParams, gathered).changes, []);
  }
  t.is(calls.length, 1, 'three tasks, no command of their own: no simulation, no apt-get');
  // A fact that fails ahead is not cached: the task reads it again and reports the failure itself.
  const failing = { ...guesses[0]!, fact: { ...guesses[0]!.fact, name: 'always-fails', command: () => 'exit 3' } };
  await t.notThrowsAsync(readFactsAhead(cache, [failing]));
  await t.throwsAsync(cache.forTask(false).get(failing.fact, undefined), { message: /dpkg-query -W failed \(exit 3\)/ });
  t.is(calls.length, 3);
});
