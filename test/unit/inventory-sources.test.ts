/**
 * Inventory sources beyond the happy path ansible-inventory-parity.test.ts compares: what quorum
 * refuses (exit 5, file:line:col, before any host) where Ansible would go on with no hosts, what
 * it names in a warning where Ansible drops in silence, vault values, the implicit localhost,
 * and the `quorum inventory` and `quorum run -i` command lines.
 */
import test from 'ava';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError } from '../../runner/errors.js';
import { loadInventorySources } from '../../runner/inventory/load.js';
import { selectHosts } from '../../runner/inventory/patterns.js';
import { iniValue } from '../../runner/inventory/python-literal.js';
import { shlexSplit } from '../../runner/inventory/shlex-split.js';
import { parseHostEntry } from '../../runner/inventory/host-pattern.js';
import { PROJECT_DIR as PROJECT, runCli } from '../helpers/quorum.js';

/** A directory with these files (paths relative to it). */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-inv-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

function problems(sources: string[]): string[] {
  try {
    loadInventorySources(sources);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems.map((p) => `${p.location ? `${p.location.line}:${p.location.col}` : '-'} ${p.message}`);
  }
  throw new Error('expected a ConfigError');
}

test('INI: what Ansible cannot parse is an error at file:line:col, all of them at once (Ansible: a warning and 0 hosts)', (t) => {
  const dir = tree({
    'hosts.ini': [
      '[web]',
      'web1 ; a semicolon comment is not one on a host line',
      '  web2 note="unclosed',
      '[web:child]',
      'x',
      '[bad group]',
      '[db:vars]',
      'no_equals_sign',
      '[k8s:children]',
      'missing_group',
      '[orphan:vars]',
      'a=1',
      '[k8s]',
      'host:',
    ].join('\n'),
  });
  t.deepEqual(problems([join(dir, 'hosts.ini')]), [
    "2:6 expected key=value after the host name, got ';' (quote a value that holds spaces: key=\"a b\")",
    '3:3 cannot read the host line: a quote is not closed',
    "4:1 section [web:child] has an unknown type 'child': write [web], [web:vars] or [web:children]",
    "6:1 invalid section '[bad group]': write [group], [group:vars] or [group:children], with no spaces",
    '7:1 section [db:vars] is for a group that is not defined: add a [db] or [db:children] section (it may be empty)',
    "8:1 expected key=value in [db:vars], got 'no_equals_sign'",
    "10:1 [k8s:children] names group 'missing_group', which is not defined: add a [missing_group] section (it may be empty)",
    '11:1 section [orphan:vars] is for a group that is not defined: add a [orphan] or [orphan:children] section (it may be empty)',
    "14:1 host 'host:' ends with ':': a ':' after a host name introduces its port, e.g. host:22",
  ]);
});

test('INI: a [group:children] cycle and a bad range are errors', (t) => {
  const dir = tree({ 'hosts': '[a:children]\nb\n[b:children]\na\n[c]\nweb[3:1]\n' });
  t.deepEqual(problems([join(dir, 'hosts')]), [
    "4:1 group 'a' is its own ancestor (a -> b -> a): remove one of these children entries",
    "6:1 host range in 'web[3:1]' must have its start before its end",
  ]);
});

