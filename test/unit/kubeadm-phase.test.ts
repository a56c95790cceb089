/**
 * kubeadm-phase: the command line, the artefact table, the idempotence decisions (real files
 * stat'ed through the real LocalConnection) and the "kubeadm missing" failure (kubeadm really is
 * absent on this controller, as on the lab hosts).
 */
import test from 'ava';
import { mkdtempSync, writeFileSync, mkdirSync, chmodSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalConnection } from '../../runner/connection/local.js';
import type { Fact, FactCache, ModuleContext } from '../../runner/types.js';
import { fileContent } from '../../runner/facts/file-content.js';
import { pathStateAsRoot, parsePathState } from '../../runner/facts/path-state.js';
import { isNewer, modifiedTime } from '../../runner/facts/modified-time.js';
import { kubeadmPhase, buildKubeadmArgv, listArtefacts, planKubeadmPhase, INSTALL_HINT, type KubeadmPhaseFacts } from '../../modules/kubeadm-phase.js';
import { validateAgainst } from '../../runner/validators/validate.js';
import { parseYamlText } from '../../runner/load/yaml.js';

const conn = new LocalConnection('controller');

/** The smallest FactCache: run the fact's command on the connection, memoised per key. */
function createCache(): FactCache {
  const memo = new Map<string, Promise<unknown>>();
  return {
    get<T, A>(fact: Fact<T, A>, args: A): Promise<T> {
      const key = `${fact.name}:${JSON.stringify(args)}`;
      if (!memo.has(key)) {
        memo.set(key, conn.exec(fact.command(args), { sudo: fact.sudo ?? false }).then((r) => fact.parse({ stdout: r.stdout.toString(), stderr: r.stderr.toString(), exitCode: r.exitCode }, args)));
      }
      return memo.get(key) as Promise<T>;
    },
    clear: () => memo.clear(),
  };
}

function context(): ModuleContext {
  return { host: 'controller', inventoryHost: 'controller', conn, become: false, facts: createCache(), vars: {}, checkMode: true, playbookDir: '.', render: (s) => s };
}

const sandbox = () => mkdtempSync(join(tmpdir(), 'quorum-kubeadm-'));

test('the command line is kubeadm init phase WORDS --config=FILE EXTRA...', (t) => {
  t.deepEqual(buildKubeadmArgv({ phase: 'etcd local', config: '/root/kubeadmcfg.yaml', extra_args: ['--v=5'] }), ['kubeadm', 'init', 'phase', 'etcd', 'local', '--config=/root/kubeadmcfg.yaml', '--v=5']);
  t.deepEqual(buildKubeadmArgv({ phase: 'certs etcd-server', config: '/c.yaml' }), ['kubeadm', 'init', 'phase', 'certs', 'etcd-server', '--config=/c.yaml']);
});

test('artefacts of the known phases follow kubeadm\'s file names (spec 1.1, 2.1)', (t) => {
  const pki = '/etc/kubernetes/pki';
  const k8s = '/etc/kubernetes';
  t.deepEqual(listArtefacts('etcd local', pki, k8s), ['/etc/kubernetes/manifests/etcd.yaml']);
  t.deepEqual(listArtefacts('certs etcd-ca', pki, k8s), [`${pki}/etcd/ca.crt`, `${pki}/etcd/ca.key`]);
  t.deepEqual(listArtefacts('certs etcd-server', pki, k8s), [`${pki}/etcd/server.crt`, `${pki}/etcd/server.key`]);
  t.deepEqual(listArtefacts('certs etcd-peer', pki, k8s), [`${pki}/etcd/peer.crt`, `${pki}/etcd/peer.key`]);
  t.deepEqual(listArtefacts('certs etcd-healthcheck-client', pki, k8s), [`${pki}/etcd/healthcheck-client.crt`, `${pki}/etcd/healthcheck-client.key`]);
  t.deepEqual(listArtefacts('certs apiserver-etcd-client', pki, k8s), [`${pki}/apiserver-etcd-client.crt`, `${pki}/apiserver-etcd-client.key`]);
  t.deepEqual(listArtefacts('certs sa', '/p', k8s), ['/p/sa.key', '/p/sa.pub']);
  t.deepEqual(listArtefacts('kubeconfig admin', pki, '/k'), ['/k/admin.conf']);
  t.deepEqual(listArtefacts('control-plane apiserver', pki, k8s), ['/etc/kubernetes/manifests/kube-apiserver.yaml']);
  t.is(listArtefacts('upload-config kubeadm', pki, k8s), undefined);
  t.is(listArtefacts('certs etcd', pki, k8s), undefined);
});

