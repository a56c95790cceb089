/**
 * certs: the etcd PKI of kubeadm's `init phase certs etcd-*` (spec/kubeadm-etcd.md section 1),
 * generated on the controller with node-forge and put on each host. Nothing to install on hosts.
 *
 * Design:
 * - The CA lives on the controller in `ca_dir` (relative to the playbook dir, 0700; ca.key
 *   0600). It is imported when ca.crt and ca.key are already there, else created once at apply
 *   time. Hosts run in parallel in one process: creation is serialized per directory and the
 *   files land atomically, so every host gets leaves from the one CA.
 * - One task per host issues that host's leaves (CN and SANs from `node_name` and
 *   `advertise_address`) and puts them under `pki_dir` (key 0600 before cert 0644, owner
 *   root). The etcd-ca profile puts etcd/ca.crt, and etcd/ca.key only with `copy_ca_key`.
 * - Idempotent: a leaf is kept while it chains to the CA, has the expected subject, EKUs and
 *   every expected SAN (extra SANs are fine), its key matches and is of `encryption_algorithm`
 *   (default RSA of `key_size` bits), and it
 *   does not expire within `renew_before_days`. Otherwise it is reissued and the change says
 *   why. Wrong modes or owners are fixed with chmod/chown, without reissuing.
 * - Check mode: gather and plan only. Keys, certs and the CA are made by lazy `put` thunks
 *   and a `call` change, so a dry run generates nothing and writes nothing, not even the CA.
 *
 * ```yaml
 * - certs:
 *     advertise_address: "{{ ansible_host }}"
 *     server_cert_sans: ["{{ ansible_host }}"]
 *     peer_cert_sans: ["{{ ansible_host }}"]
 *     copy_ca_key: true   # on HOST0 only (e.g. with `when:`), as the seed procedure does
 * ```
 */
import { posix, resolve } from 'node:path';
import type { FromSchema } from 'json-schema-to-ts';
import { certsSchema } from '../schemas/modules/certs.js';
import type { ArgProblem, Change, Diff, ModuleDefinition } from '../runner/types.js';
import { ModuleError } from '../runner/errors.js';
import { adoptCa, ensureCa, readCaDir, type CaDirFacts } from '../runner/pki/ca-store.js';
import { summarizeCertPem, type CertSummary } from '../runner/pki/inspect.js';
import { PROFILE_NAMES, isLeafProfile, getLeafProfile, type LeafProfileName, type ProfileName } from '../runner/pki/profiles.js';
import { resolveWantedLeaf, type WantedLeaf } from '../runner/pki/check.js';
import { buildReadScript, parseReadOutput } from '../runner/pki/remote-files.js';
import { summarizeHostFile, type HostFile } from '../runner/pki/host-facts.js';
import { planCaFiles, planLeaf, type FilePlan, type FilePlanInputs } from '../runner/pki/plan-files.js';
import type { KeySize } from '../runner/pki/issue.js';
import { mkdirNoFollow } from '../runner/connection/no-follow.js';
import { ancestorsOf } from '../runner/facts/path-state.js';
import type { KeyAlgorithm } from '../runner/pki/key-algorithm.js';
import { checkNodeName, normalizeNodeName } from '../runner/pki/node-name.js';

// Defaults are applied by normalizeOptions, not by ajv: defaulted keys stay optional.
export type CertsParams = FromSchema<typeof certsSchema, { keepDefaultedPropertiesOptional: true }>;

/** What gather found: the controller's CA and the host's files (by path relative to pki_dir). */
export interface CertsFacts {
  /** Milliseconds since the epoch when gathered: "expires within N days" is measured from it. */
  now: number;
  ca: CaDirFacts;
  files: Record<string, HostFile>;
  /**
   * Directories (absolute) that exist on the host: of pki_dir, pki_dir/etcd and every ancestor
   * of pki_dir, those that were there (links followed) when gather read the host.
   */
  dirs: string[];
  /**
   * The CA certificate this host trusts (etcd/ca.crt, public), read when ca_dir holds none: it is
   * what the run must adopt, never replace.
   */
  hostCa?: CertSummary & { pem: string };
}

