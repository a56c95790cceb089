/**
 * Roles as Ansible lays them out: `roles/NAME/{tasks,handlers,defaults,vars,meta,templates,files}`,
 * each with a `main.yml` (or `main.yaml`, or `main`). A role is found, in order: beside the role
 * that lists it as a dependency, in `roles/` beside the playbook, on the roles path (--roles-path,
 * QUORUM_ROLES_PATH, ANSIBLE_ROLES_PATH), then beside the playbook; a name with a `/` is a path
 * relative to the playbook's directory.
 *
 * A role becomes a block carrying its scope (runner/playbook.ts RoleScope): its dependencies
 * first, then its tasks; the entry's keywords (when, tags, become...) apply to all of them, as
 * Ansible's do. Its handlers join the play's. Every file is read and validated now, before any
 * host is touched. As in Ansible, a role listed in `roles:` or as a dependency runs once per play
 * for the same parameters unless its meta says `allow_duplicates: true`; import_role and
 * include_role run it each time.
 */
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { BlockNode, RoleScope, TaskItem, TaskKeywords, TaskNode } from '../playbook.js';
import type { YamlSource } from './yaml.js';
import { validateAgainst } from '../validators/validate.js';
import { ROLE_META_SCHEMA, TASK_LIST_SCHEMA, TASK_SCHEMA } from '../validators/schemas.js';
import { isMapping, keyProblem, readIncluded, varsFileProblems, type Loader } from './loader.js';
import { buildTaskList, normalizeKeywords, TASK_KEYWORDS } from './tasks.js';
import { isDirectory, isFile } from '../files/path-kind.js';

/** The parts of a role directory; one of them must exist for a directory to be a role. */
const ROLE_PARTS = ['tasks', 'handlers', 'defaults', 'vars', 'meta', 'templates', 'files'];

/** Keywords that make no sense on a role entry (Ansible refuses them too), with what to do. */
const NOT_ON_ROLES: Record<string, string> = {
  loop: 'use include_role with loop',
  loop_control: 'use include_role with loop',
  register: 'register the results of tasks inside the role',
  notify: 'notify from tasks inside the role',
  listen: "'listen' is only valid in handlers",
  changed_when: 'put it on tasks inside the role',
  failed_when: 'put it on tasks inside the role',
  retries: 'put it on tasks inside the role',
  until: 'put it on tasks inside the role',
  delay: 'put it on tasks inside the role',
};

/** One use of a role: a `roles:` entry, a meta dependency, import_role or include_role. */
export interface RoleRequest {
  name: string;
  /** Where the use is written, and the pointer of the role's name in it. */
  source: YamlSource;
  pointer: string;
  namePointer: string;
  params: Record<string, unknown>;
  keywords: TaskKeywords;
  tasksFrom?: string;
  varsFrom?: string;
  defaultsFrom?: string;
  handlersFrom?: string;
  /** roles: entries and dependencies run once per play and parameters (unless allow_duplicates). */
  once: boolean;
  /** The role that lists this one as a dependency. */
  parentDir?: string;
  /** Where tasks_from, vars_from... are written (import_role / include_role arguments). */
  fromPointer?: string;
}

/** A loaded role: its scope (always), and its block (absent when it already ran in this play). */
export interface LoadedRole {
  scope: RoleScope;
  block?: BlockNode;
}

/** Where a role named `name` is looked for, in order. */
export function roleCandidates(name: string, loader: Loader, parentDir?: string): string[] {
  const { playbookDir, rolesPath } = loader.roles;
  if (isAbsolute(name)) return [name];
  if (name.includes('/')) return [resolve(playbookDir, name)];
  return [
    ...(parentDir ? [resolve(dirname(parentDir), name)] : []),
    resolve(playbookDir, 'roles', name),
    ...rolesPath.map((dir) => resolve(dir, name)),
    resolve(playbookDir, name),
  ].filter((dir, i, all) => all.indexOf(dir) === i);
}

