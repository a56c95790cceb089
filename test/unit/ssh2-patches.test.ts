/**
 * runner/connection/ssh2-patches.ts against the ssh2 installed: each patch must find what it
 * hooks (these tests fail when an ssh2 upgrade moves it) and must give exactly ssh2's own
 * answers: the host signature check (good, tampered, other data, each key type and RSA hash),
 * the X25519 public key and shared secret (compared with ssh2's own methods on the same keys),
 * the hostkeys-00 announcement ignored while other global requests still reach ssh2, and the
 * pooled packet padding (the same layout as ssh2's for every payload length, fresh bytes each
 * time, a working connection, and the classes whose layout depends on the instance left alone).
 */
import test from 'ava';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import ssh2, { type ParsedKey } from 'ssh2';
import {
  ignoreHostKeysAnnouncement,
  installFastHostSignatureCheck,
  packetLayoutOf,
  poolPacketPadding,
  publicKeyFromSshBlob,
  ssh2AllocPacket,
  ssh2Curve25519,
  ssh2KeyPrototype,
  ssh2KeyVerify,
} from '../../runner/connection/ssh2-patches.js';
import { connectRawClient } from '../../runner/connection/ssh.js';
import type { ConnectionSpec } from '../../runner/connection/types.js';
import { sshKeyPair } from '../helpers/ssh-key-pair.js';

function parse(text: string): ParsedKey {
  const parsed = ssh2.utils.parseKey(text);
  if (parsed instanceof Error) throw parsed;
  return Array.isArray(parsed) ? (parsed[0] as ParsedKey) : parsed;
}

const PAIRS = [
  { name: 'ed25519', pair: sshKeyPair('ed25519'), hashes: [undefined] },
  { name: 'rsa', pair: sshKeyPair('rsa', { bits: 2048 }), hashes: [undefined, 'sha256', 'sha512'] },
  { name: 'ecdsa 256', pair: sshKeyPair('ecdsa', { bits: 256 }), hashes: [undefined] },
  { name: 'ecdsa 384', pair: sshKeyPair('ecdsa', { bits: 384 }), hashes: [undefined] },
  { name: 'ecdsa 521', pair: sshKeyPair('ecdsa', { bits: 521 }), hashes: [undefined] },
];

test('ssh2 still has the parsed-key prototype whose verify the host signature check replaces', (t) => {
  t.truthy(ssh2KeyPrototype());
  t.true(installFastHostSignatureCheck());
  t.is(typeof ssh2KeyVerify, 'function');
  t.not(ssh2KeyPrototype()!.verify, ssh2KeyVerify);
});

for (const { name, pair, hashes } of PAIRS) {
  test(`${name}: the JWK-built key is the same key, and verify answers as ssh2's own verify`, (t) => {
    installFastHostSignatureCheck();
    const priv = parse(pair.private);
    const pub = parse(pair.public);
    const built = publicKeyFromSshBlob(pub.getPublicSSH());
    t.truthy(built);
    t.deepEqual(built!.export({ type: 'spki', format: 'der' }), createPublicKey(pub.getPublicPEM()).export({ type: 'spki', format: 'der' }));
    for (const hash of hashes) {
      const data = randomBytes(64);
      const signature = priv.sign(data, hash) as Buffer;
      const tampered = Buffer.from(signature);
      tampered[tampered.length >> 1] ^= 1;
      for (const [what, d, s, expected] of [['good', data, signature, true], ['tampered', data, tampered, false], ['other data', randomBytes(64), signature, false]] as const) {
        const ours = pub.verify(d, s, hash) as boolean | Error;
        const theirs = ssh2KeyVerify!.call(pub, d, s, hash);
        t.is(ours, expected as boolean | Error, `${what} (${hash ?? 'default hash'})`);
        t.is(ours, theirs, `${what}: the same answer as ssh2 (${hash ?? 'default hash'})`);
      }
    }
  });
}

test('malformed or unknown blobs are left to ssh2 (no key built)', (t) => {
  const ed = parse(PAIRS[0]!.pair.public).getPublicSSH();
  t.is(publicKeyFromSshBlob(ed.subarray(0, ed.length - 1)), undefined);
  t.is(publicKeyFromSshBlob(Buffer.concat([ed, Buffer.from([0, 0, 0, 0])])), undefined);
  t.is(publicKeyFromSshBlob(Buffer.from('0000000773736825646173', 'hex')), undefined);
  t.is(publicKeyFromSshBlob(undefined), undefined);
});

/**
 * ssh2's Server on 127.0.0.1, password login, curve25519-sha256 only, the given ciphers; an
 * `exec` request is answered, once its stdin ends, with the command and that stdin, then exit 0.
 */