/** Params with defaults applied. */
interface CertsOptions {
  profiles: ProfileName[];
  pkiDir: string;
  caDir: string;
  keySize: KeySize;
  keyAlgorithm: KeyAlgorithm;
  validityDays: number;
  caValidityDays: number;
  renewBeforeDays: number;
  copyCaKey: boolean;
  adoptCa: boolean;
  owner: string;
  group: string;
}

export const certs: ModuleDefinition<CertsParams, CertsFacts> = {
  name: 'certs',
  summary: 'Issue the kubeadm etcd certificates (CA, server, peer, healthcheck and apiserver clients) and put them on the host.',
  schema: certsSchema,
  flags: { checkMode: 'supported' },
  docs: {
    examples: `- certs:\n    advertise_address: 10.0.0.6\n    server_cert_sans: [10.0.0.6]\n    peer_cert_sans: [10.0.0.6]\n    copy_ca_key: true\n- certs: { profile: etcd-ca, pki_dir: /etc/kubernetes/pki, ca_dir: pki/etcd-ca }\n- certs: { profiles: [etcd-ca, apiserver-etcd-client] }\n`,
    returns: {
      ca: 'dir (controller), created (check mode: the CA would be created; after apply: this host\'s task created it, false for the hosts that found it made by another), subject, not_after.',
      certs: 'Per profile: path, serial, sans, not_after, issued (true when (re)issued; serial and not_after of a new cert are filled at apply, null in check mode), reasons.',
    },
    notes: [
      'The CA key stays in ca_dir on the controller; it reaches a host only with copy_ca_key (the seed procedure puts it on HOST0 only).',
      'Client certs carry no O (kubeadm v1.29+ semantics); server and peer CN is node_name.',
      'Keys as kubeadm\'s encryptionAlgorithm: RSA-2048 (default), RSA-3072, RSA-4096, ECDSA-P256, ECDSA-P384 (encryption_algorithm); a CA of your own may be any of these, and signs leaves with its own algorithm. KeyUsage keeps keyEncipherment on ECDSA leaves, as released kubeadm does.',
      'Extra SANs that are neither an IP nor a DNS name are dropped with a warning, as kubeadm does.',
      'A leaf whose key algorithm or size differs from encryption_algorithm / key_size is reissued; a different validity_days alone does not reissue.',
      'Several quorum processes creating the same CA at once are not coordinated beyond an exclusive link of each file.',
      'gather reads the host\'s key files (with become) to check each key matches its cert; only a hash of the public modulus is kept, never the key.',
      'An etcd/ca.key already on a host is left alone when copy_ca_key is false (it is neither checked nor removed).',
      'owner/group are compared by name (stat %U/%G): give names, not numeric ids, or every run will chown.',
    ],
  },
  async gather(ctx, params) {
    const opts = normalizeOptions(params);
    const caDir = resolve(ctx.playbookDir, opts.caDir);
    const ca = await readCaDir(caDir).catch((err: Error) => {
      throw new ModuleError(err.message, { cause: err });
    });
    const rel = listHostFiles(opts);
    // pki_dir's ancestors too, in the same read (a `[ -d ]` each, no process): the deepest one
    // there is where creating the missing directories starts (planDirectories).
    const dirs = [...ancestorsOf(opts.pkiDir), opts.pkiDir, `${opts.pkiDir}/etcd`];
    // Without a CA on the controller, the CA the host trusts is read too, whatever the profiles:
    // leaves must be judged against it, and a new CA must never be made behind its back.
    const read = !ca.cert && !rel.includes('etcd/ca.crt') ? [...rel, 'etcd/ca.crt'] : rel;
    const r = await ctx.conn.exec(buildReadScript(read.map((p) => `${opts.pkiDir}/${p}`), dirs), { sudo: ctx.become });
    if (r.exitCode !== 0) throw new ModuleError(`cannot read ${opts.pkiDir} on ${ctx.host} (exit ${r.exitCode}): ${r.stderr.toString().trim()}; run with become: true if the files are root-only`);
    const found = parseReadOutput(r.stdout.toString('utf8'));
    const hostCa = ca.cert ? undefined : readHostCa(found.files.get(`${opts.pkiDir}/etcd/ca.crt`)?.content);
    const files: Record<string, HostFile> = {};
    for (const p of rel) {
      const file = found.files.get(`${opts.pkiDir}/${p}`);
      // Leaves are judged against the controller's CA, or the host's when that is to be adopted.
      if (file) files[p] = summarizeHostFile(p, file, ca.cert?.pem ?? (hostCa?.isCa ? hostCa.pem : undefined));
    }
    return { now: Date.now(), ca, files, dirs: [...found.dirs], ...(hostCa ? { hostCa } : {}) };
  },
  checkArgs: checkStaticArgs,
  plan(params, facts, ctx) {
    const opts = normalizeOptions(params);
    // Also checked before any host is touched when node_name renders without facts; this
    // catches names known only at run time (from facts or registered results).
    const refused = checkStaticArgs(params, ctx.inventoryHost)[0];
    if (refused) return { changes: [], failed: refused.message };
    let wanted: WantedLeaf[];
    try {
      wanted = opts.profiles.filter(isLeafProfile).map((name) => resolveWantedLeaf(name, readLeafInputs(params, opts, ctx.inventoryHost)));
    } catch (err) {
      return { changes: [], failed: (err as Error).message };
    }
    const adoption = planAdoption(facts, opts, ctx.checkMode);
    if (adoption.failed) return { changes: [], failed: adoption.failed, result: { ca: { dir: facts.ca.dir, created: false, adopted: false } } };
    // The CA the leaves are judged against: the controller's, or the hosts' one being adopted.
    const ca = facts.ca.cert ?? (adoption.pending ? facts.hostCa : undefined);
    const io: FilePlanInputs = {
      pkiDir: opts.pkiDir,
      owner: opts.owner,
      group: opts.group,
      now: facts.now,
      renewBeforeDays: opts.renewBeforeDays,
      ...(ca ? { ca } : {}),
      getCa: () => ensureCa(facts.ca.dir, { keySize: opts.keySize, keyAlgorithm: opts.keyAlgorithm, validityDays: opts.caValidityDays }),
    };
    const parts: Array<[string, FilePlan]> = [];
    if (opts.profiles.includes('etcd-ca')) parts.push(['etcd-ca', planCaFiles(facts.files['etcd/ca.crt'], facts.files['etcd/ca.key'], opts.copyCaKey, io)]);
    for (const w of wanted) parts.push([w.profile, planLeaf(w, facts.files[w.certPath], facts.files[w.keyPath], io)]);
    const caRefused = parts.map(([, p]) => p.failure).find((f) => f !== undefined);
    if (caRefused) return { changes: [], failed: caRefused, result: { ca: { dir: facts.ca.dir, created: false, adopted: false } } };
    const plan = assemblePlan(parts, { ...facts, ca: { ...facts.ca, ...(ca ? { cert: ca } : {}) } }, opts, wanted);
    if (adoption.change) plan.changes.unshift(adoption.change);
    (plan.result.ca as Record<string, unknown>)['adopted'] = adoption.change !== undefined;
    if (adoption.pending && !adoption.change) plan.msg = [plan.msg, adoption.pending].filter(Boolean).join('; ');
    return plan;
  },
};

