/**
 * planMembership and quorumOf (runner/etcd/membership.ts): membership changes planned from
 * hand-made endpoint probes (runner/etcd/types.ts). Adds and removes are refused whenever the
 * members healthy afterwards would not make a quorum of the new size.
 */
import test from 'ava';
import { planMembership, quorumOf, type MembershipRequest } from '../../runner/etcd/membership.js';
import type { EndpointProbe, EtcdMember } from '../../runner/etcd/types.js';

const peer = (i: number) => `https://10.0.0.${10 + i}:2380`;
const client = (i: number) => `https://10.0.0.${10 + i}:2379`;

function member(i: number, overrides: Partial<EtcdMember> = {}): EtcdMember {
  return { id: `m${i}`, name: `infra${i}`, peerURLs: [peer(i)], clientURLs: [client(i)], ...overrides };
}

/** Members infra0..infra(n-1). */
const cluster = (n: number) => Array.from({ length: n }, (_, i) => member(i));

function healthy(i: number, members: EtcdMember[], leader = 'm0'): EndpointProbe {
  return { endpoint: client(i), healthy: true, status: { memberId: `m${i}`, leader, version: '3.4.34', dbSize: 20480, raftTerm: 2, raftIndex: 100 + i }, members };
}

function down(i: number, error = 'context deadline exceeded'): EndpointProbe {
  return { endpoint: client(i), healthy: false, error };
}

const add = (i: number, staleId: string | null = null): MembershipRequest => ({ state: 'present', name: `infra${i}`, peerUrls: [peer(i)], staleId });
const remove = (i: number): MembershipRequest => ({ state: 'absent', name: `infra${i}`, peerUrls: [peer(i)], staleId: null });

const INITIAL_3 = `infra0=${peer(0)},infra1=${peer(1)},infra2=${peer(2)}`;

test('quorumOf: a majority of the size', (t) => {
  t.deepEqual([1, 2, 3, 4, 5, 6, 7].map(quorumOf), [1, 2, 2, 3, 3, 4, 4]);
});

test('add to 3 healthy members: add, through every healthy endpoint, with the initial cluster as it will be', (t) => {
  const three = cluster(3);
  const plan = planMembership(add(3), [healthy(0, three), healthy(1, three), healthy(2, three)]);
  t.is(plan.failure, undefined);
  t.is(plan.noop, undefined);
  t.true(plan.add);
  t.is(plan.remove, undefined);
  t.deepEqual(plan.via, [client(0), client(1), client(2)]);
  t.deepEqual(plan.members, three);
  t.is(plan.initialCluster, `${INITIAL_3},infra3=${peer(3)}`);
});

test('add with two peer URLs: each listed under its name', (t) => {
  const three = cluster(3);
  const plan = planMembership({ state: 'present', name: 'infra3', peerUrls: [peer(3), 'https://[fd00::13]:2380'], staleId: null }, [healthy(0, three), healthy(1, three), healthy(2, three)]);
  t.true(plan.add);
  t.is(plan.initialCluster, `${INITIAL_3},infra3=${peer(3)},infra3=https://[fd00::13]:2380`);
});

test('already a member (started): noop, nothing added or removed', (t) => {
  const three = cluster(3);
  const plan = planMembership(add(1), [healthy(0, three), healthy(1, three), healthy(2, three)]);
  t.is(plan.failure, undefined);
  t.false(plan.add);
  t.is(plan.remove, undefined);
  t.is(plan.noop, 'infra1 is a member already (started, id m1)');
  t.is(plan.initialCluster, INITIAL_3);
});

test('already added but not started (name empty): noop, listed under the requested name', (t) => {
  const four = [...cluster(3), member(3, { name: '', clientURLs: [] })];
  const plan = planMembership(add(3), [healthy(0, four), healthy(1, four), healthy(2, four)]);
  t.false(plan.add);
  t.is(plan.noop, 'infra3 is a member already (added, not started yet, id m3)');
  t.is(plan.initialCluster, `${INITIAL_3},infra3=${peer(3)}`);
});

test('a stale entry is removed first, then the member is added again; listed once', (t) => {
  const three = cluster(3);
  // infra2 lost its data: its old entry m2 no longer answers.
  const plan = planMembership(add(2, 'm2'), [healthy(0, three), healthy(1, three), down(2, 'connection refused')]);
  t.is(plan.failure, undefined);
  t.is(plan.noop, undefined);
  t.true(plan.add);
  t.deepEqual(plan.remove, member(2));
  t.deepEqual(plan.via, [client(0), client(1)]);
  t.is(plan.initialCluster, INITIAL_3);
});

