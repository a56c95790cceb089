/**
 * Membership changes of a running cluster, planned from what its members said: add a member
 * (after removing a stale entry of it), remove one. Pure. The rule that keeps the cluster safe:
 * a change is refused when the members that are healthy afterwards would not make a quorum of
 * the new size, since etcd would then stop taking writes (an added member counts as down until
 * it starts).
 */
import type { EndpointProbe, EtcdMember } from './types.js';

export interface MembershipRequest {
  state: 'present' | 'absent';
  name: string;
  peerUrls: string[];
  staleId: string | null;
}

export interface MembershipPlan {
  failure?: string;
  /** `member remove ID` first, then `member add` (present), or just the remove (absent). */
  remove?: EtcdMember;
  add: boolean;
  /** Healthy endpoints to send the change to. */
  via: string[];
  members: EtcdMember[];
  /** --initial-cluster for the member once added: every member that will be listed, itself included. */
  initialCluster: string;
  noop?: string;
}

export function quorumOf(size: number): number {
  return Math.floor(size / 2) + 1;
}

export function planMembership(req: MembershipRequest, probes: EndpointProbe[]): MembershipPlan {
  const healthy = probes.filter((p) => p.healthy && p.members);
  const members = healthy[0]?.members ?? [];
  const base: MembershipPlan = { add: false, via: healthy.map((p) => p.endpoint), members, initialCluster: '' };
  if (healthy.length === 0) {
    return { ...base, failure: `no member answered (${probes.map((p) => `${p.endpoint}: ${p.error ?? 'unhealthy'}`).join('; ')}): membership is changed only through a healthy cluster` };
  }
  const healthyIds = new Set(healthy.map((p) => p.status?.memberId).filter((id): id is string => id !== undefined));
  const matches = (m: EtcdMember) => m.peerURLs.some((u) => req.peerUrls.includes(u)) || (m.name !== '' && m.name === req.name);

  if (req.state === 'absent') {
    const target = members.find(matches);
    if (!target) return { ...base, noop: `${req.name} is not a member` };
    const size = members.length - 1;
    const left = [...healthyIds].filter((id) => id !== target.id && members.some((m) => m.id === id)).length;
    if (size < 1) return { ...base, failure: `${req.name} is the last member: removing it would end the cluster; stop it instead` };
    if (left < quorumOf(size)) {
      return { ...base, failure: `removing ${req.name} would leave ${left} healthy of ${size} members, below the quorum of ${quorumOf(size)}: heal the other members first` };
    }
    return { ...base, remove: target, via: healthy.filter((p) => p.status?.memberId !== target.id).map((p) => p.endpoint) };
  }

  const stale = req.staleId ? members.find((m) => m.id === req.staleId) : undefined;
  const existing = members.find((m) => m !== stale && matches(m));
  const after = members.filter((m) => m !== stale);
  const self = `${req.name}=${req.peerUrls.join(`,${req.name}=`)}`;
  const listed = (m: EtcdMember) => m.peerURLs.map((u) => `${m === existing ? req.name : m.name || 'unstarted'}=${u}`);
  if (existing) {
    return { ...base, initialCluster: after.flatMap(listed).join(','), noop: `${req.name} is a member already (${existing.name ? 'started' : 'added, not started yet'}, id ${existing.id})` };
  }
  const size = after.length + 1;
  const healthyAfter = after.filter((m) => healthyIds.has(m.id)).length;
  const initialCluster = [...after.flatMap(listed), self].join(',');
  if (healthyAfter < quorumOf(size)) {
    return { ...base, initialCluster, failure: `adding ${req.name} would make ${size} members with ${healthyAfter} healthy, below the quorum of ${quorumOf(size)} until it starts: heal the cluster first` };
  }
  return { ...base, initialCluster, add: true, ...(stale ? { remove: stale } : {}) };
}
