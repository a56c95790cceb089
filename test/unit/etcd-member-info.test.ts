/**
 * etcd-member-info's local part (runner/etcd/member-info.ts): the generated script run for real
 * with `sh` on temporary directories (data dir with and without member/, a systemd unit and a
 * static pod manifest holding the bootstrap flags, TLS files present or not, paths with spaces,
 * quotes and `$(...)`), its output parsed; then the parser alone on hostile output. Last, the
 * module's one round trip (CA files read, then this script) on the controller.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMemberInfoScript, parseMemberInfo, type LocalMemberState, type MemberInfoPaths } from '../../runner/etcd/member-info.js';
import { etcdMemberInfo, describeMemberInfo } from '../../modules/etcd-member-info.js';
import { createCa } from '../../runner/pki/issue.js';
import { localModuleContext } from '../helpers/module-run.js';

// Spaces, both quotes, `$(...)` and a backtick in the root of every path: quoting must hold.
const root = mkdtempSync(join(tmpdir(), `quorum member-info it's "q" $(touch PWNED) \`x\` `));
test.after.always(() => rmSync(root, { recursive: true, force: true }));

/** The script's line marker. */
const M = '@@quorum-etcd';
const INITIAL = 'a=https://1.2.3.4:2380,b=https://[::1]:2380';
/** As playbooks/templates/etcd-ha/etcd.service.hbs writes it: one flag a line, `\` continued. */
const UNIT = `[Unit]
Description=etcd ${M} data yes
[Service]
ExecStart=/usr/local/bin/etcd \\
  --name=a \\
  --data-dir=/var/lib/etcd \\
  --initial-cluster-token=etcd-cluster-1 \\
  --initial-cluster=${INITIAL} \\
  --initial-cluster-state=existing \\
  --listen-peer-urls=https://1.2.3.4:2380
Restart=always
`;
/** A kubeadm static pod manifest: flags as a YAML list. */
const manifest = (cluster: string, state: string) => `apiVersion: v1
kind: Pod
metadata:
  name: etcd
spec:
  containers:
  - command:
    - etcd
    - --initial-cluster=${cluster}
    - --initial-cluster-state=${state}
    - --name=a
    image: registry.k8s.io/etcd:3.5.15-0
`;