test('an unknown phase without creates is refused by the schema, with the place', (t) => {
  const text = 'phase: upload-config kubeadm\nconfig: /c.yaml\n';
  const problems = validateAgainst(kubeadmPhase.schema, { phase: 'upload-config kubeadm', config: '/c.yaml' }, parseYamlText('task.yaml', text), '');
  t.is(problems.length > 0, true);
  t.true(problems.some((p) => /creates/.test(p.message)), JSON.stringify(problems));
  t.deepEqual(validateAgainst(kubeadmPhase.schema, { phase: 'upload-config kubeadm', config: '/c.yaml', creates: ['/x'] }, parseYamlText('task.yaml', text), ''), []);
  t.true(validateAgainst(kubeadmPhase.schema, { phase: 'etcd  local', config: '/c.yaml' }, parseYamlText('task.yaml', text), '').length > 0, 'double space');
});

test('path-state (as root) reads real files: absent, regular file with mode and sha256, directory; file-content', async (t) => {
  const dir = sandbox();
  const file = join(dir, 'a b.txt');
  writeFileSync(file, 'hello\n');
  chmodSync(file, 0o640);
  const cache = createCache();
  t.deepEqual(await cache.get(pathStateAsRoot, { path: join(dir, 'missing') }), { path: join(dir, 'missing'), type: 'absent', parentExists: true });
  const state = await cache.get(pathStateAsRoot, { path: file });
  t.deepEqual(
    { ...state, owner: 'x', group: 'x' },
    { path: file, type: 'file', parentExists: true, mode: '0640', owner: 'x', group: 'x', uid: 0, gid: 0, size: 6, sha256: '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03' },
  );
  t.is(state.owner, 'root');
  t.like(await cache.get(pathStateAsRoot, { path: dir }), { type: 'directory', mode: '0700' });
  t.like(await cache.get(pathStateAsRoot, { path: join(dir, 'no/such/file') }), { type: 'absent', parentExists: false });
  t.deepEqual(await cache.get(fileContent, file), { path: file, content: 'hello\n' });
  t.deepEqual(await cache.get(fileContent, join(dir, 'missing')), { path: join(dir, 'missing') });
  t.throws(() => parsePathState('garbage\n', '/x'), { message: /unexpected path-state output for \/x/ });
});

test('gather on a host without kubeadm: the task fails saying so and how to install it', async (t) => {
  const dir = sandbox();
  const params = { phase: 'etcd local', config: join(dir, 'kubeadmcfg.yaml'), kubernetes_dir: dir };
  const facts = await kubeadmPhase.gather(context(), params);
  t.is(facts.kubeadm, undefined, 'kubeadm is really absent on this machine');
  const plan = kubeadmPhase.plan(params, facts, { host: 'controller', inventoryHost: 'controller', checkMode: true });
  t.is(plan.failed, `kubeadm not found on controller (\`command -v kubeadm\` failed): ${INSTALL_HINT}`);
  t.regex(INSTALL_HINT, /pkgs\.k8s\.io.*apt-get install -y kubeadm kubelet kubectl/);
  t.deepEqual(plan.changes, []);
});

/** Real gather on real files, with kubeadm declared present (it cannot be installed here). */
async function gatherWithKubeadm(params: Parameters<typeof planKubeadmPhase>[0]): Promise<KubeadmPhaseFacts> {
  return { ...(await kubeadmPhase.gather(context(), params)), kubeadm: '/usr/bin/kubeadm' };
}

