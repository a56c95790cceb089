/**
 * etcd-health: is the etcd cluster healthy? Read-only; runs in check mode too. Every endpoint
 * must pass etcdctl's own health check (a linearizable read), all must agree on the member
 * list and on exactly one leader. Polling is the task's job (`retries`/`until`/`delay`).
 *
 * ```yaml
 * - etcd-health:
 *     cacert: /etc/kubernetes/pki/etcd/ca.crt
 *     cert: /etc/kubernetes/pki/etcd/peer.crt
 *     key: /etc/kubernetes/pki/etcd/peer.key
 *   register: health
 *   retries: 20
 *   delay: 3
 *   until: health.healthy
 * ```
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { FromSchema } from 'json-schema-to-ts';
import { etcdHealthSchema } from '../schemas/modules/etcd-health.js';
import type { ModuleContext, ModuleDefinition, Plan } from '../runner/types.js';
import type { EndpointProbe } from '../runner/etcd/types.js';
import { probeEtcdctlCluster, EtcdctlMissingError } from '../runner/etcd/probe-etcdctl.js';
import type { HealthLine } from '../runner/etcd/etcdctl.js';
import { probeGateway, type GatewayTls } from '../runner/etcd/gateway.js';
import { clientUrlProblem, defaultClientUrl } from '../runner/etcd/urls.js';
import { judgeCluster } from '../runner/etcd/verdict.js';

type EtcdHealthParams = FromSchema<typeof etcdHealthSchema>;

/** What gather saw: one probe per endpoint, or why probing was impossible. */
export interface EtcdHealthFacts {
  probes: EndpointProbe[];
  /** Endpoint URL to inventory host name, for messages. */
  names: Record<string, string>;
  /** The checked hosts this run could not reach over SSH (ModuleContext.unreachableHosts). */
  unreachable?: string[];
  /** Set when the check could not run at all (no endpoints, etcdctl missing). */
  error?: string;
  /** What `etcdctl endpoint health` printed (method etcdctl): host data, shown, never rendered. */
  healthOutput?: string;
  /** With `cluster`: etcdctl's verdicts on advertised client URLs that are not among the endpoints. */
  advertised?: HealthLine[];
}

export const etcdHealth: ModuleDefinition<EtcdHealthParams, EtcdHealthFacts> = {
  name: 'etcd-health',
  summary: 'Check that every etcd endpoint is healthy, with one leader and agreeing member lists.',
  schema: etcdHealthSchema,
  flags: { readOnly: true },
  // Endpoints rendered from variables, checked before any host is touched (a literal one is
  // checked by the schema's pattern): `http://[::1` failed only after the 5 s timeout.
  checkArgs(params) {
    const problems = (params.endpoints ?? []).flatMap((url) => {
      const message = clientUrlProblem(url);
      return message ? [{ param: 'endpoints', message }] : [];
    });
    if (params.cluster && params.method === 'gateway') problems.push({ param: 'cluster', message: 'cluster: true is etcdctl\'s `endpoint health --cluster`: use it with method etcdctl (the default), or list every endpoint for method gateway' });
    return problems;
  },
  docs: {
    examples: [
      '- etcd-health:',
      '    cacert: /etc/kubernetes/pki/etcd/ca.crt',
      '    cert: /etc/kubernetes/pki/etcd/peer.crt',
      '    key: /etc/kubernetes/pki/etcd/peer.key',
      '  register: health',
      '  retries: 20',
      '  delay: 3',
      '  until: health.healthy',
      '- etcd-health:',
      '    cluster: true   # also every client URL the member list advertises (etcdctl endpoint health --cluster)',
      '    cacert: /etc/kubernetes/pki/etcd/ca.crt',
      '    cert: /etc/kubernetes/pki/etcd/peer.crt',
      '    key: /etc/kubernetes/pki/etcd/peer.key',
      '  register: cluster_health   # cluster_health.etcdctl_output: what etcdctl printed',
      '- etcd-health:',
      '    method: gateway',
      '    endpoints: [https://10.0.0.6:2379, https://10.0.0.7:2379, https://10.0.0.8:2379]',
      '    cacert: pki/etcd/ca.crt',
      '    cert: pki/etcd/healthcheck-client.crt',
      '    key: pki/etcd/healthcheck-client.key',
      '',
    ].join('\n'),
    returns: {
      endpoints: 'Per endpoint: endpoint, name, healthy, error, version, dbSize, leader, raftTerm, raftIndex, memberId (hex string).',
      members: 'Member list: id (hex string), name, peerURLs, clientURLs.',
      healthy: 'All endpoints healthy, one leader, member lists agree and have expect_members entries.',
      leader: 'Hex id of the leader, or null.',
      quorum: 'More than half of the expected members are healthy.',
      etcdctl_output: 'What `etcdctl endpoint health` (with `cluster`: `--cluster`) printed, stdout then stderr, as etcdctl wrote them (its verdict lines); null for method gateway.',
      unreachable_hosts: 'Inventory hosts of the checked endpoints that this run could not reach over SSH (marked unreachable), e.g. by a cut network; the verdict names them. `until: health.healthy || size(health.unreachable_hosts) > 0` stops retrying at once for a host that will not come back during this run.',
    },
    notes: [
      'Member ids are hex strings (etcdctl table form): etcdctl -w json prints 64-bit numbers that JSON.parse would corrupt, so they are parsed as text.',
      'Health is re-read on every attempt (not taken from the fact cache), so retries/until sees the cluster change.',
      'Tested against real etcd 3.4.23 (Debian bookworm) with etcdctl 3.4.23; 3.5+ output (health on stdout) is covered by parser tests only.',
    ],
  },
  async gather(ctx, params) {
    const { endpoints, names, error } = resolveEndpoints(ctx, params);
    const unreachable = unreachableOf(endpoints, names, ctx.unreachableHosts ?? []);
    if (error) return { probes: [], names, unreachable, error };
    const timeoutSeconds = params.timeout ?? 5;
    if (params.method === 'gateway') {
      const tls = await readTls(ctx.playbookDir, params);
      const probes = await Promise.all(endpoints.map((e) => probeGateway(e, tls, timeoutSeconds * 1000)));
      return { probes, names, unreachable };
    }
    const options = { binary: params.etcdctl, cacert: params.cacert, cert: params.cert, key: params.key, timeoutSeconds };
    try {
      // Direct execs, not cached facts: health is live state and retries must see it change.
      // As root, like facts: the client keys (kubeadm's peer.key) are root-only 0600 files.
      const r = await probeEtcdctlCluster(ctx.conn, endpoints, options, true, params.cluster === true);
      return { probes: r.probes, names, unreachable, healthOutput: r.healthOutput, advertised: r.advertised };
    } catch (err) {
      if (err instanceof EtcdctlMissingError) return { probes: [], names, unreachable, error: err.message };
      throw err;
    }
  },
  plan(params, facts) {
    return planEtcdHealth(params, facts);
  },
};

