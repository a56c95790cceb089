/**
 * The apt and package modules on real lab hosts (the lab's last two hosts) with real apt-get and
 * dpkg, against a repository served from the controller (test/helpers/apt-repo.ts: packages built
 * by dpkg-deb, a flat repository over HTTP on the lab bridge), since lab hosts have no internet.
 *
 * apt-get and dpkg-query on the hosts are wrapped by scripts in /usr/local/bin (first in sudo's
 * secure_path) that log each run and exec the real one: a re-run must run no apt-get at all, and
 * read dpkg's state ahead with the facts, then once per host after each command task.
 */
import test from 'ava';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labHosts, labInventoryPath, sshExec, type LabHost } from '../helpers/lab.js';
import { rootScript as rootSh } from '../helpers/root-script.js';
import { runEngine, total } from '../helpers/quorum.js';
import { buildDeb, startAptTestRepo, type AptTestRepo } from '../helpers/apt-repo.js';
import { runPlaybook } from '../../runner/engine/engine.js';
import type { RunEvent } from '../../runner/report/events.js';

const hosts = labHosts('all').slice(-2);
const limit = hosts.map((h) => h.name).join(':');
const dir = mkdtempSync(join(tmpdir(), 'quorum-apt-test-'));
const LOG = '/tmp/quorum-apt-test-runs.log';
const STAMP = '/var/lib/apt/periodic/update-success-stamp';
const RELEASE = '/tmp/quorum-slow-release';
const STARTED = '/tmp/quorum-slow-started';
const WRAPPED = ['apt-get', 'dpkg-query'];
let repo: AptTestRepo;

/** Every quorum test package dpkg knows on the host, `name version status` a line. */
async function testPackages(host: LabHost): Promise<string> {
  const lines = await rootSh(host, `dpkg-query -W -f '\${Package} \${Version} \${db:Status-Status}\\n' 'quorum-*' 2>/dev/null || true`);
  // A purged package may stay in dpkg's database as not-installed: gone all the same.
  return lines.split('\n').filter((l) => l !== '' && !l.endsWith(' not-installed')).sort().map((l) => `${l}\n`).join('');
}

/** What check mode must not touch: the whole dpkg database listing, the lists, the stamp. */
async function hostSnapshot(host: LabHost): Promise<string> {
  return rootSh(host, `dpkg -l; ls -la --time-style=full-iso /var/lib/apt/lists; stat -c '%n %Y' ${STAMP} 2>/dev/null || true`);
}

/** The commands the wrappers logged since the last call (and the log emptied). */
async function takeLog(host: LabHost): Promise<string[]> {
  const text = await rootSh(host, `cat ${LOG} 2>/dev/null || true; : > ${LOG}`);
  return text.split('\n').filter(Boolean);
}

function playbook(name: string, tasks: string[], vars = ''): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, ['- hosts: all', '  become: true', ...(vars ? [`  vars: { ${vars} }`] : []), '  tasks:', ...tasks, ''].join('\n'));
  return file;
}

const run = (playbookFile: string, check = false) => runEngine({ playbookFile, inventoryFile: labInventoryPath(), limit, check, diff: true });

test.before(async () => {
  if (hosts.length < 2) throw new Error('the apt test needs two lab hosts: `quorum lab up --hosts 2` or more');
  repo = await startAptTestRepo();
  repo.add([
    { name: 'quorum-hello', version: '1.0', conffile: true },
    { name: 'quorum-lib', version: '1.0' },
    { name: 'quorum-app', version: '1.0', depends: 'quorum-lib (>= 1.0)' },
    // Holds dpkg's lock from its postinst until the test releases it (or 120 s pass).
    { name: 'quorum-slow', version: '1.0', postinst: `touch ${STARTED}; i=0; while [ ! -e ${RELEASE} ] && [ $i -lt 600 ]; do sleep 0.2; i=$((i+1)); done` },
  ]);
  for (const host of hosts) {
    await cleanHost(host);
    await repo.attach(host);
    for (const tool of WRAPPED) {
      await rootSh(host, `printf '#!/bin/sh\\necho "${tool} $*" >> ${LOG}\\nexec /usr/bin/${tool} "$@"\\n' > /usr/local/bin/${tool} && chmod 0755 /usr/local/bin/${tool}`);
    }
  }
});

