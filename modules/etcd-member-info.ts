/**
 * etcd-member-info: what this host holds of an etcd cluster, before anything is changed. Read-only
 * (runs in check mode): the CA it trusts (etcd/ca.crt, and whether it holds etcd/ca.key), whether
 * its data directory has a member, whether etcd runs, the bootstrap flags it was started with,
 * and, when it runs and has client certificates, what its own etcd says (member list, leader).
 *
 * Registered on every host of the group, it is what `etcd-cluster` decides from: adopt the
 * cluster's CA or create one, bootstrap or join, which members run and may need a restart.
 *
 * ```yaml
 * - etcd-member-info: { pki_dir: /etc/kubernetes/pki, data_dir: /var/lib/etcd }
 *   register: etcd_member_info
 * ```
 */
import type { FromSchema } from 'json-schema-to-ts';
import { etcdMemberInfoSchema } from '../schemas/modules/etcd-member-info.js';
import type { ModuleDefinition } from '../runner/types.js';
import { ModuleError } from '../runner/errors.js';
import { buildReadScript, parseReadOutput } from '../runner/pki/remote-files.js';
import { summarizeHostFile, type HostFile } from '../runner/pki/host-facts.js';
import { buildMemberInfoScript, parseMemberInfo, type LocalMemberState } from '../runner/etcd/member-info.js';
import { probeMemberView, EtcdctlMissingError } from '../runner/etcd/probe-etcdctl.js';
import type { EndpointProbe } from '../runner/etcd/types.js';
import { defaultClientUrl } from '../runner/etcd/urls.js';

type Params = FromSchema<typeof etcdMemberInfoSchema>;

export interface EtcdMemberInfoFacts {
  endpoint: string;
  caCert?: HostFile;
  caKey?: HostFile;
  local: LocalMemberState;
  /** This member's own answer; absent when it was not asked (not running, no certificates). */
  probe?: EndpointProbe;
}

export const etcdMemberInfo: ModuleDefinition<Params, EtcdMemberInfoFacts> = {
  name: 'etcd-member-info',
  summary: "Read what this host holds of an etcd cluster: its CA, data directory, service state, bootstrap flags and its member's view.",
  schema: etcdMemberInfoSchema,
  flags: { readOnly: true },
  docs: {
    examples: '- etcd-member-info: { pki_dir: /etc/kubernetes/pki, data_dir: /var/lib/etcd }\n  register: etcd_member_info\n',
    returns: {
      ca: 'present, fingerprint (sha256 of the DER certificate), subject, not_after, key_present (etcd/ca.key is there and is the key of etcd/ca.crt), error.',
      has_data: 'DATA_DIR/member exists: this host has been a member; etcd ignores bootstrap flags from then on.',
      service_state: '`systemctl is-active` of the unit (active, inactive, failed, ...).',
      manifest_present: 'The static pod manifest exists.',
      bootstrap: 'initial_cluster and initial_cluster_state from the unit or manifest, or null.',
      endpoint: 'The client URL asked.',
      member: 'answered, id (hex), leader (hex), members (id, name, peerURLs, clientURLs), error: what this member said of the cluster.',
    },
    notes: [
      'Only public data is registered: the CA key is read to compare its public half with ca.crt, never kept.',
      'A member is asked only when it runs (or its manifest exists) and the client certificate, its key and ca.crt are there; it gets `timeout` seconds.',
    ],
  },
  async gather(ctx, params) {
    const pki = (params.pki_dir ?? '/etc/kubernetes/pki').replace(/\/+$/, '');
    const unitName = params.unit ?? 'etcd';
    const cacert = `${pki}/etcd/ca.crt`;
    const cert = params.cert ?? `${pki}/etcd/peer.crt`;
    const key = params.key ?? `${pki}/etcd/peer.key`;
    const endpoint = params.endpoint ?? defaultClientUrl(ctx.vars, ctx.inventoryHost);
    const caPaths = [cacert, `${pki}/etcd/ca.key`];
    // The member-info script first: it ends with an end line, so the CA files printed after it
    // can never be read as its facts.
    const script = `${buildMemberInfoScript({
      dataDir: params.data_dir ?? '/var/lib/etcd',
      unitFile: `/etc/systemd/system/${unitName.includes('.') ? unitName : `${unitName}.service`}`,
      manifestFile: params.manifest ?? '/etc/kubernetes/manifests/etcd.yaml',
      unitName,
      tlsFiles: [cacert, cert, key],
    })}\n${buildReadScript(caPaths, [])}`;
    const r = await ctx.conn.exec(script, { sudo: ctx.become });
    if (r.exitCode !== 0) throw new ModuleError(`cannot read ${pki} on ${ctx.host} (exit ${r.exitCode}): ${r.stderr.toString().trim()}; run with become: true`);
    const stdout = r.stdout.toString('utf8');
    const found = parseReadOutput(stdout);
    const local = parseMemberInfo(stdout);
    const crt = found.files.get(cacert);
    const caCert = crt ? summarizeHostFile('etcd/ca.crt', crt) : undefined;
    const keyFile = found.files.get(`${pki}/etcd/ca.key`);
    const caKey = keyFile ? summarizeHostFile('etcd/ca.key', keyFile) : undefined;
    const facts: EtcdMemberInfoFacts = { endpoint, local, ...(caCert ? { caCert } : {}), ...(caKey ? { caKey } : {}) };
    const running = local.serviceState === 'active' || local.manifestPresent;
    if (running && local.tlsReady) {
      try {
        const options = { binary: params.etcdctl, cacert, cert, key, timeoutSeconds: params.timeout ?? 3 };
        facts.probe = await probeMemberView(ctx.conn, endpoint, options, true);
      } catch (err) {
        if (!(err instanceof EtcdctlMissingError)) throw err;
        facts.probe = { endpoint, healthy: false, error: err.message };
      }
    }
    return facts;
  },
  plan(_params, facts) {
    return { changes: [], noop: 'etcd-member-info only reads', result: describeMemberInfo(facts), msg: summarize(facts) };
  },
};

