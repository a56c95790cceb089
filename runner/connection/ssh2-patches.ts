/**
 * The places where quorum changes what ssh2 (node_modules/ssh2, 1.17) does at run time, kept
 * in this one file so they can be audited together. Each only saves CPU on every connection;
 * none changes a trust decision. test/unit/ssh2-patches.test.ts fails when an ssh2 upgrade
 * moves what they rely on.
 *
 * Why at run time and not by rewriting ssh2's text at bundle time: a build-time patch would run
 * only in the bundle, while the unit and lab tests run the TypeScript sources; these patches run
 * in both, and when ssh2 no longer has what they hook they leave ssh2 as it is (the tests say so).
 *
 * 1. Host signatures are verified with a KeyObject built from the key's SSH blob through JWK
 *    (`createPublicKey({ format: 'jwk' })`: OpenSSL builds the key from its numbers), instead of
 *    the PEM text ssh2 makes of it, which OpenSSL 3 parses through its OSSL_DECODER machinery on
 *    every call (slow and lock-heavy: ~0.33 ms against ~0.16 ms for ed25519, ~0.34 against ~0.11
 *    ms for RSA, measured with node 20 on the lab machine). Same algorithm, same data, same
 *    signature, same answer; a key type not handled here (ssh-dss) keeps ssh2's own verify.
 *
 * 2. OpenSSH's `hostkeys-00@openssh.com` announcement (sent after authentication: every host key
 *    of the server) is ignored. ssh2 answers it, unasked, with a `hostkeys-prove` request: a
 *    round trip in which sshd signs with each of its host keys (an RSA signature among them on a
 *    stock host) and ssh2 verifies each signature, all to emit a 'hostkeys' event no one in
 *    quorum listens to. OpenSSH's own client does the same with UpdateHostKeys=no. Host keys
 *    are checked during the key exchange (host-keys.ts), which this does not touch.
 *
 * 3. The curve25519-sha256 key exchange moves its X25519 public keys as raw 32 bytes through
 *    JWK (`export({ format: 'jwk' })`, `createPublicKey({ format: 'jwk' })`) instead of through
 *    SPKI DER (ssh2 exports its own key to DER twice per handshake, OSSL_ENCODER each time, and
 *    imports the server's key from DER it writes itself, OSSL_DECODER): ~0.09 ms per export and
 *    ~0.12 ms per import against ~0.001 and ~0.007 ms. Same key pair, same shared secret, same
 *    mpint encoding of it (ssh2's convertToMpint, copied below and checked against ssh2's own
 *    computeSecret by the unit test). ssh2's exchange class is not exported: its prototype is
 *    reached through the first exchange object ssh2 assigns to a connection's protocol.
 *
 * 4. The random padding of every packet sent (RFC 4253 6: 4 to 19 bytes) comes from
 *    random-pool.ts, each byte used once, instead of one `randomFillSync` call per packet
 *    (~2 µs in isolation, several times that within a busy run, for a few bytes). OpenSSH's own
 *    client pads from arc4random, which buffers its random stream the same way. Only cipher
 *    classes whose packet layout the class fixes (AES-GCM, ChaCha20-Poly1305: their allocPacket
 *    reads nothing of the instance) are patched, and only after the patched layout was checked
 *    against ssh2's own for every payload length modulo the block: same length field, same
 *    padding length, same buffer size. The class is reached through the cipher ssh2 assigns to
 *    a connection's protocol once the key exchange is done.
 */