/** No test package, no wrapper, and lists that look never updated (a repository on a new port is unknown to them). */
async function cleanHost(host: LabHost): Promise<void> {
  await rootSh(host, `pkgs=$(dpkg-query -W -f '\${Package}\\n' 'quorum-*' 2>/dev/null); [ -z "$pkgs" ] || DEBIAN_FRONTEND=noninteractive /usr/bin/apt-get purge -y -q $pkgs >/dev/null; rm -f /tmp/quorum-local_1.0_all.deb ${STAMP} ${LOG} ${RELEASE} ${STARTED} ${WRAPPED.map((t) => `/usr/local/bin/${t}`).join(' ')}; touch -d 2000-01-01 /var/lib/apt/lists`);
}

test.after.always(async () => {
  for (const host of hosts) {
    await cleanHost(host).catch(() => undefined);
    await repo?.detach(host).catch(() => undefined);
  }
  await repo?.close();
  rmSync(dir, { recursive: true, force: true });
});

const INSTALL = playbook('install', [
  // Logged in the wrappers' log before the first apt task: a dpkg-query logged before it was read ahead.
  '    - name: marker',
  `      command: "echo marker >> ${LOG}"`,
  '      changed_when: false',
  '    - name: app and a pinned hello',
  '      apt: { name: [quorum-app, quorum-hello=1.0], update_cache: true, cache_valid_time: 3600 }',
  '    - name: lib through package',
  '      package: { name: quorum-lib }',
]);

