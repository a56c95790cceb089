/**
 * etcd's JSON gRPC gateway (`POST /v3/...` on the client port) over mTLS from the controller:
 * health, status and member list without etcdctl on any host. The gateway prints 64-bit ids as
 * decimal strings, so nothing is lost in JSON.parse (spec/kubeadm-etcd.md 4.5).
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { rootCertificates } from 'node:tls';
import { deferredExtraCaCertsFile } from '../launch/extra-ca-certs.js';
import type { EndpointProbe } from './types.js';
import { normalizeMembers, normalizeStatus } from './etcdctl.js';

/** PEM material for the client side of mTLS (already read from the controller's files). */
export interface GatewayTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** POST a JSON body to `endpoint + path`; resolves with the parsed reply or rejects with why. */
export function postGateway(endpoint: string, path: string, body: unknown, tls: GatewayTls, timeoutMs: number): Promise<Record<string, unknown>> {
  const url = new URL(path, endpoint);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', ...tlsOptions(tls), headers: { 'content-type': 'application/json' }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode} from ${path}: ${text.trim().slice(0, 200)}`));
          try {
            resolve(JSON.parse(text) as Record<string, unknown>);
          } catch {
            reject(new Error(`invalid JSON from ${path}: ${text.slice(0, 200)}`));
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

function tlsOptions(tls: GatewayTls): Record<string, Buffer | string[]> {
  const o: Record<string, Buffer | string[]> = {};
  const defaults = tls.ca ? undefined : defaultCaWithDeferredExtras();
  if (tls.ca) o['ca'] = tls.ca;
  else if (defaults) o['ca'] = defaults;
  if (tls.cert) o['cert'] = tls.cert;
  if (tls.key) o['key'] = tls.key;
  return o;
}

/**
 * Without a `cacert`, Node's default trust: its root certificates plus NODE_EXTRA_CA_CERTS. When
 * the launcher deferred that file (runner/launch/extra-ca-certs.ts), Node never loaded it, so it is added
 * here; undefined means Node's own default is already right. An unreadable file is ignored, as
 * Node ignores it (with a warning) at start-up.
 */
function defaultCaWithDeferredExtras(): string[] | undefined {
  const file = deferredExtraCaCertsFile();
  if (!file) return undefined;
  if (defaultCa?.file !== file) {
    try {
      defaultCa = { file, ca: [...rootCertificates, readFileSync(file, 'utf8')] };
    } catch {
      defaultCa = { file, ca: undefined };
    }
  }
  return defaultCa.ca;
}
/** Read once per run, not per request: each endpoint's probe makes three requests. */
let defaultCa: { file: string; ca: string[] | undefined } | undefined;

/**
 * Probe one endpoint the way `etcdctl endpoint health` does (a linearizable range read of
 * key `health`; permission denied also counts as healthy), then read its status and member
 * list. Never rejects: failures end in `error`.
 */
export async function probeGateway(endpoint: string, tls: GatewayTls, timeoutMs: number): Promise<EndpointProbe> {
  const probe: EndpointProbe = { endpoint, healthy: false };
  try {
    await postGateway(endpoint, '/v3/kv/range', { key: Buffer.from('health').toString('base64') }, tls, timeoutMs);
    probe.healthy = true;
  } catch (err) {
    const message = describeError(err);
    if (/permission denied/i.test(message)) probe.healthy = true;
    else probe.error = message;
  }
  if (!probe.healthy) return probe;
  try {
    probe.status = normalizeStatus(await postGateway(endpoint, '/v3/maintenance/status', {}, tls, timeoutMs));
    const list = await postGateway(endpoint, '/v3/cluster/member/list', {}, tls, timeoutMs);
    probe.members = normalizeMembers((list['members'] as Array<Record<string, unknown>> | undefined) ?? []);
  } catch (err) {
    probe.healthy = false;
    probe.error = `status/member list failed: ${describeError(err)}`;
  }
  return probe;
}

/** Node's network errors carry the useful word in `code` (ECONNREFUSED), not the message. */
function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ECONNREFUSED') return 'connection refused';
  if (e?.code === 'EHOSTUNREACH') return 'host unreachable';
  if (e?.code === 'ECONNRESET') return 'connection reset (TLS handshake refused? check the client certificate)';
  return e?.message ?? String(err);
}