import { createPublicKey, diffieHellman, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import ssh2, { type Client } from 'ssh2';
import { defaultHashOf } from './private-keys.js';
import { fillRandom } from './random-pool.js';

type Verify = (this: ssh2.ParsedKey, data: Buffer, signature: Buffer, algo?: string) => boolean | Error;

/** Any public key line: only its parse result's prototype (ssh2's BaseKey) is used. */
const SAMPLE_PUBLIC_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICF+Tosduz+26vVP52LOke2mJCvzrydVqnX8iQy8kpuB sample';

/** ssh2's shared prototype of parsed keys, whose `verify` checks the host's kex signature. */
export function ssh2KeyPrototype(): { verify: Verify } | undefined {
  const sample = ssh2.utils.parseKey(SAMPLE_PUBLIC_KEY);
  if (sample instanceof Error) return undefined;
  const proto = Object.getPrototypeOf(Array.isArray(sample) ? sample[0] : sample) as { verify?: unknown } | null;
  return proto && typeof proto.verify === 'function' ? (proto as { verify: Verify }) : undefined;
}

let installed = false;

/** ssh2's own verify, once replaced: kept for the unit test that compares the two. */
export let ssh2KeyVerify: Verify | undefined;

/** Install patch 1 (once per process). Returns whether ssh2 had the verify it replaces. */
export function installFastHostSignatureCheck(): boolean {
  if (installed) return true;
  const proto = ssh2KeyPrototype();
  if (!proto) return false;
  const ssh2Verify = (ssh2KeyVerify = proto.verify);
  proto.verify = function verifyWithJwkKey(this: ssh2.ParsedKey, data: Buffer, signature: Buffer, algo?: string): boolean | Error {
    const key = publicKeyFromSshBlob(this.getPublicSSH());
    if (!key) return ssh2Verify.call(this, data, signature, algo);
    try {
      return verify(algo || defaultHashOf(this.type), data, key, signature);
    } catch (err) {
      return err as Error;
    }
  };
  installed = true;
  return true;
}

/**
 * A public KeyObject from an SSH public key blob (RFC 4253 6.6, RFC 5656 3.1, RFC 8709 4),
 * built from JWK so OpenSSL's decoders are not involved; undefined for another type or a
 * malformed blob (the caller then falls back to ssh2's own path, which reports it).
 */
export function publicKeyFromSshBlob(blob: Buffer | undefined): KeyObject | undefined {
  if (!blob) return undefined;
  const fields = sshStrings(blob);
  if (!fields) return undefined;
  const type = fields[0]!.toString('latin1');
  let jwk: JsonWebKey;
  if (type === 'ssh-ed25519' && fields.length === 2 && fields[1]!.length === 32) {
    jwk = { kty: 'OKP', crv: 'Ed25519', x: b64url(fields[1]!) };
  } else if (type === 'ssh-rsa' && fields.length === 3) {
    jwk = { kty: 'RSA', e: b64url(unsigned(fields[1]!)), n: b64url(unsigned(fields[2]!)) };
  } else if (type.startsWith('ecdsa-sha2-') && fields.length === 3) {
    const curve = EC_CURVES[fields[1]!.toString('latin1')];
    const q = fields[2]!;
    if (!curve || type !== `ecdsa-sha2-${fields[1]!.toString('latin1')}` || q.length !== 1 + 2 * curve.size || q[0] !== 4) return undefined;
    jwk = { kty: 'EC', crv: curve.jwk, x: b64url(q.subarray(1, 1 + curve.size)), y: b64url(q.subarray(1 + curve.size)) };
  } else {
    return undefined;
  }
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    return undefined;
  }
}

const EC_CURVES: Record<string, { jwk: string; size: number }> = {
  nistp256: { jwk: 'P-256', size: 32 },
  nistp384: { jwk: 'P-384', size: 48 },
  nistp521: { jwk: 'P-521', size: 66 },
};

