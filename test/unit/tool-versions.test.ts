/**
 * Version facts probed only when a tool's file changed (runner/facts/tool-versions.ts) and the
 * controller's memory of them (version-cache.ts): captured lab output (probed, then remembered),
 * and the real script on this controller against a tool written here, whose every real run is
 * counted on disk.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gatherHostFacts, parseHostFacts, splitSections } from '../../runner/facts/host-facts.js';
import { resolveToolProbes, type KnownProbes } from '../../runner/facts/tool-versions.js';
import { MAX_MACHINES, ToolVersionCache } from '../../runner/facts/version-cache.js';
import { describeEndpoint } from '../../runner/connection/ssh.js';
import { LocalConnection } from '../../runner/connection/local.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/facts/${name}`, import.meta.url), 'utf8');
const probed = splitSections(fixture('lab-infra3-probed.txt'));
const ETCD_STAMP = '/usr/bin/etcd|71:1462735:21529688:1681026213:2026-11-26 10:19:40.166983651 +0000';
const ETCDCTL_STAMP = '/usr/bin/etcdctl|71:1462732:17157344:1681026213:2026-11-26 10:19:39.254983687 +0000';

test('first run on a lab host: every present tool probed and remembered with its stamp; absent tools neither', (t) => {
  const { outputs, remember } = resolveToolProbes(probed, {});
  t.deepEqual(Object.keys(remember).sort(), ['etcd', 'etcdctl']);
  t.is(remember.etcd?.stampLine, ETCD_STAMP);
  t.is(remember.etcdctl?.stampLine, ETCDCTL_STAMP);
  t.is(outputs.etcdctl, 'etcdctl version: 3.4.23\nAPI version: 3.4');
  t.is(outputs.kubeadm, '');
  t.deepEqual(parseHostFacts(fixture('lab-infra3-probed.txt')).versions, { kubeadm: null, kubelet: null, etcd: '3.4.23', etcdctl: '3.4.23' });
});

test('the next run with unchanged stamps probes nothing and gives the same versions from memory', (t) => {
  const known = resolveToolProbes(probed, {}).remember;
  const remembered = splitSections(fixture('lab-infra3-remembered.txt'));
  // The host printed stamps but no probe output: the probes did not run.
  t.is(remembered.get('etcd'), '');
  t.is(remembered.get('etcdctl'), '');
  const again = resolveToolProbes(remembered, known);
  t.deepEqual(again.outputs, resolveToolProbes(probed, {}).outputs);
  t.deepEqual(again.remember, known);
});

test('a changed stamp uses what the host printed now; a tool gone is forgotten; an unstamped tool is not remembered', (t) => {
  const known: KnownProbes = {
    etcd: { stampLine: ETCD_STAMP.replace('21529688', '21529689'), output: 'etcd Version: 3.4.22' },
    kubeadm: { stampLine: '/usr/bin/kubeadm|71:1:2:3:4', output: 'v1.31.2' },
  };
  const { outputs, remember } = resolveToolProbes(probed, known);
  t.regex(outputs.etcd, /^etcd Version: 3\.4\.23/);
  t.is(remember.etcd?.stampLine, ETCD_STAMP);
  t.is(outputs.kubeadm, '');
  t.is(remember.kubeadm, undefined);

  const unstamped = new Map(probed);
  unstamped.set('stamps', '/usr/bin/etcd|\n/usr/bin/etcdctl|');
  const r = resolveToolProbes(unstamped, { etcd: { stampLine: '/usr/bin/etcd|', output: 'stale' } });
  t.regex(r.outputs.etcd, /3\.4\.23/);
  t.deepEqual(r.remember, {});
});

/** A fake `etcd` on PATH that counts its runs in `counter` and prints `version`. */
function writeTool(dir: string, counter: string, version: string): void {
  const file = join(dir, 'etcd');
  writeFileSync(file, `#!/bin/sh\necho run >> '${counter}'\necho 'etcd Version: ${version}'\n`);
  chmodSync(file, 0o755);
}