test('a stale id that is not in the list: a plain add', (t) => {
  const two = cluster(2);
  const plan = planMembership(add(2, 'deadbeef'), [healthy(0, two), healthy(1, two)]);
  t.true(plan.add);
  t.is(plan.remove, undefined);
  t.is(plan.initialCluster, `infra0=${peer(0)},infra1=${peer(1)},infra2=${peer(2)}`);
});

test('add refused below quorum: 3 members, 1 healthy', (t) => {
  const three = cluster(3);
  const plan = planMembership(add(3), [healthy(0, three), down(1), down(2)]);
  t.false(plan.add);
  t.is(plan.remove, undefined);
  t.is(plan.failure, 'adding infra3 would make 4 members with 1 healthy, below the quorum of 3 until it starts: heal the cluster first');
});

test('add refused at the edge: 3 members with 2 healthy would make 4 with 2 healthy (quorum 3)', (t) => {
  const three = cluster(3);
  const plan = planMembership(add(3), [healthy(0, three), healthy(1, three), down(2)]);
  t.false(plan.add);
  t.regex(plan.failure ?? '', /4 members with 2 healthy, below the quorum of 3/);
});

test('replacing a wiped member of 3 with 2 healthy is allowed (the size stays 3, quorum 2)', (t) => {
  const three = cluster(3);
  const plan = planMembership(add(2, 'm2'), [healthy(0, three), healthy(1, three), down(2)]);
  t.is(plan.failure, undefined);
  t.true(plan.add);
});

test('remove refused when the healthy members left are below the quorum of the new size', (t) => {
  // 5 members, infra3 and infra4 down; removing healthy infra0 leaves 2 healthy of 4 (quorum 3).
  const five = cluster(5);
  const probes = [healthy(0, five), healthy(1, five), healthy(2, five), down(3), down(4)];
  const plan = planMembership(remove(0), probes);
  t.is(plan.remove, undefined);
  t.is(plan.failure, 'removing infra0 would leave 2 healthy of 4 members, below the quorum of 3: heal the other members first');
});

test('remove allowed when enough stay healthy: sent through the others, not the member removed', (t) => {
  // 5 members, infra4 down; removing infra0 leaves 3 healthy of 4.
  const five = cluster(5);
  const plan = planMembership(remove(0), [healthy(0, five), healthy(1, five), healthy(2, five), healthy(3, five), down(4)]);
  t.is(plan.failure, undefined);
  t.deepEqual(plan.remove, member(0));
  t.false(plan.add);
  t.deepEqual(plan.via, [client(1), client(2), client(3)]);
});

test('removing a member that is down, with 2 of 5 down: allowed (3 healthy of 4)', (t) => {
  const five = cluster(5);
  const plan = planMembership(remove(4), [healthy(0, five), healthy(1, five), healthy(2, five), down(3), down(4)]);
  t.is(plan.failure, undefined);
  t.deepEqual(plan.remove, member(4));
  t.deepEqual(plan.via, [client(0), client(1), client(2)]);
});

test('remove of the last member refused', (t) => {
  const one = cluster(1);
  const plan = planMembership(remove(0), [healthy(0, one)]);
  t.is(plan.remove, undefined);
  t.is(plan.failure, 'infra0 is the last member: removing it would end the cluster; stop it instead');
});

test('remove of a host that is not a member: noop', (t) => {
  const three = cluster(3);
  const plan = planMembership(remove(7), [healthy(0, three), healthy(1, three), healthy(2, three)]);
  t.is(plan.failure, undefined);
  t.is(plan.remove, undefined);
  t.is(plan.noop, 'infra7 is not a member');
});

test('no healthy endpoint: failure lists every endpoint with its error', (t) => {
  // The third answered health but no member list: it cannot plan a change either.
  const probes: EndpointProbe[] = [down(0, 'connection refused'), { endpoint: client(1), healthy: false }, { endpoint: client(2), healthy: true, error: 'member list failed' }];
  for (const req of [add(3), remove(0)]) {
    const plan = planMembership(req, probes);
    t.false(plan.add);
    t.is(plan.remove, undefined);
    t.deepEqual(plan.via, []);
    t.is(
      plan.failure,
      `no member answered (${client(0)}: connection refused; ${client(1)}: unhealthy; ${client(2)}: member list failed): membership is changed only through a healthy cluster`,
    );
  }
});
