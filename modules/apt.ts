/**
 * apt: Debian packages installed, at their newest version, or removed, with apt-get run
 * non-interactively. What is installed comes from dpkg (runner/facts/dpkg-packages.ts), read
 * ahead with the play's facts; a task whose packages are already as asked runs no apt command at
 * all. When something must change, `apt-get -s` says exactly what apt will do (dependencies
 * pulled in, packages a removal takes with it, the version `latest` brings), so check mode and
 * the diff show it before anything is touched.
 *
 * ```yaml
 * - apt: { name: [etcd-server, etcd-client], update_cache: true, cache_valid_time: 3600 }
 * - apt: { name: "kubelet=1.34.4-1.1", allow_downgrade: true }
 * - apt: { name: telnet, state: absent, purge: true }
 * ```
 */
import type { FromSchema } from 'json-schema-to-ts';
import { aptSchema } from '../schemas/modules/apt.js';
import type { ArgProblem, Change, Diff, Fact, ModuleContext, ModuleDefinition, Plan } from '../runner/types.js';
import { dpkgPackages, installedPackage, knownPackage, type DpkgPackages } from '../runner/facts/dpkg-packages.js';
import { aptCacheAge, UPDATE_STAMP, type AptCacheAge } from '../runner/facts/apt-cache-age.js';
import { aptSimulation, type AptSimulation, type SimulatedAction } from '../runner/facts/apt-simulation.js';
import { debFile, type DebFile } from '../runner/facts/deb-file.js';
import type { AptGetRequest } from '../runner/apt/command-line.js';
import { runAptGet } from '../runner/apt/run-apt-get.js';

export type AptParams = FromSchema<typeof aptSchema>;

/** What gather read. */
export interface AptFacts {
  installed: DpkgPackages;
  /** Read when `cache_valid_time` is given. */
  cacheAge?: AptCacheAge;
  /** The package in `deb:`. */
  deb?: DebFile;
  /** What apt-get would do for the request, when something is to do and the lists are current. */
  simulation?: AptSimulation;
}

/** Ansible's default wait for the dpkg lock. */
const DEFAULT_LOCK_TIMEOUT = 60;

/** The dpkg state of every package, read ahead (strategy/prefetch.ts) by apt and package tasks. */
export const READ_AHEAD: Array<{ fact: Fact<unknown, any>; args: unknown }> = [{ fact: dpkgPackages as Fact<unknown, void>, args: undefined }];

export const apt: ModuleDefinition<AptParams, AptFacts> = {
  name: 'apt',
  summary: 'Debian packages: installed (pinned or any version), at the newest version, or removed; apt-get update with cache_valid_time.',
  schema: aptSchema,
  docs: {
    examples: [
      '- apt: { name: [etcd-server, etcd-client], update_cache: true, cache_valid_time: 3600 }',
      '- apt: { name: "curl=7.88.1-10+deb12u8" }',
      '- apt: { name: "nginx,ssl-cert", state: latest, install_recommends: false }',
      '- apt: { name: telnet, state: absent, purge: true, autoremove: true }',
      '- apt: { deb: /tmp/quorum-tools_1.0_amd64.deb }',
      '- apt: { update_cache: true, cache_valid_time: 86400 }',
      '',
    ].join('\n'),
    returns: {
      cache_updated: 'apt-get update ran (or, in check mode, would run).',
      cache_update_time: 'When the lists were last updated before this task (seconds since the epoch), when cache_valid_time was given.',
      installed: 'Packages newly installed, dependencies included, as `name=version`.',
      upgraded: 'Packages moved to another version, as `name=from->to`.',
      removed: 'Packages removed or purged, as `name=version`.',
      stdout: 'apt-get\'s output (its last run).',
    },
    notes: [
      'apt-get runs with DEBIAN_FRONTEND=noninteractive, -y and dpkg\'s --force-confdef/--force-confold: a configuration file you edited is kept.',
      'While another process holds apt\'s or dpkg\'s lock the task waits (lock_timeout, 60 s), reporting each try as it happens with the process that holds it.',
      'state: present with the packages installed runs no apt command: only dpkg-query, read once per host with the play\'s facts.',
      'After an install with update_cache pending, what `latest` brings is known only after the update: check mode then says "after apt-get update" rather than versions.',
    ],
  },
  readsAhead: () => READ_AHEAD,
  checkArgs(params) {
    return checkAptArgs(params);
  },
  async gather(ctx, params) {
    return gatherApt(ctx, params);
  },
  plan(params, facts, ctx) {
    return planApt(params, facts, ctx.checkMode);
  },
};