let counter = 0;
/** A fresh directory under the hostile root with the given files (relative path -> text). */
function scene(files: Record<string, string> = {}, dirs: string[] = []): string {
  const dir = join(root, `case ${++counter} 'it''s' "here"`);
  mkdirSync(dir, { recursive: true });
  for (const d of dirs) mkdirSync(join(dir, d), { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return dir;
}

/** Paths inside `dir`: data dir `data dir`, unit `etc/etcd it's.service`, manifest `manifests/etcd "pod".yaml`. */
function pathsIn(dir: string, overrides: Partial<MemberInfoPaths> = {}): MemberInfoPaths {
  return {
    dataDir: join(dir, 'data dir'),
    unitFile: join(dir, "etc/etcd it's.service"),
    manifestFile: join(dir, 'manifests/etcd "pod".yaml'),
    unitName: 'quorum-nonexistent-etcd-xyz',
    tlsFiles: [join(dir, 'pki/ca.crt'), join(dir, 'pki/peer.crt'), join(dir, "pki/peer's.key")],
    ...overrides,
  };
}

/** Run the script with sh, PATH optionally led by `binDir`; its stdout. */
function runScript(paths: MemberInfoPaths, binDir?: string): string {
  const env = { ...process.env, ...(binDir ? { PATH: `${binDir}:${process.env['PATH'] ?? ''}` } : {}) };
  return execFileSync('sh', ['-c', buildMemberInfoScript(paths)], { env, cwd: root, encoding: 'utf8' });
}

/** A fake `systemctl` in a fresh bin dir: records its argv, prints `output`, exits `code`. */
function fakeSystemctl(output: string, code = 0): { bin: string; argv: () => string } {
  const bin = scene();
  const log = join(bin, 'argv');
  writeFileSync(join(bin, 'systemctl'), `#!/bin/sh\nfor a in "$@"; do printf '<%s>' "$a"; done > '${log.replace(/'/g, `'\\''`)}'\nprintf '${output}'\nexit ${code}\n`);
  chmodSync(join(bin, 'systemctl'), 0o755);
  return { bin, argv: () => readFileSync(log, 'utf8') };
}

test('empty host: no data, no manifest, no flags, no TLS; nothing in a path is evaluated', (t) => {
  const dir = scene();
  const state = parseMemberInfo(runScript(pathsIn(dir)));
  t.false(state.hasData);
  t.false(state.manifestPresent);
  t.false(state.tlsReady);
  t.is(state.bootstrap, undefined);
  t.false(existsSync(join(root, 'PWNED')), 'no $(...) ran');
  t.false(existsSync('PWNED'));
});

test('data dir with member/ (trailing slashes on the path too): hasData; without member/: not', (t) => {
  const withMember = scene({}, ['data dir/member']);
  t.true(parseMemberInfo(runScript(pathsIn(withMember))).hasData);
  t.true(parseMemberInfo(runScript(pathsIn(withMember, { dataDir: `${join(withMember, 'data dir')}//` }))).hasData);
  const withoutMember = scene({ 'data dir/member.bak': 'x' }, ['data dir/snap']);
  t.false(parseMemberInfo(runScript(pathsIn(withoutMember))).hasData);
  // A file named member is not a member directory.
  const fileOnly = scene({ 'data dir/member': 'not a dir' });
  t.false(parseMemberInfo(runScript(pathsIn(fileOnly))).hasData);
});

test('the unit file: both flags, an IPv6 peer URL intact, the trailing `\\` left out', (t) => {
  const dir = scene({ "etc/etcd it's.service": UNIT });
  const state = parseMemberInfo(runScript(pathsIn(dir)));
  t.deepEqual(state.bootstrap, { initialCluster: INITIAL, initialClusterState: 'existing' });
  t.false(state.hasData, 'a marker in the Description line is file text, not a fact');
  t.false(state.manifestPresent);
});

test('a marker inside a flag value in the unit stays in the value; a marker line in the file is no fact', (t) => {
  const hostile = `ExecStart=/usr/local/bin/etcd \\
  --initial-cluster=a=https://1.2.3.4:2380,${M} data yes \\
  --initial-cluster-state=new${M} \\
${M} manifest yes
${M} tls yes
`;
  const dir = scene({ "etc/etcd it's.service": hostile });
  const state = parseMemberInfo(runScript(pathsIn(dir)));
  t.deepEqual(state.bootstrap, { initialCluster: `a=https://1.2.3.4:2380,${M}`, initialClusterState: `new${M}` });
  t.false(state.hasData);
  t.false(state.manifestPresent);
  t.false(state.tlsReady);
});

test('the static pod manifest (YAML list form): flags found, manifest present', (t) => {
  const dir = scene({ 'manifests/etcd "pod".yaml': manifest(INITIAL, 'new') });
  const state = parseMemberInfo(runScript(pathsIn(dir)));
  t.true(state.manifestPresent);
  t.deepEqual(state.bootstrap, { initialCluster: INITIAL, initialClusterState: 'new' });
});

test('a double-quoted YAML flag: the quote is not part of the value', (t) => {
  const dir = scene({ 'manifests/etcd "pod".yaml': `    - "--initial-cluster=${INITIAL}"\n    - "--initial-cluster-state=existing"\n` });
  const state = parseMemberInfo(runScript(pathsIn(dir)));
  t.deepEqual(state.bootstrap, { initialCluster: INITIAL, initialClusterState: 'existing' });
});

test('a single-quoted YAML flag: the quote is not part of the value either', (t) => {
  // YAML reads '--initial-cluster-state=existing' as the flag without quotes; so must we.
  const dir = scene({ 'manifests/etcd "pod".yaml': `    - '--initial-cluster=${INITIAL}'\n    - '--initial-cluster-state=existing'\n` });
  const state = parseMemberInfo(runScript(pathsIn(dir)));
  t.deepEqual(state.bootstrap, { initialCluster: INITIAL, initialClusterState: 'existing' });
});

test('unit and manifest both complete: the unit wins; unit incomplete: the manifest', (t) => {
  const both = scene({ "etc/etcd it's.service": UNIT, 'manifests/etcd "pod".yaml': manifest('m=https://9.9.9.9:2380', 'new') });
  t.deepEqual(parseMemberInfo(runScript(pathsIn(both))).bootstrap, { initialCluster: INITIAL, initialClusterState: 'existing' });
  const unitWithoutState = UNIT.replace(/ *--initial-cluster-state=existing \\\n/, '');
  const partial = scene({ "etc/etcd it's.service": unitWithoutState, 'manifests/etcd "pod".yaml': manifest('m=https://9.9.9.9:2380', 'new') });
  t.deepEqual(parseMemberInfo(runScript(pathsIn(partial))).bootstrap, { initialCluster: 'm=https://9.9.9.9:2380', initialClusterState: 'new' });
});

test('a unit without --initial-cluster-state: no bootstrap flags', (t) => {
  const dir = scene({ "etc/etcd it's.service": UNIT.replace(/ *--initial-cluster-state=existing \\\n/, '') });
  t.is(parseMemberInfo(runScript(pathsIn(dir))).bootstrap, undefined);
});

test('a flag value over 16 KiB is dropped (so that source has no bootstrap flags)', (t) => {
  const huge = Array.from({ length: 800 }, (_, i) => `n${i}=https://10.0.${Math.floor(i / 250)}.${i % 250}:2380`).join(',');
  t.true(huge.length > 16 * 1024);
  const dir = scene({ "etc/etcd it's.service": UNIT.replace(INITIAL, huge) });
  t.is(parseMemberInfo(runScript(pathsIn(dir))).bootstrap, undefined);
  // Just under the limit is kept.
  const fits = huge.slice(0, 16 * 1024 - '--initial-cluster='.length);
  const ok = scene({ "etc/etcd it's.service": UNIT.replace(INITIAL, fits) });
  t.is(parseMemberInfo(runScript(pathsIn(ok))).bootstrap?.initialCluster, fits);
});

test('TLS files: all three present -> tlsReady; one missing -> not; none asked -> not', (t) => {
  const all = scene({ 'pki/ca.crt': 'c', 'pki/peer.crt': 'p', "pki/peer's.key": 'k' });
  t.true(parseMemberInfo(runScript(pathsIn(all))).tlsReady);
  const missingKey = scene({ 'pki/ca.crt': 'c', 'pki/peer.crt': 'p' });
  t.false(parseMemberInfo(runScript(pathsIn(missingKey))).tlsReady);
  t.false(parseMemberInfo(runScript(pathsIn(all, { tlsFiles: [] }))).tlsReady);
  // A directory with the key's name is not the key.
  const dirAsKey = scene({ 'pki/ca.crt': 'c', 'pki/peer.crt': 'p' }, ["pki/peer's.key"]);
  t.false(parseMemberInfo(runScript(pathsIn(dirAsKey))).tlsReady);
});

test('service state with the real systemctl and a unit that does not exist: inactive, or unknown where systemd does not run', (t) => {
  const state = parseMemberInfo(runScript(pathsIn(scene())));
  t.true(['inactive', 'unknown'].includes(state.serviceState), state.serviceState);
});

test('service state: the first line of `systemctl is-active -- UNIT`; no output -> unknown', (t) => {
  const active = fakeSystemctl('activating\\nsecond line\\n', 3);
  const state = parseMemberInfo(runScript(pathsIn(scene(), { unitName: '-etcd@x.service' }), active.bin));
  t.is(state.serviceState, 'activating');
  t.is(active.argv(), '<is-active><--><-etcd@x.service>', 'the unit name after --, one word');
  const silent = fakeSystemctl('', 1);
  t.is(parseMemberInfo(runScript(pathsIn(scene()), silent.bin)).serviceState, 'unknown');
});

test('the script exits 0 when the data dir, unit and manifest are missing', (t) => {
  const dir = scene({ "etc/etcd it's.service": UNIT });
  t.notThrows(() => runScript(pathsIn(dir, { unitFile: join(dir, 'nope/unit'), manifestFile: join(dir, 'nope/m.yaml'), dataDir: join(dir, 'nope') })));
});

// ---- the parser alone, on output a hostile or broken host could produce ----

test('parser: lines that look like markers inside flag values stay inside the value', (t) => {
  const out = [
    `${M} data no`,
    `${M} service active`,
    `${M} source /etc/systemd/system/etcd.service`,
    `${M} flag --initial-cluster=a=https://1.2.3.4:2380,${M}`,
    `${M} flag --initial-cluster-state=existing ${M} data yes ${M} manifest yes`,
  ].join('\n');
  const state = parseMemberInfo(out);
  t.false(state.hasData);
  t.false(state.manifestPresent);
  t.deepEqual(state.bootstrap, { initialCluster: `a=https://1.2.3.4:2380,${M}`, initialClusterState: `existing ${M} data yes ${M} manifest yes` });
});

test('parser: flags before any source, markers not at the line start, unknown keys: ignored', (t) => {
  const out = [
    `${M} flag --initial-cluster=early=https://6.6.6.6:2380`,
    `${M} flag --initial-cluster-state=new`,
    ` ${M} data yes`,
    `x${M} tls yes`,
    `${M}data yes`,
    `${M} bogus yes`,
    `${M} service `,
  ].join('\n');
  const state: LocalMemberState = parseMemberInfo(out);
  t.deepEqual(state, { hasData: false, serviceState: 'unknown', manifestPresent: false, tlsReady: false });
});

test('parser: the first value of a flag in a source wins; other flags are not taken for ours', (t) => {
  const out = [
    `${M} source u`,
    `${M} flag --initial-cluster-token=tok`,
    `${M} flag --initial-cluster=one=https://1.1.1.1:2380`,
    `${M} flag --initial-cluster=two=https://2.2.2.2:2380`,
    `${M} flag --initial-cluster-state=new`,
  ].join('\n');
  t.deepEqual(parseMemberInfo(out).bootstrap, { initialCluster: 'one=https://1.1.1.1:2380', initialClusterState: 'new' });
});

test('parser: a flag line over 16 KiB is dropped; 16 KiB exactly is kept', (t) => {
  const limit = 16 * 1024;
  const value = (n: number) => `--initial-cluster=${'x'.repeat(n - '--initial-cluster='.length)}`;
  const out = (flag: string) => [`${M} source u`, `${M} flag ${flag}`, `${M} flag --initial-cluster-state=new`].join('\n');
  t.is(parseMemberInfo(out(value(limit + 1))).bootstrap, undefined);
  t.is(parseMemberInfo(out(value(limit))).bootstrap?.initialCluster.length, limit - '--initial-cluster='.length);
});

test('parser: a source with only the cluster flag and another with only the state flag do not combine', (t) => {
  const out = [`${M} source u`, `${M} flag --initial-cluster=a=https://1.1.1.1:2380`, `${M} source m`, `${M} flag --initial-cluster-state=new`].join('\n');
  t.is(parseMemberInfo(out).bootstrap, undefined);
});

// ---- the module's round trip: the CA files read first, then this script, in one stdout ----

test('etcd-member-info on the controller: the CA files are read, and their text is not taken for facts', async (t) => {
  const dir = scene({ 'manifests/etcd "pod".yaml': manifest(INITIAL, 'new') }, ['data dir/member']);
  const ca = await createCa({ keySize: 2048, validityDays: 30 });
  mkdirSync(join(dir, 'pki/etcd'), { recursive: true });
  // Text after a PEM block is ignored by PEM readers, so this is still a valid CA certificate.
  const trailer = [`${M} data no`, `${M} manifest yes`, `${M} source x`, `${M} flag --initial-cluster=evil=https://6.6.6.6:2380`, `${M} flag --initial-cluster-state=existing`, `${M} tls yes`].join('\n');
  writeFileSync(join(dir, 'pki/etcd/ca.crt'), `${ca.certPem}\n${trailer}\n`);
  writeFileSync(join(dir, 'pki/etcd/ca.key'), ca.keyPem.reveal(), { mode: 0o600 });
  type Info = { ca: { present: boolean; key_present: boolean; error: string | null }; has_data: boolean; manifest_present: boolean; bootstrap: unknown };
  const gather = async (manifestFile: string) => {
    const params = { pki_dir: join(dir, 'pki'), data_dir: join(dir, 'data dir'), unit: 'quorum-nonexistent-etcd-xyz', manifest: manifestFile };
    const facts = await etcdMemberInfo.gather(localModuleContext(dir), params);
    return { facts, info: describeMemberInfo(facts) as Info };
  };

  // With the manifest: its flags, not the lines of ca.crt.
  const withManifest = await gather(join(dir, 'manifests/etcd "pod".yaml'));
  t.true(withManifest.info.ca.present);
  t.is(withManifest.info.ca.error, null);
  t.true(withManifest.info.ca.key_present, 'ca.key is the key of ca.crt');
  t.true(withManifest.info.has_data);
  t.true(withManifest.info.manifest_present);
  t.deepEqual(withManifest.info.bootstrap, { initial_cluster: INITIAL, initial_cluster_state: 'new' });

  // Without a manifest and without unit: no manifest, no flags, no TLS.
  const without = await gather(join(dir, 'nothing here.yaml'));
  t.true(without.info.ca.key_present);
  t.false(without.info.manifest_present, 'no manifest file at params.manifest');
  t.is(without.info.bootstrap, null, 'no flags anywhere: lines of ca.crt are not flags');
  t.false(without.facts.local.tlsReady, 'no peer.crt/peer.key');
});
