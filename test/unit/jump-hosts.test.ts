/**
 * Jump hosts from Ansible's ssh argument variables (runner/inventory/jump-hosts.ts) and how they
 * reach the connection spec: the forms ssh accepts, and a clear refusal of every option quorum
 * cannot honour (a dropped ProxyCommand would go around the bastion).
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJumpHosts } from '../../runner/inventory/jump-hosts.js';
import { connectionSpec } from '../../runner/inventory/connection-spec.js';
import { jumpHostSpec } from '../../runner/connection/jump.js';
import { ConfigError } from '../../runner/errors.js';
import { runCli } from '../helpers/quorum.js';

test('the forms of ssh: -J, -Jhost, -o ProxyJump=, -o "ProxyJump host", chains, ports, users, IPv6, ssh://', (t) => {
  t.deepEqual(parseJumpHosts('-J bastion'), [{ address: 'bastion', port: 22 }]);
  t.deepEqual(parseJumpHosts('-Jops@bastion:2222'), [{ address: 'bastion', port: 2222, user: 'ops' }]);
  t.deepEqual(parseJumpHosts('-o ProxyJump=ops@10.0.0.1'), [{ address: '10.0.0.1', port: 22, user: 'ops' }]);
  t.deepEqual(parseJumpHosts(`-o 'ProxyJump a,b@[fd00::1]:2022'`), [{ address: 'a', port: 22 }, { address: 'fd00::1', port: 2022, user: 'b' }]);
  t.deepEqual(parseJumpHosts('-oProxyJump="ssh://ops@gw:22"'), [{ address: 'gw', port: 22, user: 'ops' }]);
  t.deepEqual(parseJumpHosts('-o ProxyJump=none'), []);
  t.deepEqual(parseJumpHosts('  '), []);
});

test('options quorum cannot honour are refused, naming them', (t) => {
  t.throws(() => parseJumpHosts('-o ProxyCommand="ssh -W %h:%p bastion"'), { message: /only ProxyJump .*remove '-o ProxyCommand=ssh -W %h:%p bastion'/ });
  t.throws(() => parseJumpHosts('-o ServerAliveInterval=30 -J b'), { message: /remove '-o ServerAliveInterval=30'/ });
  t.throws(() => parseJumpHosts('-C'), { message: /only -J and -o ProxyJump=\.\.\. here .*remove '-C'/ });
  t.throws(() => parseJumpHosts('-J'), { message: /'-J' needs a jump host/ });
  t.throws(() => parseJumpHosts('-J user@'), { message: /is not \[user@\]host\[:port\]/ });
  t.throws(() => parseJumpHosts('-J b:70000'), { message: /port must be 1 to 65535/ });
  t.throws(() => parseJumpHosts(`-o 'ProxyJump b`), { message: /unbalanced '/ });
});

const defaults = { hostKeyPolicy: 'strict' as const, connectTimeoutMs: 5000, inventoryDir: '/inv' };

test('the inventory variables become the spec\'s jump hosts; a bad one is a ConfigError naming host and variable', (t) => {
  const spec = connectionSpec({ name: 'db1', vars: { ansible_host: '10.1.0.5', ansible_user: 'deploy', ansible_ssh_common_args: '-J gw1', ansible_ssh_extra_args: '-o ProxyJump=ops@gw2:2222' } } as never, defaults);
  t.deepEqual(spec.jumpHosts, [{ address: 'gw1', port: 22 }, { address: 'gw2', port: 2222, user: 'ops' }]);
  const plain = connectionSpec({ name: 'db2', vars: {} } as never, defaults);
  t.is(plain.jumpHosts, undefined);
  const err = t.throws(() => connectionSpec({ name: 'db3', vars: { ansible_ssh_common_args: '-o StrictHostKeyChecking=no' } } as never, defaults), { instanceOf: ConfigError });
  t.regex(err!.message, /host 'db3': ansible_ssh_common_args: quorum understands only ProxyJump/);
});

test('a jump host gets the host\'s key and host key policy, its own user if given, never the host\'s passwords or pins', (t) => {
  const spec = connectionSpec({ name: 'db1', vars: { ansible_user: 'deploy', ansible_password: 'pw', ansible_ssh_private_key_file: 'id', quorum_host_key_fingerprints: ['SHA256:x'], ansible_ssh_common_args: '-J gw' } } as never, { ...defaults, becomePassword: 'sudo-pw' });
  const hop = jumpHostSpec(spec, spec.jumpHosts![0]!);
  t.like(hop, { address: 'gw', port: 22, user: 'deploy', privateKeyFile: '/inv/id', hostKeyPolicy: 'strict', kind: 'ssh' });
  t.is(hop.password, undefined);
  t.is(hop.becomePassword, undefined);
  t.is(hop.hostKeyFingerprints, undefined);
  t.is(hop.jumpHosts, undefined);
  t.is(jumpHostSpec(spec, { address: 'gw', port: 22, user: 'ops' }).user, 'ops');
});

test('quorum run refuses an unusable ansible_ssh_common_args before touching any host (exit 5, where and what)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-jump-'));
  writeFileSync(join(dir, 'inventory.yaml'), `all:\n  hosts:\n    db1:\n      ansible_host: 192.0.2.1\n      ansible_ssh_common_args: "-o 'ProxyCommand=nc %h %p'"\n`);
  writeFileSync(join(dir, 'play.yaml'), '- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: { msg: hi }\n');
  const r = await runCli(['run', join(dir, 'play.yaml'), '-i', join(dir, 'inventory.yaml'), '-o', 'plain']);
  t.is(r.code, 5, r.stderr);
  t.regex(r.stderr, /inventory\.yaml:3:5 .*host 'db1': ansible_ssh_common_args: quorum understands only ProxyJump .*remove '-o ProxyCommand=nc %h %p'/);
  t.notRegex(r.stdout, /PLAY RECAP/);
});
