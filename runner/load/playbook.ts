/**
 * Load a playbook: YAML with positions -> schema -> the AST of runner/playbook.ts. Every problem
 * of every file (imports and vars_files included) is collected and thrown as one ConfigError.
 *
 * Where Ansible leaves a choice, we decided: variables are play vars < vars_files (in order) <
 * extra vars, all merged into `Play.vars`; `import_tasks` is static, paths relative to the file
 * that names it, and an import with keywords (when, tags, vars...) becomes a block carrying them;
 * pre_tasks / post_tasks are joined to tasks with a `meta: flush_handlers` between sections,
 * and `roles:` run between pre_tasks and tasks, in the same section as tasks (Ansible's order);
 * roles' handlers come before the play's own; a notify naming no handler or listen topic of the
 * play is an error (Ansible's too). Roles and includes: roles.ts, includes.ts.
 */
import { dirname, resolve } from 'node:path';
import { ConfigError, type ConfigProblem } from '../errors.js';
import type { Playbook, Play, TaskItem, TaskNode } from '../playbook.js';
import { sortProblems, validateAgainst } from '../validators/validate.js';
import { formatSuggestion } from '../util/suggest.js';
import { encodePointer, loadYamlFile, type YamlSource } from './yaml.js';
import { PLAYBOOK_SCHEMA } from '../validators/schemas.js';
import { handlerTopics, isMapping, readIncluded, toList, varsFileProblems, type Loader, type PlaybookSources, type VarOrigin } from './loader.js';
import { buildTaskList, makeFlush } from './tasks.js';
import { buildInclude } from './includes.js';
import { loadRole, parseRoleEntry } from './roles.js';
import { explainBecomeMethod } from './ansible-spellings.js';

export type { PlaybookSources, VarOrigin } from './loader.js';

const sourcesOf = new WeakMap<Playbook, PlaybookSources>();

/** The files and var origins of a playbook returned by {@link loadPlaybook}. */
export function getPlaybookSources(playbook: Playbook): PlaybookSources | undefined {
  return sourcesOf.get(playbook);
}

/** Options of {@link loadPlaybook}. */
export interface LoadPlaybookOptions {
  /** `-e` variables: highest precedence, merged into every play's vars. */
  extraVars?: Record<string, unknown>;
  /** Directories roles are looked for in after roles/ beside the playbook (--roles-path, QUORUM_ROLES_PATH, ANSIBLE_ROLES_PATH). */
  rolesPath?: string[];
}

/**
 * Load and validate the playbook at `file`. Throws one ConfigError listing every problem found
 * (YAML syntax, unknown keywords and modules, module arguments, imports, vars_files, notify).
 */
export function loadPlaybook(file: string, opts: LoadPlaybookOptions = {}): Playbook {
  const source = loadYamlFile(file);
  const rolesPath = (opts.rolesPath ?? []).map((dir) => resolve(dir));
  const loader: Loader = {
    problems: [],
    sources: { files: new Map([[file, source]]), varOrigins: new Map() },
    stack: [resolve(file)],
    notified: [],
    roles: { playbookDir: dirname(resolve(file)), rolesPath, stack: [], seen: new Map(), handlers: [], handlerFiles: new Set() },
    buildInclude,
  };
  loader.problems.push(...validateAgainst(PLAYBOOK_SCHEMA, source.value, source, '', { noun: 'keyword', skipTemplates: false }).map(explainUnsupported).map(explainBecomeMethod));
  const plays: Play[] = [];
  const raw = Array.isArray(source.value) ? source.value : [];
  raw.forEach((item, i) => {
    if (isMapping(item)) plays.push(buildPlay(item, i, source, loader, opts.extraVars ?? {}));
  });
  if (loader.problems.length > 0) throw new ConfigError(sortProblems(loader.problems));
  const playbook: Playbook = { file: resolve(file), dir: dirname(resolve(file)), plays, rolesPath };
  sourcesOf.set(playbook, loader.sources);
  return playbook;
}

/** Ansible play keywords a user may reasonably try, with what to do instead. */
const UNSUPPORTED: Record<string, string> = {
  vars_prompt: 'vars_prompt is not supported: pass the values with -e',
  strategy: 'only the linear strategy exists: remove it',
};

function explainUnsupported(problem: ConfigProblem): ConfigProblem {
  const key = /^\/\d+\/(\w+)$/.exec(problem.pointer)?.[1];
  const hint = key && problem.message.startsWith('unknown keyword') ? UNSUPPORTED[key] : undefined;
  return hint ? { ...problem, message: `unknown keyword '${key}': ${hint}` } : problem;
}

