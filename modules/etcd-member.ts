/**
 * etcd-member: add a member to a running cluster or remove one, through etcdctl on the task's
 * host (it needs a client certificate of the cluster's CA there). Idempotent: nothing is done
 * when the member is (or is not) listed already. A change that would leave the healthy members
 * short of a quorum of the new size is refused (runner/etcd/membership.ts). In check mode the
 * plan says what would be sent.
 *
 * Add first, then start the new member with `initial-cluster-state: existing` and the registered
 * `initial_cluster`; remove first, then stop the member and clear its data directory.
 *
 * ```yaml
 * - etcd-member:
 *     name: infra3
 *     peer_urls: [https://10.0.0.9:2380]
 *     endpoints: [https://10.0.0.6:2379, https://10.0.0.7:2379]
 *     cacert: /etc/kubernetes/pki/etcd/ca.crt
 *     cert: /etc/kubernetes/pki/etcd/peer.crt
 *     key: /etc/kubernetes/pki/etcd/peer.key
 *   register: joined
 * ```
 */
import type { FromSchema } from 'json-schema-to-ts';
import { etcdMemberSchema } from '../schemas/modules/etcd-member.js';
import type { Change, ModuleDefinition } from '../runner/types.js';
import { ModuleError } from '../runner/errors.js';
import type { EndpointProbe } from '../runner/etcd/types.js';
import { probeEtcdctl, EtcdctlMissingError } from '../runner/etcd/probe-etcdctl.js';
import { buildEtcdctlArgv, type EtcdctlOptions } from '../runner/etcd/etcdctl.js';
import { planMembership } from '../runner/etcd/membership.js';
import { groupClientUrls } from '../runner/etcd/urls.js';

type Params = FromSchema<typeof etcdMemberSchema>;

export interface EtcdMemberFacts {
  probes: EndpointProbe[];
}

export const etcdMember: ModuleDefinition<Params, EtcdMemberFacts> = {
  name: 'etcd-member',
  summary: 'Add a member to a running etcd cluster (replacing a stale entry) or remove one, never below quorum.',
  schema: etcdMemberSchema,
  flags: { checkMode: 'supported' },
  docs: {
    examples: [
      '- etcd-member:',
      '    name: infra3',
      '    peer_urls: [https://10.0.0.9:2380]',
      '    endpoints: [https://10.0.0.6:2379, https://10.0.0.7:2379, https://10.0.0.8:2379]',
      '    cacert: /etc/kubernetes/pki/etcd/ca.crt',
      '    cert: /etc/kubernetes/pki/etcd/peer.crt',
      '    key: /etc/kubernetes/pki/etcd/peer.key',
      '  register: joined',
      '- etcd-member: { name: infra4, state: absent, endpoints: [https://10.0.0.6:2379], cacert: ca.crt, cert: peer.crt, key: peer.key }',
      '',
    ].join('\n'),
    returns: {
      members: 'The member list before the change (id, name, peerURLs, clientURLs).',
      initial_cluster: 'For present: the --initial-cluster the member must start with (every member listed after the change, itself included).',
      removed: 'Hex id of the member entry removed, or null.',
    },
    notes: [
      'Quorum rule: after the change, the healthy members must be at least floor(size/2)+1 of the new size; an added member counts as not healthy until it starts. Add one member at a time and wait for it to be healthy.',
      'A stale entry (stale_id: the member had started before and its data is gone) is removed before the member is added again with a new id.',
    ],
  },
  async gather(ctx, params) {
    try {
      return { probes: await probeEtcdctl(ctx.conn, params.endpoints ?? groupClientUrls(ctx.vars, 'etcd'), etcdctlOptions(params), true) };
    } catch (err) {
      if (err instanceof EtcdctlMissingError) throw new ModuleError(err.message);
      throw err;
    }
  },
  plan(params, facts) {
    const state = params.state ?? 'present';
    if (state === 'present' && !params.peer_urls) return { changes: [], failed: 'peer_urls is required with state: present' };
    const plan = planMembership({ state, name: params.name, peerUrls: params.peer_urls ?? [], staleId: params.stale_id ?? null }, facts.probes);
    const result = { members: plan.members, initial_cluster: plan.initialCluster, removed: plan.remove?.id ?? null };
    if (plan.failure) return { changes: [], failed: plan.failure, result };
    if (plan.noop !== undefined) return { changes: [], noop: plan.noop, result };
    const options = etcdctlOptions(params);
    const via = plan.via.join(',');
    const changes: Change[] = [];
    if (plan.remove) {
      changes.push(etcdctl(buildEtcdctlArgv(via, ['member', 'remove', plan.remove.id], options), `member remove ${plan.remove.name || 'unstarted member'} (${plan.remove.id})${state === 'present' ? ': its data is gone, it joins anew' : ''}`));
    }
    if (plan.add) {
      const urls = (params.peer_urls ?? []).join(',');
      changes.push(etcdctl(buildEtcdctlArgv(via, ['member', 'add', params.name, `--peer-urls=${urls}`], options), `member add ${params.name} ${urls}`));
    }
    return { changes, result };
  },
};

function etcdctlOptions(params: Params): EtcdctlOptions {
  return {
    ...(params.etcdctl ? { binary: params.etcdctl } : {}),
    ...(params.cacert ? { cacert: params.cacert } : {}),
    ...(params.cert ? { cert: params.cert } : {}),
    ...(params.key ? { key: params.key } : {}),
    timeoutSeconds: params.timeout ?? 5,
  };
}

function etcdctl(argv: string[], describe: string): Change {
  return { kind: 'exec', command: argv, describe, env: { ETCDCTL_API: '3' } };
}
