import test from 'ava';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../runner/errors.js';
import { implicitLocalInventory, loadInventory, parseInventory } from '../../runner/inventory/load.js';
import { connectionSpec } from '../../runner/inventory/connection-spec.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'inventories');
const fixture = (name: string) => join(fixtures, name);

function problemsOf(fn: () => unknown): Array<{ where: string; pointer: string; message: string }> {
  const err = (() => {
    try {
      fn();
    } catch (e) {
      return e;
    }
    throw new Error('expected a ConfigError');
  })();
  if (!(err instanceof ConfigError)) throw err;
  return err.problems.map((p) => ({ where: p.location ? `${p.location.line}:${p.location.col}` : '', pointer: p.pointer, message: p.message }));
}

test('precedence: all < parent < child (depth, then name) < host', (t) => {
  const inv = loadInventory(fixture('precedence.yaml'));
  t.is(inv.file, fixture('precedence.yaml'));
  t.deepEqual([...inv.hosts.keys()], ['solo', 'infra0', 'infra1', 'infra2']);
  const v = (h: string) => inv.hosts.get(h)!.vars;
  t.is(v('solo').level, 'all');
  t.is(v('infra0').level, 'host', 'host vars beat every group');
  t.is(v('infra1').level, 'zeta', 'same depth: the later name wins (zeta > etcd)');
  t.is(v('infra2').level, 'deepest', 'a deeper group wins regardless of its name');
  t.is(v('infra0').only_all, 'a');
  t.is(v('infra0').only_cluster, 'c');
  t.is(v('solo').only_cluster, undefined);
  t.is(v('infra1').ansible_port, 2222, 'a host defined twice merges its vars');
  t.is(v('infra1').ansible_host, '10.0.0.7');
  t.is(v('infra0').etcd_extra, 'yes-string', 'a group defined twice merges its vars');
  t.is(v('infra2').ansible_user, 'ubuntu');
});

test('groups: membership through children, inventory order, ungrouped', (t) => {
  const inv = loadInventory(fixture('precedence.yaml'));
  t.deepEqual(inv.groups.get('all')!.hosts, ['solo', 'infra0', 'infra1', 'infra2']);
  t.deepEqual(inv.groups.get('etcd')!.hosts, ['infra0', 'infra1']);
  t.deepEqual(inv.groups.get('cluster')!.hosts, ['infra0', 'infra1', 'infra2']);
  t.deepEqual(inv.groups.get('deep')!.hosts, ['infra2']);
  t.deepEqual(inv.groups.get('ungrouped')!.hosts, ['solo']);
  t.deepEqual(inv.groups.get('cluster')!.children, ['etcd', 'zeta', 'alpha']);
  t.true(inv.groups.get('all')!.children.includes('deep'));
  t.deepEqual(inv.hosts.get('infra1')!.groups, ['all', 'cluster', 'etcd', 'zeta']);
  t.deepEqual(inv.hosts.get('solo')!.groups, ['all', 'ungrouped']);
  t.deepEqual(inv.hosts.get('infra0')!.location, { file: fixture('precedence.yaml'), line: 19, col: 13 });
});

test('empty groups (null) and top-level groups are accepted', (t) => {
  const inv = loadInventory(fixture('empty-groups.yaml'));
  t.deepEqual(inv.groups.get('empty')!.hosts, []);
  t.deepEqual(inv.groups.get('spare')!.hosts, ['infra3']);
  t.deepEqual(inv.groups.get('ungrouped')!.hosts, ['lonely']);
  t.deepEqual([...inv.hosts.keys()], ['lonely', 'infra0', 'infra1', 'infra3']);
});

