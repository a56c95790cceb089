/**
 * Private key files, parsed once per run and signed with a KeyObject.
 *
 * Every host of a run uses the same one or two key files. Handing ssh2 the file's bytes made it
 * parse the key for every connection (ssh2's Client.connect) and, worse, sign the user-auth
 * request with `crypto.sign(algo, data, PEM)`: OpenSSL 3 decodes the PEM through its
 * OSSL_DECODER machinery on every signature (~0.7 ms of CPU for an ed25519 key, against
 * ~0.05 ms with a KeyObject; bench notes of issue 17). Here a key file is parsed once per
 * distinct content (path + SHA-256 of the bytes, so a rewritten file is parsed again), its
 * private key turned into a KeyObject once, and ssh2 gets an already parsed key whose `sign`
 * uses that KeyObject. Everything else about the key (its type, the public blob ssh2 offers, the
 * algorithms ssh2 negotiates for it: rsa-sha2-256/512 or ssh-rsa) stays ssh2's own.
 */
import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import ssh2, { type ParsedKey } from 'ssh2';

/** Why a key file cannot be used; the caller turns it into its ConfigError naming the file. */
export class KeyFileError extends Error {}

/**
 * Opens an encrypted key: gets a passphrase (a prompt) and calls `open` with it, which decrypts
 * the key and says whether the passphrase was right; rejects to give up (the caller's own error
 * for a wrong passphrase or no terminal). Called only for an encrypted key, once per parse.
 */
export type PassphraseSource = (file: string, open: (passphrase: string) => boolean) => Promise<void>;

/** Parsed keys by path and content digest: one parse (and one passphrase) per key per run. */
const loaded = new Map<string, Promise<ParsedKey>>();

/**
 * The key of a private key file, ready for ssh2's publickey authentication. Reads the file
 * each time (a few microseconds) so a file rewritten during a run is noticed; parses it only
 * when its content is new. Rejects with KeyFileError (unreadable, not a private key) or what
 * `passphrase` rejects with.
 */
export async function loadPrivateKey(file: string, passphrase: PassphraseSource): Promise<ParsedKey> {
  const bytes = await readFile(file).catch((err: Error) => {
    throw new KeyFileError(`cannot read the private key file: ${err.message}`);
  });
  const id = `${file}\0${createHash('sha256').update(bytes).digest('hex')}`;
  let pending = loaded.get(id);
  if (!pending) {
    pending = parsePrivateKey(file, bytes, passphrase);
    loaded.set(id, pending);
    // A failure (a wrong passphrase typed) is not remembered: the next host asks again.
    pending.catch(() => loaded.delete(id));
  }
  return pending;
}

async function parsePrivateKey(file: string, bytes: Buffer, passphrase: PassphraseSource): Promise<ParsedKey> {
  let parsed = ssh2.utils.parseKey(bytes);
  if (parsed instanceof Error) {
    if (!/passphrase/i.test(parsed.message)) throw new KeyFileError(`not a usable private key: ${parsed.message}`);
    // Decrypting is slow (bcrypt): the key opened by the right passphrase is the one kept.
    let opened: ParsedKey | undefined;
    await passphrase(file, (p) => {
      const attempt = ssh2.utils.parseKey(bytes, p);
      if (!(attempt instanceof Error)) opened = attempt;
      return opened !== undefined;
    });
    if (opened === undefined) throw new KeyFileError('wrong passphrase for the private key');
    parsed = opened;
  }
  // OpenSSH's format holds one key: ssh2 returns it in an array (and takes the first, as here).
  const key: ParsedKey = Array.isArray(parsed) ? (parsed[0] as ParsedKey) : parsed;
  const pem = key.getPrivatePEM();
  if (!key.isPrivateKey() || !pem) throw new KeyFileError('not a usable private key: the file holds no private key (a public key file?)');
  return withKeyObjectSigner(key, createPrivateKey(pem));
}

/**
 * The hash ssh2 signs with when it names none (its parsed key's own default, by key type): SHA-1
 * for ssh-rsa and ssh-dss, the curve's hash for ECDSA, none for ed25519. ssh2 names sha256 or
 * sha512 itself when it negotiated rsa-sha2-256/512. The unit test checks this table against
 * ssh2's own signatures.
 */
export function defaultHashOf(keyType: string): string | null {
  switch (keyType) {
    case 'ssh-rsa':
    case 'ssh-dss':
      return 'sha1';
    case 'ecdsa-sha2-nistp256':
      return 'sha256';
    case 'ecdsa-sha2-nistp384':
      return 'sha384';
    case 'ecdsa-sha2-nistp521':
      return 'sha512';
    default:
      return null;
  }
}

/**
 * ssh2's parsed key with `sign` replaced by one that uses `privateKey`: same contract as ssh2's
 * (a DER/raw signature as OpenSSL gives it, which ssh2 converts to SSH's encoding; an Error
 * returned, not thrown). The result inherits everything else from the parsed key, so ssh2 still
 * recognizes it as a parsed key and reads its type and public blob from it.
 */
export function withKeyObjectSigner(key: ParsedKey, privateKey: KeyObject): ParsedKey {
  const fallback = defaultHashOf(key.type);
  const signer = Object.create(key) as ParsedKey;
  Object.defineProperty(signer, 'sign', {
    value: (data: Buffer, algo?: string): Buffer | Error => {
      try {
        return sign(algo || fallback, data, privateKey);
      } catch (err) {
        return err as Error;
      }
    },
  });
  return signer;
}