/** Argument combinations that cannot mean anything, refused before any host is touched. */
export function checkAptArgs(params: AptParams): ArgProblem[] {
  const problems: ArgProblem[] = [];
  const specs = packageSpecs(params.name);
  if (params.deb !== undefined && specs.length > 0) problems.push({ param: 'deb', message: '`deb` and `name` in one task: install the .deb in a task of its own (Ansible refuses the pair too)' });
  if ((params.state ?? 'present') !== 'present' && params.deb !== undefined) problems.push({ param: 'state', message: '`deb` installs a file: use state: present (or name the package with state: absent to remove it)' });
  if (params.state === 'latest') {
    for (const spec of specs.filter((s) => s.includes('='))) {
      problems.push({ param: 'name', message: `${spec}: a pinned version cannot be "latest"; use state: present to install exactly that version`, suggestion: spec.slice(0, spec.indexOf('=')) });
    }
  }
  if (params.state === 'absent') {
    for (const spec of specs.filter((s) => s.includes('='))) {
      problems.push({ param: 'name', message: `${spec}: state: absent removes whatever version is installed; name it without a version`, suggestion: spec.slice(0, spec.indexOf('=')) });
    }
  }
  return problems;
}

/** `name` as a list of specs: a list, one name, or names separated by commas. */
export function packageSpecs(name: string | readonly string[] | undefined): string[] {
  if (name === undefined) return [];
  const list = typeof name === 'string' ? name.split(',') : name;
  return [...new Set(list.map((s) => s.trim()).filter((s) => s !== ''))];
}

export async function gatherApt(ctx: Pick<ModuleContext, 'facts'>, params: AptParams): Promise<AptFacts> {
  const installed = await ctx.facts.get(dpkgPackages, undefined);
  const cacheAge = params.cache_valid_time !== undefined ? await ctx.facts.get(aptCacheAge, undefined) : undefined;
  const deb = params.deb !== undefined ? await ctx.facts.get(debFile, params.deb) : undefined;
  const facts: AptFacts = { installed, ...(cacheAge ? { cacheAge } : {}), ...(deb ? { deb } : {}) };
  const request = pendingRequest(params, facts);
  // An install after a pending update is judged by the lists it will bring, not today's.
  const canSimulate = request && (!updatePending(params, cacheAge) || request.verb === 'remove' || request.verb === 'purge');
  if (request && canSimulate) facts.simulation = await ctx.facts.get(aptSimulation, request);
  return facts;
}

/** Whether apt-get update is due: asked for, and the lists older than cache_valid_time (if given). */
function updatePending(params: AptParams, age: AptCacheAge | undefined): boolean {
  if (params.update_cache !== true && params.cache_valid_time === undefined) return false;
  if (params.update_cache === false) return false;
  if (params.cache_valid_time === undefined || !age) return true;
  return age.now - age.updatedAt > params.cache_valid_time;
}

/** The apt-get request the task needs from dpkg's state alone, or undefined when nothing is to do. */
function pendingRequest(params: AptParams, facts: Pick<AptFacts, 'installed' | 'deb'>): Omit<AptGetRequest, 'simulate'> | undefined {
  const state = params.state ?? 'present';
  const common = {
    ...(params.install_recommends !== undefined ? { installRecommends: params.install_recommends } : {}),
    ...(params.autoremove ? { autoremove: true } : {}),
    ...(params.allow_downgrade ? { allowDowngrade: true } : {}),
  };
  const specs = packageSpecs(params.name);
  if (facts.deb) {
    const have = installedPackage(facts.installed, facts.deb.name);
    return have?.version === facts.deb.version ? undefined : { verb: 'install', packages: [facts.deb.path], ...common };
  }
  if (specs.length > 0) {
    if (state === 'absent') {
      const present = specs.filter((s) => (params.purge ? knownPackage(facts.installed, s) : installedPackage(facts.installed, s)));
      return present.length > 0 ? { verb: params.purge ? 'purge' : 'remove', packages: present, ...common } : undefined;
    }
    if (state === 'latest') return { verb: 'install', packages: specs, ...common };
    const missing = specs.filter((s) => !satisfied(facts.installed, s));
    return missing.length > 0 ? { verb: 'install', packages: missing, ...common } : undefined;
  }
  if (params.autoremove) return { verb: 'autoremove', ...common };
  return undefined;
}

