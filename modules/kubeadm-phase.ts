/**
 * kubeadm-phase: run `kubeadm init phase PHASE --config FILE` once. Idempotent through the
 * files each phase writes: when they all exist the phase is not run (`force: true` reruns it).
 * A static pod manifest (etcd local, control-plane *) is the exception: kubeadm rewrites it from
 * the config every time, so the phase runs again when the config was modified after the manifest
 * (mtimes, as make decides), and a re-run with nothing changed stays a no-op.
 *
 * ```yaml
 * - kubeadm-phase: { phase: etcd local, config: /root/kubeadmcfg.yaml }
 * ```
 */
import type { FromSchema } from 'json-schema-to-ts';
import { kubeadmPhaseSchema } from '../schemas/modules/kubeadm-phase.js';
import type { Diff, Fact, ModuleDefinition, Plan } from '../runner/types.js';
import { fileContent } from '../runner/facts/file-content.js';
import { isNewer, modifiedTime } from '../runner/facts/modified-time.js';
import { pathStateAsRoot, type PathState } from '../runner/facts/path-state.js';
import { quote } from '../runner/connection/quote.js';

type KubeadmPhaseParams = FromSchema<typeof kubeadmPhaseSchema>;

/** What gather read. */
export interface KubeadmPhaseFacts {
  /** Path of kubeadm on the host, undefined when `command -v kubeadm` fails. */
  kubeadm?: string;
  config: PathState;
  artefacts: PathState[];
  /** Current content of an existing static-pod manifest the phase would overwrite. */
  manifestBefore?: { path: string; content: string };
  /** For a manifest phase: the config's and the manifest's modification times (UTC text). */
  modified?: { config?: string; manifest?: string };
}

/** Where to install kubeadm from: Debian does not package it. */
export const INSTALL_HINT =
  'install it from the Kubernetes apt repository (https://pkgs.k8s.io/core:/stable:/v1.34/deb/, see https://kubernetes.io/docs/setup/production-environment/tools/kubeadm/install-kubeadm/) with `apt-get install -y kubeadm kubelet kubectl`';

/** `command -v NAME`: the path of a command, or undefined. */
export const commandPath: Fact<string | undefined, string> = {
  name: 'command-path',
  sudo: true,
  command: (name) => `command -v ${quote(name)} || true`,
  parse: (output) => output.stdout.trim() || undefined,
};

/** Files a known phase writes, from kubeadm's constants (spec/kubeadm-etcd.md 1.1, 2.1). */
export function listArtefacts(phase: string, certDir: string, kubernetesDir: string): string[] | undefined {
  const [group, name] = phase.split(' ');
  const pair = (base: string) => [`${certDir}/${base}.crt`, `${certDir}/${base}.key`];
  if (phase === 'etcd local') return [`${kubernetesDir}/manifests/etcd.yaml`];
  if (group === 'certs' && name) {
    if (name === 'sa') return [`${certDir}/sa.key`, `${certDir}/sa.pub`];
    if (name === 'etcd-ca') return pair('etcd/ca');
    // etcd leaves live under etcd/ without the prefix; apiserver-etcd-client stays top level.
    if (name.startsWith('etcd-')) return pair(`etcd/${name.slice(5)}`);
    if (['ca', 'apiserver', 'apiserver-kubelet-client', 'front-proxy-ca', 'front-proxy-client', 'apiserver-etcd-client'].includes(name)) return pair(name);
  }
  if (group === 'kubeconfig' && name && ['admin', 'super-admin', 'kubelet', 'controller-manager', 'scheduler'].includes(name)) {
    return [`${kubernetesDir}/${name}.conf`];
  }
  if (group === 'control-plane' && name && ['apiserver', 'controller-manager', 'scheduler'].includes(name)) {
    return [`${kubernetesDir}/manifests/kube-${name}.yaml`];
  }
  return undefined;
}

/** The argv the phase runs (exported for tests and for docs). */
export function buildKubeadmArgv(params: KubeadmPhaseParams): string[] {
  return ['kubeadm', 'init', 'phase', ...params.phase.split(' '), `--config=${params.config}`, ...(params.extra_args ?? [])];
}

