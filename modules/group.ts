/**
 * group: a local group present (with a gid) or absent, read from the name service (getent) and
 * changed with groupadd/groupmod/groupdel.
 *
 * ```yaml
 * - group: { name: etcd, system: true }
 * ```
 */
import type { FromSchema } from 'json-schema-to-ts';
import { groupSchema } from '../schemas/modules/group.js';
import type { ModuleDefinition, Plan } from '../runner/types.js';
import { accounts, findGroup, type Accounts } from '../runner/facts/accounts.js';

type GroupParams = FromSchema<typeof groupSchema>;

/** The `group` module definition (registered in modules/index.ts). */
export const group: ModuleDefinition<GroupParams, Accounts> = {
  name: 'group',
  summary: 'Make a group present (with a gid) or absent.',
  schema: groupSchema,
  docs: {
    examples: ['- group: { name: etcd, system: true }', '- group: { name: deploy, gid: 2001 }', '- group: { name: oldteam, state: absent }', ''].join('\n'),
    returns: { name: 'The group name.', state: 'present or absent.', gid: 'Its gid (after the task; unknown in check mode for a group not created yet).', system: 'Whether it was asked to be a system group.' },
    notes: [
      'State is read with getent (so LDAP/sssd groups are seen), changes are made with groupadd/groupmod/groupdel, which manage the local /etc/group only.',
      'groupdel refuses a group that is the primary group of a user: the task fails with its message.',
    ],
  },
  gather: (ctx) => ctx.facts.get(accounts, {}),
  plan: (params, facts) => planGroup(params, facts),
};

/** The pure plan (exported for the unit tests). */
export function planGroup(params: GroupParams, facts: Accounts): Plan {
  const { name } = params;
  const current = facts.groups.find((g) => g.name === name);
  const result: Record<string, unknown> = { name, state: params.state ?? 'present' };
  if (params.state === 'absent') {
    if (!current) return { changes: [], noop: `group ${name} does not exist`, result };
    return {
      changes: [{ kind: 'exec', command: ['groupdel', name], describe: `delete group ${name}` }],
      diffs: [{ label: `group ${name}`, before: describeGroup(current.gid), after: 'absent\n' }],
      result,
    };
  }
  if (!current) {
    const taken = params.gid !== undefined ? findGroup(facts.groups, params.gid) : undefined;
    if (taken) return { changes: [], failed: `gid ${params.gid} is taken by group ${taken.name}: choose another gid, or manage ${taken.name}`, result };
    const argv = ['groupadd', ...(params.gid !== undefined ? ['-g', String(params.gid)] : []), ...(params.system ? ['-r'] : []), name];
    return {
      changes: [{ kind: 'exec', command: argv, describe: `create group ${name}${params.gid !== undefined ? ` (gid ${params.gid})` : ''}${params.system ? ' (system)' : ''}` }],
      diffs: [{ label: `group ${name}`, before: 'absent\n', after: describeGroup(params.gid) }],
      result: { ...result, ...(params.gid !== undefined ? { gid: params.gid } : {}), system: params.system ?? false },
    };
  }
  result.gid = current.gid;
  if (params.gid === undefined || params.gid === current.gid) return { changes: [], noop: `group ${name} exists (gid ${current.gid})`, result };
  const taken = findGroup(facts.groups, params.gid);
  if (taken) return { changes: [], failed: `cannot give group ${name} gid ${params.gid}: group ${taken.name} has it`, result };
  return {
    changes: [{ kind: 'exec', command: ['groupmod', '-g', String(params.gid), name], describe: `change gid of group ${name}: ${current.gid} -> ${params.gid}` }],
    diffs: [{ label: `group ${name}`, before: describeGroup(current.gid), after: describeGroup(params.gid) }],
    result: { ...result, gid: params.gid },
  };
}

function describeGroup(gid: number | undefined): string {
  return `present${gid !== undefined ? `\ngid: ${gid}` : ''}\n`;
}
