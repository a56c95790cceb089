/**
 * Probe etcd endpoints with etcdctl on a host, as the kubeadm doc's health check does:
 * `endpoint health` and `endpoint status -w json` for all of them, `member list -w json` from each.
 */
import type { Connection, ExecResult } from '../connection/types.js';
import { execConcurrently } from '../connection/concurrent.js';
import type { EndpointProbe, EtcdStatus } from './types.js';
import {
  buildEtcdctlArgv,
  HEALTH_CLUSTER_SUBCOMMAND,
  HEALTH_SUBCOMMAND,
  MEMBERS_SUBCOMMAND,
  parseHealthOutput,
  parseMemberListJson,
  parseStatusJson,
  STATUS_SUBCOMMAND,
  summarizeEtcdctlError,
  type EtcdctlOptions,
  type HealthLine,
} from './etcdctl.js';

/**
 * The dial error inside etcdctl's JSON warning lines, e.g. `connect: connection refused` from
 * `... dial tcp 10.0.0.8:2379: connect: connection refused`; undefined when none is logged.
 * With `endpoint`, only an error dialling that endpoint's host:port counts (one etcdctl run
 * probes every endpoint, and logs for all of them).
 */
export function findDialError(stderr: string, endpoint?: string): string | undefined {
  const target = endpoint === undefined ? '[^:]+(?::\\d+)?' : escapeRegExp(new URL(endpoint).host);
  const m = new RegExp(`dial tcp ${target}: ([^"\\\\]+)`).exec(stderr) ?? (endpoint === undefined ? /Error while dialing ([^"\\]+)/.exec(stderr) : null);
  return m?.[1]?.trim();
}

/** What `endpoint status` printed on stderr for one endpoint it could not read. */
function findStatusError(stderr: string, endpoint: string): string | undefined {
  const line = stderr.split('\n').find((l) => l.startsWith(`Failed to get the status of endpoint ${endpoint} `));
  return line?.trim();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Exit status sh gives for a command it cannot find. */
const NOT_FOUND = 127;

/** Thrown when etcdctl is not installed: no endpoint verdict would be meaningful. */
export class EtcdctlMissingError extends Error {}

/**
 * What etcdctl printed: `endpoint health` and `endpoint status` once for every endpoint (each
 * goes on past an endpoint it cannot reach and exits 1), `member list` from this endpoint.
 */
export interface EtcdctlReplies {
  health: ExecResult;
  status: ExecResult;
  members: ExecResult;
}

/**
 * Probe every endpoint with etcdctl on the host behind `conn`, in one round trip: one `endpoint
 * health` and one `endpoint status` for all endpoints, and a `member list` from each endpoint
 * (the lists must agree), all at once. Each etcdctl costs ~30 ms of host CPU with its TLS
 * handshakes, so this is 2 + N processes instead of 3N. Resolves with one probe per endpoint
 * (an unhealthy endpoint is data, not an error); rejects only when etcdctl itself is missing.
 */
export async function probeEtcdctl(conn: Connection, endpoints: readonly string[], options: EtcdctlOptions, sudo: boolean): Promise<EndpointProbe[]> {
  return (await probeEtcdctlCluster(conn, endpoints, options, sudo, false)).probes;
}

/** probeEtcdctl's probes, with what the health call printed and, with `--cluster`, its other verdicts. */
export interface EtcdctlClusterProbe {
  probes: EndpointProbe[];
  /** What `endpoint health` printed, stdout then stderr, as etcdctl wrote them (bounded): host data, for display only. */
  healthOutput: string;
  /** With `cluster`: etcdctl's verdicts on client URLs the member list advertises that are not among `endpoints`. */
  advertised: HealthLine[];
}

/** Bound on the health output kept for display: a few lines per member in practice. */
const MAX_HEALTH_OUTPUT = 16 * 1024;

/**
 * As probeEtcdctl; with `cluster`, the health call is the kubeadm doc's `endpoint health
 * --cluster` (etcdctl checks every client URL the member list advertises), so one etcdctl run
 * is both this module's health read and the doc's check: a separate `etcdctl endpoint health
 * --cluster` afterwards would start a second Go program (~35 ms of host CPU with its TLS
 * handshakes) for the same verdicts.
 */
export async function probeEtcdctlCluster(conn: Connection, endpoints: readonly string[], options: EtcdctlOptions, sudo: boolean, cluster: boolean): Promise<EtcdctlClusterProbe> {
  const all = endpoints.join(',');
  const healthCommand = cluster ? HEALTH_CLUSTER_SUBCOMMAND : HEALTH_SUBCOMMAND;
  const argvs = [buildEtcdctlArgv(all, healthCommand, options), buildEtcdctlArgv(all, STATUS_SUBCOMMAND, options), ...endpoints.map((e) => buildEtcdctlArgv(e, MEMBERS_SUBCOMMAND, options))];
  const [health, status, ...members] = (await execConcurrently(conn, argvs, { sudo, env: { ETCDCTL_API: '3' } })) as [ExecResult, ExecResult, ...ExecResult[]];
  return judgeReplies(conn.host, endpoints, { health, status, members }, options, cluster);
}

/**
 * Every endpoint's probe from the replies of one probeEtcdctlCluster round trip (pure; exported
 * for the replay tests): `members[i]` is endpoint i's member list.
 */
export function judgeReplies(host: string, endpoints: readonly string[], replies: { health: ExecResult; status: ExecResult; members: ExecResult[] }, options: Pick<EtcdctlOptions, 'binary'>, cluster: boolean): EtcdctlClusterProbe {
  const { health, status, members } = replies;
  const probes = endpoints.map((endpoint, i) => judgeEndpoint(host, endpoint, { health, status, members: members[i]! }, options, cluster));
  const output = `${health.stdout.toString('utf8')}${health.stderr.toString('utf8')}`;
  const ours = new Set(endpoints.map(withoutTrailingSlash));
  const advertised = cluster ? parseHealthOutput(health.stdout.toString('utf8'), health.stderr.toString('utf8')).filter((l) => !ours.has(withoutTrailingSlash(l.endpoint))) : [];
  return { probes, healthOutput: output.length > MAX_HEALTH_OUTPUT ? `${output.slice(0, MAX_HEALTH_OUTPUT)}\n[... cut at ${MAX_HEALTH_OUTPUT} characters]` : output, advertised };
}

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

/**
 * The probe of one endpoint from etcdctl's replies (pure; exported for the replay tests). The
 * exit codes of health and status say whether every endpoint answered; this endpoint's verdict
 * is its own line and its own entry.
 */
export function judgeEndpoint(host: string, endpoint: string, replies: EtcdctlReplies, options: Pick<EtcdctlOptions, 'binary'> = {}, cluster = false): EndpointProbe {
  const { health, status, members } = replies;
  if (health.exitCode === NOT_FOUND) {
    throw new EtcdctlMissingError(`${options.binary ?? 'etcdctl'} not found on ${host}: install it (Debian: apt-get install etcd-client) or use method: gateway`);
  }
  const stdout = health.stdout.toString('utf8');
  const stderr = health.stderr.toString('utf8');
  const statusStderr = status.stderr.toString('utf8');
  const lines = parseHealthOutput(stdout, stderr);
  const line = lines.find((l) => withoutTrailingSlash(l.endpoint) === withoutTrailingSlash(endpoint));
  const probe: EndpointProbe = { endpoint, healthy: line?.healthy === true };
  if (!probe.healthy) {
    // `--cluster` checked the URLs the member list advertises: an endpoint it judged none of
    // is not one of them (a member advertising another address, or no member at all).
    const notAdvertised = cluster && !line && lines.length > 0 ? 'not among the client URLs the member list advertises (etcdctl endpoint health --cluster checked those)' : undefined;
    probe.error = line?.error ?? notAdvertised ?? summarizeEtcdctlError(stderr, health.exitCode);
    // 3.4's health line only says "context deadline exceeded"; the status call's gRPC log
    // names the dial error (connection refused, no route), which is what the user needs.
    const dial = findDialError(stderr, endpoint) ?? findDialError(statusStderr, endpoint);
    if (dial && !probe.error.includes(dial)) probe.error += ` (${dial})`;
    return probe;
  }
  try {
    Object.assign(probe, readMemberView(endpoint, status, members));
  } catch (err) {
    probe.healthy = false;
    probe.error = (err as Error).message;
  }
  return probe;
}

/**
 * This endpoint's own `endpoint status` entry and its `member list`, or an error saying which
 * of the two failed and why. `status` may cover several endpoints (it exits 1 when any of them
 * did not answer): only this endpoint's entry counts.
 */
function readMemberView(endpoint: string, status: ExecResult, members: ExecResult): Required<Pick<EndpointProbe, 'status' | 'members'>> {
  const statusStderr = status.stderr.toString('utf8');
  const statuses = status.stdout.length > 0 ? parseStatusJson(status.stdout.toString('utf8')) : new Map<string, EtcdStatus>();
  const own = statuses.get(endpoint);
  if (!own) throw new Error(`endpoint status: ${findStatusError(statusStderr, endpoint) ?? summarizeEtcdctlError(statusStderr, status.exitCode)}`);
  if (members.exitCode !== 0) throw new Error(`member list: ${summarizeEtcdctlError(members.stderr.toString('utf8'), members.exitCode)}`);
  return { status: own, members: parseMemberListJson(members.stdout.toString('utf8')) };
}

/**
 * What one member says of the cluster, for etcd-member-info: its own `endpoint status` (its id,
 * the leader it knows) and `member list`, two etcdctl processes at once. No health check: a
 * member that answers both is counted as answering, which is all the planner needs (the health
 * gates check the cluster before anything changes it).
 */
export async function probeMemberView(conn: Connection, endpoint: string, options: EtcdctlOptions, sudo: boolean): Promise<EndpointProbe> {
  const [status, members] = (await execConcurrently(conn, [buildEtcdctlArgv(endpoint, STATUS_SUBCOMMAND, options), buildEtcdctlArgv(endpoint, MEMBERS_SUBCOMMAND, options)], { sudo, env: { ETCDCTL_API: '3' } })) as [ExecResult, ExecResult];
  if (status.exitCode === NOT_FOUND) throw new EtcdctlMissingError(`${options.binary ?? 'etcdctl'} not found on ${conn.host}: install it (Debian: apt-get install etcd-client)`);
  try {
    return { endpoint, healthy: true, ...readMemberView(endpoint, status, members) };
  } catch (err) {
    // As judgeEndpoint does: the gRPC log's dial error (connection refused, no route) is the reason.
    const message = (err as Error).message;
    const dial = findDialError(status.stderr.toString('utf8'), endpoint);
    return { endpoint, healthy: false, error: dial && !message.includes(dial) ? `${message} (${dial})` : message };
  }
}