test.serial('--check reports the update and the installs, and touches neither dpkg nor the lists', async (t) => {
  const before = await Promise.all(hosts.map(hostSnapshot));
  const check = await run(INSTALL, true);
  t.is(total(check.summary, 'failed'), 0, JSON.stringify(check.results().filter((r) => r.status === 'failed')));
  for (const r of check.results('app and a pinned hello')) {
    t.is(r.status, 'changed');
    t.regex(r.changes[0]!, /^apt-get update \(lists/);
    t.regex(r.changes[1]!, /quorum-app, quorum-hello=1.0/);
  }
  // No update ran, so the lists cannot know quorum-lib yet: not predictable, not a failure.
  for (const r of check.results('lib through package')) {
    t.is(r.status, 'skipped');
    t.regex(r.msg ?? '', /cannot predict in check mode \(apt's lists do not know it yet \(Unable to locate package quorum-lib\)/);
  }
  t.deepEqual(await Promise.all(hosts.map(hostSnapshot)), before);
  for (const host of hosts) t.false((await takeLog(host)).some((l) => l.startsWith('apt-get') && !l.includes(' -s ')), 'only simulations in check mode');
});

test.serial('install: a dependency pulled in, a pinned version, package mapped to apt; the re-run runs no apt-get, dpkg read ahead with the facts', async (t) => {
  const applied = await run(INSTALL);
  t.is(total(applied.summary, 'failed'), 0, JSON.stringify(applied.results().filter((r) => r.status === 'failed')));
  t.is(total(applied.summary, 'changed'), hosts.length);
  for (const host of hosts) {
    t.is(await testPackages(host), 'quorum-app 1.0 installed\nquorum-hello 1.0 installed\nquorum-lib 1.0 installed\n');
    t.is((await rootSh(host, `stat -c %Y ${STAMP}`)).trim().length > 0, true, 'the update stamp is touched');
  }
  for (const r of applied.results('lib through package')) {
    t.is(r.status, 'ok', 'quorum-lib came as quorum-app\'s dependency');
    t.is(r.result?.['pkg_mgr'], 'apt');
  }
  for (const host of hosts) await takeLog(host);

  const again = await run(INSTALL);
  t.is(total(again.summary, 'changed'), 0);
  t.is(total(again.summary, 'failed'), 0);
  for (const r of again.results('app and a pinned hello')) t.regex(r.msg ?? '', /lists updated \d+ s ago \(cache_valid_time 3600 s\); quorum-app 1\.0, quorum-hello 1\.0 installed/);
  for (const host of hosts) {
    const runs = await takeLog(host);
    t.deepEqual(runs.filter((l) => l.startsWith('apt-get')), [], 'nothing to do: no apt-get at all');
    // Read ahead with the facts, before the first task; the marker command ran (a command may change
    // anything, so the cache is cleared after it); then the apt and the package task share one read.
    t.is(runs.length, 3, runs.join('\n'));
    t.regex(runs[0]!, /^dpkg-query -W /, 'read ahead, before the play\'s first task');
    t.is(runs[1], 'marker');
    t.regex(runs[2]!, /^dpkg-query -W /, 'two tasks after the command, one dpkg-query');
  }
});

test.serial('latest: cache_valid_time skips the update, update_cache brings 2.0, check mode names the upgrade, apply upgrades, the re-run is a no-op', async (t) => {
  repo.add([{ name: 'quorum-hello', version: '2.0', conffile: true }]);
  const stamps = await Promise.all(hosts.map((h) => rootSh(h, `stat -c %Y ${STAMP}`)));
  const skip = await run(playbook('latest-cached', ['    - name: hello latest', '      apt: { name: quorum-hello, state: latest, update_cache: true, cache_valid_time: 3600 }']));
  t.is(total(skip.summary, 'changed'), 0, 'the lists are fresh: no update, and they do not know 2.0 yet');
  t.deepEqual(await Promise.all(hosts.map((h) => rootSh(h, `stat -c %Y ${STAMP}`))), stamps);

  const update = await run(playbook('update', ['    - name: update', '      apt: { update_cache: true }']));
  t.is(total(update.summary, 'changed'), hosts.length);

  const latest = playbook('latest', ['    - name: hello latest', '      apt: { name: quorum-hello, state: latest }']);
  const check = await run(latest, true);
  for (const r of check.results('hello latest')) {
    t.is(r.status, 'changed');
    t.deepEqual(r.changes, ['apt-get install: upgrade quorum-hello 1.0 -> 2.0']);
    t.deepEqual(r.diffs, [{ label: 'packages', before: 'quorum-hello 1.0\n', after: 'quorum-hello 2.0\n' }]);
    t.deepEqual(r.result?.['upgraded'], ['quorum-hello=1.0->2.0']);
  }
  for (const host of hosts) t.regex(await testPackages(host), /quorum-hello 1\.0 installed/);

  const applied = await run(latest);
  t.is(total(applied.summary, 'changed'), hosts.length);
  for (const host of hosts) t.regex(await testPackages(host), /quorum-hello 2\.0 installed/);
  const again = await run(latest);
  t.is(total(again.summary, 'changed'), 0);
  for (const r of again.results('hello latest')) t.regex(r.msg ?? '', /quorum-hello 2\.0 installed, the newest apt offers/);
});

test.serial('a pin below the installed version is refused without allow_downgrade, applied with it', async (t) => {
  const refused = await run(playbook('pin', ['    - name: pin', '      apt: { name: quorum-hello=1.0 }']));
  t.is(total(refused.summary, 'failed'), hosts.length);
  for (const r of refused.results('pin')) t.regex(r.msg ?? '', /allow_downgrade: true/);
  for (const host of hosts) t.regex(await testPackages(host), /quorum-hello 2\.0 installed/);

  const pinned = await run(playbook('pin-down', ['    - name: pin', '      apt: { name: quorum-hello=1.0, allow_downgrade: true }']));
  t.is(total(pinned.summary, 'changed'), hosts.length);
  for (const host of hosts) t.regex(await testPackages(host), /quorum-hello 1\.0 installed/);
});

test.serial('absent: removing a dependency takes its dependents, shown before; purge; the re-run is a no-op', async (t) => {
  const remove = playbook('remove', [
    '    - name: no lib',
    '      apt: { name: quorum-lib, state: absent }',
    '    - name: no hello',
    '      package: { name: quorum-hello, state: absent }',
    '    - name: hello purged',
    '      apt: { name: quorum-hello, state: absent, purge: true }',
  ]);
  const check = await run(remove, true);
  for (const r of check.results('no lib')) t.deepEqual(r.changes, ['apt-get remove: remove quorum-app 1.0, quorum-lib 1.0']);
  for (const host of hosts) t.regex(await testPackages(host), /quorum-lib 1\.0 installed/);

  const applied = await run(remove);
  t.is(total(applied.summary, 'failed'), 0, JSON.stringify(applied.results().filter((r) => r.status === 'failed')));
  for (const r of applied.results('no lib')) t.deepEqual(r.result?.['removed'], ['quorum-app=1.0', 'quorum-lib=1.0']);
  for (const r of applied.results('hello purged')) t.is(r.status, 'changed', 'removed leaves config-files state, which purge clears');
  for (const host of hosts) t.is(await testPackages(host), '', 'nothing left, not even config-files');
  const again = await run(remove);
  t.is(total(again.summary, 'changed'), 0);
});

test.serial('deb: a .deb file on the host is installed with its dependency from the repository; the re-run is a no-op', async (t) => {
  const deb = buildDeb({ name: 'quorum-local', version: '1.0', depends: 'quorum-lib' }, dir);
  for (const host of hosts) {
    const r = await sshExec(host, 'base64 -d > /tmp/quorum-local_1.0_all.deb', { stdin: readFileSync(deb).toString('base64') });
    t.is(r.code, 0, r.stderr);
  }
  const install = playbook('deb', ['    - name: local deb', '      apt: { deb: /tmp/quorum-local_1.0_all.deb }']);
  const check = await run(install, true);
  for (const r of check.results('local deb')) t.deepEqual(r.changes, ['apt-get install: install quorum-lib (dependency) 1.0, quorum-local 1.0']);
  const applied = await run(install);
  t.is(total(applied.summary, 'changed'), hosts.length);
  for (const host of hosts) t.is(await testPackages(host), 'quorum-lib 1.0 installed\nquorum-local 1.0 installed\n');
  const again = await run(install);
  t.is(total(again.summary, 'changed'), 0);
  for (const r of again.results('local deb')) t.is(r.msg, 'quorum-local 1.0 is installed');
});

test.serial('autoremove: removing the .deb\'s package takes the dependency it pulled in; autoremove alone then finds nothing', async (t) => {
  const remove = await run(playbook('autoremove', ['    - name: no local', '      apt: { name: quorum-local, state: absent, autoremove: true }']));
  t.is(total(remove.summary, 'failed'), 0, JSON.stringify(remove.results().filter((r) => r.status === 'failed')));
  for (const r of remove.results('no local')) t.deepEqual(r.changes, ['apt-get remove: remove quorum-lib 1.0, quorum-local 1.0']);
  for (const host of hosts) t.is(await testPackages(host), '');
  const again = await run(playbook('autoremove-only', ['    - name: autoremove', '      apt: { autoremove: true }']));
  t.is(total(again.summary, 'changed'), 0);
  for (const r of again.results('autoremove')) t.is(r.msg, 'nothing to autoremove');
});

test.serial('a held dpkg lock is waited for, each try reported as it happens with the holder, then the install goes on', async (t) => {
  const [host] = hosts;
  // quorum-slow's postinst holds dpkg's lock until RELEASE exists.
  await rootSh(host!, `rm -f ${RELEASE} ${STARTED}; (DEBIAN_FRONTEND=noninteractive /usr/bin/apt-get install -y -q quorum-slow < /dev/null > /tmp/quorum-slow.log 2>&1 &) ; i=0; while [ ! -e ${STARTED} ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; test -e ${STARTED}`);
  const retries: Extract<RunEvent, { kind: 'task:retry' }>[] = [];
  const events: RunEvent[] = [];
  const summary = await runPlaybook({
    playbookFile: playbook('locked', ['    - name: hello while locked', '      apt: { name: quorum-hello, lock_timeout: 120 }']),
    inventoryFile: labInventoryPath(),
    limit: host!.name,
    check: false, diff: false, extraVars: {}, forks: 5, hostKeyPolicy: 'strict', connectTimeoutMs: 10_000, verbosity: 0,
    reporter: {
      emit(e) {
        events.push(e);
        if (e.kind !== 'task:retry') return;
        retries.push(e);
        // Seen while the run waits: only now let the other apt-get finish.
        if (retries.length === 2) void rootSh(host!, `touch ${RELEASE}`);
      },
    },
  });
  t.is(summary.exitCode, 0, JSON.stringify(events.filter((e) => e.kind === 'task:host')));
  t.true(retries.length >= 2);
  t.regex(retries[0]!.msg, /^apt-get install: \/var\/lib\/dpkg\/lock(-frontend)? is held by process \d+ \((apt-get|dpkg)\); waiting for it$/);
  t.is(retries[0]!.task, 'hello while locked');
  t.is(retries[0]!.delaySeconds, 2);
  t.regex(await testPackages(host!), /quorum-hello 2\.0 installed\n.*quorum-slow 1\.0 installed/s);
});

test.serial('an apt source that cannot be reached fails update_cache with apt\'s words instead of passing silently', async (t) => {
  const [host] = hosts;
  await rootSh(host!, `echo 'deb [trusted=yes] http://127.0.0.1:9/ ./' > /etc/apt/sources.list.d/quorum-test-unreachable.list`);
  try {
    const r = await run(playbook('unreachable', ['    - name: update', '      apt: { update_cache: true }']));
    const result = r.results('update', host!.name)[0]!;
    t.is(result.status, 'failed');
    t.regex(result.msg ?? '', /apt-get update could not fetch every list: W: Failed to fetch http:\/\/127\.0\.0\.1:9\//);
  } finally {
    await rootSh(host!, 'rm -f /etc/apt/sources.list.d/quorum-test-unreachable.list');
  }
});