/** The pure verdict of etcd-health (exported for the plan tests). */
export function planEtcdHealth(params: EtcdHealthParams, facts: EtcdHealthFacts): Plan {
  const unreachable = facts.unreachable ?? [];
  const etcdctlOutput = facts.healthOutput ?? null;
  if (facts.error) return { changes: [], failed: facts.error, result: { healthy: false, quorum: false, leader: null, endpoints: [], members: [], unreachable_hosts: unreachable, etcdctl_output: etcdctlOutput } };
  const v = judgeCluster(facts.probes, facts.names, params.expect_members ?? facts.probes.length, unreachable, facts.advertised ?? []);
  const result = { endpoints: v.endpoints, members: v.members, healthy: v.healthy, leader: v.leader, quorum: v.quorum, unreachable_hosts: unreachable, etcdctl_output: etcdctlOutput };
  const plan: Plan = { changes: [], noop: 'etcd-health only reads', result, msg: v.summary };
  if (v.failure) plan.failed = v.failure;
  return plan;
}

/** The inventory hosts behind `endpoints` that the run marked unreachable, in endpoint order. */
function unreachableOf(endpoints: readonly string[], names: Record<string, string>, unreachable: readonly string[]): string[] {
  const out = new Set<string>();
  for (const e of endpoints) {
    const name = names[e];
    if (name !== undefined && unreachable.includes(name)) out.add(name);
  }
  return [...out];
}

/** Endpoints from the parameters, or from the inventory group's addresses; names for messages. */
export function resolveEndpoints(ctx: Pick<ModuleContext, 'vars'>, params: EtcdHealthParams): { endpoints: string[]; names: Record<string, string>; error?: string } {
  const names: Record<string, string> = {};
  const groups = (ctx.vars['groups'] ?? {}) as Record<string, string[] | undefined>;
  const hostvars = (ctx.vars['hostvars'] ?? {}) as Record<string, Record<string, unknown> | undefined>;
  if (params.endpoints) return { endpoints: [...params.endpoints], names: nameEndpoints(params.endpoints, hostvars) };
  const group = params.group ?? 'etcd';
  const hosts = groups[group] ?? [];
  if (hosts.length === 0) {
    return { endpoints: [], names, error: `no endpoints: the inventory has no hosts in group "${group}"; give \`endpoints:\` or set \`group:\`` };
  }
  const endpoints = hosts.map((h) => {
    const url = defaultClientUrl(ctx.vars, h);
    names[url] = h;
    return url;
  });
  return { endpoints, names };
}

/** Inventory names for explicit endpoints whose host is a host's ansible_host (or its name). */
function nameEndpoints(endpoints: readonly string[], hostvars: Record<string, Record<string, unknown> | undefined>): Record<string, string> {
  const byAddress = new Map<string, string>();
  for (const [host, hv] of Object.entries(hostvars)) {
    byAddress.set(host, host);
    if (hv?.['ansible_host'] !== undefined) byAddress.set(String(hv['ansible_host']), host);
  }
  const names: Record<string, string> = {};
  for (const e of endpoints) {
    const host = URL.canParse(e) ? new URL(e).hostname.replace(/^\[|\]$/g, '') : '';
    const name = byAddress.get(host);
    if (name) names[e] = name;
  }
  return names;
}

/** Read the controller-side PEM files for the gateway (paths relative to the playbook). */
async function readTls(playbookDir: string, params: EtcdHealthParams): Promise<GatewayTls> {
  const load = async (path: string | undefined) => (path === undefined ? undefined : readFile(isAbsolute(path) ? path : resolve(playbookDir, path)));
  const tls: GatewayTls = {};
  const [ca, cert, key] = await Promise.all([load(params.cacert), load(params.cert), load(params.key)]);
  if (ca) tls.ca = ca;
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  return tls;
}
