/**
 * planCluster (runner/etcd/cluster-plan.ts): from hand-made etcd-member-info results of every
 * host of a group and the controller's CA to the run's decisions. One test per branch: the CA
 * (keep, adopt, create, and every refusal), bootstrap of a new cluster, joiners of a running
 * one (order, initial cluster, endpoints), replacing a wiped member, an added-but-unstarted
 * entry, joiners without any member answering, and the leader.
 */
import test from 'ava';
import { planCluster, type ControllerCa, type GroupHost, type MemberInfo } from '../../runner/etcd/cluster-plan.js';
import type { EtcdMember } from '../../runner/etcd/types.js';

const CA_DIR = '/home/op/etcd-ca';
const FP_A = 'aa'.repeat(32);
const FP_B = 'bb'.repeat(32);
const FP_C = 'cc'.repeat(32);

const peer = (i: number) => `https://10.0.0.${10 + i}:2380`;
const client = (i: number) => `https://10.0.0.${10 + i}:2379`;

/** Host `infraI` at 10.0.0.(10+I), member name = host name. */
function host(i: number, info?: MemberInfo): GroupHost {
  return { host: `infra${i}`, name: `infra${i}`, peerUrl: peer(i), clientUrl: client(i), ...(info ? { info } : {}) };
}

/** A member entry of host I as etcd lists it; id `m<I>`. */
function member(i: number, overrides: Partial<EtcdMember> = {}): EtcdMember {
  return { id: `m${i}`, name: `infra${i}`, peerURLs: [peer(i)], clientURLs: [client(i)], ...overrides };
}

type InfoOverrides = Partial<Omit<MemberInfo, 'ca' | 'member'>> & { ca?: Partial<MemberInfo['ca']>; member?: Partial<MemberInfo['member']> };

/** A host with nothing: no CA, no data, etcd inactive, no flags, no answer. */
function info(o: InfoOverrides = {}): MemberInfo {
  return {
    has_data: o.has_data ?? false,
    service_state: o.service_state ?? 'inactive',
    manifest_present: o.manifest_present ?? false,
    bootstrap: o.bootstrap ?? null,
    ca: { present: false, fingerprint: null, key_present: false, error: null, ...o.ca },
    member: { answered: false, id: null, leader: null, members: [], error: null, ...o.member },
  };
}

const trusts = (fingerprint: string, key_present = false) => ({ present: true, fingerprint, key_present });

/** A running member of host I: data, active, CA A, its unit's flags, answering with `members`. */
function running(i: number, members: EtcdMember[], leader: string, bootstrap: MemberInfo['bootstrap'] = { initial_cluster: INITIAL_3, initial_cluster_state: 'new' }): MemberInfo {
  return info({ has_data: true, service_state: 'active', bootstrap, ca: trusts(FP_A, i === 0), member: { answered: true, id: `m${i}`, leader, members } });
}

const INITIAL_3 = `infra0=${peer(0)},infra1=${peer(1)},infra2=${peer(2)}`;
const THREE = [member(0), member(1), member(2)];
const withCa: ControllerCa = { dir: CA_DIR, fingerprint: FP_A };
const noCa: ControllerCa = { dir: CA_DIR };

test('a fresh group: a new CA, every host bootstraps the full initial cluster with state new', (t) => {
  const plan = planCluster([host(0, info()), host(1, info()), host(2, info())], noCa);
  t.is(plan.failure, undefined);
  t.deepEqual(plan.ca, { action: 'create', source: null, fingerprint: null, dir: CA_DIR });
  t.false(plan.exists);
  t.deepEqual(plan.members, []);
  t.deepEqual(plan.joining, []);
  t.deepEqual(plan.unknown, []);
  t.is(plan.leader, null);
  t.is(plan.leader_host, null);
  const all = [client(0), client(1), client(2)];
  t.deepEqual(plan.member_endpoints, all);
  t.deepEqual(plan.endpoints, all);
  for (const h of ['infra0', 'infra1', 'infra2']) {
    t.deepEqual(plan.hosts[h], { role: 'bootstrap', initial_cluster: INITIAL_3, initial_cluster_state: 'new', stale_id: null, running: false, endpoints_before: all, endpoints_after: all, members_before: 3, members_after: 3 }, h);
  }
  t.is(plan.summary, 'new CA; new cluster');
});