function buildPlay(raw: Record<string, unknown>, i: number, source: YamlSource, loader: Loader, extraVars: Record<string, unknown>): Play {
  const pointer = `/${i}`;
  const origins = new Map<string, VarOrigin>();
  const vars: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(isMapping(raw.vars) ? raw.vars : {})) {
    vars[k] = v;
    origins.set(k, { source, pointer: `${pointer}/vars${encodePointer([k])}` });
  }
  mergeVarsFiles(raw.vars_files, `${pointer}/vars_files`, source, loader, vars, origins);
  const defaults: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(isMapping(raw.defaults) ? raw.defaults : {})) {
    defaults[k] = v;
    if (!origins.has(k)) origins.set(k, { source, pointer: `${pointer}/defaults${encodePointer([k])}` });
  }
  for (const [k, v] of Object.entries(extraVars)) {
    vars[k] = v;
    origins.delete(k);
  }
  loader.notified = [];
  loader.roles = { ...loader.roles, seen: new Map(), handlers: [], handlerFiles: new Set() };
  const section = (key: string) => buildTaskList(raw[key], source, `${pointer}/${key}`, loader, 'task');
  const tasks = [...section('pre_tasks')];
  // Ansible flushes handlers at the end of each section; a meta task says the same thing.
  if (tasks.length > 0) tasks.push(makeFlush(source, `${pointer}/pre_tasks`));
  tasks.push(...buildRoles(raw.roles, source, `${pointer}/roles`, loader));
  tasks.push(...section('tasks'));
  const post = section('post_tasks');
  if (post.length > 0) tasks.push(makeFlush(source, `${pointer}/post_tasks`), ...post);
  const handlers = [...loader.roles.handlers, ...(buildTaskList(raw.handlers, source, `${pointer}/handlers`, loader, 'handler') as TaskNode[])];
  checkNotified(handlers, loader);
  const serial = raw.serial === undefined ? undefined : (Array.isArray(raw.serial) ? raw.serial : [raw.serial]) as Array<number | string>;
  const play: Play = {
    ...(typeof raw.name === 'string' ? { name: raw.name } : {}),
    hosts: Array.isArray(raw.hosts) ? raw.hosts.join(':') : String(raw.hosts ?? ''),
    vars,
    defaults,
    gather_facts: raw.gather_facts !== false,
    become: raw.become === true,
    ...(typeof raw.become_user === 'string' ? { become_user: raw.become_user } : {}),
    ...(typeof raw.remote_user === 'string' ? { remote_user: raw.remote_user } : {}),
    ...(raw.environment !== undefined ? { environment: raw.environment as Record<string, unknown> | string } : {}),
    ...(serial ? { serial } : {}),
    any_errors_fatal: raw.any_errors_fatal === true,
    ...(typeof raw.max_fail_percentage === 'number' ? { max_fail_percentage: raw.max_fail_percentage } : {}),
    tasks,
    handlers,
    ...(raw.tags !== undefined ? { tags: toList(raw.tags).map(String) } : {}),
    location: source.locate(pointer),
    pointer,
  };
  loader.sources.varOrigins.set(play, origins);
  return play;
}

/** The play's `roles:` entries, each a block of its dependencies and tasks (roles.ts). */
function buildRoles(value: unknown, source: YamlSource, pointer: string, loader: Loader): TaskItem[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry, j) => {
    const req = parseRoleEntry(entry, source, `${pointer}/${j}`, loader);
    const loaded = req && loadRole(req, loader);
    return loaded?.block ? [loaded.block] : [];
  });
}

/** vars_files are merged in order over the play's vars (Ansible gives them higher precedence). */
function mergeVarsFiles(value: unknown, pointer: string, source: YamlSource, loader: Loader, vars: Record<string, unknown>, origins: Map<string, VarOrigin>): void {
  const entries = typeof value === 'string' ? [[value, pointer]] : Array.isArray(value) ? value.map((v, j) => [v, `${pointer}/${j}`]) : [];
  for (const [entry, at] of entries as Array<[unknown, string]>) {
    if (typeof entry !== 'string') continue;
    const loaded = readIncluded(entry, at, source, loader, 'vars file');
    if (!loaded) continue;
    const problems = varsFileProblems(loaded);
    loader.problems.push(...problems);
    if (!isMapping(loaded.value)) continue;
    for (const [k, v] of Object.entries(loaded.value)) {
      vars[k] = v;
      origins.set(k, { source: loaded, pointer: encodePointer([k]) });
    }
  }
}

/** Every notify must name a handler or a listen topic of the play (Ansible errors too). */
function checkNotified(handlers: TaskNode[], loader: Loader): void {
  const known = new Set(handlers.flatMap(handlerTopics));
  for (const n of loader.notified) {
    if (!known.has(n.name)) {
      loader.problems.push({ location: n.source.locate(n.pointer), pointer: n.pointer, message: `notify: no handler named or listening to '${n.name}' in this play${formatSuggestion(n.name, known)}` });
    }
  }
}