/**
 * ca_dir holds no CA but the host trusts one: adopt it (adopt_ca, the host holds its key), or in
 * check mode plan against it (an earlier task adopts it), or refuse. A CA that hosts trust is
 * never replaced by a new one.
 */
function planAdoption(facts: CertsFacts, opts: CertsOptions, checkMode: boolean): { change?: Change; pending?: string; failed?: string } {
  const host = facts.hostCa;
  if (facts.ca.cert || !host) return {};
  const fp = `sha256:${host.fingerprint}`;
  if (!host.isCa) return { failed: `${opts.pkiDir}/etcd/ca.crt is not a CA certificate and ${facts.ca.dir} holds no CA: remove or repair the file (quorum never overwrites a CA file it did not write)` };
  const key = facts.files['etcd/ca.key']?.key;
  const holdsKey = key !== undefined && !('error' in key) && key.publicKeyId === host.publicKeyId;
  // Only the etcd-ca profile adopts: it is the task that owns etcd/ca.{crt,key} on the host.
  if (opts.adoptCa && holdsKey && opts.profiles.includes('etcd-ca')) {
    return {
      pending: `the cluster's CA (${fp}) is adopted`,
      change: {
        kind: 'call',
        describe: `adopt the cluster's CA ${fp} (CN=${host.subjectCN}) from ${opts.pkiDir}/etcd/ca.{crt,key} into ${facts.ca.dir} on the controller`,
        run: async (ctx) => {
          const keyPem = await ctx.conn.get(`${opts.pkiDir}/etcd/ca.key`, { sudo: ctx.become });
          await adoptCa(facts.ca.dir, host.pem, keyPem, host.fingerprint);
        },
      },
    };
  }
  if (checkMode) return { pending: `the host trusts CA ${fp}, which ${facts.ca.dir} does not hold yet (adopted by an earlier task)` };
  const how = opts.adoptCa ? `this host does not hold its key (${opts.pkiDir}/etcd/ca.key)` : 'adopt_ca is off';
  return { failed: `this host trusts the etcd CA ${fp} (CN=${host.subjectCN}), but ${facts.ca.dir} on the controller holds no CA and ${how}: quorum never replaces a CA that hosts trust. Put the cluster's ca.crt and ca.key in ${facts.ca.dir}, or run certs with adopt_ca: true on the host that holds ca.key` };
}

