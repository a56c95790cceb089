/**
 * accounts: the host's users and groups as the name service sees them (`getent`), in one round
 * trip: the group table, and for a user its passwd entry and (when a password is managed) its
 * shadow hash. The output is parsed as data by pure functions; the hash is compared on the
 * controller and never put in a result, diff or message.
 */
import type { Fact } from '../types.js';
import { quote } from '../connection/quote.js';
import { ModuleError } from '../errors.js';

/** One passwd entry. */
export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  comment: string;
  home: string;
  shell: string;
}

/** One group entry. */
export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** What the fact returns. */
export interface Accounts {
  /** The user asked for, or undefined when the name service does not know it. */
  user?: PasswdEntry;
  /** Its shadow password field (a crypt hash, `!`, `*`...), only when asked for. */
  shadowHash?: string;
  /** Every group (for primary/supplementary groups and names to gids). */
  groups: GroupEntry[];
}

/** Arguments: the user whose entry is read (none for the group module), and whether its hash is. */
export interface AccountsArgs {
  user?: string;
  shadow?: boolean;
}

const SECTION = { passwd: '::passwd', shadow: '::shadow', group: '::group' } as const;

export const accounts: Fact<Accounts, AccountsArgs> = {
  name: 'accounts',
  command: buildAccountsScript,
  parse(output) {
    if (output.exitCode !== 0) throw new ModuleError(`cannot read users and groups (exit ${output.exitCode}): ${output.stderr.trim() || 'no error output'}`);
    return parseAccounts(output.stdout);
  },
};

/**
 * getent exits 2 for "no such entry", which is an answer; any other failure stops the script.
 * Each section starts with a marker line the parser splits on.
 */
export function buildAccountsScript({ user, shadow }: AccountsArgs): string {
  const lines: string[] = [];
  const read = (db: string, key: string) => `getent ${db}${key ? ` ${key}` : ''} || { rc=$?; [ $rc -eq 2 ] || { echo "getent ${db} failed (exit $rc)" >&2; exit $rc; }; }`;
  if (user !== undefined) {
    lines.push(`echo ${SECTION.passwd}`, read('passwd', quote(user)));
    if (shadow) lines.push(`echo ${SECTION.shadow}`, read('shadow', quote(user)));
  }
  lines.push(`echo ${SECTION.group}`, read('group', ''));
  return lines.join('\n');
}

/** Parse the script's output (pure; exported for the unit tests). */
export function parseAccounts(stdout: string): Accounts {
  const sections = splitSections(stdout);
  const passwdLine = sections.get(SECTION.passwd)?.[0];
  const shadowLine = sections.get(SECTION.shadow)?.[0];
  const groupLines = sections.get(SECTION.group);
  if (groupLines === undefined) throw new ModuleError('the users and groups script printed no group section');
  const result: Accounts = { groups: groupLines.map(parseGroupLine) };
  if (passwdLine !== undefined) result.user = parsePasswdLine(passwdLine);
  if (shadowLine !== undefined) result.shadowHash = shadowLine.split(':')[1] ?? '';
  return result;
}

function splitSections(stdout: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of stdout.split('\n')) {
    if ((Object.values(SECTION) as string[]).includes(line)) {
      current = [];
      sections.set(line, current);
    } else if (current && line !== '') {
      current.push(line);
    }
  }
  return sections;
}

/** `name:x:uid:gid:gecos:home:shell` (the gecos field may be empty; it never holds a colon). */
export function parsePasswdLine(line: string): PasswdEntry {
  const f = line.split(':');
  if (f.length !== 7) throw new ModuleError(`unexpected passwd entry from getent (${f.length} fields, want 7)`);
  return { name: f[0]!, uid: toId(f[2]!, 'uid'), gid: toId(f[3]!, 'gid'), comment: f[4]!, home: f[5]!, shell: f[6]! };
}

/** `name:x:gid:member,member` */
export function parseGroupLine(line: string): GroupEntry {
  const f = line.split(':');
  if (f.length !== 4) throw new ModuleError(`unexpected group entry from getent (${f.length} fields, want 4)`);
  return { name: f[0]!, gid: toId(f[2]!, 'gid'), members: f[3] === '' ? [] : f[3]!.split(',') };
}

function toId(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new ModuleError(`unexpected ${what} from getent: not a number`);
  return Number(text);
}

/** A group by name, or by gid when `ref` is a number. */
export function findGroup(groups: readonly GroupEntry[], ref: string | number): GroupEntry | undefined {
  const byId = typeof ref === 'number' || /^\d+$/.test(ref);
  return groups.find((g) => (byId ? g.gid === Number(ref) : g.name === ref));
}