test('a fresh group whose hosts hold no CA with the controller holding one: the CA is kept, still a bootstrap', (t) => {
  const plan = planCluster([host(0, info()), host(1, info())], withCa);
  t.is(plan.failure, undefined);
  t.deepEqual(plan.ca, { action: 'keep', source: null, fingerprint: FP_A, dir: CA_DIR });
  t.is(plan.hosts['infra0']!.role, 'bootstrap');
  t.is(plan.hosts['infra1']!.initial_cluster, `infra0=${peer(0)},infra1=${peer(1)}`);
});

test("the controller's CA is the one the hosts trust: kept, no failure", (t) => {
  const plan = planCluster([host(0, info({ ca: trusts(FP_A, true) })), host(1, info({ ca: trusts(FP_A) })), host(2, info())], withCa);
  t.is(plan.failure, undefined);
  t.deepEqual(plan.ca, { action: 'keep', source: null, fingerprint: FP_A, dir: CA_DIR });
  t.regex(plan.summary, /^CA kept; /);
});

test("the controller's CA differs from a host's: failure names the host and both fingerprints", (t) => {
  const plan = planCluster([host(0, info({ ca: trusts(FP_A) })), host(1, info({ ca: trusts(FP_B, true) })), host(2, info({ ca: trusts(FP_A) }))], withCa);
  t.truthy(plan.failure);
  t.true(plan.failure!.startsWith(`infra1 trusts the etcd CA sha256:${FP_B}, not the controller's ${CA_DIR}/ca.crt (sha256:${FP_A})`), plan.failure);
  t.notRegex(plan.failure!, /infra0|infra2/, 'the hosts that agree are not blamed');
  t.is(plan.ca.action, 'keep', 'never replaced');
  t.is(plan.ca.fingerprint, FP_A);
});

test("several hosts on other CAs than the controller's: each fingerprint with its hosts", (t) => {
  const plan = planCluster([host(0, info({ ca: trusts(FP_B) })), host(1, info({ ca: trusts(FP_B) })), host(2, info({ ca: trusts(FP_C) }))], withCa);
  t.true(plan.failure!.startsWith(`infra0, infra1 trust the etcd CA sha256:${FP_B}; infra2 trusts the etcd CA sha256:${FP_C}, not the controller's ${CA_DIR}/ca.crt (sha256:${FP_A})`), plan.failure);
});

test('no controller CA, the hosts trust one CA: adopted from the first host (group order) holding its key', (t) => {
  const plan = planCluster([host(0, info({ ca: trusts(FP_A) })), host(1, info({ ca: trusts(FP_A, true) })), host(2, info({ ca: trusts(FP_A, true) }))], noCa);
  t.is(plan.failure, undefined);
  t.deepEqual(plan.ca, { action: 'adopt', source: 'infra1', fingerprint: FP_A, dir: CA_DIR });
  t.regex(plan.summary, /^CA adopted from infra1; /);
});

test('no controller CA, the hosts trust one CA whose key is on no host: failure', (t) => {
  const plan = planCluster([host(0, info({ ca: trusts(FP_A) })), host(1, info({ ca: trusts(FP_A) })), host(2, info())], noCa);
  t.deepEqual(plan.ca, { action: 'adopt', source: null, fingerprint: FP_A, dir: CA_DIR });
  t.is(
    plan.failure,
    `${CA_DIR} holds no CA and the cluster's CA (sha256:${FP_A}, trusted by infra0, infra1) has its key (etcd/ca.key) on none of the group's hosts: put the cluster's ca.crt and ca.key in ${CA_DIR}`,
  );
});

test('no controller CA, hosts trusting different CAs: failure lists each CA with its hosts, nothing adopted or created', (t) => {
  const plan = planCluster([host(0, info({ ca: trusts(FP_A, true) })), host(1, info({ ca: trusts(FP_B, true) })), host(2, info({ ca: trusts(FP_A) }))], noCa);
  t.deepEqual(plan.ca, { action: 'keep', source: null, fingerprint: null, dir: CA_DIR });
  t.truthy(plan.failure);
  t.true(plan.failure!.includes(`sha256:${FP_A} on infra0, infra2; sha256:${FP_B} on infra1`), plan.failure);
});

