/**
 * The handshake with a real sshd (a spare lab host) after runner/connection/ssh2-patches.ts and
 * private-keys.ts: for each host key type the host has, the key exchange (curve25519-sha256)
 * completes with the host's signature verified and the host key pinned, the login signs with
 * the lab's key file, and OpenSSH's hostkeys-00 announcement is answered by nothing (before:
 * ssh2 sent a hostkeys-prove request and sshd signed with every host key).
 */
import anyTest from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'ssh2';
import { labHosts, rootSh } from '../helpers/lab.js';
import { buildSshConfig, openConnection } from '../../runner/connection/connect.js';
import { fingerprintOf } from '../../runner/connection/host-keys.js';
import { connectRawClient } from '../../runner/connection/ssh.js';
import type { ConnectionSpec } from '../../runner/connection/types.js';

const test = anyTest.serial;
const host = labHosts('spare')[0]!;

const ALGORITHMS = [
  { algo: 'ssh-ed25519', file: 'ed25519' },
  { algo: 'ecdsa-sha2-nistp256', file: 'ecdsa' },
  { algo: 'rsa-sha2-512', file: 'rsa' },
  { algo: 'rsa-sha2-256', file: 'rsa' },
];

/** A strict connection spec to the lab host, pinned to the fingerprint of its host key of type `file` (ed25519, ecdsa, rsa). */
async function strictSpecPinnedTo(file: string): Promise<ConnectionSpec> {
  const line = await rootSh(host, `cat /etc/ssh/ssh_host_${file}_key.pub`);
  const pinned = fingerprintOf(Buffer.from(line.trim().split(/\s+/)[1]!, 'base64'));
  return {
    name: host.name, kind: 'ssh', address: host.address, port: host.port, user: host.user,
    privateKeyFile: host.keyFile, hostKeyPolicy: 'strict', hostKeyFingerprints: [pinned], connectTimeoutMs: 20_000,
  };
}

for (const { algo, file } of ALGORITHMS) {
  test(`host key ${algo}: the host's signature is verified, the key file signs the login, no hostkeys-prove`, async (t) => {
    const spec = await strictSpecPinnedTo(file);
    let refused: Error | undefined;
    const config = await buildSshConfig(spec, (err) => (refused = err));
    const debug: string[] = [];
    config.algorithms = { serverHostKey: [algo] as never };
    config.debug = (message: string) => debug.push(message);
    const client: Client = await connectRawClient(spec, config, () => refused);
    try {
      // One command on the connection: the session works, and sshd had its chance to send hostkeys-00.
      const out = await new Promise<string>((resolve, reject) => {
        client.exec('id -un', (err, channel) => {
          if (err) return reject(err);
          let text = '';
          channel.on('data', (b: Buffer) => (text += b.toString()));
          channel.on('close', () => resolve(text));
        });
      });
      t.is(out, `${host.user}\n`);
    } finally {
      client.end();
    }
    t.is(refused, undefined);
    t.true(debug.some((l) => /^Handshake: KEX algorithm: curve25519-sha256(@libssh\.org)?$/.test(l)), debug.filter((l) => l.includes('KEX')).join('\n'));
    t.true(debug.includes(`Handshake: Host key format: ${algo}`), 'the host key type asked for was used');
    t.true(debug.includes('Verified signature'));
    t.true(debug.includes('Inbound: GLOBAL_REQUEST (hostkeys-00@openssh.com)'), 'sshd announced its host keys');
    t.false(debug.some((l) => l.includes('hostkeys-prove')), debug.filter((l) => l.includes('hostkeys')).join('\n'));
  });
}

test('a pinned fingerprint of another key type is still refused (the check is unchanged)', async (t) => {
  const spec = await strictSpecPinnedTo('ed25519');
  let refused: Error | undefined;
  const config = await buildSshConfig(spec, (err) => (refused = err));
  config.algorithms = { serverHostKey: ['ecdsa-sha2-nistp256'] as never };
  const err = await t.throwsAsync(connectRawClient(spec, config, () => refused));
  t.regex(err!.message, /HOST KEY MISMATCH/);
});

/**
 * Client keys other than the lab's ed25519: the login signs with the key file's KeyObject. The
 * lab's OpenSSH (8.8 and later) refuses ssh-rsa (SHA-1) signatures, so an RSA login that
 * succeeds was signed rsa-sha2-256 or -512, as ssh2 negotiates them.
 */
for (const { type, bits } of [{ type: 'rsa', bits: '3072' }, { type: 'ecdsa', bits: '256' }, { type: 'ecdsa', bits: '384' }]) {
  test(`a ${type} ${bits} key file logs in (signed with its KeyObject)`, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'quorum-handshake-'));
    const keyFile = join(dir, `id_${type}`);
    execFileSync('ssh-keygen', ['-q', '-t', type, '-b', bits, '-N', '', '-C', `quorum-handshake-${type}`, '-f', keyFile]);
    const publicLine = readFileSync(`${keyFile}.pub`, 'utf8').trim();
    // The lab's authorized_keys is a read-only mount; sshd also reads authorized_keys2 (its default).
    const authorized = `/home/${host.user}/.ssh/authorized_keys2`;
    await rootSh(host, `umask 022; printf '%s\\n' '${publicLine}' > ${authorized}`);
    // Only the key file may log in: no agent holding the lab's key.
    const agent = process.env.SSH_AUTH_SOCK;
    delete process.env.SSH_AUTH_SOCK;
    try {
      const conn = await openConnection({
        name: host.name, kind: 'ssh', address: host.address, port: host.port, user: host.user,
        privateKeyFile: keyFile, knownHostsFile: host.knownHostsFile, hostKeyPolicy: 'strict', connectTimeoutMs: 20_000,
      });
      try {
        t.is((await conn.exec('id -un')).stdout.toString(), `${host.user}\n`);
      } finally {
        await conn.close();
      }
    } finally {
      if (agent !== undefined) process.env.SSH_AUTH_SOCK = agent;
      await rootSh(host, `rm -f ${authorized}`);
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