/** `name` installed, at the pinned version when `name=version`. */
function satisfied(installed: DpkgPackages, spec: string): boolean {
  const eq = spec.indexOf('=');
  const have = installedPackage(installed, eq < 0 ? spec : spec.slice(0, eq));
  return have !== undefined && (eq < 0 || have.version === spec.slice(eq + 1));
}

/** The pure plan of the apt module (exported for the plan tests and the package module). */
export function planApt(params: AptParams, facts: AptFacts, checkMode = false): Plan {
  const lockTimeoutSeconds = params.lock_timeout ?? DEFAULT_LOCK_TIMEOUT;
  const update = updatePending(params, facts.cacheAge);
  const request = pendingRequest(params, facts);
  const result: Record<string, unknown> = {
    cache_updated: update,
    ...(facts.cacheAge ? { cache_update_time: facts.cacheAge.updatedAt } : {}),
    installed: [] as string[],
    upgraded: [] as string[],
    removed: [] as string[],
  };
  // Check mode ran no earlier `apt-get update`, so the lists may not know a package yet that
  // they would know by now: say it cannot be predicted (skipped), rather than fail the dry run.
  if (facts.simulation?.error && checkMode && /Unable to locate package/.test(facts.simulation.error)) {
    return { changes: [], unpredictable: `apt's lists do not know it yet (${facts.simulation.error}); an apt-get update earlier in the run would be skipped in check mode`, result };
  }
  if (facts.simulation?.error) {
    const hint = /--allow-downgrades/.test(facts.simulation.error) ? ' (set allow_downgrade: true to accept a downgrade)' : '';
    return { changes: [], failed: `apt-get refuses: ${facts.simulation.error}${hint}`, result };
  }

  const changes: Change[] = [];
  if (update) changes.push(updateChange(params, facts.cacheAge, lockTimeoutSeconds));
  let actions = facts.simulation?.actions;
  if (request && (actions === undefined || actions.length > 0)) {
    changes.push(requestChange(request, describeRequest(request, actions, params, facts.deb?.name), lockTimeoutSeconds));
  }
  if (actions) {
    actions = [...actions].sort(byName);
    result.installed = actions.filter((a) => a.action === 'install').map((a) => `${a.name}=${a.to ?? ''}`);
    result.upgraded = actions.filter((a) => a.action === 'replace').map((a) => `${a.name}=${a.from ?? ''}->${a.to ?? ''}`);
    result.removed = actions.filter((a) => a.action === 'remove' || a.action === 'purge').map((a) => `${a.name}=${a.from ?? ''}`);
  }
  if (changes.length === 0) return { changes, noop: describeNoop(params, facts), result };
  const diff = packagesDiff(request, actions, facts.installed);
  return { changes, ...(diff ? { diffs: [diff] } : {}), result };
}

function updateChange(params: AptParams, age: AptCacheAge | undefined, lockTimeoutSeconds: number): Change {
  const why = params.cache_valid_time === undefined
    ? 'update_cache'
    : age && age.updatedAt > 0
      ? `lists last updated ${age.now - age.updatedAt} s ago, more than cache_valid_time ${params.cache_valid_time} s`
      : 'lists never updated';
  return {
    kind: 'call',
    describe: `apt-get update (${why})`,
    async run(ctx) {
      const r = await runAptGet(ctx, { verb: 'update' }, { lockTimeoutSeconds });
      // The stamp Ubuntu's apt hook keeps and Ansible reads: cache_valid_time judges by it next time,
      // also when the update fetched nothing new (apt then leaves the lists directory's mtime alone).
      const stamp = await ctx.conn.exec(`mkdir -p /var/lib/apt/periodic && touch ${UPDATE_STAMP}`, { sudo: ctx.become });
      if (stamp.exitCode !== 0) throw new Error(`apt-get update ran, but ${UPDATE_STAMP} could not be touched: ${stamp.stderr.toString('utf8').trim()}`);
      return { cache_updated: true, stdout: r.stdout.toString('utf8').trimEnd() };
    },
  };
}