const runsOf = (counter: string) => {
  try {
    return readFileSync(counter, 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
};

test('for real on this controller: probed once, then remembered across runs (on disk), probed again when the file changes', async (t) => {
  const bin = mkdtempSync(join(tmpdir(), 'quorum-tools-'));
  const cacheDir = mkdtempSync(join(tmpdir(), 'quorum-cache-'));
  const counter = join(bin, 'runs');
  writeTool(bin, counter, '3.5.16');
  process.env.PATH = `${bin}:${process.env.PATH}`;
  const gather = async () => {
    const cache = ToolVersionCache.load(cacheDir);
    const facts = await gatherHostFacts(new LocalConnection('here'), { versions: cache });
    cache.save();
    return facts.versions.etcd;
  };

  t.is(await gather(), '3.5.16');
  t.is(runsOf(counter), 1);
  const file = join(cacheDir, 'tool-versions.json');
  t.is(statSync(file).mode & 0o777, 0o600);
  // Kept by machine (a local connection is the controller, whatever its inventory name).
  t.is(JSON.parse(readFileSync(file, 'utf8')).machines.local.probes.etcd.stampLine.split('|')[0], join(bin, 'etcd'));

  t.is(await gather(), '3.5.16');
  t.is(runsOf(counter), 1, 'an unchanged tool is not run again');

  writeTool(bin, counter, '3.5.17');
  t.is(await gather(), '3.5.17');
  t.is(runsOf(counter), 2, 'a rewritten tool is probed again');

  // Caching off: always probed, nothing written.
  const off = ToolVersionCache.load(undefined);
  await gatherHostFacts(new LocalConnection('here'), { versions: off });
  off.save();
  t.is(runsOf(counter), 3);
});

// Serial: it narrows PATH for the whole process while it runs (the concurrent tests widen it).
test.serial('systemd\'s version is remembered like the tools\'; without mktemp a changed tool is probed in turn, and the stamps still count', async (t) => {
  const bin = mkdtempSync(join(tmpdir(), 'quorum-bare-'));
  const cacheDir = mkdtempSync(join(tmpdir(), 'quorum-cache-'));
  const counter = join(bin, 'runs');
  writeTool(bin, counter, '3.5.16');
  writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\necho run >> '${counter}'\nprintf 'systemd 999 (999.1-test)\\n+PAM -SELINUX\\n'\n`);
  chmodSync(join(bin, 'systemctl'), 0o755);
  // A host with sh, stat and head but no mktemp (and none of the other tools: their sections are empty).
  for (const tool of ['sh', 'stat', 'head']) symlinkSync(execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), join(bin, tool));
  const path = process.env.PATH;
  process.env.PATH = bin;
  try {
    const gather = async () => {
      const cache = ToolVersionCache.load(cacheDir);
      const facts = await gatherHostFacts(new LocalConnection('here'), { versions: cache });
      cache.save();
      return [facts.versions.etcd, facts.systemdVersion];
    };
    t.deepEqual(await gather(), ['3.5.16', 999]);
    t.is(runsOf(counter), 2, 'etcd and systemctl each probed once');
    t.deepEqual(await gather(), ['3.5.16', 999]);
    t.is(runsOf(counter), 2, 'unchanged: neither runs again');
    writeTool(bin, counter, '3.5.17');
    t.deepEqual(await gather(), ['3.5.17', 999]);
    t.is(runsOf(counter), 3, 'only the rewritten tool is probed again');
  } finally {
    process.env.PATH = path;
  }
});

test('a cache file that is not ours is ignored, not trusted', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-cache-'));
  // A newline could end the script's case pattern; an empty stamp matches a host whose stat failed.
  writeFileSync(join(dir, 'tool-versions.json'), `{"format":2,"machines":{"h":{"usedAt":${Date.now()},"probes":{"etcd":{"stampLine":"a\\nb","output":"x"},"etcdctl":{"stampLine":7},"kubeadm":{"stampLine":"/usr/bin/kubeadm|","output":"v9"}}}}}`);
  t.deepEqual(ToolVersionCache.load(dir).known('h'), {});
  // The format of session 3 (by inventory name, no dates): probed again once, not misread.
  writeFileSync(join(dir, 'tool-versions.json'), `{"format":1,"hosts":{"h":{"etcd":${JSON.stringify(REMEMBERED_ETCD)}}}}`);
  t.deepEqual(ToolVersionCache.load(dir).known('h'), {});
  writeFileSync(join(dir, 'tool-versions.json'), 'not json');
  t.deepEqual(ToolVersionCache.load(dir).known('h'), {});
});

const REMEMBERED_ETCD = { stampLine: ETCD_STAMP, output: 'etcd Version: 3.4.23\n' };
const DAY = 24 * 60 * 60 * 1000;

/** A cache in a fresh directory whose clock the test sets. */
function makeClockedCache() {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-cache-'));
  const clock = { now: Date.UTC(2026, 10, 27) };
  const load = () => ToolVersionCache.load(dir, () => clock.now);
  const file = join(dir, 'tool-versions.json');
  const onDisk = () => JSON.parse(readFileSync(file, 'utf8')).machines as Record<string, { usedAt: number }>;
  // The file is replaced by a rename on every write, so a new inode means it was written.
  const writesOnSave = (cache: ToolVersionCache) => {
    const before = statSync(file).ino;
    cache.save();
    return statSync(file).ino !== before;
  };
  return { clock, load, onDisk, writesOnSave };
}

test('machines not reached for 90 days are forgotten when the file is written; those in use are kept', (t) => {
  const { clock, load, onDisk } = makeClockedCache();
  const first = load();
  first.remember('ubuntu@10.0.0.1:22', { etcd: REMEMBERED_ETCD });
  first.remember('ubuntu@10.0.0.2:22', { etcd: REMEMBERED_ETCD });
  first.save();

  // 60 days later only .1 is reached: its last use is refreshed (a write), .2 is left alone.
  clock.now += 60 * DAY;
  const second = load();
  t.deepEqual(second.known('ubuntu@10.0.0.1:22'), { etcd: REMEMBERED_ETCD });
  second.save();
  t.is(onDisk()['ubuntu@10.0.0.1:22']!.usedAt, clock.now);

  // 91 days after the first run: .2 is gone from the file, .1 (used 31 days ago) stays.
  clock.now += 31 * DAY;
  const third = load();
  third.remember('ubuntu@10.0.0.3:22', { etcd: REMEMBERED_ETCD });
  third.save();
  t.deepEqual(Object.keys(onDisk()).sort(), ['ubuntu@10.0.0.1:22', 'ubuntu@10.0.0.3:22']);
  t.deepEqual(load().known('ubuntu@10.0.0.2:22'), {}, 'a forgotten machine is probed again');
});

test('a run that only reads what it knew the same day leaves the file as it was', (t) => {
  const { clock, load, writesOnSave } = makeClockedCache();
  const first = load();
  first.remember('m', { etcd: REMEMBERED_ETCD });
  first.save();
  clock.now += 60_000;
  const second = load();
  second.known('m');
  second.remember('m', { etcd: REMEMBERED_ETCD });
  t.false(writesOnSave(second), 'nothing new: no write');
  clock.now += DAY;
  const third = load();
  third.known('m');
  t.true(writesOnSave(third), 'a day later the last use is refreshed');
});

test(`the file keeps at most ${MAX_MACHINES} machines, the most recently used`, (t) => {
  const { clock, load, onDisk } = makeClockedCache();
  const cache = load();
  for (let i = 0; i <= MAX_MACHINES; i++) {
    clock.now += 1000;
    cache.remember(`m${i}`, { etcd: REMEMBERED_ETCD });
  }
  cache.save();
  const kept = Object.keys(onDisk());
  t.is(kept.length, MAX_MACHINES);
  t.false(kept.includes('m0'), 'the least recently used machine is dropped');
  t.true(kept.includes(`m${MAX_MACHINES}`));
});

test('two inventories that give different machines one name do not share what is remembered', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-cache-'));
  const cache = ToolVersionCache.load(dir);
  cache.remember(describeEndpoint({ user: 'ubuntu', address: '10.0.0.1', port: 22 }), { etcd: REMEMBERED_ETCD });
  t.deepEqual(cache.known(describeEndpoint({ user: 'ubuntu', address: '10.9.9.9', port: 22 })), {});
  t.deepEqual(cache.known('ubuntu@10.0.0.1:22'), { etcd: REMEMBERED_ETCD });
});

test('an endpoint names the user, address and port, and every jump host on the way', (t) => {
  t.is(describeEndpoint({ user: 'ubuntu', address: 'fd00::1', port: 2222 }), 'ubuntu@fd00::1:2222');
  t.is(describeEndpoint({ address: 'node1', port: 22 }), '@node1:22', "no ansible_user: left out (the login user is then the controller's)");
  t.is(
    describeEndpoint({ user: 'ops', address: '10.0.0.5', port: 22, jumpHosts: [{ address: 'bastion', port: 22 }, { user: 'jump', address: 'inner', port: 2200 }] }),
    'ops@10.0.0.5:22 via ops@bastion:22 via jump@inner:2200',
  );
});