test('bad shapes: every problem at once, each with file:line:col', (t) => {
  const problems = problemsOf(() => loadInventory(fixture('bad-shapes.yaml')));
  t.deepEqual(problems, [
    { where: '2:3', pointer: '/all/hots', message: "unknown key 'hots': a group has only hosts, vars and children (did you mean 'hosts'?)" },
    { where: '7:9', pointer: '/all/children/etcd/hosts', message: 'must be a mapping or null, got a list: hosts maps each host name to its variables, e.g. `hosts: { infra0: { ansible_host: 10.0.0.6 } }`' },
    { where: '11:9', pointer: '/all/children/web/hosts/bad host', message: "invalid host name 'bad host': use letters, digits, '.', '-' and '_' (put an address that needs other characters in ansible_host)" },
    { where: '13:25', pointer: '/all/children/web/hosts/good/ansible_port', message: 'must be <= 65535' },
    { where: '15:31', pointer: '/all/children/web/hosts/good/ansible_connection', message: 'must be one of "local", "ssh"' },
    { where: '16:1', pointer: '/bad group!', message: "invalid group name 'bad group!': use letters, digits, '_' and '-', starting with a letter or '_'" },
  ]);
});

test('a group that is its own ancestor is an error at the closing children entry', (t) => {
  const problems = problemsOf(() => loadInventory(fixture('cycle.yaml')));
  t.is(problems.length, 1);
  t.is(problems[0]!.pointer, '/c/children/a');
  t.is(problems[0]!.where, '12:5');
  t.regex(problems[0]!.message, /group 'a' is its own ancestor \(a -> b -> c -> a\)/);
});

