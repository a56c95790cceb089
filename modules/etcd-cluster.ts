/**
 * etcd-cluster: decide, before anything changes, what a run does to the etcd cluster of a group:
 * keep, adopt or create the CA, bootstrap or join, who replaces a member whose data is gone, and
 * every host's bootstrap flags (runner/etcd/cluster-plan.ts says why each rule). Read-only, on
 * the controller, from what every host registered with etcd-member-info; run it once
 * (`run_once: true`): its result is every host's. It fails, stopping the play, when going on
 * would replace a CA the hosts trust or cannot join safely.
 *
 * ```yaml
 * - etcd-cluster: { ca_dir: "{{ etcd_ca_dir }}" }
 *   run_once: true
 *   register: etcd_cluster
 * ```
 */
import { resolve } from 'node:path';
import type { FromSchema } from 'json-schema-to-ts';
import { etcdClusterSchema } from '../schemas/modules/etcd-cluster.js';
import type { ModuleDefinition } from '../runner/types.js';
import { ModuleError } from '../runner/errors.js';
import { readCaDir } from '../runner/pki/ca-store.js';
import { planCluster, type ControllerCa, type GroupHost, type MemberInfo } from '../runner/etcd/cluster-plan.js';
import { urlHost } from '../runner/util/url-host.js';

type Params = FromSchema<typeof etcdClusterSchema>;

export interface EtcdClusterFacts {
  group: GroupHost[];
  ca: ControllerCa;
}

export const etcdCluster: ModuleDefinition<Params, EtcdClusterFacts> = {
  name: 'etcd-cluster',
  summary: "Decide from every host's etcd-member-info what the run does: keep, adopt or create the CA, bootstrap, join or replace members.",
  schema: etcdClusterSchema,
  flags: { readOnly: true, controllerOnly: true },
  docs: {
    examples: '- etcd-cluster: { ca_dir: pki/etcd }\n  run_once: true\n  register: etcd_cluster\n',
    returns: {
      ca: 'action (keep | adopt | create), source (the host the CA is adopted from), fingerprint, dir.',
      exists: 'A cluster runs or ran on these hosts (a host has member data, or a member answered).',
      members: 'The member list as the leader (or the first member that answered) sees it.',
      leader: 'Hex id of the leader; leader_host: its inventory host.',
      member_endpoints: 'Client URLs of the started members that stay: where membership changes go.',
      hosts: 'Per inventory host: role (bootstrap | member | join | unknown), initial_cluster, initial_cluster_state, stale_id (member entry to remove before it joins), running.',
      joining: 'Hosts that join, in order.',
      unknown: 'Hosts of the group that registered nothing (unreachable, failed).',
    },
    notes: [
      'It fails when the controller\'s CA and a host\'s CA differ (with both fingerprints), when hosts trust different CAs, when the CA must be adopted but no host holds its key, when a new CA would be created while a host could not be read, and when hosts must join but no member answers.',
      'Members keep the bootstrap flags their unit or manifest has: etcd ignores them once it has data, and changing them would restart every member each time the group grows.',
    ],
  },
  async gather(ctx, params) {
    const dir = resolve(ctx.playbookDir, params.ca_dir);
    const controllerCa = await readCaDir(dir).catch((err: Error) => {
      throw new ModuleError(err.message, { cause: err });
    });
    const groups = (ctx.vars['groups'] ?? {}) as Record<string, string[] | undefined>;
    const hostvars = (ctx.vars['hostvars'] ?? {}) as Record<string, Record<string, unknown> | undefined>;
    const groupName = params.group ?? 'etcd';
    const hosts = groups[groupName];
    if (!hosts || hosts.length === 0) throw new ModuleError(`the inventory has no hosts in group "${groupName}"`);
    const infoVar = params.info ?? 'etcd_member_info';
    const group = hosts.map((host): GroupHost => {
      const hv = hostvars[host] ?? {};
      const name = String(hv[params.name_var ?? 'etcd_name'] ?? host);
      const address = urlHost(String(hv[params.address_var ?? 'etcd_address'] ?? hv['ansible_host'] ?? host));
      const info = readInfo(hv[infoVar]);
      return { host, name, peerUrl: `https://${address}:2380`, clientUrl: `https://${address}:2379`, ...(info ? { info } : {}) };
    });
    return { group, ca: { dir, ...(controllerCa.cert ? { fingerprint: controllerCa.cert.fingerprint } : {}) } };
  },
  plan(_params, facts) {
    const plan = planCluster(facts.group, facts.ca);
    const { failure, summary, ...result } = plan;
    return { changes: [], noop: 'etcd-cluster only decides', result, msg: summary, ...(failure ? { failed: failure } : {}) };
  },
};

/** A registered etcd-member-info result, or undefined when the host registered none (or failed). */
function readInfo(value: unknown): MemberInfo | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (v['failed'] === true || typeof v['has_data'] !== 'boolean' || !v['ca'] || !v['member']) return undefined;
  return v as unknown as MemberInfo;
}