/** The length-prefixed strings a blob is made of, or undefined if it is not exactly that. */
function sshStrings(blob: Buffer): Buffer[] | undefined {
  const out: Buffer[] = [];
  let at = 0;
  while (at < blob.length) {
    if (at + 4 > blob.length) return undefined;
    const len = blob.readUInt32BE(at);
    if (at + 4 + len > blob.length) return undefined;
    out.push(blob.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return out.length > 0 ? out : undefined;
}

/** An mpint's magnitude without the leading zero bytes (JWK's unsigned big-endian integers). */
function unsigned(mpint: Buffer): Buffer {
  let i = 0;
  while (i < mpint.length - 1 && mpint[i] === 0) i++;
  return mpint.subarray(i);
}

function b64url(bytes: Buffer): string {
  return bytes.toString('base64url');
}

/**
 * Install patch 2 on one client, after `client.connect()` (which creates the protocol object
 * holding ssh2's message handlers). Returns whether the handler was there to wrap.
 */
export function ignoreHostKeysAnnouncement(client: Client): boolean {
  type GlobalRequest = (protocol: { requestSuccess(): void }, name: string, wantReply: boolean, data: unknown) => void;
  const handlers = (client as unknown as { _protocol?: { _handlers?: { GLOBAL_REQUEST?: GlobalRequest } } })._protocol?._handlers;
  const ssh2Handler = handlers?.GLOBAL_REQUEST;
  if (!handlers || typeof ssh2Handler !== 'function') return false;
  handlers.GLOBAL_REQUEST = (protocol, name, wantReply, data) => {
    if (name !== 'hostkeys-00@openssh.com') return ssh2Handler(protocol, name, wantReply, data);
    // As ssh2 does: OpenSSH sends it without asking for a reply.
    if (wantReply) protocol.requestSuccess();
  };
  return true;
}

/** What patch 3 relies on in ssh2's Curve25519Exchange: its key pair, made on first use. */
interface Curve25519Exchange {
  type: string;
  _keys: { publicKey: KeyObject; privateKey: KeyObject } | null;
  generateKeys(): void;
  getPublicKey(): Buffer;
  computeSecret(otherPublicKey: Buffer): Buffer | Error;
}

/** ssh2's own methods and the class prototype patched, kept for the unit test that compares them. */
export const ssh2Curve25519: {
  prototype?: Curve25519Exchange;
  getPublicKey?: Curve25519Exchange['getPublicKey'];
  computeSecret?: Curve25519Exchange['computeSecret'];
} = {};

/** Patch 3 on a key exchange object's class, once; other exchange types are left alone. */
export function patchCurve25519Exchange(kex: unknown): boolean {
  const exchange = kex as Partial<Curve25519Exchange> | null | undefined;
  if (!exchange || exchange.type !== '25519') return false;
  const proto = Object.getPrototypeOf(exchange) as Curve25519Exchange;
  if (ssh2Curve25519.getPublicKey) return true;
  if (typeof proto.generateKeys !== 'function' || typeof proto.getPublicKey !== 'function' || typeof proto.computeSecret !== 'function') return false;
  ssh2Curve25519.prototype = proto;
  ssh2Curve25519.getPublicKey = proto.getPublicKey;
  ssh2Curve25519.computeSecret = proto.computeSecret;
  proto.getPublicKey = function getPublicKey(this: Curve25519Exchange): Buffer {
    this.generateKeys();
    return Buffer.from(this._keys!.publicKey.export({ format: 'jwk' }).x!, 'base64url');
  };
  proto.computeSecret = function computeSecret(this: Curve25519Exchange, otherPublicKey: Buffer): Buffer | Error {
    this.generateKeys();
    try {
      const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: otherPublicKey.toString('base64url') }, format: 'jwk' });
      return convertToMpint(diffieHellman({ privateKey: this._keys!.privateKey, publicKey }));
    } catch (err) {
      return err as Error;
    }
  };
  return true;
}

/** ssh2's convertToMpint (protocol/kex.js): an unsigned big-endian number as an SSH mpint body. */
function convertToMpint(buf: Buffer): Buffer {
  let idx = 0;
  let length = buf.length;
  while (buf[idx] === 0x00) {
    ++idx;
    --length;
  }
  if (buf[idx]! & 0x80) {
    const out = Buffer.allocUnsafe(1 + length);
    out[0] = 0;
    buf.copy(out, 1, idx);
    return out;
  }
  if (length !== buf.length) {
    const out = Buffer.allocUnsafe(length);
    buf.copy(out, 0, idx);
    return out;
  }
  return buf;
}

