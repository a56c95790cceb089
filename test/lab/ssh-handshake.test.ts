/**
 * The handshake with a real sshd (a spare lab host) after runner/connection/ssh2-patches.ts and
 * private-keys.ts: for each host key type the host has, the key exchange (curve25519-sha256)
 * completes with the host's signature verified and the host key pinned, the login signs with
 * the lab's key file, and OpenSSH's hostkeys-00 announcement is answered by nothing (before:
 * ssh2 sent a hostkeys-prove request and sshd signed with every host key).
 */
import anyTest from 'ava';
import type { Client } from 'ssh2';
import { labHosts, rootSh } from '../helpers/lab.js';
import { buildSshConfig } from '../../runner/connection/connect.js';
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

for (const { algo, file } of ALGORITHMS) {
  test(`host key ${algo}: the host's signature is verified, the key file signs the login, no hostkeys-prove`, async (t) => {
    const line = await rootSh(host, `cat /etc/ssh/ssh_host_${file}_key.pub`);
    const pinned = fingerprintOf(Buffer.from(line.trim().split(/\s+/)[1]!, 'base64'));
    const spec: ConnectionSpec = {
      name: host.name, kind: 'ssh', address: host.address, port: host.port, user: host.user,
      privateKeyFile: host.keyFile, hostKeyPolicy: 'strict', hostKeyFingerprints: [pinned], connectTimeoutMs: 20_000,
    };
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
  const line = await rootSh(host, 'cat /etc/ssh/ssh_host_ed25519_key.pub');
  const pinned = fingerprintOf(Buffer.from(line.trim().split(/\s+/)[1]!, 'base64'));
  const spec: ConnectionSpec = {
    name: host.name, kind: 'ssh', address: host.address, port: host.port, user: host.user,
    privateKeyFile: host.keyFile, hostKeyPolicy: 'strict', hostKeyFingerprints: [pinned], connectTimeoutMs: 20_000,
  };
  let refused: Error | undefined;
  const config = await buildSshConfig(spec, (err) => (refused = err));
  config.algorithms = { serverHostKey: ['ecdsa-sha2-nistp256'] as never };
  const err = await t.throwsAsync(connectRawClient(spec, config, () => refused));
  t.regex(err!.message, /HOST KEY MISMATCH/);
});
