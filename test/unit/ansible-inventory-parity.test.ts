/**
 * quorum's inventory loader against ansible-core's: every case of
 * test/fixtures/inventories/ansible-parity (our own inventories, modelled on the layouts of
 * Kubespray, k3s-ansible, ansible-examples and kubeadm playbooks: INI and YAML, group_vars and
 * host_vars as files and directories, directory sources, several -i, comma lists) is loaded by
 * `ansible-inventory --list` (ansible-core pinned in scripts/install-peers.sh) and by quorum, and
 * the two JSON documents must be equal. Differences quorum keeps on purpose are in
 * docs/from-ansible.md and are not in this corpus.
 */
import test, { type ExecutionContext } from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadInventorySources } from '../../runner/inventory/load.js';
import { ansibleList } from '../../runner/inventory/ansible-list.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const corpus = join(root, 'test', 'fixtures', 'inventories', 'ansible-parity');
const cases = readdirSync(corpus).sort();

let ansibleInventory: string | undefined;
const home = mkdtempSync(join(tmpdir(), 'quorum-ansible-home-'));
// An empty ansible.cfg of ours: no user or system configuration changes what Ansible reads.
const config = join(home, 'ansible.cfg');
writeFileSync(config, '[defaults]\n');

test.before(() => {
  // Installs ansible-core once into /var/cache/quorum/peers (a no-op when present).
  const out = execFileSync('bash', [join(root, 'scripts', 'install-peers.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  ansibleInventory = out.trim().split('\n').pop();
});

test('the corpus has at least 12 inventories', (t) => {
  t.true(cases.length >= 12, `${cases.length} cases`);
});

for (const name of cases) {
  test(`ansible-inventory --list and quorum agree: ${name}`, (t) => {
    const dir = join(corpus, name);
    const sources = readFileSync(join(dir, 'sources.txt'), 'utf8').split('\n').filter((s) => s.trim() !== '');
    compare(t, dir, sources);
  });
}

test('ansible-inventory --list and quorum agree: the INI example of docs/from-ansible.md', (t) => {
  const doc = readFileSync(join(root, 'docs', 'from-ansible.md'), 'utf8');
  const ini = /```ini\n([\s\S]*?)```/.exec(doc)?.[1];
  t.truthy(ini, 'the page shows an INI inventory');
  const dir = mkdtempSync(join(tmpdir(), 'quorum-doc-ini-'));
  writeFileSync(join(dir, 'hosts.ini'), ini!);
  compare(t, dir, ['hosts.ini']);
});

function compare(t: ExecutionContext, dir: string, sources: string[]): void {
  {
    const ansibleJson = execFileSync(ansibleInventory!, [...sources.flatMap((s) => ['-i', s]), '--list'], {
      cwd: dir,
      encoding: 'utf8',
      // No user or system configuration, no writes to the real home; a source Ansible cannot parse fails the run.
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, ANSIBLE_CONFIG: config, ANSIBLE_INVENTORY_UNPARSED_FAILED: '1', ANSIBLE_NOCOLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const expected = JSON.parse(ansibleJson) as Record<string, unknown>;
    const cwd = process.cwd();
    process.chdir(dir);
    let actual: Record<string, unknown>;
    try {
      actual = JSON.parse(JSON.stringify(ansibleList(loadInventorySources(sources)))) as Record<string, unknown>;
    } finally {
      process.chdir(cwd);
    }
    t.true(Object.keys((expected._meta as { hostvars: object }).hostvars).length > 0, 'the case has hosts with variables');
    t.deepEqual(actual, expected);
  }
}