test('a host that could not be read, no CA anywhere: never create a CA while a host is unknown', (t) => {
  const plan = planCluster([host(0, info()), host(1), host(2, info())], noCa);
  t.truthy(plan.failure);
  t.regex(plan.failure!, /could not be read/);
  t.true(plan.failure!.includes('infra1'), plan.failure);
  t.notRegex(plan.failure!, /infra0|infra2/);
  t.deepEqual(plan.unknown, ['infra1']);
  t.is(plan.hosts['infra1']!.role, 'unknown');
  t.is(plan.hosts['infra0']!.role, 'bootstrap');
  t.regex(plan.summary, /not read: infra1$/);
});

test('a CA file a host cannot parse: failure, quorum never overwrites it', (t) => {
  const plan = planCluster([host(0, info({ ca: { present: true, fingerprint: null, error: 'etcd/ca.crt: not a PEM certificate' } })), host(1, info())], noCa);
  t.is(plan.failure, `cannot read the CA the hosts trust (infra0: etcd/ca.crt: not a PEM certificate): repair or remove the file, quorum never overwrites a CA it cannot read`);
  t.not(plan.ca.action, 'create');
});

/** Group order deliberately not name order: joiners join in the group's order. */
function grownCluster(): GroupHost[] {
  const leader = 'm1';
  return [
    host(0, running(0, THREE, leader)),
    host(4, info({ ca: trusts(FP_A) })),
    host(1, running(1, THREE, leader)),
    // infra2 joined after the first bootstrap: its unit has state existing.
    host(2, running(2, THREE, leader, { initial_cluster: INITIAL_3, initial_cluster_state: 'existing' })),
    host(3, info()),
  ];
}

test('a running 3-member cluster plus 2 new hosts: members keep their flags, joiners join in group order', (t) => {
  const plan = planCluster(grownCluster(), withCa);
  t.is(plan.failure, undefined);
  t.true(plan.exists);
  t.deepEqual(plan.members, THREE);
  t.deepEqual(plan.joining, ['infra4', 'infra3']);
  const members3 = [client(0), client(1), client(2)];
  const all = [...members3, client(4), client(3)];
  t.deepEqual(plan.member_endpoints, members3);
  t.deepEqual(plan.endpoints, all);

  // Members: the flags their unit has (not rewritten, so no restart), every endpoint before/after.
  t.deepEqual(plan.hosts['infra0'], { role: 'member', initial_cluster: INITIAL_3, initial_cluster_state: 'new', stale_id: null, running: true, endpoints_before: all, endpoints_after: all, members_before: 5, members_after: 5 });
  t.deepEqual(plan.hosts['infra1'], { role: 'member', initial_cluster: INITIAL_3, initial_cluster_state: 'new', stale_id: null, running: true, endpoints_before: all, endpoints_after: all, members_before: 5, members_after: 5 });
  t.deepEqual(plan.hosts['infra2'], { role: 'member', initial_cluster: INITIAL_3, initial_cluster_state: 'existing', stale_id: null, running: true, endpoints_before: all, endpoints_after: all, members_before: 5, members_after: 5 });

  // Joiner k: the staying members, the joiners before it, itself; state existing.
  t.deepEqual(plan.hosts['infra4'], {
    role: 'join',
    initial_cluster: `${INITIAL_3},infra4=${peer(4)}`,
    initial_cluster_state: 'existing',
    stale_id: null,
    running: false,
    endpoints_before: members3,
    endpoints_after: [...members3, client(4)],
    members_before: 3,
    members_after: 4,
  });
  t.deepEqual(plan.hosts['infra3'], {
    role: 'join',
    initial_cluster: `${INITIAL_3},infra4=${peer(4)},infra3=${peer(3)}`,
    initial_cluster_state: 'existing',
    stale_id: null,
    running: false,
    endpoints_before: [...members3, client(4)],
    endpoints_after: all,
    members_before: 4,
    members_after: 5,
  });
  t.is(plan.summary, 'CA kept; cluster of 3 members, leader infra1; joining: infra4, infra3');
});

