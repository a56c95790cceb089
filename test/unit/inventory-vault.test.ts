/**
 * Ansible Vault in inventories: values and files made by the real ansible-vault (ansible-core
 * 2.17.7, test/fixtures/inventories/vault) decrypted with node:crypto, never printed by
 * `quorum inventory`, and refused with a clear message on a wrong password, with no ciphertext,
 * password or plaintext in it.
 */
import test from 'ava';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../runner/errors.js';
import { loadInventorySources } from '../../runner/inventory/load.js';
import { ansibleHost } from '../../runner/inventory/ansible-list.js';
import { decryptVault, vaultPasswordOf } from '../../runner/inventory/vault.js';
import { prepareRun } from '../../runner/engine/engine.js';
import { PROJECT_DIR, runCli } from '../helpers/quorum.js';

const dir = join(PROJECT_DIR, 'test', 'fixtures', 'inventories', 'vault');
const PASSWORD = 'correct horse battery staple';

test('a vault file (1.1) and inline values (1.1 and 1.2 with a vault id) decrypt; a wrong password is refused by the HMAC', (t) => {
  const file = readFileSync(join(dir, 'group_vars', 'etcd', 'vault.yml'), 'utf8');
  t.deepEqual(decryptVault(file, PASSWORD), { ok: true, plaintext: 'etcd_token: tok-123\nnested:\n  a: 1\n' });
  t.deepEqual(decryptVault(file, 'wrong'), { ok: false, error: 'the vault password does not match this value (HMAC check failed)' });
  t.deepEqual(decryptVault(file.replace('AES256', 'AES'), PASSWORD), { ok: false, error: 'vault cipher AES is not supported (AES256 is)' });
  t.false(decryptVault(file.replace(/\n3/, '\nz'), PASSWORD).ok, 'a damaged body');
});

test('with the password: the values load decrypted, and quorum inventory masks every one of them', (t) => {
  const inv = loadInventorySources([join(dir, 'hosts.yml')], { vaultPassword: PASSWORD });
  const v = inv.hosts.get('infra0')!.vars;
  t.is(v.ansible_become_password, 's3cr3t-become');
  t.is(v.labelled, 'labelled-1.2');
  t.is(v.etcd_token, 'tok-123');
  t.deepEqual(v.nested, { a: 1 });
  t.deepEqual(ansibleHost(inv, 'infra0'), { ansible_host: '10.0.0.6', etcd_port: 2379, ansible_become_password: '<secret>', labelled: '<secret>', etcd_token: '<secret>', nested: '<secret>' });
});

test('a wrong password: exit 5 naming each value and file, with no ciphertext, password or plaintext', (t) => {
  const err = t.throws(() => loadInventorySources([join(dir, 'hosts.yml')], { vaultPassword: 'wrong' }), { instanceOf: ConfigError }) as ConfigError;
  t.is(err.problems.length, 2);
  t.regex(err.message, /'ansible_become_password': cannot decrypt its !vault value: the vault password does not match/);
  t.regex(err.message, /'labelled': cannot decrypt/);
  t.notRegex(err.message, /\$ANSIBLE_VAULT|[0-9a-f]{40}|wrong|s3cr3t|labelled-1\.2/);
  const copy = mkdtempSync(join(tmpdir(), 'quorum-vault-'));
  writeFileSync(join(copy, 'hosts.ini'), '[etcd]\ninfra0\n');
  mkdirSync(join(copy, 'group_vars'));
  copyFileSync(join(dir, 'group_vars', 'etcd', 'vault.yml'), join(copy, 'group_vars', 'etcd.yml'));
  const files = t.throws(() => loadInventorySources([join(copy, 'hosts.ini')], { vaultPassword: 'wrong' }), { instanceOf: ConfigError }) as ConfigError;
  t.deepEqual(files.problems.map((p) => `${p.location?.file}:${p.location?.line}:${p.location?.col} ${p.message}`), [
    `${join(copy, 'group_vars', 'etcd.yml')}:1:1 cannot decrypt this vault file: the vault password does not match this value (HMAC check failed)`,
  ]);
});

test('quorum run and quorum inventory take --vault-password-file; an executable password file is refused, not run', async (t) => {
  const playbook = join(mkdtempSync(join(tmpdir(), 'quorum-vault-')), 'site.yaml');
  writeFileSync(playbook, '- hosts: etcd\n  gather_facts: false\n  tasks:\n    - debug: { msg: "{{ etcd_token }}" }\n');
  const run = prepareRun({ playbookFile: playbook, inventorySources: [join(dir, 'hosts.yml')], vaultPasswordFile: join(dir, 'vault-pass.txt'), extraVars: {} });
  t.is(run.inventory.hosts.get('infra0')!.vars.ansible_become_password, 's3cr3t-become');
  const cli = await runCli(['inventory', '-i', join(dir, 'hosts.yml'), '--list', '--vault-password-file', join(dir, 'vault-pass.txt')]);
  t.is(cli.code, 0, cli.stderr);
  t.notRegex(cli.stdout, /s3cr3t|tok-123|labelled-1\.2|ANSIBLE_VAULT/);
  t.regex(cli.stdout, /"ansible_become_password": "<secret>"/);
  const script = join(mkdtempSync(join(tmpdir(), 'quorum-vault-')), 'pass.sh');
  copyFileSync(join(dir, 'vault-pass.txt'), script);
  chmodSync(script, 0o755);
  t.throws(() => vaultPasswordOf(script), { instanceOf: ConfigError, message: /is executable: Ansible would run it as a password script; quorum runs none/ });
  const empty = join(mkdtempSync(join(tmpdir(), 'quorum-vault-')), 'empty');
  writeFileSync(empty, '\n');
  t.throws(() => vaultPasswordOf(empty), { instanceOf: ConfigError, message: /is empty/ });
});