async function server(cipher?: string[]): Promise<{ port: number; close(): Promise<void> }> {
  const hostKey = sshKeyPair('ed25519');
  const clients = new Set<ssh2.Connection>();
  const algorithms = { kex: ['curve25519-sha256'], ...(cipher ? { cipher } : {}) } as ssh2.Algorithms;
  const srv = new ssh2.Server({ hostKeys: [hostKey.private], algorithms }, (client) => {
    clients.add(client);
    client.on('authentication', (ctx) => (ctx.method === 'password' && ctx.password === 'pw' ? ctx.accept() : ctx.reject(['password'])));
    client.on('session', (accept) => accept().on('exec', (acceptExec, _reject, info) => {
      const channel = acceptExec();
      const input: Buffer[] = [];
      channel.on('data', (d: Buffer) => input.push(d)).on('end', () => {
        channel.write(`${info.command}: ${Buffer.concat(input).toString('utf8')}`);
        channel.exit(0);
        channel.end();
      });
    }));
    client.on('error', () => {});
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  return {
    port,
    close: () => new Promise<void>((resolve) => {
      for (const c of clients) c.end();
      srv.close(() => resolve());
    }),
  };
}

const spec = (port: number): ConnectionSpec => ({ name: 'x', kind: 'ssh', address: '127.0.0.1', port, hostKeyPolicy: 'off', connectTimeoutMs: 10_000 });

test.serial('a connection patches ssh2\'s X25519 exchange; public key and shared secret are ssh2\'s own, every mpint case included', async (t) => {
  const srv = await server();
  try {
    const client = await connectRawClient(spec(srv.port), { host: '127.0.0.1', port: srv.port, username: 'u', password: 'pw', algorithms: { kex: ['curve25519-sha256'] } }, () => undefined);
    client.end();
  } finally {
    await srv.close();
  }
  const proto = ssh2Curve25519.prototype;
  t.truthy(proto, 'the exchange class was reached and patched');
  t.not(proto!.getPublicKey, ssh2Curve25519.getPublicKey);
  const cases = { leadingZero: 0, highBit: 0, plain: 0 };
  for (let i = 0; i < 2000; i++) {
    const exchange = Object.create(proto!) as typeof proto & { _keys: unknown };
    exchange._keys = generateKeyPairSync('x25519');
    const peer = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' }).x!;
    const peerRaw = Buffer.from(peer, 'base64url');
    const ours = exchange.computeSecret(peerRaw) as Buffer;
    const theirs = ssh2Curve25519.computeSecret!.call(exchange, peerRaw) as Buffer;
    if (!ours.equals(theirs)) return t.fail(`shared secrets differ: ${ours.toString('hex')} vs ${theirs.toString('hex')}`);
    if (!exchange.getPublicKey().equals(ssh2Curve25519.getPublicKey!.call(exchange))) return t.fail('public keys differ');
    if (ours.length < 32) cases.leadingZero++;
    else if (ours.length === 33) cases.highBit++;
    else cases.plain++;
  }
  t.true(cases.leadingZero > 0 && cases.highBit > 0 && cases.plain > 0, JSON.stringify(cases));
});

test.serial('the hostkeys-00 announcement is dropped; other global requests still get ssh2\'s answer', async (t) => {
  const srv = await server();
  try {
    const client = new ssh2.Client();
    client.on('error', () => {});
    client.connect({ host: '127.0.0.1', port: srv.port, username: 'u', password: 'pw' });
    t.true(ignoreHostKeysAnnouncement(client), 'ssh2 still keeps its GLOBAL_REQUEST handler where the patch looks');
    // ssh2 calls the handler with its protocol object; its replies are recorded instead of sent.
    const protocol = (client as unknown as { _protocol: { _handlers: { GLOBAL_REQUEST: (...a: unknown[]) => void }; requestSuccess(): void; requestFailure(): void } })._protocol;
    const handler = protocol._handlers.GLOBAL_REQUEST;
    const replies: string[] = [];
    protocol.requestSuccess = () => replies.push('success');
    protocol.requestFailure = () => replies.push('failure');
    let hostkeys = 0;
    client.on('hostkeys', () => hostkeys++);
    handler(protocol, 'hostkeys-00@openssh.com', false, [parse(PAIRS[0]!.pair.public).getPublicSSH()]);
    t.deepEqual(replies, []);
    handler(protocol, 'hostkeys-00@openssh.com', true, []);
    t.deepEqual(replies, ['success']);
    handler(protocol, 'keepalive@openssh.com', true, undefined);
    t.deepEqual(replies, ['success', 'failure'], 'ssh2 refuses other requests, as before');
    t.is(hostkeys, 0);
    client.end();
  } finally {
    await srv.close();
  }
});

/** The output of one exec with `stdin` on a ready client. */
function execOnce(client: ssh2.Client, command: string, stdin = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, channel) => {
      if (err) return reject(err);
      const chunks: Buffer[] = [];
      channel.on('data', (d: Buffer) => chunks.push(d)).on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
      channel.end(stdin);
    });
  });
}

