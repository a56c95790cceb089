/**
 * From what every host of the group holds (etcd-member-info) and the controller's CA to what this
 * run must do, before anything changes: keep, adopt or create the CA; bootstrap a new cluster or
 * let new hosts join the running one (one at a time, replacing a member whose data is gone); and
 * the bootstrap flags of every host. Pure, so every branch is unit-tested.
 *
 * Decisions, as an etcd operator expects them (Kubespray's and etcdadm's roles do the same):
 * - A CA that hosts trust is never replaced: the controller's CA must be the one the hosts hold,
 *   or, when the controller has none, the hosts' CA is adopted from a host holding its key. A new
 *   CA is created only when every host of the group was read and none trusts a CA.
 * - A host whose data directory holds a member is a member: its bootstrap flags stay as its unit
 *   (or manifest) has them, since etcd ignores them from then on and rewriting them would only
 *   restart it. So adding hosts never restarts the members that run.
 * - A host without data joins a cluster that exists (`member add` first, then it starts with
 *   `initial-cluster-state: existing` and the membership as it will be); a listed member with its
 *   peer URL that had started before lost its data and is removed first (replace). Without any
 *   cluster (no host has data, no member answers) every host bootstraps it together; a host
 *   without data whose unit still has the `new` flags of a bootstrap that stopped half-way (no
 *   member answers) is started with them, so that first cluster can still form.
 */
import type { EtcdMember } from './types.js';

/** One host of the group as the planner sees it. */
export interface GroupHost {
  host: string;
  /** etcd member name (--name). */
  name: string;
  peerUrl: string;
  clientUrl: string;
  /** The registered etcd-member-info result; undefined when the host could not be read. */
  info?: MemberInfo;
}

/** The part of etcd-member-info's result the planner reads. */
export interface MemberInfo {
  ca: { present: boolean; fingerprint: string | null; key_present: boolean; error: string | null };
  has_data: boolean;
  service_state: string;
  manifest_present: boolean;
  bootstrap: { initial_cluster: string; initial_cluster_state: string } | null;
  member: { answered: boolean; id: string | null; leader: string | null; members: EtcdMember[]; error: string | null };
}

export interface ControllerCa {
  dir: string;
  /** sha256 of the controller's ca.crt; undefined when the directory holds no CA. */
  fingerprint?: string;
}

export type HostRole = 'bootstrap' | 'member' | 'join' | 'unknown';

export interface HostPlan {
  role: HostRole;
  initial_cluster: string;
  initial_cluster_state: 'new' | 'existing';
  /** Hex id of this host's old member entry to remove before it joins again (its data is gone). */
  stale_id: string | null;
  /** etcd runs on the host now (so a changed certificate or unit needs a restart). */
  running: boolean;
  /** Client URLs of the cluster when this host's turn to join comes, and once it has joined. */
  endpoints_before: string[];
  endpoints_after: string[];
  /** Entries the member list has then (a stale entry still counts before its host joins). */
  members_before: number;
  members_after: number;
}

export interface ClusterPlan {
  /** Why the run must stop before any change; undefined when it may go on. */
  failure?: string;
  ca: { action: 'keep' | 'adopt' | 'create'; source: string | null; fingerprint: string | null; dir: string };
  /** A cluster runs or ran on these hosts. */
  exists: boolean;
  members: EtcdMember[];
  leader: string | null;
  leader_host: string | null;
  /** Client URLs of the started members that stay (where membership changes are sent). */
  member_endpoints: string[];
  /** Client URLs of every member once the run is done (members that stay, then the joiners). */
  endpoints: string[];
  hosts: Record<string, HostPlan>;
  /** Hosts that join, in the order they will (the group's order). */
  joining: string[];
  /** Hosts that could not be read. */
  unknown: string[];
  summary: string;
}