/** The registered result: public data only. */
export function describeMemberInfo(facts: EtcdMemberInfoFacts): Record<string, unknown> {
  const cert = facts.caCert?.cert;
  const key = facts.caKey?.key;
  const certOk = cert && !('error' in cert) ? cert : undefined;
  const ca = {
    present: facts.caCert !== undefined,
    fingerprint: certOk?.fingerprint ?? null,
    subject: certOk ? `CN=${certOk.subjectCN}` : null,
    not_after: certOk?.notAfter ?? null,
    key_present: Boolean(certOk && key && !('error' in key) && key.publicKeyId === certOk.publicKeyId),
    error: cert && 'error' in cert ? `etcd/ca.crt: ${cert.error}` : key && 'error' in key ? `etcd/ca.key: ${key.error}` : null,
  };
  const p = facts.probe;
  const member = p
    ? { answered: p.healthy, id: p.status?.memberId ?? null, leader: p.status?.leader ?? null, members: p.members ?? [], error: p.error ?? null }
    : { answered: false, id: null, leader: null, members: [], error: null };
  return {
    ca,
    has_data: facts.local.hasData,
    service_state: facts.local.serviceState,
    manifest_present: facts.local.manifestPresent,
    bootstrap: facts.local.bootstrap ? { initial_cluster: facts.local.bootstrap.initialCluster, initial_cluster_state: facts.local.bootstrap.initialClusterState } : null,
    endpoint: facts.endpoint,
    member,
  };
}

function summarize(facts: EtcdMemberInfoFacts): string {
  const parts = [facts.local.hasData ? 'has member data' : 'no member data', `etcd ${facts.local.serviceState}`];
  if (facts.caCert) parts.push('trusts a CA');
  if (facts.probe) parts.push(facts.probe.healthy ? `member of ${facts.probe.members?.length ?? 0}` : `member did not answer: ${facts.probe.error ?? ''}`);
  return parts.join(', ');
}