test('a member with data whose unit flags were not found bootstraps nothing new: full group, state new', (t) => {
  const plan = planCluster([host(0, running(0, THREE, 'm0', null)), host(1, running(1, THREE, 'm0')), host(2, running(2, THREE, 'm0'))], withCa);
  t.is(plan.hosts['infra0']!.role, 'member');
  t.is(plan.hosts['infra0']!.initial_cluster, INITIAL_3);
  t.is(plan.hosts['infra0']!.initial_cluster_state, 'new');
});

test('members with data that do not answer and no joiner: no failure (a restart, not a membership change)', (t) => {
  const down = (i: number) => info({ has_data: true, service_state: 'failed', ca: trusts(FP_A), bootstrap: { initial_cluster: INITIAL_3, initial_cluster_state: 'new' } });
  const plan = planCluster([host(0, down(0)), host(1, down(1)), host(2, down(2))], withCa);
  t.is(plan.failure, undefined);
  t.true(plan.exists);
  t.deepEqual(plan.joining, []);
  t.deepEqual(Object.values(plan.hosts).map((h) => [h.role, h.running]), [['member', false], ['member', false], ['member', false]]);
});

test('a running static pod counts as running (manifest present)', (t) => {
  const plan = planCluster([host(0, info({ ...running(0, THREE, 'm0'), service_state: 'unknown', manifest_present: true })), host(1, running(1, THREE, 'm0')), host(2, info({ has_data: true }))], withCa);
  t.true(plan.hosts['infra0']!.running);
  t.false(plan.hosts['infra2']!.running);
});

test('a wiped member (no data, its entry started with a name): stale_id, replaced, listed once', (t) => {
  const leader = 'm0';
  const plan = planCluster([host(0, running(0, THREE, leader)), host(1, running(1, THREE, leader)), host(2, info({ ca: trusts(FP_A) }))], withCa);
  t.is(plan.failure, undefined);
  t.deepEqual(plan.joining, ['infra2']);
  const h2 = plan.hosts['infra2']!;
  t.is(h2.role, 'join');
  t.is(h2.stale_id, 'm2');
  t.is(h2.initial_cluster_state, 'existing');
  t.is(h2.initial_cluster, `infra0=${peer(0)},infra1=${peer(1)},infra2=${peer(2)}`);
  t.is(h2.initial_cluster.split(',').filter((e) => e.endsWith(peer(2))).length, 1, 'its peer URL once');
  // Its old entry is not a member that stays: changes go to the other two.
  t.deepEqual(plan.member_endpoints, [client(0), client(1)]);
  t.deepEqual(h2.endpoints_before, [client(0), client(1)]);
  t.deepEqual(h2.endpoints_after, [client(0), client(1), client(2)]);
  t.deepEqual(plan.endpoints, [client(0), client(1), client(2)]);
  // Its stale entry counts until it is replaced: 3 entries before and after its turn.
  t.deepEqual([h2.members_before, h2.members_after], [3, 3]);
  t.deepEqual([plan.hosts['infra0']!.members_before, plan.hosts['infra0']!.members_after], [3, 3]);
  t.is(plan.summary, 'CA kept; cluster of 3 members, leader infra0; joining: infra2 (replaces member m2)');
});

test('a wiped member found by its name though its peer URL changed: stale, the new URL listed', (t) => {
  const moved = [member(0), member(1), member(2, { peerURLs: ['https://10.9.9.9:2380'] })];
  const plan = planCluster([host(0, running(0, moved, 'm0')), host(1, running(1, moved, 'm0')), host(2, info())], withCa);
  t.is(plan.hosts['infra2']!.stale_id, 'm2');
  t.is(plan.hosts['infra2']!.initial_cluster, `infra0=${peer(0)},infra1=${peer(1)},infra2=${peer(2)}`);
});