export function planCluster(group: GroupHost[], ca: ControllerCa): ClusterPlan {
  const known = group.filter((h) => h.info !== undefined);
  const unknown = group.filter((h) => h.info === undefined).map((h) => h.host);
  const caDecision = decideCa(group, ca);
  const answered = known.filter((h) => h.info!.member.answered);
  const leader = mostCommon(answered.map((h) => h.info!.member.leader).filter((l): l is string => l !== null && l !== '0'));
  const view = answered.find((h) => h.info!.member.id === leader) ?? answered[0];
  const members = view?.info!.member.members ?? [];
  const exists = known.some((h) => h.info!.has_data) || answered.length > 0;
  const fullGroup = group.map((h) => `${h.name}=${h.peerUrl}`).join(',');

  const hosts: Record<string, HostPlan> = {};
  const joiners: GroupHost[] = [];
  const failures: string[] = caDecision.failure ? [caDecision.failure] : [];
  for (const h of group) {
    const running = h.info?.service_state === 'active' || h.info?.manifest_present === true;
    // Filled below, once every joiner's turn is known.
    const turns = { endpoints_before: [], endpoints_after: [], members_before: 0, members_after: 0 };
    hosts[h.host] = { ...decideRole(h, exists, view !== undefined, members, fullGroup), running, ...turns };
    if (hosts[h.host]!.role === 'join') joiners.push(h);
  }
  const joining = joiners.map((h) => h.host);
  if (joiners.length > 0 && !view) {
    const why = known.map((h) => `${h.host}: ${h.info!.member.error ?? `etcd ${h.info!.service_state}`}`).join('; ');
    failures.push(`${joining.join(', ')} must join the running cluster, but no member answered (${why}): start its members first, or check why they fail`);
  }
  const stale = new Set(joining.map((j) => hosts[j]!.stale_id).filter((id): id is string => id !== null));
  const staying = members.filter((m) => !stale.has(m.id));
  // Each joiner starts with the membership as it will be when it starts: the members that stay,
  // the joiners before it, itself. Entries added but never started carry no name: use the host's.
  const nameFor = (m: EtcdMember) => m.name || group.find((g) => m.peerURLs.includes(g.peerUrl))?.name || `unstarted-${m.id}`;
  const base = staying.flatMap((m) => m.peerURLs.map((u) => `${nameFor(m)}=${u}`));
  const listed = new Set(staying.flatMap((m) => m.peerURLs));
  const added: string[] = [];
  for (const h of joiners) {
    const self = listed.has(h.peerUrl) ? [] : [`${h.name}=${h.peerUrl}`];
    hosts[h.host]!.initial_cluster = [...base, ...added, ...self].join(',');
    added.push(...self);
  }
  const memberEndpoints = exists
    ? staying.filter((m) => m.name !== '').map((m) => m.clientURLs[0]).filter((u): u is string => u !== undefined)
    : group.map((h) => h.clientUrl);
  const joinerUrls = joiners.map((h) => h.clientUrl).filter((u) => !memberEndpoints.includes(u));
  const endpoints = [...memberEndpoints, ...joinerUrls];
  // The list at each joiner's turn: earlier joiners replaced their stale entries and were added.
  let count = members.length;
  const finalCount = staying.length + added.length;
  for (const h of group) {
    const k = joiners.indexOf(h);
    const plan = hosts[h.host]!;
    const earlier = k < 0 ? endpoints : [...memberEndpoints, ...joinerUrls.slice(0, k)];
    plan.endpoints_before = earlier;
    plan.endpoints_after = k < 0 ? endpoints : [...earlier, ...(earlier.includes(h.clientUrl) ? [] : [h.clientUrl])];
    if (k < 0) {
      plan.members_before = plan.members_after = exists ? finalCount : group.length;
      continue;
    }
    plan.members_before = count;
    count += (plan.stale_id ? -1 : 0) + (listed.has(h.peerUrl) ? 0 : 1);
    plan.members_after = count;
  }
  const leaderName = members.find((m) => m.id === leader)?.name;
  const plan: ClusterPlan = {
    ca: caDecision.ca,
    exists,
    members,
    leader,
    leader_host: group.find((h) => h.name === leaderName)?.host ?? null,
    member_endpoints: memberEndpoints,
    endpoints,
    hosts,
    joining,
    unknown,
    summary: '',
  };
  if (failures.length > 0) plan.failure = failures.join('; ');
  plan.summary = describe(plan, caDecision.ca);
  return plan;
}

/** A host's role and bootstrap flags; a joiner's initial_cluster is filled once its turn is known. */
function decideRole(h: GroupHost, exists: boolean, memberAnswered: boolean, members: EtcdMember[], fullGroup: string): Pick<HostPlan, 'role' | 'initial_cluster' | 'initial_cluster_state' | 'stale_id'> {
  const fresh = { initial_cluster: fullGroup, initial_cluster_state: 'new' as const, stale_id: null };
  if (!h.info) return { role: 'unknown', ...fresh };
  if (!exists) return { role: 'bootstrap', ...fresh };
  const b = h.info.bootstrap;
  if (h.info.has_data) {
    return { role: 'member', initial_cluster: b?.initial_cluster ?? fullGroup, initial_cluster_state: b?.initial_cluster_state === 'existing' ? 'existing' : 'new', stale_id: null };
  }
  if (!memberAnswered && b?.initial_cluster_state === 'new') {
    // A bootstrap that stopped half-way (some members have data, none answers: no quorum yet):
    // start this one with the flags it was given, so the first cluster can still form.
    return { role: 'bootstrap', initial_cluster: b.initial_cluster, initial_cluster_state: 'new', stale_id: null };
  }
  const entry = members.find((m) => m.peerURLs.includes(h.peerUrl) || (m.name !== '' && m.name === h.name));
  return { role: 'join', initial_cluster: '', initial_cluster_state: 'existing', stale_id: entry && entry.name !== '' ? entry.id : null };
}

