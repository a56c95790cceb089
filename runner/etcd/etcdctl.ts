/**
 * etcdctl v3 command lines and parsers for their output, for etcd 3.4 (Debian bookworm's
 * 3.4.23) and 3.5+. Differences handled here, all observed or read in etcd's sources
 * (spec/kubeadm-etcd.md 4.6): 3.4 prints `endpoint health` success on stderr, 3.5+ on
 * stdout; `-w json` prints 64-bit ids as JSON numbers that `JSON.parse` corrupts.
 */
import type { EtcdMember, EtcdStatus } from './types.js';
import { quoteBigInts, toCount, toHexId } from './ids.js';

/** TLS material and timeouts for etcdctl; paths are on the host that runs etcdctl. */
export interface EtcdctlOptions {
  /** Binary name or path (default `etcdctl`). */
  binary?: string;
  cacert?: string;
  cert?: string;
  key?: string;
  /** Seconds for dial and for each command; keeps a dead endpoint from stalling the task. */
  timeoutSeconds?: number;
}

/** argv for `etcdctl ... SUBCOMMAND` against one endpoint. */
export function buildEtcdctlArgv(endpoint: string, subcommand: readonly string[], options: EtcdctlOptions): string[] {
  const timeout = options.timeoutSeconds ?? 5;
  const argv = [options.binary ?? 'etcdctl', `--endpoints=${endpoint}`];
  if (options.cacert) argv.push(`--cacert=${options.cacert}`);
  if (options.cert) argv.push(`--cert=${options.cert}`);
  if (options.key) argv.push(`--key=${options.key}`);
  // Dial timeout below the command timeout so a refused connection reports as such.
  argv.push(`--dial-timeout=${Math.max(1, Math.min(timeout, 5))}s`, `--command-timeout=${timeout}s`);
  return [...argv, ...subcommand];
}

/** Plain output on purpose: its verdict lines are the same in 3.4 and 3.5+ (only the stream differs). */
export const HEALTH_SUBCOMMAND = ['endpoint', 'health'] as const;
/**
 * The kubeadm doc's check: etcdctl reads the member list from the endpoints it is given, then
 * checks every client URL the members advertise (one process, one TLS handshake more than
 * HEALTH_SUBCOMMAND). Its verdict lines are HEALTH_SUBCOMMAND's.
 */
export const HEALTH_CLUSTER_SUBCOMMAND = ['endpoint', 'health', '--cluster'] as const;
/** JSON, parsed with big ids quoted (see ids.ts). */
export const STATUS_SUBCOMMAND = ['endpoint', 'status', '-w', 'json'] as const;
/** JSON; `-w json --hex` gives hex ids only from 3.5 (spec 4.6), quoting big ints works for every version. */
export const MEMBERS_SUBCOMMAND = ['member', 'list', '-w', 'json'] as const;

/** etcdctl's verdict on one endpoint from `endpoint health` (plain output). */
export interface HealthLine {
  endpoint: string;
  healthy: boolean;
  error?: string;
}

const HEALTHY = /^(\S+) is healthy: successfully committed proposal: took = (.*)$/;
const UNHEALTHY = /^(\S+) is unhealthy: failed to commit proposal: (.*)$/;

/**
 * Parse `etcdctl endpoint health` for every version: the verdict lines are looked for in
 * stdout and stderr together (3.4 prints success on stderr, 3.5+ on stdout; failures go to
 * stderr in both). Returns one entry per endpoint line found.
 */
export function parseHealthOutput(stdout: string, stderr: string): HealthLine[] {
  const lines: HealthLine[] = [];
  for (const raw of `${stdout}\n${stderr}`.split('\n')) {
    const line = raw.trim();
    const ok = HEALTHY.exec(line);
    if (ok) lines.push({ endpoint: ok[1]!, healthy: true });
    const bad = UNHEALTHY.exec(line);
    if (bad) lines.push({ endpoint: bad[1]!, healthy: false, error: bad[2]! });
  }
  return lines;
}

/**
 * Parse `endpoint status -w json` (an array, one entry per endpoint that answered). Endpoints
 * that did not answer are missing from the array; etcdctl explains them on stderr.
 */
export function parseStatusJson(stdout: string): Map<string, EtcdStatus> {
  const entries = JSON.parse(quoteBigInts(stdout)) as Array<{ Endpoint: string; Status: Record<string, unknown> }>;
  if (!Array.isArray(entries)) throw new Error('etcdctl endpoint status -w json did not print an array');
  const out = new Map<string, EtcdStatus>();
  for (const e of entries) out.set(e.Endpoint, normalizeStatus(e.Status));
  return out;
}

/** A status object from etcdctl JSON or the gateway (same proto field names) with hex ids. */
export function normalizeStatus(s: Record<string, unknown>): EtcdStatus {
  const header = (s['header'] ?? {}) as Record<string, unknown>;
  return {
    memberId: toHexId(header['member_id']),
    leader: toHexId(s['leader']),
    version: String(s['version'] ?? ''),
    dbSize: toCount(s['dbSize']),
    raftTerm: toCount(s['raftTerm']),
    raftIndex: toCount(s['raftIndex']),
  };
}

/** Parse `member list -w json` (same shape as the gateway's /v3/cluster/member/list). */
export function parseMemberListJson(stdout: string): EtcdMember[] {
  const doc = JSON.parse(quoteBigInts(stdout)) as { members?: Array<Record<string, unknown>> };
  return normalizeMembers(doc.members ?? []);
}

/** Members with hex ids, sorted by id so two lists compare as strings. */
export function normalizeMembers(members: Array<Record<string, unknown>>): EtcdMember[] {
  return members
    .map((m) => {
      const member: EtcdMember = {
        id: toHexId(m['ID']),
        name: String(m['name'] ?? ''),
        peerURLs: (m['peerURLs'] as string[] | undefined) ?? [],
        clientURLs: (m['clientURLs'] as string[] | undefined) ?? [],
      };
      if (m['isLearner'] === true) member.isLearner = true;
      return member;
    })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The last meaningful stderr line of a failed etcdctl run ("Error: context deadline exceeded"). */
export function summarizeEtcdctlError(stderr: string, exitCode: number): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l.length > 0 && !/^\{"level"/.test(l));
  const last = lines.filter((l) => !/^Error: unhealthy cluster$/.test(l)).pop();
  return last ? last.replace(/^Error:\s*/, '') : `etcdctl exited with ${exitCode}`;
}