test('idempotence: runs while an artefact is missing, not once all exist', async (t) => {
  const dir = sandbox();
  mkdirSync(join(dir, 'etcd'));
  const config = join(dir, 'kubeadmcfg.yaml');
  writeFileSync(config, 'kind: InitConfiguration\n');
  const params = { phase: 'certs etcd-server', config, cert_dir: dir };
  writeFileSync(join(dir, 'etcd/server.crt'), 'CERT');
  const partial = planKubeadmPhase(params, await gatherWithKubeadm(params), 'h1');
  t.deepEqual(partial.changes.map((c) => c.describe), [`kubeadm init phase certs etcd-server --config=${config} (missing ${dir}/etcd/server.key)`]);
  t.deepEqual(partial.changes[0]!.kind === 'exec' ? partial.changes[0]!.command : [], ['kubeadm', 'init', 'phase', 'certs', 'etcd-server', `--config=${config}`]);
  t.deepEqual(partial.diffs, [
    { label: `${dir}/etcd/server.crt`, before: 'present\n', after: 'written by kubeadm (or kept, if kubeadm reuses it)\n' },
    { label: `${dir}/etcd/server.key`, before: 'absent\n', after: 'written by kubeadm (or kept, if kubeadm reuses it)\n' },
  ]);
  t.is(partial.msg, undefined);
  writeFileSync(join(dir, 'etcd/server.key'), 'KEY');
  const done = planKubeadmPhase(params, await gatherWithKubeadm(params), 'h1');
  t.deepEqual(done.changes, []);
  t.is(done.noop, `phase certs etcd-server already done: ${dir}/etcd/server.crt, ${dir}/etcd/server.key exist`);
  t.deepEqual(done.result, { cmd: ['kubeadm', 'init', 'phase', 'certs', 'etcd-server', `--config=${config}`], artefacts: [{ path: `${dir}/etcd/server.crt`, existed: true }, { path: `${dir}/etcd/server.key`, existed: true }] });
});

test('force on an existing manifest reruns; the diff shows the manifest before', async (t) => {
  const dir = sandbox();
  mkdirSync(join(dir, 'manifests'));
  writeFileSync(join(dir, 'manifests/etcd.yaml'), 'apiVersion: v1\nkind: Pod\n');
  const params = { phase: 'etcd local', config: join(dir, 'absent.yaml'), kubernetes_dir: dir, force: true };
  const plan = planKubeadmPhase(params, await gatherWithKubeadm(params), 'h1');
  t.deepEqual(plan.changes.map((c) => c.describe), [`kubeadm init phase etcd local --config=${dir}/absent.yaml (force)`]);
  t.deepEqual(plan.diffs, [{ label: `${dir}/manifests/etcd.yaml`, before: 'apiVersion: v1\nkind: Pod\n', after: '(produced by kubeadm at apply time; not rendered by quorum)\n' }]);
  t.is(plan.msg, `${dir}/absent.yaml does not exist on h1 yet: kubeadm will fail unless an earlier task writes it`);
  const unforced = planKubeadmPhase({ ...params, force: false }, await gatherWithKubeadm({ ...params, force: false }), 'h1');
  t.deepEqual(unforced.changes, []);
});

test('creates overrides the table, and is what an unknown phase is judged by', async (t) => {
  const dir = sandbox();
  const params = { phase: 'upload-config kubeadm', config: '/c.yaml', creates: [join(dir, 'marker')] };
  t.is(planKubeadmPhase(params, await gatherWithKubeadm(params), 'h1').changes.length, 1);
  writeFileSync(join(dir, 'marker'), '');
  t.deepEqual(planKubeadmPhase(params, await gatherWithKubeadm(params), 'h1').changes, []);
  const refused = planKubeadmPhase({ phase: 'upload-config kubeadm', config: '/c.yaml' }, { config: { path: '/c.yaml', type: 'file', parentExists: true }, artefacts: [], kubeadm: '/usr/bin/kubeadm' }, 'h1');
  t.regex(refused.failed ?? '', /not one whose files quorum knows: add `creates:`/);
});

/** Set a file's modification time (seconds since the epoch, fractions allowed). */
function touch(path: string, seconds: number): void {
  utimesSync(path, seconds, seconds);
}

