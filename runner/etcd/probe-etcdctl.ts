/**
 * Probe etcd endpoints with etcdctl on a host, as the kubeadm doc's health check does:
 * `endpoint health`, `endpoint status -w json` and `member list -w json` for each.
 */
import type { Connection, ExecResult } from '../connection/types.js';
import { execConcurrently } from '../connection/concurrent.js';
import type { EndpointProbe } from './types.js';
import {
  buildEtcdctlArgv,
  HEALTH_SUBCOMMAND,
  MEMBERS_SUBCOMMAND,
  parseHealthOutput,
  parseMemberListJson,
  parseStatusJson,
  STATUS_SUBCOMMAND,
  summarizeEtcdctlError,
  type EtcdctlOptions,
} from './etcdctl.js';

/**
 * The dial error inside etcdctl's JSON warning lines, e.g. `connect: connection refused` from
 * `... dial tcp 10.0.0.8:2379: connect: connection refused`; undefined when none is logged.
 */
export function findDialError(stderr: string): string | undefined {
  const m = /dial tcp [^:]+(?::\d+)?: ([^"\\]+)/.exec(stderr) ?? /Error while dialing ([^"\\]+)/.exec(stderr);
  return m?.[1]?.trim();
}

/** Exit status sh gives for a command it cannot find. */
const NOT_FOUND = 127;

/** Thrown when etcdctl is not installed: no endpoint verdict would be meaningful. */
export class EtcdctlMissingError extends Error {}

/** What etcdctl printed for one endpoint: `endpoint health`, `endpoint status`, `member list`. */
export interface EtcdctlReplies {
  health: ExecResult;
  status: ExecResult;
  members: ExecResult;
}

/**
 * Probe every endpoint with etcdctl on the host behind `conn`: the three commands of every
 * endpoint run at once, in one round trip (one after another they took ~300 ms for three
 * members). Resolves with one probe per endpoint (an unhealthy endpoint is data, not an error);
 * rejects only when etcdctl itself is missing.
 */
export async function probeEtcdctl(conn: Connection, endpoints: readonly string[], options: EtcdctlOptions, sudo: boolean): Promise<EndpointProbe[]> {
  const argvs = endpoints.flatMap((e) => [HEALTH_SUBCOMMAND, STATUS_SUBCOMMAND, MEMBERS_SUBCOMMAND].map((sub) => buildEtcdctlArgv(e, sub, options)));
  const results = await execConcurrently(conn, argvs, { sudo, env: { ETCDCTL_API: '3' } });
  return endpoints.map((endpoint, i) => {
    const [health, status, members] = results.slice(3 * i, 3 * i + 3) as [ExecResult, ExecResult, ExecResult];
    return judgeEndpoint(conn.host, endpoint, { health, status, members }, options);
  });
}

/** The probe of one endpoint from etcdctl's replies (pure; exported for the replay tests). */
export function judgeEndpoint(host: string, endpoint: string, replies: EtcdctlReplies, options: Pick<EtcdctlOptions, 'binary'> = {}): EndpointProbe {
  const { health, status, members } = replies;
  if (health.exitCode === NOT_FOUND) {
    throw new EtcdctlMissingError(`${options.binary ?? 'etcdctl'} not found on ${host}: install it (Debian: apt-get install etcd-client) or use method: gateway`);
  }
  const stdout = health.stdout.toString('utf8');
  const stderr = health.stderr.toString('utf8');
  const line = parseHealthOutput(stdout, stderr).find((l) => l.endpoint === endpoint);
  const probe: EndpointProbe = { endpoint, healthy: health.exitCode === 0 && line?.healthy === true };
  if (!probe.healthy) {
    probe.error = line?.error ?? summarizeEtcdctlError(stderr, health.exitCode);
    // 3.4's health line only says "context deadline exceeded"; the status call's gRPC log
    // names the dial error (connection refused, no route), which is what the user needs.
    const dial = findDialError(stderr) ?? findDialError(status.stderr.toString('utf8'));
    if (dial && !probe.error.includes(dial)) probe.error += ` (${dial})`;
    return probe;
  }
  try {
    if (status.exitCode !== 0) throw new Error(`endpoint status: ${summarizeEtcdctlError(status.stderr.toString('utf8'), status.exitCode)}`);
    if (members.exitCode !== 0) throw new Error(`member list: ${summarizeEtcdctlError(members.stderr.toString('utf8'), members.exitCode)}`);
    const statuses = parseStatusJson(status.stdout.toString('utf8'));
    probe.status = statuses.get(endpoint) ?? [...statuses.values()][0];
    probe.members = parseMemberListJson(members.stdout.toString('utf8'));
  } catch (err) {
    probe.healthy = false;
    probe.error = (err as Error).message;
  }
  return probe;
}
