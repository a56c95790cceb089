/**
 * What the playbook loader carries while it reads a playbook and the files it names, and the
 * small helpers its parts share (playbook.ts: plays and vars; tasks.ts: tasks and imports).
 */
import { statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { ConfigError, type ConfigProblem } from '../errors.js';
import type { Play, RoleScope, TaskItem, TaskKeywords, TaskNode } from '../playbook.js';
import { loadYamlFile, type YamlSource } from './yaml.js';
import { InputFileError, MAX_PLAYBOOK_TOTAL_BYTES } from './read-input.js';
import { validateAgainst } from '../validators/validate.js';
import { VARS_SCHEMA } from '../validators/schemas.js';

/** Where the values of a play's variables were written, for static checks of their templates. */
export interface VarOrigin {
  source: YamlSource;
  pointer: string;
}

/** Side information kept for the static check: the parsed files and where play vars come from. */
export interface PlaybookSources {
  /** Parsed files by the name used in locations. */
  files: Map<string, YamlSource>;
  /** Per play: variable name -> where its value is written (absent for extra vars). */
  varOrigins: Map<Play, Map<string, VarOrigin>>;
  /** Per role: its own defaults and vars files, whose templates the static check reads too. */
  roleVarFiles?: Map<RoleScope, YamlSource[]>;
}

/** The state of one loadPlaybook call. */
export interface Loader {
  problems: ConfigProblem[];
  sources: PlaybookSources;
  /** Absolute paths of the files being imported, outermost first: a repeat is a cycle. */
  stack: string[];
  /** notify targets to resolve once the play's handlers are known. */
  notified: Array<{ name: string; source: YamlSource; pointer: string }>;
  /** Roles: where they are looked for, and what the current play has loaded (roles.ts). */
  roles: RolesState;
  /**
   * includes.ts's builder of include_tasks / import_role / include_role entries, passed in so
   * that tasks.ts need not import it (includes.ts builds task lists with tasks.ts: no cycle).
   */
  buildInclude: (action: IncludeAction, raw: Record<string, unknown>, source: YamlSource, pointer: string, loader: Loader, keywords: TaskKeywords, role: 'task' | 'handler') => TaskItem[];
}

/** The task keys that include or import tasks at run time or from a role. */
export type IncludeAction = 'include_tasks' | 'import_role' | 'include_role';
export const INCLUDE_ACTIONS: ReadonlySet<string> = new Set<IncludeAction>(['include_tasks', 'import_role', 'include_role']);

/** What the loader knows about roles while it reads a playbook (runner/load/roles.ts). */
export interface RolesState {
  /** The playbook's directory: roles/ beside it, relative role paths. */
  playbookDir: string;
  /** --roles-path, QUORUM_ROLES_PATH, ANSIBLE_ROLES_PATH entries, in order. */
  rolesPath: string[];
  /** The role whose files are being read (innermost), for include_role/include_tasks inside it. */
  current?: RoleScope;
  /** Directories of the roles being read, outermost first: a repeat is a dependency cycle. */
  stack: string[];
  /** Per play: roles (directory and parameters) already listed in roles: or as a dependency. */
  seen: Map<string, RoleScope>;
  /** Per play: the handlers the play's roles bring, and which role files gave them already. */
  handlers: TaskNode[];
  handlerFiles: Set<string>;
}

/** Read a file named relative to the including file; a problem at the naming value if it fails. */
export function readIncluded(name: string, pointer: string, from: YamlSource, loader: Loader, what: string): YamlSource | undefined {
  const shown = isAbsolute(name) ? name : join(dirname(from.file), name);
  const total = [...loader.sources.files.values()].reduce((n, f) => n + f.text.length, 0);
  const overBudget = (size: number) => ({ location: from.locate(pointer), pointer, message: `the playbook and the files it names total ${size} characters with ${what} '${name}', over the limit of ${MAX_PLAYBOOK_TOTAL_BYTES}: make the playbook smaller` });
  // The size on disk first: parsing what would be refused anyway costs seconds.
  const size = sizeOnDisk(shown);
  if (total + size > MAX_PLAYBOOK_TOTAL_BYTES) {
    loader.problems.push(overBudget(total + size));
    return undefined;
  }
  try {
    const loaded = loadYamlFile(shown);
    if (total + loaded.text.length > MAX_PLAYBOOK_TOTAL_BYTES) {
      loader.problems.push(overBudget(total + loaded.text.length));
      return undefined;
    }
    loader.sources.files.set(shown, loaded);
    return loaded;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // A file refused as a whole (missing, a device, too big) is reported where it is named.
    const unreadable = err instanceof InputFileError && err.wholeFile;
    if (!unreadable) loader.problems.push(...err.problems);
    else if (err.reason.startsWith('cannot read')) loader.problems.push({ location: from.locate(pointer), pointer, message: `cannot read ${what} '${name}' (looked for ${shown}): fix the path; it is relative to the file that names it` });
    else loader.problems.push({ location: from.locate(pointer), pointer, message: `${what} '${name}' (${shown}) ${err.reason}` });
    return undefined;
  }
}

/**
 * The problems of a vars file (a vars_files entry or `-e @file`): not a mapping, or names that
 * are not variable names. The name is not repeated: such a file may be `/etc/shadow` or hold
 * secrets, and an error message ends up in CI logs; its line and column are enough.
 */
export function varsFileProblems(loaded: YamlSource): ConfigProblem[] {
  if (!isMapping(loaded.value)) return [{ location: loaded.locate(''), pointer: '', message: 'a vars file must be a mapping of variable names to values' }];
  return validateAgainst(VARS_SCHEMA, loaded.value, loaded, '', { skipTemplates: false }).map((p) =>
    p.message.startsWith("name '")
      ? { ...(p.location ? { location: p.location } : {}), pointer: '', message: 'not a variable name: write letters, digits and _, not starting with a digit (the name is not repeated here: a vars file may hold secrets)' }
      : p,
  );
}

/** Bytes of a regular file, 0 when it is missing or not one (loadYamlFile then says why). */
function sizeOnDisk(file: string): number {
  try {
    const st = statSync(file);
    return st.isFile() ? st.size : 0;
  } catch {
    return 0;
  }
}

/** A problem about the key `key` of the mapping at `pointer`, located at the key itself. */
export function keyProblem(source: YamlSource, pointer: string, key: string, message: string): ConfigProblem {
  return { location: source.locateKey(`${pointer}/${key}`), pointer: `${pointer}/${key}`, message };
}

/** `{ name }` when the entry has a string name, else nothing (spread into AST nodes). */
export function named(raw: Record<string, unknown>): { name?: string } {
  return typeof raw.name === 'string' ? { name: raw.name } : {};
}

/** Ansible's "one or many": a single value as a one-item list. */
export function toList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

/** What a handler answers to: its name, its listen topics, and `ROLE : NAME` for a role's (Ansible's spelling). */
export function handlerTopics(h: TaskNode): string[] {
  return [...(h.name ? [h.name] : []), ...(h.listen ?? []), ...(h.name && h.role ? [`${h.role.name} : ${h.name}`] : [])];
}

/** A YAML mapping (not a list, not null). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