function requestChange(request: Omit<AptGetRequest, 'simulate'>, describe: string, lockTimeoutSeconds: number): Change {
  return {
    kind: 'call',
    describe,
    async run(ctx) {
      try {
        const r = await runAptGet(ctx, request, { lockTimeoutSeconds });
        return { stdout: r.stdout.toString('utf8').trimEnd(), stderr: r.stderr.toString('utf8').trimEnd(), rc: r.exitCode };
      } catch (err) {
        const msg = (err as Error).message;
        throw new Error(/--allow-downgrades/.test(msg) ? `${msg}\n(set allow_downgrade: true to accept a downgrade)` : msg);
      }
    },
  };
}

/** The change in words: what apt-get will do, from its simulation when there is one. */
function describeRequest(request: Omit<AptGetRequest, 'simulate'>, actions: SimulatedAction[] | undefined, params: AptParams, debName: string | undefined): string {
  if (!actions) {
    const what = params.state === 'latest' ? 'install or upgrade to the newest version' : 'install';
    return `${what}: ${(request.packages ?? []).join(', ')} (versions known after apt-get update)`;
  }
  const named = new Set([...(request.packages ?? []).map((s) => s.replace(/[:=].*$/, '')), ...(debName ? [debName] : [])]);
  const word = (a: SimulatedAction) => `${a.name}${named.has(a.name) || request.verb === 'autoremove' || a.action === 'purge' || a.action === 'remove' ? '' : ' (dependency)'}`;
  const parts: string[] = [];
  const of = (kind: SimulatedAction['action']) => actions.filter((a) => a.action === kind).sort(byName);
  if (of('install').length) parts.push(`install ${of('install').map((a) => `${word(a)} ${a.to ?? ''}`.trim()).join(', ')}`);
  if (of('replace').length) parts.push(`upgrade ${of('replace').map((a) => `${word(a)} ${a.from ?? '?'} -> ${a.to ?? '?'}`).join(', ')}`);
  if (of('remove').length) parts.push(`remove ${of('remove').map((a) => `${a.name} ${a.from ?? ''}`.trim()).join(', ')}`);
  if (of('purge').length) parts.push(`purge ${of('purge').map((a) => `${a.name} ${a.from ?? ''}`.trim()).join(', ')}`);
  return `apt-get ${request.verb}: ${parts.join('; ')}`;
}

function byName(a: SimulatedAction, b: SimulatedAction): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function describeNoop(params: AptParams, facts: AptFacts): string {
  const fresh = facts.cacheAge ? `lists updated ${facts.cacheAge.now - facts.cacheAge.updatedAt} s ago (cache_valid_time ${params.cache_valid_time} s); ` : '';
  if (facts.deb) return `${fresh}${facts.deb.name} ${facts.deb.version} is installed`;
  const specs = packageSpecs(params.name);
  if (specs.length === 0) return `${fresh}nothing to autoremove`;
  if ((params.state ?? 'present') === 'absent') return `${fresh}${specs.join(', ')} not installed`;
  const versions = specs.map((s) => `${s.replace(/=.*$/, '')} ${installedPackage(facts.installed, s.replace(/=.*$/, ''))?.version ?? '?'}`);
  return `${fresh}${versions.join(', ')} installed${params.state === 'latest' ? ', the newest apt offers' : ''}`;
}

/** The packages the change touches, before and after, one `name version` a line. */
function packagesDiff(request: Omit<AptGetRequest, 'simulate'> | undefined, actions: SimulatedAction[] | undefined, installed: DpkgPackages): Diff | undefined {
  const before: string[] = [];
  const after: string[] = [];
  if (actions) {
    for (const a of [...actions].sort(byName)) {
      if (a.from !== undefined) before.push(`${a.name} ${a.from}`);
      if (a.action === 'install' || a.action === 'replace') after.push(`${a.name} ${a.to ?? ''}`.trim());
    }
  } else if (request) {
    for (const spec of request.packages ?? []) {
      const name = spec.replace(/=.*$/, '');
      const have = installedPackage(installed, name);
      if (have) before.push(`${name} ${have.version}`);
      after.push(spec.includes('=') ? spec.replace('=', ' ') : `${name} (version known after apt-get update)`);
    }
  }
  if (before.length === 0 && after.length === 0) return undefined;
  const text = (lines: string[]) => (lines.length ? `${lines.join('\n')}\n` : '');
  return { label: 'packages', before: text(before), after: text(after) };
}