/** The `roles:` entry or meta dependency at `pointer`, as a request; problems are collected. */
export function parseRoleEntry(entry: unknown, source: YamlSource, pointer: string, loader: Loader, parentDir?: string): RoleRequest | undefined {
  if (typeof entry === 'string') return { name: entry, source, pointer, namePointer: pointer, params: {}, keywords: {}, once: true, ...(parentDir ? { parentDir } : {}) };
  if (!isMapping(entry)) return undefined;
  const nameKey = typeof entry.role === 'string' ? 'role' : 'name';
  const name = entry[nameKey];
  if (typeof name !== 'string' || name === '') return undefined; // the schema said so
  const params: Record<string, unknown> = isMapping(entry.vars) ? { ...entry.vars } : {};
  const keywordPart: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(entry)) {
    if (key === 'role' || (key === 'name' && nameKey === 'name') || key === 'vars') continue;
    if (NOT_ON_ROLES[key]) loader.problems.push(keyProblem(source, pointer, key, `'${key}' cannot be used on a role: ${NOT_ON_ROLES[key]}`));
    else if (TASK_KEYWORDS.includes(key) && key !== 'name') keywordPart[key] = value;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) params[key] = value;
    else loader.problems.push(keyProblem(source, pointer, key, `role parameter '${key}' is not a variable name: write letters, digits and _, not starting with a digit`));
  }
  // The keywords' types, as on a task (`when: 5` is wrong here too).
  loader.problems.push(...validateAgainst(TASK_SCHEMA, keywordPart, source, pointer, { noun: 'keyword', skipTemplates: false }));
  return { name, source, pointer, namePointer: `${pointer}/${nameKey}`, params, keywords: normalizeKeywords(keywordPart), once: true, ...(parentDir ? { parentDir } : {}) };
}

/** Load the role a request names (its dependencies, files and handlers); undefined when it cannot be. */
export function loadRole(req: RoleRequest, loader: Loader): LoadedRole | undefined {
  const candidates = roleCandidates(req.name, loader, req.parentDir);
  const dir = candidates.find(isRoleDir);
  if (!dir) {
    const collection = /^\w+\.\w+\.\w+$/.test(req.name) ? ' (roles from collections are not supported: copy the role into roles/)' : '';
    loader.problems.push({ location: req.source.locate(req.namePointer), pointer: req.namePointer, message: `role '${req.name}' not found${collection}: looked in ${candidates.join(', ')}; put it in roles/${req.name} beside the playbook or name its directory with --roles-path` });
    return undefined;
  }
  const state = loader.roles;
  if (state.stack.includes(dir)) {
    const chain = [...state.stack.slice(state.stack.indexOf(dir)), dir].map((d) => basename(d)).join(' -> ');
    loader.problems.push({ location: req.source.locate(req.namePointer), pointer: req.namePointer, message: `role dependency cycle: ${chain}; remove one of these dependencies` });
    return undefined;
  }
  const key = `${dir}\u0000${JSON.stringify(req.params)}\u0000${req.tasksFrom ?? ''}`;
  const seen = req.once ? state.seen.get(key) : undefined;
  if (seen) return { scope: seen };

  const meta = readRolePart(dir, 'meta', undefined, req, loader);
  if (meta) loader.problems.push(...validateAgainst(ROLE_META_SCHEMA, meta.value, meta, '', { noun: 'keyword', skipTemplates: false }));
  const metaValue = meta && isMapping(meta.value) ? meta.value : {};
  state.stack.push(dir);
  const dependencies: LoadedRole[] = [];
  const deps = Array.isArray(metaValue.dependencies) ? metaValue.dependencies : [];
  deps.forEach((entry, j) => {
    const dep = parseRoleEntry(entry, meta!, `/dependencies/${j}`, loader, dir);
    const loaded = dep && loadRole(dep, loader);
    if (loaded) dependencies.push(loaded);
  });
  const varFiles: YamlSource[] = [];
  const own = (part: 'defaults' | 'vars', from: string | undefined) => {
    const file = readRolePart(dir, part, from, req, loader);
    if (!file) return {};
    varFiles.push(file);
    loader.problems.push(...varsFileProblems(file));
    return isMapping(file.value) ? file.value : {};
  };
  const inherit = (part: 'defaults' | 'vars') => Object.assign({}, ...dependencies.map((d) => d.scope[part])) as Record<string, unknown>;
  const scope: RoleScope = {
    name: basename(dir),
    dir,
    defaults: { ...inherit('defaults'), ...own('defaults', req.defaultsFrom) },
    vars: { ...inherit('vars'), ...own('vars', req.varsFrom), role_name: basename(dir), role_path: dir },
    params: req.params,
  };
  (loader.sources.roleVarFiles ??= new Map()).set(scope, varFiles);
  // Registered before the tasks are read: a second use with the same parameters runs nothing.
  if (req.once && metaValue.allow_duplicates !== true) state.seen.set(key, scope);

  const outer = state.current;
  state.current = scope;
  const tasks = readTaskFile(dir, 'tasks', req.tasksFrom, req, loader, 'task');
  const handlersKey = `${dir}\u0000${req.handlersFrom ?? ''}`;
  if (!state.handlerFiles.has(handlersKey)) {
    state.handlerFiles.add(handlersKey);
    for (const handler of readTaskFile(dir, 'handlers', req.handlersFrom, req, loader, 'handler') as TaskNode[]) state.handlers.push({ ...handler, role: scope });
  }
  state.current = outer;
  state.stack.pop();

  const block: BlockNode = {
    kind: 'block',
    name: `role ${scope.name}`,
    keywords: req.keywords,
    location: req.source.locate(req.pointer),
    pointer: req.pointer,
    block: [...dependencies.flatMap((d) => (d.block ? [d.block] : [])), ...tasks],
    rescue: [],
    always: [],
    role: scope,
  };
  return { scope, block };
}