function decideCa(group: GroupHost[], ca: ControllerCa): { ca: ClusterPlan['ca']; failure?: string } {
  const unreadable = group.filter((h) => h.info?.ca.error).map((h) => `${h.host}: ${h.info!.ca.error}`);
  if (unreadable.length > 0) return { ca: { action: 'keep', source: null, fingerprint: ca.fingerprint ?? null, dir: ca.dir }, failure: `cannot read the CA the hosts trust (${unreadable.join('; ')}): repair or remove the file, quorum never overwrites a CA it cannot read` };
  const trusting = group.filter((h) => h.info?.ca.present && h.info.ca.fingerprint);
  if (ca.fingerprint) {
    const other = trusting.filter((h) => h.info!.ca.fingerprint !== ca.fingerprint);
    const decision = { action: 'keep' as const, source: null, fingerprint: ca.fingerprint, dir: ca.dir };
    if (other.length === 0) return { ca: decision };
    return {
      ca: decision,
      failure:
        `${[...new Set(other.map((h) => h.info!.ca.fingerprint!))].map((fp) => `${other.filter((h) => h.info!.ca.fingerprint === fp).map((h) => h.host).join(', ')} trust${other.filter((h) => h.info!.ca.fingerprint === fp).length === 1 ? 's' : ''} the etcd CA sha256:${fp}`).join('; ')}, ` +
        `not the controller's ${ca.dir}/ca.crt (sha256:${ca.fingerprint}). quorum never replaces a CA that hosts trust (every client of the ` +
        `cluster trusts it too). If ${ca.dir} is not this cluster's CA, move it away and run again: the cluster's CA is adopted from the host that ` +
        `holds etcd/ca.key. Moving a cluster to another CA is a rotation (a bundle of both CAs trusted everywhere first), which quorum does not do in place`,
    };
  }
  const fingerprints = [...new Set(trusting.map((h) => h.info!.ca.fingerprint!))];
  if (fingerprints.length > 1) {
    const byFp = fingerprints.map((fp) => `sha256:${fp} on ${trusting.filter((h) => h.info!.ca.fingerprint === fp).map((h) => h.host).join(', ')}`);
    return { ca: { action: 'keep', source: null, fingerprint: null, dir: ca.dir }, failure: `the hosts of the group trust different etcd CAs (${byFp.join('; ')}): they are not one cluster; fix the inventory or the hosts, then put the right CA in ${ca.dir}` };
  }
  if (fingerprints.length === 1) {
    const source = trusting.find((h) => h.info!.ca.key_present);
    const decision = { action: 'adopt' as const, source: source?.host ?? null, fingerprint: fingerprints[0]!, dir: ca.dir };
    if (source) return { ca: decision };
    return { ca: decision, failure: `${ca.dir} holds no CA and the cluster's CA (sha256:${fingerprints[0]!}, trusted by ${trusting.map((h) => h.host).join(', ')}) has its key (etcd/ca.key) on none of the group's hosts: put the cluster's ca.crt and ca.key in ${ca.dir}` };
  }
  const unknown = group.filter((h) => !h.info).map((h) => h.host);
  const decision = { action: 'create' as const, source: null, fingerprint: null, dir: ca.dir };
  if (unknown.length > 0) return { ca: decision, failure: `${ca.dir} holds no CA and ${unknown.join(', ')} could not be read: a new CA is created only when no host of the group trusts one, so every host must answer first` };
  return { ca: decision };
}

function describe(plan: ClusterPlan, ca: ClusterPlan['ca']): string {
  const parts = [
    ca.action === 'adopt' ? `CA adopted from ${ca.source}` : ca.action === 'create' ? 'new CA' : 'CA kept',
    plan.exists ? `cluster of ${plan.members.length} members${plan.leader_host ? `, leader ${plan.leader_host}` : ''}` : 'new cluster',
  ];
  if (plan.joining.length > 0) parts.push(`joining: ${plan.joining.map((j) => (plan.hosts[j]!.stale_id ? `${j} (replaces member ${plan.hosts[j]!.stale_id})` : j)).join(', ')}`);
  if (plan.unknown.length > 0) parts.push(`not read: ${plan.unknown.join(', ')}`);
  return parts.join('; ');
}

function mostCommon(values: string[]): string | null {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | null = null;
  for (const [v, n] of counts) if (best === null || n > counts.get(best)!) best = v;
  return best;
}