function assemblePlan(parts: Array<[string, FilePlan]>, facts: CertsFacts, opts: CertsOptions, wanted: WantedLeaf[]) {
  const changes: Change[] = [];
  const diffs: Diff[] = [];
  const results: Record<string, unknown> = {};
  for (const [name, part] of parts) {
    changes.push(...part.changes);
    diffs.push(...part.diffs);
    results[name] = part.result;
  }
  const needsFiles = changes.some((c) => c.kind === 'put');
  const ca = facts.ca.cert;
  // Only create the CA for a host that needs it: a plan with nothing to put must stay a no-op.
  const caResult: Record<string, unknown> = { dir: facts.ca.dir, created: !ca && needsFiles, subject: `CN=${ca?.subjectCN ?? 'etcd-ca'}`, not_after: ca?.notAfter ?? null };
  if (!ca && needsFiles) changes.unshift(describeCaCreation(facts.ca.dir, opts, caResult));
  if (needsFiles) changes.splice(facts.ca.cert ? 0 : 1, 0, ...planDirectories(facts, opts));
  const dropped = wanted.flatMap((w) => w.dropped.map((d) => `${d} (${w.profile})`));
  return {
    changes,
    diffs,
    ...(changes.length === 0 ? { noop: parts.map(([, p]) => p.kept).join('; ') } : {}),
    ...(dropped.length ? { msg: `dropped SANs that are neither an IP nor a DNS name: ${dropped.join(', ')}` } : {}),
    result: { ca: caResult, certs: results },
  };
}

/** The CA creation step; at apply it records whether this host's task really created it. */
function describeCaCreation(dir: string, opts: CertsOptions, caResult: Record<string, unknown>): Change {
  return {
    kind: 'call',
    describe: `create etcd CA ${dir}/ca.crt on the controller (${opts.keyAlgorithm.replace(/^RSA-/, 'RSA ')}, ${opts.caValidityDays} days; once, shared by all hosts)`,
    run: async () => {
      const ca = await ensureCa(dir, { keySize: opts.keySize, keyAlgorithm: opts.keyAlgorithm, validityDays: opts.caValidityDays });
      // Hosts in parallel all plan the creation; only the first one to get the lock creates.
      caResult.created = ca.created;
      caResult.not_after = ca.notAfter.toISOString();
    },
  };
}

/**
 * One command for each of pki_dir and pki_dir/etcd that was missing (0755, as kubeadm creates
 * them), each creating its missing parents too, as `mkdir -p` did, but never through a symbolic
 * link planted after gather (issue 13): links in the deepest directory that existed then are
 * followed as named, everything below it is created by mkdirNoFollow, one component at a time.
 */
function planDirectories(facts: CertsFacts, opts: CertsOptions): Change[] {
  const needEtcd = opts.profiles.some((p) => p === 'etcd-ca' || getLeafProfile(p as LeafProfileName).base.startsWith('etcd/'));
  const want = needEtcd ? [opts.pkiDir, `${opts.pkiDir}/etcd`] : [opts.pkiDir];
  return want
    .filter((d) => !facts.dirs.includes(d))
    .map((d) => {
      const path = posix.normalize(d);
      const base = deepestExisting(path, facts.dirs);
      return { kind: 'exec' as const, command: mkdirNoFollow(base, posix.relative(base, path).split('/'), { mode: '0755' }), describe: `create directory ${d}` };
    });
}

