/**
 * OpenSSH client configuration on real hosts: the inventory names a host only by an alias
 * (`hidden-target`) that a config file given with `ansible_ssh_common_args: -F FILE` maps to
 * infra1's address, user, key and known_hosts, behind a jump host that is itself an alias
 * (`bastion`, infra0). Proof of the path: infra1 sees the SSH connection come from infra0's
 * address (SSH_CONNECTION), read back with the system OpenSSH client.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBuiltCli } from '../helpers/quorum.js';
import { labHosts, labState, sshExec } from '../helpers/lab.js';

const [bastion, target] = labHosts('etcd');
const stamp = `/tmp/quorum-sshcfg-${process.pid}`;

test.after.always(async () => {
  if (target) await sshExec(target, `rm -f ${stamp}`);
});

test('a host reached only through an alias and a jump host defined in an OpenSSH config file', async (t) => {
  t.truthy(bastion && target, 'the lab has two etcd hosts');
  const state = labState();
  const work = mkdtempSync(join(tmpdir(), 'quorum-sshcfg-lab-'));
  const config = join(work, 'ssh_config');
  writeFileSync(config, [
    'Host bastion',
    `  HostName ${bastion!.address}`,
    'Host hidden-target',
    `  HostName ${target!.address}`,
    '  ProxyJump bastion',
    'Host *',
    `  User ${state.user}`,
    `  IdentityFile ${state.keyFile}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${state.knownHostsFile}`,
    '  StrictHostKeyChecking yes',
    '  ServerAliveInterval 30',
    '',
  ].join('\n'));
  writeFileSync(join(work, 'hosts.ini'), `[app]\nnode1 ansible_host=hidden-target ansible_ssh_common_args='-F ${config}'\n`);
  writeFileSync(join(work, 'site.yaml'), `- hosts: app\n  gather_facts: false\n  tasks:\n    - command: { cmd: 'echo "$SSH_CONNECTION" > ${stamp}' }\n`);
  const r = await runBuiltCli(['run', join(work, 'site.yaml'), '-i', join(work, 'hosts.ini'), '--output', 'plain']);
  t.is(r.code, 0, `${r.stdout}\n${r.stderr}`);
  const seen = await sshExec(target!, `cat ${stamp}`);
  t.is(seen.code, 0, seen.stderr);
  const [client, , server] = seen.stdout.trim().split(' ');
  t.is(server, target!.address, 'the command ran on infra1');
  t.is(client, bastion!.address, 'and the connection came through infra0, the jump host');
});
