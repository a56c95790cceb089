/**
 * OpenSSH client configuration applied to an inventory host's connection as OpenSSH applies it
 * (Host/Match patterns, first value wins, Include), the inventory's ansible_* winning as in
 * Ansible, and every option quorum cannot honour refused by name with its place.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../runner/errors.js';
import { connectionSpec } from '../../runner/inventory/connection-spec.js';
import { matchesHost, sshConfigFor, takeConfigFileArg } from '../../runner/inventory/ssh-config.js';
import type { InventoryHost } from '../../runner/inventory/types.js';

const dir = mkdtempSync(join(tmpdir(), 'quorum-sshcfg-'));
const config = join(dir, 'config');
mkdirSync(join(dir, 'config.d'));
writeFileSync(join(dir, 'config.d', '10-lab.conf'), 'Host lab-*\n  User labuser\n');
writeFileSync(config, [
  '# aliases as an Ansible user writes them',
  'Host bastion',
  '  HostName 203.0.113.1',
  '  User jump',
  '  Port 2200',
  '',
  'Host target target-alias',
  '  HostName 10.0.0.20',
  '  User=ops',
  '  IdentityFile ~/.ssh/id_target',
  '  IdentityFile ~/.ssh/id_other',
  '  ProxyJump bastion',
  '  UserKnownHostsFile %d/known_hosts_%h',
  '  StrictHostKeyChecking accept-new',
  '  ConnectTimeout 3',
  '  ServerAliveInterval 30',
  '',
  'Host *.internal !db.internal',
  '  ProxyCommand ssh -W %h:%p gw',
  '',
  'Match host db.internal',
  '  Port 2222',
  '',
  `Include ${join(dir, 'config.d')}/*.conf`,
  '',
  'Host *',
  '  User fallback',
  '  Port 2022',
  '  ControlMaster auto',
  '',
].join('\n'));

const host = (name: string, vars: Record<string, unknown> = {}): InventoryHost => ({ name, vars, groups: ['all'] });
const defaults = { hostKeyPolicy: 'strict' as const, connectTimeoutMs: 10000, inventoryDir: dir, sshConfigFiles: [config] };

test('an alias: HostName, User, Port, IdentityFile, known_hosts, host key policy, timeout, and a jump host that is an alias too', (t) => {
  const spec = connectionSpec(host('web1', { ansible_host: 'target' }), defaults);
  t.like(spec, {
    address: '10.0.0.20',
    user: 'ops',
    port: 2022,
    privateKeyFile: join(homedir(), '.ssh', 'id_target'),
    knownHostsFile: join(homedir(), 'known_hosts_target'),
    hostKeyPolicy: 'accept-new',
    connectTimeoutMs: 3000,
  });
  t.deepEqual(spec.jumpHosts, [{ address: '203.0.113.1', port: 2200, user: 'jump' }]);
});

test("the inventory's ansible_* variables win over the config, as in Ansible", (t) => {
  const spec = connectionSpec(host('web1', { ansible_host: 'target', ansible_user: 'deploy', ansible_port: 22, ansible_ssh_private_key_file: 'keys/id', ansible_ssh_common_args: '-J other:2201' }), defaults);
  t.like(spec, { address: '10.0.0.20', user: 'deploy', port: 22, privateKeyFile: join(dir, 'keys', 'id') });
  t.deepEqual(spec.jumpHosts, [{ address: 'other', port: 2201 }]);
});

test('Match host, Include with a glob, Host * last: the first value obtained wins', (t) => {
  t.like(connectionSpec(host('db.internal'), defaults), { address: 'db.internal', port: 2222, user: 'fallback' });
  t.like(connectionSpec(host('lab-3'), defaults), { user: 'labuser', port: 2022 });
});

test('an option quorum cannot honour is refused by name at its file:line, for the hosts it applies to only', (t) => {
  const err = t.throws(() => connectionSpec(host('app.internal'), defaults), { instanceOf: ConfigError }) as ConfigError;
  t.deepEqual(err.problems.map((p) => `${p.location?.line}:${p.location?.col}`), ['19:3']);
  t.regex(err.message, /host 'app\.internal': ssh option 'ProxyCommand ssh -W %h:%p gw' applies to app\.internal, and quorum cannot honour it/);
  t.notThrows(() => connectionSpec(host('db.internal'), defaults), 'db.internal is negated in that Host line');
  const exec = join(dir, 'exec-config');
  writeFileSync(exec, 'Match exec "true"\n  User x\n');
  t.throws(() => connectionSpec(host('h'), { ...defaults, sshConfigFiles: [exec] }), { instanceOf: ConfigError, message: /quorum evaluates only Match all, host and originalhost/ });
});

test('-F FILE in ansible_ssh_common_args: only that file, next to -J', (t) => {
  const other = join(dir, 'other-config');
  writeFileSync(other, 'Host target\n  HostName 192.0.2.9\n  User fromF\n');
  const spec = connectionSpec(host('web1', { ansible_host: 'target', ansible_ssh_common_args: `-F ${other} -J bastion2` }), defaults);
  t.like(spec, { address: '192.0.2.9', user: 'fromF', port: 22 });
  t.deepEqual(spec.jumpHosts, [{ address: 'bastion2', port: 22 }]);
  t.deepEqual(takeConfigFileArg(`-o ProxyJump=a -F '/x y/c'`), { file: '/x y/c', rest: '-o ProxyJump=a' });
});

test('no config file: nothing changes; local hosts read no config', (t) => {
  t.like(connectionSpec(host('target'), { ...defaults, sshConfigFiles: [join(dir, 'missing')] }), { address: 'target', port: 22, hostKeyPolicy: 'strict', connectTimeoutMs: 10000 });
  t.is(connectionSpec(host('app.internal', { ansible_connection: 'local' }), defaults).kind, 'local');
  t.true(matchesHost('a.example.org', ['*.example.org']));
  t.false(matchesHost('a.example.org', ['*.example.org', '!a.*']));
  t.is(sshConfigFor('x', []).options.size, 0);
});