test('YAML syntax errors and non-mapping documents are reported with a location', (t) => {
  const syntax = problemsOf(() => parseInventory('inv.yaml', 'all:\n  hosts: [a\n'));
  t.true(syntax.length >= 1);
  t.regex(syntax[0]!.message, /^YAML: /);
  const list = problemsOf(() => parseInventory('inv.yaml', '- a\n- b\n'));
  t.deepEqual(list, [{ where: '1:1', pointer: '', message: 'must be a mapping or null, got a list: an inventory maps group names to groups, starting with `all:`' }]);
  const missing = problemsOf(() => loadInventory(fixture('does-not-exist.yaml')));
  t.regex(missing[0]!.message, /--inventory' .*does-not-exist\.yaml: no such inventory file or directory/);
});

test('host ranges expand as in Ansible', (t) => {
  const inv = parseInventory('ranges.yaml', 'all:\n  children:\n    web:\n      hosts:\n        web[08:10]:\n          role: web\n        db-[a:c]:\n        n[1:5:2]-[x:y]:\n');
  t.deepEqual(inv.groups.get('web')!.hosts, ['web08', 'web09', 'web10', 'db-a', 'db-b', 'db-c', 'n1-x', 'n1-y', 'n3-x', 'n3-y', 'n5-x', 'n5-y']);
  t.is(inv.hosts.get('web09')!.vars.role, 'web');
  const bad = problemsOf(() => parseInventory('ranges.yaml', 'all:\n  hosts:\n    web[5:1]:\n    db[1:c]:\n'));
  t.deepEqual(bad, [
    { where: '3:5', pointer: '/all/hosts/web[5:1]', message: "host range in 'web[5:1]' must have its start before its end" },
    { where: '4:5', pointer: '/all/hosts/db[1:c]', message: "host range in 'db[1:c]': both ends must be numbers, or both single letters" },
  ]);
});

test('an empty file is an inventory with only all and ungrouped (and the implicit localhost)', (t) => {
  const inv = parseInventory('empty.yaml', '');
  t.is(inv.hosts.size, 0);
  t.true(inv.implicitLocalhost!.implicit);
  t.deepEqual([...inv.groups.keys()].sort(), ['all', 'ungrouped']);
});

test('implicit local inventory: localhost, connection local, in all', (t) => {
  const inv = implicitLocalInventory();
  t.is(inv.file, undefined);
  t.deepEqual([...inv.hosts.keys()], ['localhost']);
  t.deepEqual(inv.hosts.get('localhost')!.vars, { ansible_connection: 'local' });
  t.deepEqual(inv.groups.get('all')!.hosts, ['localhost']);
  const spec = connectionSpec(inv.hosts.get('localhost')!, { hostKeyPolicy: 'strict', connectTimeoutMs: 1000, inventoryDir: '/' });
  t.is(spec.kind, 'local');
});

test('the example inventory loads: three etcd hosts as in the kubeadm doc', (t) => {
  const inv = loadInventory(resolve(fixtures, '..', '..', '..', 'inventory.example.yaml'));
  t.deepEqual(inv.groups.get('etcd')!.hosts, ['infra0', 'infra1', 'infra2']);
  t.deepEqual(['infra0', 'infra1', 'infra2'].map((h) => inv.hosts.get(h)!.vars.ansible_host), ['10.0.0.6', '10.0.0.7', '10.0.0.8']);
  for (const h of inv.hosts.values()) {
    t.is(h.vars.ansible_user, 'ubuntu');
    t.is(h.vars.ansible_become, true);
  }
});

const defaults = { hostKeyPolicy: 'accept-new' as const, connectTimeoutMs: 5000, inventoryDir: '/srv/inv' };

test('connection spec: ssh from ansible_* vars, paths resolved against the inventory dir', (t) => {
  const spec = connectionSpec(
    {
      name: 'infra0',
      groups: ['all'],
      vars: {
        ansible_host: '10.0.0.6',
        ansible_port: 2222,
        ansible_user: 'ubuntu',
        ansible_ssh_private_key_file: 'keys/id_ed25519',
        quorum_known_hosts: '~/lab/known_hosts',
        quorum_host_key_fingerprints: ['SHA256:abc'],
        ansible_password: 'pw',
      },
    },
    { ...defaults, becomePassword: 'sudo-pw' },
  );
  t.deepEqual(spec, {
    name: 'infra0',
    kind: 'ssh',
    address: '10.0.0.6',
    port: 2222,
    user: 'ubuntu',
    privateKeyFile: '/srv/inv/keys/id_ed25519',
    knownHostsFile: join(homedir(), 'lab/known_hosts'),
    hostKeyFingerprints: ['SHA256:abc'],
    password: 'pw',
    hostKeyPolicy: 'accept-new',
    connectTimeoutMs: 5000,
    becomePassword: 'sudo-pw',
  });
});

test('connection spec: defaults, implicit local for localhost and 127.0.0.1, explicit ssh wins', (t) => {
  const bare = connectionSpec({ name: 'web1', groups: ['all'], vars: {} }, defaults);
  t.deepEqual(bare, { name: 'web1', kind: 'ssh', address: 'web1', port: 22, hostKeyPolicy: 'accept-new', connectTimeoutMs: 5000 });
  t.is(connectionSpec({ name: 'localhost', groups: [], vars: {} }, defaults).kind, 'local');
  t.is(connectionSpec({ name: '127.0.0.1', groups: [], vars: {} }, defaults).kind, 'local');
  t.is(connectionSpec({ name: 'localhost', groups: [], vars: { ansible_connection: 'ssh' } }, defaults).kind, 'ssh');
  t.is(connectionSpec({ name: 'x', groups: [], vars: { ansible_ssh_private_key_file: '/abs/key' } }, defaults).privateKeyFile, '/abs/key');
  t.is(connectionSpec({ name: 'x', groups: [], vars: { ansible_become_password: 'b' } }, defaults).becomePassword, 'b');
});

test('connection spec: a wrongly typed variable (e.g. from -e) is a ConfigError naming it', (t) => {
  const err = t.throws(() => connectionSpec({ name: 'x', groups: [], vars: { ansible_port: '22' } }, defaults), { instanceOf: ConfigError });
  t.regex(err!.message, /host 'x': ansible_port must be an integer from 1 to 65535, got a string/);
  const secret = t.throws(() => connectionSpec({ name: 'x', groups: [], vars: { ansible_password: 123456 } }, defaults), { instanceOf: ConfigError });
  t.is(secret!.message, "<unknown>  /  host 'x': ansible_password must be a non-empty string, got a number", 'the value itself is never shown');
  const kind = t.throws(() => connectionSpec({ name: 'x', groups: [], vars: { ansible_connection: 'winrm' } }, defaults), { instanceOf: ConfigError });
  t.regex(kind!.message, /ansible_connection must be "local" or "ssh"/);
});
