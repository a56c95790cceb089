/**
 * Open the connection a host's spec asks for: LocalConnection or SshConnection. For SSH this is
 * where authentication (key file, ssh-agent, password), keepalive, the connect timeout and the
 * host key check are put together.
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { AuthMethod, ConnectConfig } from 'ssh2';
import type { Connection, ConnectionSpec } from './types.js';
import { LocalConnection } from './local.js';
import { connectClient } from './ssh.js';
import { openJumpChain } from './jump.js';
import { loadKnownHosts, preferredHostKeyAlgorithms, resolveKnownHostsFile, verifyHostKey } from './host-keys.js';
import { KeyFileError, loadPrivateKey } from './private-keys.js';
import { ConfigError } from '../errors.js';

/** Keepalive: a silent peer is declared gone after about 3 × 10 s. */
const KEEPALIVE_INTERVAL_MS = 10_000;
const KEEPALIVE_COUNT_MAX = 3;

/** Connect to one host; throws UnreachableError (transport, auth, host key) or ConfigError (unusable key file). */
export async function openConnection(spec: ConnectionSpec): Promise<Connection> {
  if (spec.kind === 'local') return new LocalConnection(spec.name);
  let hostKeyError: Error | undefined;
  const config = await buildSshConfig(spec, (err) => (hostKeyError = err));
  if (!spec.jumpHosts?.length) return connectClient(spec, config, () => hostKeyError);
  const { sock, hops } = await openJumpChain(spec, buildSshConfig);
  try {
    return await connectClient(spec, { ...config, sock }, () => hostKeyError, hops);
  } catch (err) {
    for (const hop of hops) hop.end();
    throw err;
  }
}

/**
 * The ssh2 client config for a spec. `onHostKeyRefused` receives our own refusal (ssh2 only
 * reports "verification failed"), so the caller can throw the message that names the keys.
 */
export async function buildSshConfig(spec: ConnectionSpec, onHostKeyRefused: (err: Error) => void): Promise<ConnectConfig> {
  const knownHostsFile = resolveKnownHostsFile(spec.knownHostsFile);
  const names = [...new Set([spec.address, spec.name])];
  const check = { names, port: spec.port, policy: spec.hostKeyPolicy, ...(spec.hostKeyFingerprints ? { pinned: spec.hostKeyFingerprints } : {}) };
  const config: ConnectConfig = {
    host: spec.address,
    port: spec.port,
    username: spec.user ?? process.env.USER ?? 'root',
    readyTimeout: spec.connectTimeoutMs,
    keepaliveInterval: KEEPALIVE_INTERVAL_MS,
    keepaliveCountMax: KEEPALIVE_COUNT_MAX,
    hostVerifier: (key: Buffer, verify: (valid: boolean) => void) => {
      verifyHostKey(spec.name, knownHostsFile, key, check).then(
        () => verify(true),
        (err: Error) => {
          onHostKeyRefused(err);
          verify(false);
        },
      );
    },
  };
  if (spec.hostKeyPolicy !== 'off' && !spec.hostKeyFingerprints?.length) {
    // Ask the server for a key type we already know, so a host with several keys is checked against ours.
    const preferred = preferredHostKeyAlgorithms(await loadKnownHosts(knownHostsFile), names, spec.port);
    if (preferred.length > 0) config.algorithms = { serverHostKey: { prepend: preferred } as never };
  }
  // The key file is parsed once per run and handed to ssh2 parsed (private-keys.ts), not as
  // config.privateKey, which ssh2 would parse again for every connection.
  const username = config.username!;
  let publicKey: AuthMethod | undefined;
  if (spec.privateKeyFile) {
    const file = spec.privateKeyFile;
    const key = await loadPrivateKey(file, askPassphrase).catch((err: unknown) => {
      throw err instanceof KeyFileError ? keyError(file, err.message) : err;
    });
    publicKey = { type: 'publickey', username, key } as AuthMethod;
  }
  if (process.env.SSH_AUTH_SOCK) config.agent = process.env.SSH_AUTH_SOCK;
  if (spec.password) config.password = spec.password;
  // ssh2 first tries the "none" method to learn which ones the server takes: a round trip per
  // host for nothing when we know what we hold. Same order as ssh2's default otherwise.
  const methods = [
    config.password !== undefined && ({ type: 'password', username, password: config.password } as AuthMethod),
    publicKey,
    config.agent !== undefined && ({ type: 'agent', username, agent: config.agent } as AuthMethod),
  ].filter((m): m is AuthMethod => Boolean(m));
  if (methods.length > 0) config.authHandler = methods;
  return config;
}

/** One prompt per key file per run, shared by every host that uses the key. */
const passphrases = new Map<string, Promise<string>>();

/** Open an encrypted key with a passphrase asked on the terminal only (see PassphraseSource). */
async function askPassphrase(file: string, open: (passphrase: string) => boolean): Promise<void> {
  if (!process.stdin.isTTY) {
    throw keyError(file, 'the private key is encrypted and there is no terminal to ask for its passphrase: load it into ssh-agent (ssh-add) and leave ansible_ssh_private_key_file unset, or use an unencrypted key');
  }
  let pending = passphrases.get(file);
  if (!pending) {
    pending = askHidden(`Passphrase for ${file}: `);
    passphrases.set(file, pending);
  }
  if (!open(await pending)) {
    passphrases.delete(file);
    throw keyError(file, 'wrong passphrase for the private key');
  }
}

function keyError(file: string, message: string): ConfigError {
  return new ConfigError([{ location: { file, line: 1, col: 1 }, pointer: '', message }]);
}

/** Read a line from the terminal without echoing it. */
function askHidden(question: string): Promise<string> {
  process.stderr.write(question);
  const silent = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input: process.stdin, output: silent, terminal: true });
  return new Promise((resolve) => {
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}
