/**
 * kubeadm's node-name rule (GetHostname lowercases; ValidateNodeRegistrationOptions requires
 * IsDNS1123Subdomain), applied three ways: the pure check against kubeadm's values, the check
 * before any host is touched (prepareRun: exit 5 at the line the name comes from), and the
 * certs plan at run time (refusal, and the lowercased CN kubeadm would write).
 */
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkNodeName, normalizeNodeName, suggestNodeName } from '../../runner/pki/node-name.js';
import { prepareRun } from '../../runner/engine/engine.js';
import { ConfigError } from '../../runner/errors.js';
import { certs, type CertsFacts } from '../../modules/certs.js';
import { runCli, PROJECT_DIR } from '../helpers/quorum.js';

const work = mkdtempSync(join(tmpdir(), 'quorum-node-name-'));
test.after.always(() => rmSync(work, { recursive: true, force: true }));
const FLAGSHIP = join(PROJECT_DIR, 'playbooks/etcd-ha.yaml');

test('kubeadm accepts what IsDNS1123Subdomain accepts, after lowercasing (GetHostname)', (t) => {
  // Valid as written or once lowercased, as kubeadm's validation sees them.
  for (const [raw, used] of [['infra0', 'infra0'], ['Etcd-1', 'etcd-1'], ['ETCD1.Example.COM', 'etcd1.example.com'], [' infra0 ', 'infra0'], ['0', '0'], ['a'.repeat(63) + '.' + 'b'.repeat(63), 'a'.repeat(63) + '.' + 'b'.repeat(63)], ['x'.repeat(253), 'x'.repeat(253)]] as const) {
    t.deepEqual(checkNodeName(raw), { ok: true, name: used }, raw);
  }
  // Labels longer than 63 are allowed by IsDNS1123Subdomain (only the total is limited).
  t.true(checkNodeName('a'.repeat(100)).ok);
  t.is(normalizeNodeName('  Infra0 '), 'infra0');
});

test('kubeadm refuses these names; the suggestion is a name it accepts', (t) => {
  const cases: Array<[string, string | undefined]> = [
    ['etcd_1', 'etcd-1'],
    ['etcd 3', 'etcd-3'],
    ['-etcd', 'etcd'],
    ['etcd-', 'etcd'],
    ['etcd..one', 'etcd.one'],
    ['.etcd', 'etcd'],
    ['etcd.', 'etcd'],
    ['Node_A.Example.com', 'node-a.example.com'],
    ['x'.repeat(254), 'x'.repeat(253)],
    ['', undefined],
    ['___', undefined],
  ];
  for (const [raw, suggestion] of cases) {
    const check = checkNodeName(raw);
    t.false(check.ok, raw);
    if (check.ok) continue;
    t.is(check.suggestion, suggestion, raw);
    t.regex(check.problem, /DNS-1123 subdomain/);
    if (suggestion) {
      t.true(check.problem.endsWith(`use '${suggestion}'`), check.problem);
      t.true(checkNodeName(suggestion).ok, `suggestion ${suggestion} is valid`);
    }
  }
  t.is(suggestNodeName('a_b_c'), 'a-b-c');
});

function writeInventory(name: string, text: string): string {
  const file = join(work, name);
  writeFileSync(file, text);
  return file;
}

/** The ConfigError `fn` throws (prepareRun lists every input problem in one). */
function problemsOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

test('an inventory host named etcd_1 is refused before any host is touched, at its inventory entry', (t) => {
  const inventory = writeInventory('underscore.yaml', ['all:', '  children:', '    etcd:', '      hosts:', '        etcd_1:', '          ansible_host: 10.0.0.1', '        Etcd2:', '          ansible_host: 10.0.0.2', ''].join('\n'));
  const err = problemsOf(() => prepareRun({ playbookFile: FLAGSHIP, inventoryFile: inventory, extraVars: { etcd_runtime: 'systemd' } }));
  t.is(err.problems.length, 1, err.message);
  const p = err.problems[0]!;
  t.deepEqual(p.location, { file: inventory, line: 5, col: 9 });
  t.is(p.pointer, '/all/children/etcd/hosts/etcd_1');
  t.regex(p.message, /^certs node_name for host etcd_1 via etcd_name -> inventory_hostname: node name 'etcd_1' is refused: kubeadm lowercases the node name and requires a DNS-1123 subdomain/);
  t.regex(p.message, /use 'etcd-1'/);
  t.regex(p.message, /set etcd_name: etcd-1 for it/);
});

