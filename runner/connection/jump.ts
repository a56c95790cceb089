/**
 * Reaching a host through jump hosts (ssh's ProxyJump): connect to the first hop, open a
 * direct-tcpip channel from it to the next hop's SSH port, run the next SSH connection over that
 * channel, and so on; the host's connection runs over the last channel. Every hop is
 * authenticated with the host's key file or agent and its host key is checked like the host's.
 */
import type { Duplex } from 'node:stream';
import type { Client, ConnectConfig } from 'ssh2';
import type { ConnectionSpec, JumpHost } from './types.js';
import { connectRawClient } from './ssh.js';
import { UnreachableError } from '../errors.js';

/** Builds the ssh2 config of a spec; `onHostKeyRefused` receives the refusal that names the keys. */
export type BuildConfig = (spec: ConnectionSpec, onHostKeyRefused: (err: Error) => void) => Promise<ConnectConfig>;

/** Connect through every jump host of `spec`: the stream to the host's SSH port, and the hop clients. */
export async function openJumpChain(spec: ConnectionSpec, buildConfig: BuildConfig): Promise<{ sock: Duplex; hops: Client[] }> {
  const hops: Client[] = [];
  let sock: Duplex | undefined;
  const targets = [...(spec.jumpHosts ?? []).slice(1), { address: spec.address, port: spec.port }];
  try {
    for (const [i, hop] of (spec.jumpHosts ?? []).entries()) {
      const hopSpec = jumpHostSpec(spec, hop);
      let refused: Error | undefined;
      const config = await buildConfig(hopSpec, (err) => (refused = err));
      if (sock) config.sock = sock;
      const client = await connectRawClient(hopSpec, config, () => refused);
      hops.push(client);
      sock = await forwardTo(client, hopSpec, targets[i]!);
    }
  } catch (err) {
    for (const hop of hops) hop.end();
    throw err;
  }
  if (!sock) throw new Error('openJumpChain: the spec has no jump hosts');
  return { sock, hops };
}

/**
 * A jump host as a spec of its own: its address, port and user; the host's key file, agent,
 * known_hosts and policy. Not the host's password, become password or pinned fingerprints:
 * those belong to the host.
 */
export function jumpHostSpec(spec: ConnectionSpec, hop: JumpHost): ConnectionSpec {
  const { password: _password, becomePassword: _become, hostKeyFingerprints: _pinned, jumpHosts: _hops, ...shared } = spec;
  const user = hop.user ?? spec.user;
  return { ...shared, name: `${spec.name} (jump host ${hop.address})`, address: hop.address, port: hop.port, ...(user ? { user } : {}) };
}

function forwardTo(client: Client, hopSpec: ConnectionSpec, target: { address: string; port: number }): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, target.address, target.port, (err, channel) => {
      if (err) reject(new UnreachableError(hopSpec.name, `cannot reach ${target.address}:${target.port} from the jump host: ${err.message}`, { cause: err }));
      else resolve(channel);
    });
  });
}