/**
 * Install patch 3's hook on one client, after `client.connect()`: the first key exchange object
 * ssh2 assigns to the protocol's `_kex` gets its class patched before ssh2 starts it. Returns
 * whether the protocol had the `_kex` slot to watch.
 */
export function watchKeyExchange(client: Client): boolean {
  const protocol = (client as unknown as { _protocol?: Record<string, unknown> })._protocol;
  if (!protocol || !('_kex' in protocol)) return false;
  if (ssh2Curve25519.getPublicKey) return true; // the class is patched already
  let current = protocol['_kex'];
  Object.defineProperty(protocol, '_kex', {
    configurable: true,
    enumerable: true,
    get: () => current,
    set: (kex: unknown) => {
      patchCurve25519Exchange(kex);
      current = kex;
    },
  });
  return true;
}

/** An outgoing packet's layout: padding to a multiple of `block` from byte `aad`, `tag` bytes after. */
export interface PacketLayout {
  block: number;
  aad: number;
  tag: number;
}

type AllocPacket = (this: unknown, payloadLen: number) => Buffer;

/** ssh2's own allocPacket of each cipher class patched, kept for the unit test that compares them. */
export const ssh2AllocPacket = new Map<object, AllocPacket>();

/** allocPacket for one layout: ssh2's arithmetic, with the padding from the pool. */
export function pooledAllocPacket({ block, aad, tag }: PacketLayout): AllocPacket {
  return function allocPacketPooledPadding(payloadLen: number): Buffer {
    let packetLen = 4 + 1 + payloadLen;
    let padLen = block - ((packetLen - aad) & (block - 1));
    if (padLen < 4) padLen += block;
    packetLen += padLen;
    const packet = Buffer.allocUnsafe(packetLen + tag);
    packet.writeUInt32BE(packetLen - 4, 0);
    packet[4] = padLen;
    fillRandom(packet, 5 + payloadLen, padLen);
    return packet;
  };
}

/**
 * The fixed layout ssh2's allocPacket gives on `cipher`, read from what it returns for every
 * payload length over two of the largest blocks; undefined when the method reads the instance
 * (its layout may differ between connections) or no single layout explains every answer.
 */
export function packetLayoutOf(cipher: object, allocPacket: AllocPacket): PacketLayout | undefined {
  if (/\bthis\b/.test(Function.prototype.toString.call(allocPacket))) return undefined;
  const seen = Array.from({ length: 32 }, (_, payloadLen) => {
    const packet = allocPacket.call(cipher, payloadLen);
    return { payloadLen, padLen: packet[4]!, packetLen: packet.readUInt32BE(0) + 4, size: packet.length };
  });
  const tag = seen[0]!.size - seen[0]!.packetLen;
  for (const block of [8, 16]) {
    for (const aad of [0, 4]) {
      const fits = seen.every(({ payloadLen, padLen, packetLen, size }) => {
        let pad = block - ((5 + payloadLen - aad) & (block - 1));
        if (pad < 4) pad += block;
        return padLen === pad && packetLen === 5 + payloadLen + pad && size === packetLen + tag;
      });
      if (fits) return { block, aad, tag };
    }
  }
  return undefined;
}

/**
 * Install patch 4 for the cipher ssh2 negotiated on one client (call once it is ready: the key
 * exchange has replaced the handshake's null cipher). Returns whether its class pads from the
 * pool now.
 */
export function poolPacketPadding(client: Client): boolean {
  const cipher = (client as unknown as { _protocol?: { _cipher?: object } })._protocol?._cipher;
  if (!cipher) return false;
  const proto = Object.getPrototypeOf(cipher) as { allocPacket?: unknown } | null;
  if (!proto || typeof proto.allocPacket !== 'function') return false;
  if (ssh2AllocPacket.has(proto)) return true;
  const ssh2Alloc = proto.allocPacket as AllocPacket;
  const layout = packetLayoutOf(cipher, ssh2Alloc);
  if (!layout) return false;
  ssh2AllocPacket.set(proto, ssh2Alloc);
  proto.allocPacket = pooledAllocPacket(layout);
  return true;
}
