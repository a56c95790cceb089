/**
 * The static-pod runtime of playbooks/etcd-ha.yaml writes exactly what the Kubernetes doc
 * writes by hand: the kubelet config and drop-in, and one kubeadm config per host. kubeadm and
 * kubelet cannot be installed here, so this plans (--check --diff) on the doc's three hosts
 * through the local connection and compares what would be written with the doc's text.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_DIR, runEngine } from '../helpers/quorum.js';

const fixtures = join(PROJECT_DIR, 'test/fixtures/etcd-ha');
const expected = (name: string) => readFileSync(join(fixtures, name), 'utf8');

/** The doc's heredoc (kept verbatim in the fixture), expanded the way its bash loop does. */
function docKubeadmConfig(i: number): string {
  const NAMES = ['infra0', 'infra1', 'infra2'];
  const HOSTS = ['10.0.0.6', '10.0.0.7', '10.0.0.8'];
  return expected('kubeadmcfg.heredoc')
    .replace(/\$\{NAMES\[(\d)\]\}/g, (_, n) => NAMES[Number(n)]!)
    .replace(/\$\{HOSTS\[(\d)\]\}/g, (_, n) => HOSTS[Number(n)]!)
    .replace(/\$\{NAME\}/g, NAMES[i]!)
    .replace(/\$\{HOST\}/g, HOSTS[i]!);
}

/** Plan with the given tags on the doc's three hosts; what each task would write. */
async function plan(tags: string[]) {
  const run = await runEngine({
    playbookFile: join(PROJECT_DIR, 'playbooks/etcd-ha.yaml'),
    inventoryFile: join(fixtures, 'inventory.doc-local.yaml'),
    check: true,
    tags,
  });
  const after = (task: string, host: string, label: RegExp) => run.results(task, host)[0]?.diffs.find((d) => label.test(d.label))?.after;
  return { run, after };
}

test('one kubeadm config per host, equal to the doc\'s', async (t) => {
  const { run, after } = await plan(['kubeadm-config']);
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().filter((r) => r.status === 'failed')));
  for (const [i, host] of ['infra0', 'infra1', 'infra2'].entries()) {
    t.is(after('kubeadm config for this member', host, /kubeadmcfg\.yaml$/), docKubeadmConfig(i), host);
  }
});

test('the kubelet config equals the doc\'s, on every host', async (t) => {
  const { run, after } = await plan(['kubelet-config']);
  // The config notifies `restart kubelet`; handlers run whatever the tags, and this controller
  // has no systemd to ask about kubelet: that handler is the only failure.
  t.deepEqual([...new Set(run.results().filter((r) => r.status === 'failed').map((r) => r.task))], ['restart kubelet']);
  for (const host of ['infra0', 'infra1', 'infra2']) t.is(after('kubelet config file', host, /kubelet\.conf$/), expected('kubelet.conf'), host);
});

test('the drop-in is the doc text, byte for byte', (t) => {
  const dropIn = readFileSync(join(PROJECT_DIR, 'playbooks/templates/etcd-ha/20-etcd-service-manager.conf'), 'utf8');
  t.is(dropIn, expected('20-etcd-service-manager.conf'));
});

test('hosts without a registry: the etcd image settings land in etcd.local of the kubeadm config', async (t) => {
  const run = await runEngine({
    playbookFile: join(PROJECT_DIR, 'playbooks/etcd-ha.yaml'),
    inventoryFile: join(fixtures, 'inventory.doc-local.yaml'),
    check: true,
    tags: ['kubeadm-config'],
    extraVars: { etcd_image_repository: 'quorum.local', etcd_image_tag: '3.6.5-0' },
  });
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().filter((r) => r.status === 'failed')));
  const text = run.results('kubeadm config for this member', 'infra0')[0]?.diffs.find((d) => /kubeadmcfg\.yaml$/.test(d.label))?.after ?? '';
  const expectedText = docKubeadmConfig(0).replace('etcd:\n    local:\n', 'etcd:\n    local:\n        imageRepository: "quorum.local"\n        imageTag: "3.6.5-0"\n');
  t.not(expectedText, docKubeadmConfig(0));
  t.is(text, expectedText);
});
