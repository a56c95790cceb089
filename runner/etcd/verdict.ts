/**
 * From per-endpoint probes to one verdict on the cluster: healthy, quorum, the leader, and a
 * message that names every unhealthy member with its reason. Pure, so plan tests cover it.
 */
import type { EndpointProbe, EtcdMember } from './types.js';
import type { HealthLine } from './etcdctl.js';

/** One endpoint in the registered result (null where the endpoint did not answer). */
export interface EndpointReport {
  endpoint: string;
  /** Inventory host or member name, for messages. */
  name: string;
  healthy: boolean;
  error: string | null;
  version: string | null;
  dbSize: number | null;
  leader: string | null;
  raftTerm: number | null;
  raftIndex: number | null;
  /** Hex member id (a string: 64-bit ids do not fit a JSON number). */
  memberId: string | null;
}

/** The cluster as the probes saw it. */
export interface ClusterVerdict {
  endpoints: EndpointReport[];
  members: EtcdMember[];
  /** Every endpoint healthy, one leader, member lists agree and have the expected size. */
  healthy: boolean;
  /** Hex id of the one leader all healthy endpoints agree on, else null. */
  leader: string | null;
  /** More than half of the expected members are healthy. */
  quorum: boolean;
  /** Why the cluster is not healthy; undefined when it is. */
  failure?: string;
  /** One line for the report when healthy. */
  summary: string;
}

/**
 * Judge the cluster from its probes; `names` maps endpoint URL to a display name, and
 * `unreachable` names the hosts this run could not reach over SSH: their members are said to be
 * on an unreachable host, the likeliest reason they do not answer and one retrying will not fix.
 * `advertised`: etcdctl's verdicts (`endpoint health --cluster`) on client URLs the member list
 * advertises besides the probed endpoints; an unhealthy one fails the cluster as `--cluster` does.
 */
export function judgeCluster(probes: EndpointProbe[], names: Record<string, string>, expectMembers: number, unreachable: readonly string[] = [], advertised: readonly HealthLine[] = []): ClusterVerdict {
  const up = probes.filter((p) => p.healthy);
  const members = up[0]?.members ?? [];
  const nameOf = (endpoint: string) => names[endpoint] ?? members.find((m) => m.clientURLs.includes(endpoint))?.name ?? endpoint;
  const endpoints = probes.map((p) => toReport(p, nameOf(p.endpoint)));
  const problems: string[] = [];

  const reference = JSON.stringify(members);
  const disagreeing = up.filter((p) => JSON.stringify(p.members ?? []) !== reference);
  if (disagreeing.length > 0) {
    problems.push(`member lists disagree: ${up.map((p) => `${nameOf(p.endpoint)} sees [${(p.members ?? []).map((m) => m.name || m.id).join(', ')}]`).join('; ')}`);
  }
  if (up.length > 0 && members.length !== expectMembers) {
    problems.push(`expected ${expectMembers} members, the member list has ${members.length}: [${members.map((m) => m.name || `${m.id} (not started)`).join(', ')}]`);
  }
  const leaders = [...new Set(up.map((p) => p.status?.leader ?? '0').filter((l) => l !== '0'))];
  if (up.length > 0 && leaders.length === 0) problems.push('no leader: no healthy endpoint knows a raft leader');
  if (leaders.length > 1) problems.push(`more than one leader: ${leaders.join(', ')}`);

  const advertisedDown = advertised.filter((l) => !l.healthy);
  if (advertisedDown.length > 0) {
    problems.push(`client URLs the member list advertises are unhealthy: ${advertisedDown.map((l) => `${members.find((m) => m.clientURLs.includes(l.endpoint))?.name || l.endpoint} (${l.endpoint}): ${l.error ?? 'unhealthy'}`).join('; ')}`);
  }

  const down = probes.filter((p) => !p.healthy);
  const quorum = up.length > expectMembers / 2;
  const described = down.map((p) => describeDown(p, nameOf(p.endpoint), unreachable)).join('; ');
  if (down.length > 0) {
    problems.unshift(quorum ? `degraded, quorum kept: ${described}` : `quorum lost (${up.length} of ${expectMembers} healthy): ${described}`);
  }
  const leader = leaders.length === 1 ? leaders[0]! : null;
  const verdict: ClusterVerdict = { endpoints, members, healthy: problems.length === 0, leader, quorum, summary: '' };
  if (problems.length > 0) verdict.failure = problems.join('; ');
  const leaderName = members.find((m) => m.id === leader)?.name ?? leader;
  // A member that answers although SSH to its host failed: healthy, but worth saying.
  const answering = up.map((p) => nameOf(p.endpoint)).filter((n) => unreachable.includes(n));
  const note = answering.length > 0 ? ` (${answering.join(', ')}: host unreachable in this run, its etcd answers)` : '';
  verdict.summary = verdict.healthy
    ? `${up.length} of ${probes.length} endpoints healthy, ${members.length} members, leader ${leaderName}${note}`
    : (verdict.failure ?? '');
  return verdict;
}

function describeDown(p: EndpointProbe, name: string, unreachable: readonly string[]): string {
  const error = p.error ?? 'unknown error';
  if (unreachable.includes(name)) return `${name} (host unreachable in this run; ${p.endpoint} unhealthy: ${error})`;
  return `${name} (${p.endpoint}) unhealthy: ${error}`;
}

function toReport(p: EndpointProbe, name: string): EndpointReport {
  const s = p.status;
  return {
    endpoint: p.endpoint,
    name,
    healthy: p.healthy,
    error: p.error ?? null,
    version: s?.version ?? null,
    dbSize: s?.dbSize ?? null,
    leader: s?.leader ?? null,
    raftTerm: s?.raftTerm ?? null,
    raftIndex: s?.raftIndex ?? null,
    memberId: s?.memberId ?? null,
  };
}