test('sources that do not exist, inventory scripts, plugin configs and TOML are refused by name', (t) => {
  const dir = tree({ 'script.py': '#!/usr/bin/env python3\nprint("{}")\n', 'aws_ec2.yml': 'plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\n', 'hosts.toml': '[all]\n' });
  chmodSync(join(dir, 'script.py'), 0o755);
  const found = problems([join(dir, 'nope.ini'), join(dir, 'script.py'), join(dir, 'aws_ec2.yml'), join(dir, 'hosts.toml')]);
  t.is(found.length, 4);
  t.regex(found.join('\n'), /--inventory' .*nope\.ini: no such inventory file or directory/);
  t.regex(found.join('\n'), /quorum does not run inventory scripts/);
  t.regex(found.join('\n'), /inventory plugin 'amazon\.aws\.aws_ec2'/);
  t.regex(found.join('\n'), /TOML inventories are not read/);
});

test('!vault values and vault-encrypted files are refused before any host, never loaded as ciphertext', (t) => {
  const vault = '$ANSIBLE_VAULT;1.1;AES256\n6231343739\n';
  const dir = tree({
    'hosts.yml': 'all:\n  hosts:\n    h1:\n      db_password: !vault |\n        $ANSIBLE_VAULT;1.1;AES256\n        3263386139\n',
    'group_vars/all/vault.yml': vault,
    'group_vars/all/plain.yml': 'api_token: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6161\n',
  });
  const found = problems([join(dir, 'hosts.yml')]);
  t.is(found.length, 1, 'the inventory file is refused first');
  t.regex(found[0]!, /^4:7 'db_password' is encrypted with ansible-vault \(!vault\)/);
  const dir2 = tree({ 'hosts.yml': 'all:\n  hosts:\n    h1:\n', 'group_vars/all/vault.yml': vault, 'group_vars/all/plain.yml': 'api_token: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6161\n' });
  const found2 = problems([join(dir2, 'hosts.yml')]);
  t.is(found2.length, 2);
  t.regex(found2.join('\n'), /1:1 'api_token' is encrypted with ansible-vault/);
  t.regex(found2.join('\n'), /1:1 this file is encrypted with ansible-vault/);
  t.notRegex(found2.join('\n'), /6161|6231/, 'no ciphertext in the message');
});

test('group_vars/host_vars entries that are not used are named in warnings', (t) => {
  const dir = tree({
    'hosts.ini': '[etcd]\ninfra0\n',
    'group_vars/etcd.yml': 'a: 1\n',
    'group_vars/etcd.yaml': 'a: 2\n',
    'group_vars/kube_node.yml': 'b: 1\n',
    'group_vars/all.yml.example': 'c: 1\n',
    'host_vars/infra9.yml': 'd: 1\n',
    'host_vars/.hidden.yml': 'e: 1\n',
  });
  const inv = loadInventorySources([join(dir, 'hosts.ini')]);
  t.is(inv.hosts.get('infra0')!.vars.a, 1, 'NAME.yml comes before NAME.yaml, as in Ansible');
  const warnings = (inv.warnings ?? []).map((w) => w.replaceAll(dir, 'DIR'));
  t.deepEqual(warnings, [
    'DIR/group_vars/all.yml.example is not read: only files ending in .yml, .yaml, .json or with no extension are (as in Ansible)',
    "DIR/group_vars/etcd.yaml is not read: DIR/group_vars/etcd.yml comes first for group 'etcd' (Ansible reads only the first of NAME, NAME.yml, NAME.yaml, NAME.json)",
    "DIR/group_vars/kube_node.yml is not read: the inventory has no group 'kube_node'",
    "DIR/host_vars/infra9.yml is not read: the inventory has no host 'infra9'",
  ]);
});

test('group_vars beside the playbook: above the inventory\'s for the same group, below host variables', (t) => {
  const dir = tree({
    'inventory/hosts.ini': '[etcd]\ninfra0 own=host\ninfra1\n',
    'inventory/group_vars/etcd.yml': 'level: inventory-etcd\nown: group\n',
    'inventory/group_vars/all.yml': 'all_level: inventory\n',
    'playbooks/group_vars/all.yml': 'all_level: playbook\n',
    'playbooks/group_vars/etcd.yml': 'level: playbook-etcd\nown: playbook-group\n',
    'playbooks/host_vars/infra1.yml': 'level: playbook-host\n',
  });
  const inv = loadInventorySources([join(dir, 'inventory/hosts.ini')], { playbookDir: join(dir, 'playbooks') });
  const v = (h: string) => inv.hosts.get(h)!.vars;
  t.is(v('infra0').level, 'playbook-etcd');
  t.is(v('infra0').all_level, 'playbook');
  t.is(v('infra0').own, 'host', 'inventory host vars beat every group_vars');
  t.is(v('infra1').level, 'playbook-host');
  t.deepEqual(inv.hosts.get('infra0')!.origins!.level, { file: join(dir, 'playbooks/group_vars/etcd.yml'), line: 1, col: 8 });
});

test('a one-file inventory of thousands of hosts loads (over the 128 KiB of other YAML files), each host located at its own lines', (t) => {
  const hosts = Array.from({ length: 3_000 }, (_, i) => `    node${i}:\n      ansible_host: 10.1.${i >> 8}.${i & 255}\n      zone: z${i % 3}\n`);
  const dir = tree({ 'hosts.yaml': `all:\n  hosts:\n${hosts.join('')}` });
  t.true(hosts.join('').length > 128 * 1024);
  const inv = loadInventorySources([join(dir, 'hosts.yaml')]);
  t.is(inv.hosts.size, 3_000);
  // Host i starts on line 3 + 3 i; its variables sit on the two lines below, after "key: ".
  t.deepEqual(inv.hosts.get('node2999')!.origins!.zone, { file: join(dir, 'hosts.yaml'), line: 3 + 3 * 2999 + 2, col: 13 });
  t.deepEqual(inv.hosts.get('node0')!.origins!.ansible_host, { file: join(dir, 'hosts.yaml'), line: 4, col: 21 });
});

test('implicit localhost: only its own name selects it, with the variables of all', (t) => {
  const dir = tree({ 'hosts.ini': '[web]\nweb1\n[all:vars]\nntp=pool.example.org\n' });
  const inv = loadInventorySources([join(dir, 'hosts.ini')]);
  t.deepEqual(selectHosts(inv, 'all'), ['web1']);
  t.deepEqual(selectHosts(inv, '*'), ['web1']);
  t.deepEqual(selectHosts(inv, 'localhost'), ['localhost']);
  t.deepEqual(selectHosts(inv, 'web:localhost'), ['web1', 'localhost']);
  t.deepEqual(inv.implicitLocalhost!.vars, { ntp: 'pool.example.org', ansible_connection: 'local' });
  const defined = loadInventorySources([`localhost,web1,`]);
  t.is(defined.implicitLocalhost, undefined, 'an inventory that lists localhost has no implicit one');
});

test("Python's literal_eval as Ansible applies it to INI values", (t) => {
  t.is(iniValue('22'), 22);
  t.is(iniValue('007'), '007');
  t.is(iniValue('0x1f'), 31);
  t.is(iniValue('1_000'), 1000);
  t.is(iniValue('-3'), -3);
  t.is(iniValue('1.5e2'), 150);
  t.is(iniValue('True'), true);
  t.is(iniValue('true'), 'true');
  t.is(iniValue('None'), null);
  t.is(iniValue("'a b'"), 'a b');
  t.is(iniValue('"x" # comment'), 'x');
  t.is(iniValue('v1.28 # comment'), 'v1.28 # comment');
  t.is(iniValue("r'\\d+'"), '\\d+');
  t.is(iniValue("'tab\\there'"), 'tab\there');
  t.deepEqual(iniValue("[1, 'a', (2, 3)]"), [1, 'a', [2, 3]]);
  t.deepEqual(iniValue("{'a': {'b': [None]}, 1: 2}"), { a: { b: [null] }, 1: 2 });
  t.is(iniValue('{{ x }}'), '{{ x }}');
  t.is(iniValue('a,b'), 'a,b');
  t.is(iniValue('1+2'), '1+2');
});

test("Python's shlex.split(comments=True) as Ansible cuts a host line", (t) => {
  const texts = (line: string) => {
    const r = shlexSplit(line);
    return 'error' in r ? r.error : r.map((tok) => tok.text);
  };
  t.deepEqual(texts('h a=1 b="x y" c=\'q\''), ['h', 'a=1', 'b=x y', 'c=q']);
  t.deepEqual(texts('h pass=abc#def # note'), ['h', 'pass=abc']);
  t.deepEqual(texts('h a="say \\"hi\\"" b=x\\ y'), ['h', 'a=say "hi"', 'b=x y']);
  t.deepEqual(texts('h empty=""'), ['h', 'empty=']);
  t.is(texts('h a="open'), 'No closing quotation');
});

test('host entries: ports, ranges, IPv6 in brackets', (t) => {
  t.deepEqual(parseHostEntry('db1:5309'), { names: ['db1'], port: 5309 });
  t.deepEqual(parseHostEntry('[2001:db8::1]:22'), { names: ['2001:db8::1'], port: 22 });
  t.deepEqual(parseHostEntry('mail[:2].example.org'), { names: ['mail0.example.org', 'mail1.example.org', 'mail2.example.org'] });
  t.deepEqual(parseHostEntry('n[01:10:4]-[a:b]'), { names: ['n01-a', 'n01-b', 'n05-a', 'n05-b', 'n09-a', 'n09-b'] });
  t.deepEqual(parseHostEntry('10.0.0.[1:2]:2222'), { names: ['10.0.0.1', '10.0.0.2'], port: 2222 });
  t.regex((parseHostEntry('web[1:]') as { error: string }).error, /must give its end/);
  t.regex((parseHostEntry('web[01:100]') as { error: string }).error, /same number of digits/);
});

test('quorum inventory: --list, --host with origins, exit 5 on a bad inventory', async (t) => {
  const dir = tree({ 'hosts.ini': '[etcd]\ninfra0 ansible_host=10.0.0.6\n', 'group_vars/etcd.yml': 'etcd_port: 2379\n', 'bad.ini': '[etcd\n' });
  const list = await runCli(['inventory', '-i', join(dir, 'hosts.ini'), '--list']);
  t.is(list.code, 0, list.stderr);
  t.deepEqual(JSON.parse(list.stdout), {
    _meta: { hostvars: { infra0: { ansible_host: '10.0.0.6', etcd_port: 2379 } } },
    all: { children: ['ungrouped', 'etcd'] },
    etcd: { hosts: ['infra0'] },
  });
  const host = await runCli(['inventory', '-i', join(dir, 'hosts.ini'), '--host', 'infra0', '--origins']);
  t.is(host.code, 0, host.stderr);
  t.deepEqual(JSON.parse(host.stdout), { ansible_host: '10.0.0.6', etcd_port: 2379 });
  t.regex(host.stderr, /etcd_port {2}.*group_vars\/etcd\.yml:1:12/);
  t.regex(host.stderr, /ansible_host {2}.*hosts\.ini:2:8/);
  const bad = await runCli(['inventory', '-i', join(dir, 'bad.ini'), '--list']);
  t.is(bad.code, 5);
  t.regex(bad.stderr, /bad\.ini:1:1 .*expected a group name|bad\.ini:1:1/);
  t.is(bad.stdout, '');
});

test('a template in an inventory variable that cannot render is refused before any host, naming the variable, file and line', async (t) => {
  const { prepareRun } = await import('../../runner/engine/engine.js');
  const dir = tree({
    'hosts.ini': "[master]\nm1\n[all:vars]\nmaster_ip=\"{{ hostvars[groups['master'][0]]['ansible_host'] | default('x') }}\"\nok={{ inventory_hostname }}\n",
    'group_vars/all.yml': 'api: "https://{{ api_hostt }}:6443"\napi_host: example.org\nfrom_play: "{{ play_level }}"\n',
    'site.yaml': '- hosts: all\n  gather_facts: false\n  vars: { play_level: 1 }\n  tasks:\n    - debug: { msg: hi }\n',
  });
  const err = t.throws(() => prepareRun({ playbookFile: join(dir, 'site.yaml'), inventorySources: [join(dir, 'hosts.ini')], extraVars: {} }), { instanceOf: ConfigError }) as ConfigError;
  const found = err.problems.map((p) => `${p.location?.file.replace(dir, 'DIR')}:${p.location?.line}:${p.location?.col} ${p.message}`).sort();
  t.is(found.length, 2, found.join('\n'));
  t.regex(found[0]!, /^DIR\/group_vars\/all\.yml:1:6 inventory variable 'api' holds a template naming 'api_hostt', which no inventory, play or -e defines \(did you mean 'api_host'\?\)/);
  t.regex(found[1]!, /^DIR\/hosts\.ini:4:1 inventory variable 'master_ip' holds a template that cannot render/);
  const cli = await runCli(['run', join(dir, 'site.yaml'), '-i', join(dir, 'hosts.ini'), '--syntax-check']);
  t.is(cli.code, 5, 'even --syntax-check finds it');
  t.regex(cli.stderr, /master_ip/);
});

test("INI connection variables written as text are read as Ansible's boolean() and int() read them, before any host", async (t) => {
  const { prepareRun } = await import('../../runner/engine/engine.js');
  const dir = tree({
    'hosts.ini': "[web]\nw1 ansible_become=true ansible_port='2222'\nw2 ansible_become=yes\nw3 ansible_become=False\n",
    'bad.ini': "[web]\nw1\n[db]\nd1 ansible_become=maybe\n",
    'site.yaml': '- hosts: web\n  gather_facts: false\n  tasks:\n    - debug: { msg: hi }\n',
    'db.yaml': '- hosts: db\n  gather_facts: false\n  tasks:\n    - debug: { msg: hi }\n',
  });
  const run = prepareRun({ playbookFile: join(dir, 'site.yaml'), inventorySources: [join(dir, 'hosts.ini')], extraVars: {} });
  const v = (h: string) => run.inventory.hosts.get(h)!.vars;
  t.deepEqual([v('w1').ansible_become, v('w2').ansible_become, v('w3').ansible_become, v('w1').ansible_port], [true, true, false, 2222]);
  const err = t.throws(() => prepareRun({ playbookFile: join(dir, 'db.yaml'), inventorySources: [join(dir, 'bad.ini')], extraVars: {} }), { instanceOf: ConfigError }) as ConfigError;
  t.deepEqual(err.problems.map((p) => `${p.location?.line}:${p.location?.col} ${p.message}`), [
    `4:4 host 'd1': ansible_become must be true or false (Ansible also reads yes/no, on/off, 1/0), got the string "maybe"`,
  ]);
});

test('a value a module refuses, set in an INI inventory or a group_vars file, is reported where it was set', async (t) => {
  const { prepareRun } = await import('../../runner/engine/engine.js');
  const flagship = join(PROJECT, 'playbooks', 'etcd-ha.yaml');
  const dir = tree({
    'hosts.ini': '[etcd]\ninfra0 ansible_host=10.0.0.1 etcd_name="etcd 0"\ninfra1 ansible_host=10.0.0.2\n',
    'host_vars/infra1.yml': '# names kubeadm refuses\netcd_name: Etcd_1\n',
  });
  const err = t.throws(() => prepareRun({ playbookFile: flagship, inventorySources: [join(dir, 'hosts.ini')], extraVars: { etcd_runtime: 'systemd' } }), { instanceOf: ConfigError }) as ConfigError;
  const found = err.problems.map((p) => `${p.location?.file.replace(dir, 'DIR')}:${p.location?.line}:${p.location?.col}`).sort();
  t.deepEqual(found, ['DIR/host_vars/infra1.yml:2:12', 'DIR/hosts.ini:2:30']);
});

test('values YAML 1.1 (Ansible) and YAML 1.2 (quorum) read differently are named in warnings, with their place', (t) => {
  const dir = tree({ 'hosts.yml': 'all:\n  hosts:\n    h1:\n      enabled: yes\n      quoted: "yes"\n', 'group_vars/all.yml': 'mode: 0644\nsize: 1_000\nport: 8080\nratio: 1e3\n' });
  const inv = loadInventorySources([join(dir, 'hosts.yml')]);
  t.is(inv.hosts.get('h1')!.vars.enabled, true, 'yes/no are booleans, as Ansible reads them');
  t.is(inv.hosts.get('h1')!.vars.quoted, 'yes', 'a quoted "yes" stays a string');
  const warnings = (inv.warnings ?? []).map((w) => w.replaceAll(dir, 'DIR'));
  t.deepEqual(warnings, [
    `DIR/group_vars/all.yml:1:7  'mode: 0644' is the string "0644" for quorum (YAML 1.2) but the octal number 420 for Ansible (YAML 1.1): write 420 for that number, or "0644" for the string, to mean the same to both`,
    `DIR/group_vars/all.yml:2:7  'size: 1_000' is the string "1_000" for quorum (YAML 1.2) but the number 1000 for Ansible (YAML 1.1): write 1000 to mean the same to both`,
    `DIR/group_vars/all.yml:4:8  'ratio: 1e3' is the number 1000 for quorum (YAML 1.2) but a string for Ansible (YAML 1.1): write "1e3" for the string, or 1000 for the number, to mean the same to both`,
  ]);
});
