/**
 * user: a local user present (uid, primary and supplementary groups, shell, home, comment,
 * password hash) or absent. The state is read with getent in one command (runner/facts/
 * accounts.ts); changes are one useradd or usermod (or userdel), and the password hash goes to
 * `chpasswd -e` on standard input as a Secret: never on a command line, in a diff, a result or
 * a message.
 *
 * ```yaml
 * - user: { name: etcd, system: true, shell: /usr/sbin/nologin, home: /var/lib/etcd, create_home: false }
 * ```
 */
import type { FromSchema } from 'json-schema-to-ts';
import { userSchema } from '../schemas/modules/user.js';
import type { Change, ModuleDefinition, Plan, PlanContext } from '../runner/types.js';
import { accounts, findGroup, type Accounts, type GroupEntry, type PasswdEntry } from '../runner/facts/accounts.js';
import { Secret } from '../runner/secret.js';

type UserParams = FromSchema<typeof userSchema>;

// A crypt(3) hash ($id$...), or a locked/disabled field. Anything else is likely a clear-text
// password, which would be stored as an unusable "hash": refused, without echoing it.
const HASH = /^(\$[A-Za-z0-9]+\$.+|![^\s:]*|\*|!!)$/;

/** The `user` module definition (registered in modules/index.ts). */
export const user: ModuleDefinition<UserParams, Accounts> = {
  name: 'user',
  summary: 'Make a local user present (uid, groups, shell, home, comment, password hash) or absent.',
  schema: userSchema,
  secretParams: ['password'],
  docs: {
    examples: [
      '- user: { name: deploy, groups: [sudo, adm], append: true, shell: /bin/bash }',
      '- user: { name: etcd, system: true, shell: /usr/sbin/nologin, home: /var/lib/etcd, create_home: false }',
      '- user: { name: alice, password: "{{ alice_password_hash }}", comment: "Alice Liddell" }',
      '- user: { name: olduser, state: absent, remove: true }',
      '',
    ].join('\n'),
    returns: {
      name: 'The user name.',
      state: 'present or absent.',
      uid: 'Its uid (after the task; unknown in check mode for a user not created yet, unless given).',
      group: 'Its primary group\'s gid (the same rule).',
      groups: 'Its supplementary groups, sorted, as they are (or will be) after the task.',
      shell: 'Login shell.',
      home: 'Home directory.',
      comment: 'GECOS field.',
      password_changed: 'The password hash was (or in check mode would be) set. The hash itself is never registered.',
    },
    notes: [
      'State is read with getent, changes are made with useradd/usermod/userdel/chpasswd (shadow-utils), which manage the local files only.',
      'password must be a crypt hash (`openssl passwd -6`, `mkpasswd -m sha-512`), not the password itself: a value that is not one is refused without being shown.',
      'groups without append sets the supplementary groups to exactly the list (as Ansible); a group that does not exist fails the task (create it first with `group`). In check mode a group an earlier task would create is accepted.',
      'home on an existing user changes the passwd entry only (files are not moved), as Ansible\'s default move_home: false.',
      'system only matters when the user is created; remove (userdel -r) only with state: absent.',
    ],
  },
  gather: (ctx, params) => ctx.facts.get(accounts, { user: params.name, shadow: params.password !== undefined && params.state !== 'absent' }),
  plan: (params, facts, ctx) => planUser(params, facts, ctx),
};

/** The pure plan (exported for the unit tests). */
export function planUser(params: UserParams, facts: Accounts, ctx: Pick<PlanContext, 'checkMode'>): Plan {
  const { name } = params;
  const current = facts.user;
  const base = { name, state: params.state ?? 'present' };
  if (params.password !== undefined && !HASH.test(params.password)) {
    return { changes: [], failed: `user ${name}: password must be a crypt hash such as the output of \`openssl passwd -6\` (it starts with $6$ or $y$), or ! to lock; the value given is not one and is not shown`, result: base };
  }
  if (params.state === 'absent') {
    if (!current) return { changes: [], noop: `user ${name} does not exist`, result: base };
    const argv = ['userdel', ...(params.remove ? ['-r'] : []), name];
    return {
      changes: [{ kind: 'exec', command: argv, describe: `delete user ${name}${params.remove ? ' and its home directory' : ''}` }],
      diffs: [{ label: `user ${name}`, before: describeUser(viewOf(current, facts.groups)), after: 'absent\n' }],
      result: base,
    };
  }
  const wantedGroups = params.groups === undefined ? undefined : splitGroups(params.groups);
  const missing = [...(params.group !== undefined ? [params.group] : []), ...(wantedGroups ?? [])].filter((g) => !findGroup(facts.groups, g));
  // In check mode an earlier task may only have been predicted to create the group.
  if (missing.length > 0 && !ctx.checkMode) {
    return { changes: [], failed: `user ${name}: group ${missing.join(', ')} does not exist on the host: create it first (group: { name: ${missing[0]} })`, result: base };
  }
  return current ? planModify(params, current, facts, wantedGroups, base) : planCreate(params, facts, wantedGroups, base);
}

/** What a user looks like, as compared and shown (never the hash). */
interface UserView {
  uid?: number;
  group?: number | string;
  groups: string[];
  shell?: string;
  home?: string;
  comment?: string;
}

