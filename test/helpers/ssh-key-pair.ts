/**
 * ssh2's generateKeyPairSync, retried until ssh2 can parse both halves of what it made. About 1
 * in 256 of its ed25519 pairs cannot be read back (its keygen strips a public key's leading zero
 * bytes: mscdex/ssh2 issues 1390 and 1513, open for ssh2 1.17), which made the tests that start
 * an ssh2 server or sign with such a key fail once in a few hundred runs.
 */
import ssh2 from 'ssh2';

type KeyType = 'ed25519' | 'rsa' | 'ecdsa';
type KeyOptions = { bits?: number; comment?: string };

export function sshKeyPair(type: KeyType, options: KeyOptions = {}): { private: string; public: string } {
  for (let attempt = 0; attempt < 64; attempt++) {
    const pair = ssh2.utils.generateKeyPairSync(type as never, options as never) as { private: string; public: string };
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error) && !(ssh2.utils.parseKey(pair.public) instanceof Error)) return pair;
  }
  throw new Error(`ssh2 made no ${type} key pair it can parse in 64 attempts`);
}