/** tasks/ or handlers/ of the role, validated and built; [] when the role has none. */
function readTaskFile(dir: string, part: 'tasks' | 'handlers', from: string | undefined, req: RoleRequest, loader: Loader, role: 'task' | 'handler'): TaskItem[] {
  const file = readRolePart(dir, part, from, req, loader);
  if (!file) return [];
  loader.problems.push(...validateAgainst(TASK_LIST_SCHEMA, file.value, file, '', { noun: 'keyword', skipTemplates: false }));
  loader.stack.push(file.file);
  const items = buildTaskList(file.value, file, '', loader, role);
  loader.stack.pop();
  return items;
}

/**
 * The file `from` (default main) of the role's `part`, parsed. A missing main file is fine (a
 * role may have no handlers); a missing file named by tasks_from/vars_from/... is a problem.
 */
function readRolePart(dir: string, part: string, from: string | undefined, req: RoleRequest, loader: Loader): YamlSource | undefined {
  const names = from === undefined ? ['main.yml', 'main.yaml', 'main'] : /\.(ya?ml|json)$/.test(from) ? [from] : [`${from}.yml`, `${from}.yaml`, from];
  const file = names.map((n) => join(dir, part, n)).find(isFile);
  if (!file) {
    if (from !== undefined) {
      const at = `${req.fromPointer ?? req.pointer}/${part === 'tasks' ? 'tasks_from' : part === 'handlers' ? 'handlers_from' : `${part}_from`}`;
      loader.problems.push({ location: req.source.locate(at), pointer: at, message: `role '${basename(dir)}' has no ${part} file '${from}': looked for ${names.map((n) => join(dir, part, n)).join(', ')}` });
    }
    return undefined;
  }
  return readIncluded(file, req.pointer, req.source, loader, `role ${part} file`);
}

function isRoleDir(dir: string): boolean {
  return isDirectory(dir) && ROLE_PARTS.some((part) => isDirectory(join(dir, part)));
}