/** A client of `srv` through connectRawClient (which installs the padding pool when ready). */
function connectWith(port: number, cipher: string[]): Promise<ssh2.Client> {
  return connectRawClient(spec(port), { host: '127.0.0.1', port, username: 'u', password: 'pw', algorithms: { kex: ['curve25519-sha256'], cipher } as ssh2.Algorithms }, () => undefined);
}

/** The prototype of the cipher a client negotiated. */
function cipherClassOf(client: ssh2.Client): { allocPacket: (payloadLen: number) => Buffer } {
  return Object.getPrototypeOf((client as unknown as { _protocol: { _cipher: object } })._protocol._cipher);
}

for (const cipher of ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com']) {
  test.serial(`${cipher}: packets pad from the pool with ssh2's own layout, and the connection carries short and long data`, async (t) => {
    const srv = await server([cipher]);
    try {
      const client = await connectWith(srv.port, [cipher]);
      const proto = cipherClassOf(client);
      const ssh2Alloc = ssh2AllocPacket.get(proto);
      t.truthy(ssh2Alloc, 'the negotiated cipher class was patched');
      t.not(proto.allocPacket, ssh2Alloc);
      t.true(poolPacketPadding(client), 'patching again is a no-op that says so');
      for (let payloadLen = 0; payloadLen < 600; payloadLen++) {
        const ours = proto.allocPacket(payloadLen);
        const theirs = ssh2Alloc!.call(proto, payloadLen);
        const padLen = ours[4]!;
        if (ours.length !== theirs.length || padLen !== theirs[4] || ours.readUInt32BE(0) !== theirs.readUInt32BE(0)) {
          return t.fail(`payload ${payloadLen}: layout ${ours.length}/${padLen}/${ours.readUInt32BE(0)} against ssh2's ${theirs.length}/${theirs[4]}/${theirs.readUInt32BE(0)}`);
        }
        if (padLen < 4) return t.fail(`payload ${payloadLen}: padding of ${padLen} bytes`);
      }
      // Fresh bytes each time: 200 paddings of a small packet, no two the same.
      const paddings = new Set<string>();
      for (let i = 0; i < 200; i++) {
        const packet = proto.allocPacket(10);
        paddings.add(packet.subarray(15, 15 + packet[4]!).toString('hex'));
      }
      t.is(paddings.size, 200);
      // Short packets, and a stdin of many full-size packets (and window adjustments) each way.
      for (const stdin of ['', 'x', 'y'.repeat(5000), 'z'.repeat(300_000)]) t.is(await execOnce(client, 'echo', stdin), `echo: ${stdin}`);
      client.end();
    } finally {
      await srv.close();
    }
  });
}

test.serial('a cipher whose packet layout depends on the instance (aes128-ctr) keeps ssh2\'s own padding', async (t) => {
  const srv = await server(['aes128-ctr']);
  try {
    const client = await connectWith(srv.port, ['aes128-ctr']);
    const proto = cipherClassOf(client);
    t.false(poolPacketPadding(client));
    t.false(ssh2AllocPacket.has(proto));
    t.is(await execOnce(client, 'ctr', 'in'), 'ctr: in');
    client.end();
  } finally {
    await srv.close();
  }
});

test('packetLayoutOf reads a fixed layout and refuses what it cannot explain', (t) => {
  const fixed = (block: number, aad: number, tag: number) => (payloadLen: number) => {
    let pad = block - ((5 + payloadLen - aad) & (block - 1));
    if (pad < 4) pad += block;
    const packet = Buffer.alloc(5 + payloadLen + pad + tag);
    packet.writeUInt32BE(1 + payloadLen + pad, 0);
    packet[4] = pad;
    return packet;
  };
  t.deepEqual(packetLayoutOf({}, fixed(16, 4, 16)), { block: 16, aad: 4, tag: 16 });
  t.deepEqual(packetLayoutOf({}, fixed(8, 0, 0)), { block: 8, aad: 0, tag: 0 });
  // Padding that is sometimes one block longer (allowed by the RFC, not by the pooled copy).
  const irregular = (payloadLen: number) => {
    const packet = fixed(8, 4, 16)(payloadLen);
    if (payloadLen !== 7) return packet;
    const longer = Buffer.alloc(packet.length + 8);
    longer.writeUInt32BE(packet.readUInt32BE(0) + 8, 0);
    longer[4] = packet[4]! + 8;
    return longer;
  };
  t.deepEqual(packetLayoutOf({}, fixed(8, 4, 16)), { block: 8, aad: 4, tag: 16 });
  t.is(packetLayoutOf({}, irregular), undefined);
  const readsInstance = function (this: unknown, payloadLen: number) {
    return fixed((this as { block: number }).block, 4, 16)(payloadLen);
  };
  t.is(packetLayoutOf({ block: 16 }, readsInstance), undefined, 'an allocPacket that reads `this` is never patched');
});