/** The deepest ancestor of `path` among the directories gather found (`/` is always there). */
function deepestExisting(path: string, dirs: readonly string[]): string {
  return ancestorsOf(path).find((d) => dirs.some((e) => posix.normalize(e) === d)) ?? '/';
}

/** The host's etcd/ca.crt as a summary with its PEM (public), or undefined when absent or unreadable. */
function readHostCa(pem: string | undefined): (CertSummary & { pem: string }) | undefined {
  if (pem === undefined) return undefined;
  try {
    return { ...summarizeCertPem(pem, pem), pem };
  } catch {
    return undefined;
  }
}

/** Every file this task looks at on the host, relative to pki_dir. */
function listHostFiles(opts: CertsOptions): string[] {
  const paths: string[] = [];
  for (const name of opts.profiles) {
    if (name === 'etcd-ca') paths.push('etcd/ca.crt', ...(opts.copyCaKey || opts.adoptCa ? ['etcd/ca.key'] : []));
    else paths.push(`${getLeafProfile(name).base}.crt`, `${getLeafProfile(name).base}.key`);
  }
  return paths;
}

/**
 * Values refused whatever the host: key_size and encryption_algorithm together, and kubeadm's
 * node-name rule (runner/pki/node-name.ts) for the profiles whose CN and SANs carry the node
 * name (etcd-server, etcd-peer); the client and CA profiles do not use it.
 */
function checkStaticArgs(params: CertsParams, inventoryHost: string): ArgProblem[] {
  if (params.key_size !== undefined && params.encryption_algorithm !== undefined) {
    return [{ param: 'encryption_algorithm', message: `give key_size or encryption_algorithm, not both (key_size ${params.key_size} is encryption_algorithm RSA-${params.key_size})` }];
  }
  const usesNodeName = normalizeOptions(params).profiles.some((p) => isLeafProfile(p) && getLeafProfile(p).commonName === 'node');
  if (!usesNodeName) return [];
  const check = checkNodeName(params.node_name ?? inventoryHost);
  if (check.ok) return [];
  const source = params.node_name === undefined ? ` (node_name defaults to the inventory host name ${inventoryHost})` : '';
  return [{ param: 'node_name', message: `${check.problem}${source}`, ...(check.suggestion ? { suggestion: check.suggestion } : {}), ...(params.node_name === undefined ? { defaultedToHostName: true } : {}) }];
}

function readLeafInputs(params: CertsParams, opts: CertsOptions, inventoryHost: string) {
  return {
    // kubeadm lowercases the name (GetHostname) before it becomes the CN and a DNS SAN.
    nodeName: normalizeNodeName(params.node_name ?? inventoryHost),
    ...(params.advertise_address !== undefined ? { advertiseAddress: params.advertise_address } : {}),
    serverCertSans: params.server_cert_sans ?? [],
    peerCertSans: params.peer_cert_sans ?? [],
    keySize: opts.keySize,
    keyAlgorithm: opts.keyAlgorithm,
    validityDays: opts.validityDays,
  };
}

function normalizeOptions(params: CertsParams): CertsOptions {
  const chosen = new Set<ProfileName>([...(params.profile ? [params.profile] : []), ...(params.profiles ?? [])]);
  return {
    // Fixed order (CA first, kubeadm's order) whatever order the user wrote.
    profiles: chosen.size ? PROFILE_NAMES.filter((p) => chosen.has(p)) : [...PROFILE_NAMES],
    pkiDir: (params.pki_dir ?? '/etc/kubernetes/pki').replace(/\/+$/, '') || '/',
    caDir: params.ca_dir ?? 'pki/etcd-ca',
    keySize: (params.key_size ?? 2048) as KeySize,
    keyAlgorithm: params.encryption_algorithm ?? (`RSA-${params.key_size ?? 2048}` as KeyAlgorithm),
    validityDays: params.validity_days ?? 365,
    caValidityDays: params.ca_validity_days ?? 3650,
    renewBeforeDays: params.renew_before_days ?? 30,
    copyCaKey: params.copy_ca_key ?? false,
    adoptCa: params.adopt_ca ?? false,
    owner: params.owner ?? 'root',
    group: params.group ?? 'root',
  };
}