export const kubeadmPhase: ModuleDefinition<KubeadmPhaseParams, KubeadmPhaseFacts> = {
  name: 'kubeadm-phase',
  summary: 'Run one `kubeadm init phase` unless the files it writes already exist.',
  schema: kubeadmPhaseSchema,
  docs: {
    examples: [
      '- kubeadm-phase: { phase: certs etcd-server, config: /root/kubeadmcfg.yaml }',
      '- kubeadm-phase: { phase: etcd local, config: /root/kubeadmcfg.yaml, force: true }',
      '- kubeadm-phase:',
      '    phase: upload-config kubeadm',
      '    config: /root/kubeadmcfg.yaml',
      '    creates: [/etc/kubernetes/.uploaded-config]',
      '',
    ].join('\n'),
    returns: { cmd: 'The kubeadm argv.', artefacts: 'Each file the phase writes, with whether it existed before the task.' },
    notes: [
      'kubeadm and kubelet are not packaged by Debian and could not be installed in the lab: the command line, the idempotence decisions and the "kubeadm missing" failure were tested (the last on a real lab host without kubeadm); the phases themselves never ran against a real kubeadm here.',
      'A static pod manifest (etcd local, control-plane *) is written again when the config was modified after it (kubeadm rewrites it from the config each time); the diff shows the manifest before, "after" is produced by kubeadm at apply time and is not rendered by quorum. In --check, a config that a previous task would change is not written yet: pass `force: "{{ result_of_that_task.changed }}"` to show the phase as a change too.',
      'kubeadm reuses any existing certificate signed by the CA (spec 1.5): force does not regenerate certificates; delete them first.',
    ],
  },
  async gather(ctx, params) {
    const kubeadm = await ctx.facts.get(commandPath, 'kubeadm');
    const config = await ctx.facts.get(pathStateAsRoot, { path: params.config });
    const artefacts: PathState[] = [];
    for (const path of resolveArtefacts(params) ?? []) artefacts.push(await ctx.facts.get(pathStateAsRoot, { path }));
    const facts: KubeadmPhaseFacts = { config, artefacts, ...(kubeadm ? { kubeadm } : {}) };
    const manifest = artefacts.find((a) => a.type !== 'absent' && isManifest(a.path));
    if (manifest && config.type !== 'absent') {
      const [c, m] = [await ctx.facts.get(modifiedTime, params.config), await ctx.facts.get(modifiedTime, manifest.path)];
      facts.modified = { ...(c.mtime ? { config: c.mtime } : {}), ...(m.mtime ? { manifest: m.mtime } : {}) };
    }
    if (manifest && (params.force || isConfigNewer(facts))) {
      const read = await ctx.facts.get(fileContent, manifest.path);
      if (read.content !== undefined) facts.manifestBefore = { path: manifest.path, content: read.content };
    }
    return facts;
  },
  plan(params, facts, ctx) {
    return planKubeadmPhase(params, facts, ctx.host);
  },
};

/** A static pod manifest: kubeadm writes it from the config each time the phase runs. */
function isManifest(path: string): boolean {
  return path.endsWith('.yaml') && path.includes('/manifests/');
}

/** The config was modified after the manifest was written: the manifest may be stale. */
function isConfigNewer(facts: KubeadmPhaseFacts): boolean {
  const { config, manifest } = facts.modified ?? {};
  return config !== undefined && manifest !== undefined && isNewer(config, manifest);
}

function resolveArtefacts(params: KubeadmPhaseParams): string[] | undefined {
  return params.creates ? [...params.creates] : listArtefacts(params.phase, params.cert_dir ?? '/etc/kubernetes/pki', params.kubernetes_dir ?? '/etc/kubernetes');
}

/** The pure plan of kubeadm-phase (exported for the plan tests). */
export function planKubeadmPhase(params: KubeadmPhaseParams, facts: KubeadmPhaseFacts, host: string): Plan {
  const argv = buildKubeadmArgv(params);
  const artefacts = facts.artefacts.map((a) => ({ path: a.path, existed: a.type !== 'absent' }));
  const result = { cmd: argv, artefacts };
  if (resolveArtefacts(params) === undefined) {
    return { changes: [], failed: `kubeadm-phase: phase "${params.phase}" is not one whose files quorum knows: add \`creates:\` with the files it writes`, result };
  }
  if (!facts.kubeadm) {
    return { changes: [], failed: `kubeadm not found on ${host} (\`command -v kubeadm\` failed): ${INSTALL_HINT}`, result };
  }
  const missing = facts.artefacts.filter((a) => a.type === 'absent').map((a) => a.path);
  const stale = missing.length === 0 && isConfigNewer(facts);
  if (missing.length === 0 && !params.force && !stale) {
    const manifest = facts.modified?.manifest ? ` (${params.config} unchanged since)` : '';
    return { changes: [], noop: `phase ${params.phase} already done: ${facts.artefacts.map((a) => a.path).join(', ')} exist${manifest}`, result };
  }
  const manifestPath = facts.artefacts.find((a) => isManifest(a.path))?.path;
  const why = missing.length > 0 ? `missing ${missing.join(', ')}` : stale ? `${params.config} changed after ${manifestPath} was written` : 'force';
  const plan: Plan = {
    changes: [{ kind: 'exec', command: argv, describe: `kubeadm init phase ${params.phase} --config=${params.config} (${why})` }],
    diffs: describeDiffs(facts),
    result,
  };
  if (facts.config.type === 'absent') plan.msg = `${params.config} does not exist on ${host} yet: kubeadm will fail unless an earlier task writes it`;
  return plan;
}

/**
 * Diffs for what the phase rewrites. Only a manifest's text is shown: certificate and key
 * files are never read (keys are secret), their presence is listed instead.
 */
function describeDiffs(facts: KubeadmPhaseFacts): Diff[] {
  const diffs: Diff[] = [];
  for (const a of facts.artefacts) {
    if (facts.manifestBefore?.path === a.path) {
      diffs.push({ label: a.path, before: facts.manifestBefore.content, after: '(produced by kubeadm at apply time; not rendered by quorum)\n' });
    } else {
      diffs.push({ label: a.path, before: a.type !== 'absent' ? 'present\n' : 'absent\n', after: 'written by kubeadm (or kept, if kubeadm reuses it)\n' });
    }
  }
  return diffs;
}
