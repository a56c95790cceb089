/**
 * package: Ansible's generic package module, the subset every manager shares (name, state). On a
 * Debian-family host it is the apt module with those arguments; any other host is refused with
 * the manager it has, rather than guessed at.
 *
 * ```yaml
 * - package: { name: [curl, ca-certificates], state: present }
 * ```
 */
import type { FromSchema } from 'json-schema-to-ts';
import { packageSchema } from '../schemas/modules/package.js';
import type { ModuleContext, ModuleDefinition, Plan } from '../runner/types.js';
import { packageManager, DEBIAN_FAMILY_IDS } from '../runner/facts/package-manager.js';
import { checkAptArgs, gatherApt, planApt, READ_AHEAD, type AptFacts, type AptParams } from './apt.js';

type PackageParams = FromSchema<typeof packageSchema>;

export interface PackageFacts {
  /** Ansible's name of the host's package manager (apt, dnf...), null when none was found. */
  manager: string | null;
  /** How it was known. */
  source: string;
  apt?: AptFacts;
}

export const packageModule: ModuleDefinition<PackageParams, PackageFacts> = {
  name: 'package',
  summary: 'Packages through the host\'s package manager (apt on Debian and Ubuntu): present, latest or absent.',
  schema: packageSchema,
  docs: {
    examples: ['- package: { name: [curl, ca-certificates] }', '- package: { name: telnet, state: absent }', ''].join('\n'),
    returns: {
      pkg_mgr: 'The package manager used (apt).',
      installed: 'As apt: packages newly installed, as `name=version`.',
      upgraded: 'As apt: packages moved to another version.',
      removed: 'As apt: packages removed.',
    },
    notes: [
      'The manager comes from `ansible_pkg_mgr` when set, else from the facts\' OS (Debian family: apt), else from the programs on the host\'s PATH.',
      'Hosts whose manager is not apt (dnf, yum, zypper, apk, pacman) are refused, naming it: use `command` with that manager there.',
    ],
  },
  readsAhead: () => READ_AHEAD,
  checkArgs(params) {
    return checkAptArgs(toAptParams(params));
  },
  async gather(ctx, params) {
    const { manager, source } = await findManager(ctx, params);
    if (manager !== 'apt') return { manager, source };
    return { manager, source, apt: await gatherApt(ctx, toAptParams(params)) };
  },
  plan(params, facts, ctx) {
    return planPackage(params, facts, ctx.checkMode);
  },
};

export function planPackage(params: PackageParams, facts: PackageFacts, checkMode = false): Plan {
  if (facts.manager !== 'apt' || !facts.apt) {
    const what = facts.manager === null ? 'no package manager quorum knows' : `package manager ${facts.manager}`;
    return { changes: [], failed: `package: this host has ${what} (${facts.source}); quorum's package module drives apt only (Debian, Ubuntu): on this host use \`command\` with its own manager`, result: { pkg_mgr: facts.manager } };
  }
  const plan = planApt(toAptParams(params), facts.apt, checkMode);
  return { ...plan, result: { pkg_mgr: 'apt', ...(plan.result ?? {}) } };
}

function toAptParams(params: PackageParams): AptParams {
  return { name: params.name, ...(params.state ? { state: params.state } : {}) } as AptParams;
}

/** ansible_pkg_mgr, else the facts' OS, else a look at the host's PATH. */
async function findManager(ctx: ModuleContext, params: PackageParams): Promise<{ manager: string | null; source: string }> {
  if (params.use === 'apt') return { manager: 'apt', source: 'use: apt' };
  const declared = ctx.vars['ansible_pkg_mgr'];
  if (typeof declared === 'string' && declared !== '' && declared !== 'unknown') return { manager: declared, source: `ansible_pkg_mgr is ${declared}` };
  const os = (ctx.vars['facts'] as { os?: { id?: unknown } } | undefined)?.os?.id;
  if (typeof os === 'string' && DEBIAN_FAMILY_IDS.has(os)) return { manager: 'apt', source: `facts.os.id is ${os}` };
  const found = await ctx.facts.get(packageManager, undefined);
  return { manager: found, source: typeof os === 'string' ? `facts.os.id is ${os}; found ${found ?? 'none'} on the PATH` : `found ${found ?? 'none'} on the PATH` };
}