test('a manifest phase runs again when the config was modified after the manifest (kubeadm rewrites it each time); not otherwise', async (t) => {
  const dir = sandbox();
  mkdirSync(join(dir, 'manifests'));
  const config = join(dir, 'kubeadmcfg.yaml');
  const manifest = join(dir, 'manifests/etcd.yaml');
  writeFileSync(config, 'kind: ClusterConfiguration\n');
  writeFileSync(manifest, 'apiVersion: v1\nkind: Pod\nspec: {}\n');
  const params = { phase: 'etcd local', config, kubernetes_dir: dir };
  const base = 1_800_000_000;

  // The usual re-run: the manifest was written from this config, after it.
  touch(config, base);
  touch(manifest, base + 1);
  const unchanged = planKubeadmPhase(params, await gatherWithKubeadm(params), 'h1');
  t.deepEqual(unchanged.changes, []);
  t.is(unchanged.noop, `phase etcd local already done: ${manifest} exist (${config} unchanged since)`);
  t.is(unchanged.diffs, undefined);

  // The config changed afterwards (a new SAN, a new member): the manifest is stale.
  touch(config, base + 2);
  const stale = planKubeadmPhase(params, await gatherWithKubeadm(params), 'h1');
  t.deepEqual(stale.changes.map((c) => c.describe), [`kubeadm init phase etcd local --config=${config} (${config} changed after ${manifest} was written)`]);
  t.deepEqual(stale.changes[0]!.kind === 'exec' ? stale.changes[0]!.command : [], ['kubeadm', 'init', 'phase', 'etcd', 'local', `--config=${config}`]);
  t.deepEqual(stale.diffs, [{ label: manifest, before: 'apiVersion: v1\nkind: Pod\nspec: {}\n', after: '(produced by kubeadm at apply time; not rendered by quorum)\n' }]);

  // Nanoseconds count: 0.5 s later is later; the same instant is not.
  touch(config, base + 1.5);
  t.is(planKubeadmPhase(params, await gatherWithKubeadm(params), 'h1').changes.length, 1);
  touch(config, base + 1);
  t.deepEqual(planKubeadmPhase(params, await gatherWithKubeadm(params), 'h1').changes, []);

  // After kubeadm rewrote the manifest (simulated: its mtime moves past the config's): no-op again.
  touch(config, base + 2);
  touch(manifest, base + 3);
  t.deepEqual(planKubeadmPhase(params, await gatherWithKubeadm(params), 'h1').changes, []);

  // Certificates are not rewritten by kubeadm (it reuses any that chain to the CA): no mtime rule.
  mkdirSync(join(dir, 'etcd'));
  for (const f of ['etcd/server.crt', 'etcd/server.key']) {
    writeFileSync(join(dir, f), 'x');
    touch(join(dir, f), base);
  }
  const certParams = { phase: 'certs etcd-server', config, cert_dir: dir };
  t.deepEqual(planKubeadmPhase(certParams, await gatherWithKubeadm(certParams), 'h1').changes, []);
});

test('modified-time: GNU stat\'s UTC text, absent file, and comparison across fraction widths', async (t) => {
  const dir = sandbox();
  const file = join(dir, 'f');
  writeFileSync(file, '');
  utimesSync(file, 1_800_000_000.25, 1_800_000_000.25);
  const cache = createCache();
  t.deepEqual(await cache.get(modifiedTime, file), { path: file, mtime: '2027-01-15 08:00:00.250000000 +0000' });
  t.deepEqual(await cache.get(modifiedTime, join(dir, 'missing')), { path: join(dir, 'missing') });
  t.true(isNewer('2027-01-15 08:00:00.250000000 +0000', '2027-01-15 08:00:00 +0000'));
  t.false(isNewer('2027-01-15 08:00:00 +0000', '2027-01-15 08:00:00.000000000 +0000'));
  t.true(isNewer('2027-01-15 08:00:01 +0000', '2027-01-15 08:00:00.999999999 +0000'));
  t.throws(() => modifiedTime.parse({ stdout: 'yesterday\n', stderr: '', exitCode: 0 }, '/x'), { message: /unexpected modification time of \/x/ });
});