test('an added-but-unstarted entry of a joiner (name empty): not added again, no stale_id, named after the host', (t) => {
  const unstarted = member(3, { id: 'm3', name: '', clientURLs: [] });
  const four = [...THREE, unstarted];
  const leader = 'm0';
  const plan = planCluster([host(0, running(0, four, leader)), host(1, running(1, four, leader)), host(2, running(2, four, leader)), host(3, info()), host(4, info())], withCa);
  t.is(plan.failure, undefined);
  t.deepEqual(plan.joining, ['infra3', 'infra4']);
  const h3 = plan.hosts['infra3']!;
  t.is(h3.stale_id, null);
  t.is(h3.initial_cluster, `${INITIAL_3},infra3=${peer(3)}`);
  t.is(h3.initial_cluster.split(',').filter((e) => e.endsWith(peer(3))).length, 1);
  // The next joiner lists it once too (from the member list, not again as an earlier joiner).
  t.is(plan.hosts['infra4']!.initial_cluster, `${INITIAL_3},infra3=${peer(3)},infra4=${peer(4)}`);
  // An unstarted entry serves no client: not a member endpoint.
  t.deepEqual(plan.member_endpoints, [client(0), client(1), client(2)]);
  t.deepEqual(plan.endpoints, [client(0), client(1), client(2), client(3), client(4)]);
  t.deepEqual(plan.hosts['infra4']!.endpoints_before, [client(0), client(1), client(2), client(3)]);
  // The unstarted entry is in the list already: infra3 adds nothing, infra4 one.
  t.deepEqual([h3.members_before, h3.members_after], [4, 4]);
  t.deepEqual([plan.hosts['infra4']!.members_before, plan.hosts['infra4']!.members_after], [4, 5]);
  t.deepEqual([plan.hosts['infra0']!.members_before, plan.hosts['infra0']!.members_after], [5, 5]);
  t.notRegex(plan.summary, /replaces/);
});

test('joiners but no member answered: failure with each host and why', (t) => {
  const silent = (error: string | null) => info({ has_data: true, service_state: 'failed', ca: trusts(FP_A), bootstrap: { initial_cluster: INITIAL_3, initial_cluster_state: 'new' }, member: { error } });
  const plan = planCluster([host(0, silent('context deadline exceeded')), host(1, silent(null)), host(2, silent(null)), host(3, info())], withCa);
  t.deepEqual(plan.joining, ['infra3']);
  t.is(
    plan.failure,
    'infra3 must join the running cluster, but no member answered (infra0: context deadline exceeded; infra1: etcd failed; infra2: etcd failed; infra3: etcd inactive): start its members first, or check why they fail',
  );
});

test('a CA failure and a join failure are both reported', (t) => {
  const plan = planCluster([host(0, info({ has_data: true, ca: trusts(FP_B) })), host(1, info())], withCa);
  t.truthy(plan.failure);
  const parts = plan.failure!.split('; ');
  t.true(parts[0]!.startsWith(`infra0 trusts the etcd CA sha256:${FP_B}`), plan.failure);
  t.regex(plan.failure!, /infra1 must join the running cluster, but no member answered/);
});

test("the leader: most members' answer; the member list is the leader's own; leader_host its host", (t) => {
  // infra0 has an older view (only two members) and no leader; infra1 and infra2 say m2 leads.
  const old = [member(0), member(1)];
  const group = [
    host(0, info({ ...running(0, old, '0') })),
    host(1, running(1, THREE, 'm2')),
    host(2, running(2, THREE, 'm2')),
  ];
  const plan = planCluster(group, withCa);
  t.is(plan.leader, 'm2');
  t.is(plan.leader_host, 'infra2');
  t.deepEqual(plan.members, THREE);
  t.regex(plan.summary, /cluster of 3 members, leader infra2/);
});

test('no member knows a leader: leader and leader_host null, the first answer is the view', (t) => {
  const plan = planCluster([host(0, running(0, THREE, '0')), host(1, running(1, THREE, '0')), host(2, info({ has_data: true }))], withCa);
  t.is(plan.leader, null);
  t.is(plan.leader_host, null);
  t.deepEqual(plan.members, THREE);
  t.is(plan.summary, 'CA kept; cluster of 3 members');
});

test('a leader whose name is no host of the group: leader set, leader_host null', (t) => {
  const withStranger = [...THREE, { id: 'm9', name: 'elsewhere', peerURLs: ['https://10.1.1.1:2380'], clientURLs: ['https://10.1.1.1:2379'] }];
  const plan = planCluster([host(0, running(0, withStranger, 'm9')), host(1, running(1, withStranger, 'm9')), host(2, running(2, withStranger, 'm9'))], withCa);
  t.is(plan.leader, 'm9');
  t.is(plan.leader_host, null);
});