function planCreate(params: UserParams, facts: Accounts, groups: string[] | undefined, base: Record<string, unknown>): Plan {
  const { name } = params;
  const gid = params.group !== undefined ? findGroup(facts.groups, params.group)?.gid ?? params.group : undefined;
  const argv = [
    'useradd',
    ...(params.uid !== undefined ? ['-u', String(params.uid)] : []),
    ...(params.group !== undefined ? ['-g', params.group] : []),
    ...(groups !== undefined && groups.length > 0 ? ['-G', groups.join(',')] : []),
    ...(params.shell !== undefined ? ['-s', params.shell] : []),
    ...(params.home !== undefined ? ['-d', params.home] : []),
    ...(params.comment !== undefined ? ['-c', params.comment] : []),
    ...(params.system ? ['-r'] : []),
    params.create_home === false ? '-M' : '-m',
    name,
  ];
  const after: UserView = {
    ...(params.uid !== undefined ? { uid: params.uid } : {}),
    ...(gid !== undefined ? { group: gid } : {}),
    groups: [...(groups ?? [])].sort(),
    ...(params.shell !== undefined ? { shell: params.shell } : {}),
    ...(params.home !== undefined ? { home: params.home } : {}),
    ...(params.comment !== undefined ? { comment: params.comment } : {}),
  };
  const changes: Change[] = [{ kind: 'exec', command: argv, describe: `create user ${name}${params.system ? ' (system)' : ''}` }];
  if (params.password !== undefined) changes.push(setPassword(name, params.password));
  return {
    changes,
    diffs: [{ label: `user ${name}`, before: 'absent\n', after: describeUser(after, params.password !== undefined) }],
    result: { ...base, ...resultOf(after), password_changed: params.password !== undefined },
  };
}

function planModify(params: UserParams, current: PasswdEntry, facts: Accounts, wantedGroups: string[] | undefined, base: Record<string, unknown>): Plan {
  const { name } = params;
  const before = viewOf(current, facts.groups);
  const flags: string[] = [];
  const said: string[] = [];
  const after: UserView = { ...before, groups: [...before.groups] };
  if (params.uid !== undefined && params.uid !== current.uid) {
    flags.push('-u', String(params.uid));
    said.push(`uid ${current.uid} -> ${params.uid}`);
    after.uid = params.uid;
  }
  if (params.group !== undefined) {
    const gid = findGroup(facts.groups, params.group)?.gid;
    if (gid !== current.gid) {
      flags.push('-g', params.group);
      said.push(`primary group ${current.gid} -> ${params.group}`);
      after.group = gid ?? params.group;
    }
  }
  if (wantedGroups !== undefined) {
    // The primary group counts as a membership: listing it in groups must not change each run.
    const primary = typeof after.group === 'number' ? after.group : undefined;
    const add = wantedGroups.filter((g) => !before.groups.includes(g) && findGroup(facts.groups, g)?.gid !== primary);
    const drop = params.append ? [] : before.groups.filter((g) => !wantedGroups.includes(g));
    if (add.length > 0 || drop.length > 0) {
      // -a -G adds only; -G alone sets the exact list ("" empties it).
      flags.push(...(params.append ? ['-a', '-G', add.join(',')] : ['-G', wantedGroups.join(',')]));
      said.push([add.length > 0 ? `add to ${add.join(', ')}` : '', drop.length > 0 ? `remove from ${drop.join(', ')}` : ''].filter(Boolean).join(', '));
      after.groups = [...new Set([...before.groups.filter((g) => !drop.includes(g)), ...add])].sort();
    }
  }
  for (const [key, flag] of [['shell', '-s'], ['home', '-d'], ['comment', '-c']] as const) {
    const want = params[key];
    if (want !== undefined && want !== current[key]) {
      flags.push(flag, want);
      said.push(`${key} ${JSON.stringify(current[key])} -> ${JSON.stringify(want)}`);
      after[key] = want;
    }
  }
  const changes: Change[] = [];
  if (flags.length > 0) changes.push({ kind: 'exec', command: ['usermod', ...flags, name], describe: `change user ${name}: ${said.join('; ')}` });
  const passwordChanges = params.password !== undefined && params.update_password !== 'on_create' && facts.shadowHash !== params.password;
  if (passwordChanges) changes.push(setPassword(name, params.password!));
  const result = { ...base, ...resultOf(after), password_changed: passwordChanges };
  if (changes.length === 0) return { changes, noop: `user ${name} is as wanted`, result };
  return { changes, diffs: [{ label: `user ${name}`, before: describeUser(before), after: describeUser(after, passwordChanges) }], result };
}

/** The hash goes on chpasswd's standard input as a Secret: no argv, no output, no diff. */
function setPassword(name: string, hash: string): Change {
  return { kind: 'exec', command: ['chpasswd', '-e'], stdin: new Secret(`${name}:${hash}\n`), describe: `set the password hash of ${name} (not shown)` };
}

/** Ansible takes a list or "a,b,c"; "" means no supplementary groups. */
export function splitGroups(groups: string | string[]): string[] {
  const list = typeof groups === 'string' ? groups.split(',') : groups;
  return [...new Set(list.map((g) => g.trim()).filter((g) => g !== ''))];
}

function viewOf(entry: PasswdEntry, groups: readonly GroupEntry[]): UserView {
  // Supplementary groups: those listing the user as a member (the primary one is by gid).
  const supplementary = groups.filter((g) => g.members.includes(entry.name) && g.gid !== entry.gid).map((g) => g.name);
  return { uid: entry.uid, group: entry.gid, groups: [...new Set(supplementary)].sort(), shell: entry.shell, home: entry.home, comment: entry.comment };
}

function describeUser(view: UserView, passwordChanges = false): string {
  const lines = ['present'];
  for (const key of ['uid', 'group', 'shell', 'home', 'comment'] as const) if (view[key] !== undefined) lines.push(`${key}: ${String(view[key])}`);
  lines.push(`groups: ${view.groups.join(', ')}`);
  if (passwordChanges) lines.push('password: (hash set, not shown)');
  return `${lines.join('\n')}\n`;
}

function resultOf(view: UserView): Record<string, unknown> {
  return Object.fromEntries(Object.entries(view).filter(([, v]) => v !== undefined));
}