test('an etcd_name set in the inventory is reported at that variable; one given with -e at the task, once for all hosts', (t) => {
  const inventory = writeInventory('etcd-name.yaml', ['all:', '  vars:', '    etcd_runtime: systemd', '  children:', '    etcd:', '      hosts:', '        infra0:', '          ansible_host: 10.0.0.1', '          etcd_name: "etcd 0"', '        infra1:', '          ansible_host: 10.0.0.2', ''].join('\n'));
  const err = problemsOf(() => prepareRun({ playbookFile: FLAGSHIP, inventoryFile: inventory, extraVars: {} }));
  t.is(err.problems.length, 1, err.message);
  t.deepEqual(err.problems[0]!.location, { file: inventory, line: 9, col: 22 });
  t.is(err.problems[0]!.pointer, '/all/children/etcd/hosts/infra0/etcd_name');
  t.regex(err.problems[0]!.message, /for host infra0 via etcd_name: node name 'etcd 0' is refused.*use 'etcd-0'$/);

  const fine = writeInventory('fine.yaml', ['all:', '  children:', '    etcd:', '      hosts:', '        infra0: { ansible_host: 10.0.0.1 }', '        infra1: { ansible_host: 10.0.0.2 }', ''].join('\n'));
  const fromExtra = problemsOf(() => prepareRun({ playbookFile: FLAGSHIP, inventoryFile: fine, extraVars: { etcd_name: 'Foo_bar' } }));
  t.is(fromExtra.problems.length, 1, fromExtra.message);
  t.is(fromExtra.problems[0]!.location?.file, FLAGSHIP);
  t.regex(fromExtra.problems[0]!.pointer, /^\/0\/tasks\/\d+\/certs\/node_name$/);
  t.regex(fromExtra.problems[0]!.message, /^certs node_name for hosts infra0, infra1 via -e etcd_name: node name 'Foo_bar' is refused.*use 'foo-bar'$/);

  // Upper case alone is fine: kubeadm lowercases it.
  t.notThrows(() => prepareRun({ playbookFile: FLAGSHIP, inventoryFile: fine, extraVars: { etcd_name: 'Infra-X' } }));
});

test('a name that needs facts is left to the plan; a host the task skips is not checked', (t) => {
  const playbook = join(work, 'facts.yaml');
  writeFileSync(playbook, [
    '- hosts: all',
    '  gather_facts: false',
    '  tasks:',
    '    - certs: { node_name: "{{ facts.hostname }}", advertise_address: 10.0.0.1 }',
    '    - when: inventory_hostname != "bad_host"',
    '      certs: { advertise_address: 10.0.0.1 }',
    '',
  ].join('\n'));
  const inventory = writeInventory('skip.yaml', ['all:', '  hosts:', '    good-host: {}', '    bad_host: {}', ''].join('\n'));
  t.notThrows(() => prepareRun({ playbookFile: playbook, inventoryFile: inventory, extraVars: {} }));
  // run_once runs on the first host only: the second host's name never reaches a certificate.
  const once = join(work, 'once.yaml');
  writeFileSync(once, ['- hosts: all', '  gather_facts: false', '  tasks:', '    - run_once: true', '      certs: { advertise_address: 10.0.0.1 }', ''].join('\n'));
  t.notThrows(() => prepareRun({ playbookFile: once, inventoryFile: inventory, extraVars: {} }));
  // The same task on a host it runs on is checked.
  writeFileSync(playbook, readFileSync(playbook, 'utf8').replace('"bad_host"', '"other"'));
  t.regex(problemsOf(() => prepareRun({ playbookFile: playbook, inventoryFile: inventory, extraVars: {} })).message, /node name 'bad_host' is refused/);
});

test('quorum run --syntax-check exits 5 and names the inventory line', async (t) => {
  const inventory = writeInventory('cli.yaml', ['all:', '  children:', '    etcd:', '      hosts:', '        etcd_1:', '          ansible_host: 10.0.0.1', ''].join('\n'));
  const r = await runCli(['run', FLAGSHIP, '-i', inventory, '--syntax-check']);
  t.is(r.code, 5, r.stderr + r.stdout);
  t.true((r.stderr + r.stdout).includes(`${inventory}:5:9`), r.stderr + r.stdout);
  t.regex(r.stderr + r.stdout, /use 'etcd-1'/);
});

const facts: CertsFacts = { now: Date.now(), ca: { dir: join(work, 'ca') }, files: {}, dirs: [] };

test('certs plan refuses such a name at run time and lowercases the CN as kubeadm does', (t) => {
  const refused = certs.plan({ node_name: 'etcd_1', advertise_address: '10.0.0.1' }, facts, { host: 'h', inventoryHost: 'h', checkMode: true });
  t.deepEqual(refused.changes, []);
  t.regex(refused.failed ?? '', /node name 'etcd_1' is refused.*use 'etcd-1'/);
  const defaulted = certs.plan({ advertise_address: '10.0.0.1' }, facts, { host: 'etcd_1', inventoryHost: 'etcd_1', checkMode: true });
  t.regex(defaulted.failed ?? '', /node_name defaults to the inventory host name etcd_1/);
  // Client certificates alone do not carry the node name: no reason to refuse.
  const clients = certs.plan({ profiles: ['apiserver-etcd-client'] }, facts, { host: 'etcd_1', inventoryHost: 'etcd_1', checkMode: true });
  t.is(clients.failed, undefined);

  const upper = certs.plan({ node_name: 'Infra0', advertise_address: '10.0.0.1', profiles: ['etcd-server'] }, facts, { host: 'h', inventoryHost: 'h', checkMode: true });
  t.is(upper.failed, undefined);
  const server = (upper.result?.certs as Record<string, { sans: string[] }>)['etcd-server'];
  t.true(JSON.stringify(server).includes('DNS:infra0'), JSON.stringify(server));
  t.false(JSON.stringify(upper).includes('Infra0'));
});
