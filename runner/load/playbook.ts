/**
 * Load a playbook: YAML with positions -> schema -> the AST of runner/playbook.ts. Every problem
 * of every file (imports and vars_files included) is collected and thrown as one ConfigError.
 *
 * Where Ansible leaves a choice, we decided: variables are play vars < vars_files (in order) <
 * extra vars, all merged into `Play.vars`; `import_tasks` is static, paths relative to the file
 * that names it, and an import with keywords (when, tags, vars...) becomes a block carrying them;
 * pre_tasks / post_tasks are joined to tasks with a `meta: flush_handlers` between sections;
 * a notify naming no handler or listen topic of the play is an error (Ansible's too).
 */
import { dirname, join, resolve, isAbsolute } from 'node:path';
import { ConfigError, type ConfigProblem } from '../errors.js';
import type { Playbook, Play, TaskItem, TaskNode, TaskKeywords, BlockNode } from '../playbook.js';
import { getModule, modules } from '../../modules/index.js';
import { sortProblems, validateAgainst } from '../validate.js';
import { formatSuggestion, didYouMean } from '../suggest.js';
import { encodePointer, loadYamlFile, type YamlSource } from './yaml.js';
import { PLAYBOOK_SCHEMA, TASK_LIST_SCHEMA, VARS_SCHEMA } from '../validators/schemas.js';

/** Keywords a task may carry besides its module key (the schema lists their types). */
const TASK_KEYWORDS = Object.keys(PLAYBOOK_SCHEMA.$defs.task.properties as object);
/** Keywords that make no sense on a block or an import (Ansible rejects them too). */
const TASK_ONLY = ['loop', 'loop_control', 'register', 'notify', 'changed_when', 'failed_when', 'retries', 'until', 'delay', 'listen'];
const STRUCTURE = new Set(['block', 'rescue', 'always', 'import_tasks', 'meta']);

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
}

const sourcesOf = new WeakMap<Playbook, PlaybookSources>();

/** The files and var origins of a playbook returned by {@link loadPlaybook}. */
export function getPlaybookSources(playbook: Playbook): PlaybookSources | undefined {
  return sourcesOf.get(playbook);
}

/** Options of {@link loadPlaybook}. */
export interface LoadPlaybookOptions {
  /** `-e` variables: highest precedence, merged into every play's vars. */
  extraVars?: Record<string, unknown>;
}

interface Loader {
  problems: ConfigProblem[];
  sources: PlaybookSources;
  /** Absolute paths of the files being imported, outermost first: a repeat is a cycle. */
  stack: string[];
  /** notify targets to resolve once the play's handlers are known. */
  notified: Array<{ name: string; source: YamlSource; pointer: string }>;
}

/**
 * Load and validate the playbook at `file`. Throws one ConfigError listing every problem found
 * (YAML syntax, unknown keywords and modules, module arguments, imports, vars_files, notify).
 */
export function loadPlaybook(file: string, opts: LoadPlaybookOptions = {}): Playbook {
  const source = loadYamlFile(file);
  const loader: Loader = { problems: [], sources: { files: new Map([[file, source]]), varOrigins: new Map() }, stack: [resolve(file)], notified: [] };
  loader.problems.push(...validateAgainst(PLAYBOOK_SCHEMA, source.value, source, '', { noun: 'keyword', skipTemplates: false }).map(explainUnsupported));
  const plays: Play[] = [];
  const raw = Array.isArray(source.value) ? source.value : [];
  raw.forEach((item, i) => {
    if (isMapping(item)) plays.push(buildPlay(item, i, source, loader, opts.extraVars ?? {}));
  });
  if (loader.problems.length > 0) throw new ConfigError(sortProblems(loader.problems));
  const playbook: Playbook = { file: resolve(file), dir: dirname(resolve(file)), plays };
  sourcesOf.set(playbook, loader.sources);
  return playbook;
}

/** Ansible play keywords a user may reasonably try, with what to do instead. */
const UNSUPPORTED: Record<string, string> = {
  roles: 'roles are not supported: put the tasks in a file and use import_tasks',
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
  const section = (key: string) => buildTaskList(raw[key], source, `${pointer}/${key}`, loader, 'task');
  const tasks = [...section('pre_tasks')];
  // Ansible flushes handlers at the end of each section; a meta task says the same thing.
  if (tasks.length > 0) tasks.push(makeFlush(source, `${pointer}/pre_tasks`));
  tasks.push(...section('tasks'));
  const post = section('post_tasks');
  if (post.length > 0) tasks.push(makeFlush(source, `${pointer}/post_tasks`), ...post);
  const handlers = buildTaskList(raw.handlers, source, `${pointer}/handlers`, loader, 'handler') as TaskNode[];
  checkNotified(handlers, loader);
  const serial = raw.serial === undefined ? undefined : (Array.isArray(raw.serial) ? raw.serial : [raw.serial]) as Array<number | string>;
  const play: Play = {
    ...(typeof raw.name === 'string' ? { name: raw.name } : {}),
    hosts: Array.isArray(raw.hosts) ? raw.hosts.join(':') : String(raw.hosts ?? ''),
    vars,
    defaults,
    gather_facts: raw.gather_facts !== false,
    become: raw.become === true,
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

/** vars_files are merged in order over the play's vars (Ansible gives them higher precedence). */
function mergeVarsFiles(value: unknown, pointer: string, source: YamlSource, loader: Loader, vars: Record<string, unknown>, origins: Map<string, VarOrigin>): void {
  const entries = typeof value === 'string' ? [[value, pointer]] : Array.isArray(value) ? value.map((v, j) => [v, `${pointer}/${j}`]) : [];
  for (const [entry, at] of entries as Array<[unknown, string]>) {
    if (typeof entry !== 'string') continue;
    const loaded = readIncluded(entry, at, source, loader, 'vars file');
    if (!loaded) continue;
    if (!isMapping(loaded.value)) {
      loader.problems.push({ location: loaded.locate(''), pointer: '', message: 'a vars file must be a mapping of variable names to values' });
      continue;
    }
    loader.problems.push(...validateAgainst(VARS_SCHEMA, loaded.value, loaded, '', { skipTemplates: false }));
    for (const [k, v] of Object.entries(loaded.value)) {
      vars[k] = v;
      origins.set(k, { source: loaded, pointer: encodePointer([k]) });
    }
  }
}

/** Read a file named relative to the including file; a problem at the naming value if it fails. */
function readIncluded(name: string, pointer: string, from: YamlSource, loader: Loader, what: string): YamlSource | undefined {
  const shown = isAbsolute(name) ? name : join(dirname(from.file), name);
  try {
    const loaded = loadYamlFile(shown);
    loader.sources.files.set(shown, loaded);
    return loaded;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const unreadable = err.problems.length === 1 && !err.problems[0]!.location;
    if (!unreadable) loader.problems.push(...err.problems);
    else loader.problems.push({ location: from.locate(pointer), pointer, message: `cannot read ${what} '${name}' (looked for ${shown}): fix the path; it is relative to the file that names it` });
    return undefined;
  }
}

function buildTaskList(value: unknown, source: YamlSource, pointer: string, loader: Loader, role: 'task' | 'handler'): TaskItem[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item, k) => (isMapping(item) ? buildTask(item, source, `${pointer}/${k}`, loader, role) : []));
}

/** One task entry; an import expands to its tasks (or to a block carrying the import's keywords). */
function buildTask(raw: Record<string, unknown>, source: YamlSource, pointer: string, loader: Loader, role: 'task' | 'handler'): TaskItem[] {
  const problems = loader.problems;
  const actions = findActions(raw, source, pointer, problems);
  const location = source.locate(pointer);
  if (actions.length > 1) {
    problems.push({ location: source.locateKey(`${pointer}/${actions[1]}`), pointer: `${pointer}/${actions[1]}`, message: `a task has exactly one module, this one has ${actions.map((a) => `'${a}'`).join(' and ')}: split it into separate tasks` });
  }
  const action = actions[0];
  const keywords = normalizeKeywords(raw);
  const present = (keys: string[]) => keys.filter((k) => raw[k] !== undefined);
  if (role === 'task' && raw.listen !== undefined) problems.push(keyProblem(source, pointer, 'listen', "'listen' is only valid in handlers"));
  for (const k of present(['rescue', 'always'])) if (action !== 'block') problems.push(keyProblem(source, pointer, k, `'${k}' is only valid together with 'block'`));
  if (action === 'block' || action === 'import_tasks') {
    for (const k of present(TASK_ONLY)) problems.push(keyProblem(source, pointer, k, `'${k}' cannot be used on ${action === 'block' ? 'a block' : 'an import'}`));
    if (role === 'handler' && action === 'block') {
      problems.push(keyProblem(source, pointer, action, "'block' is not supported in handlers: list the handlers themselves"));
      return [];
    }
  }
  if (action === 'block') {
    const list = (key: string) => buildTaskList(raw[key], source, `${pointer}/${key}`, loader, role);
    const block: BlockNode = { kind: 'block', ...named(raw), keywords, location, pointer, block: list('block'), rescue: list('rescue'), always: list('always') };
    return [block];
  }
  if (action === 'import_tasks') return importTasks(raw, source, pointer, loader, keywords, role);
  for (const [k, name] of toList(raw.notify ?? []).entries()) {
    // A notify of the wrong type is already a schema problem: no "no such handler" on top.
    if (typeof name === 'string') loader.notified.push({ name, source, pointer: `${pointer}/notify${Array.isArray(raw.notify) ? `/${k}` : ''}` });
  }
  if (action === undefined) return [];
  const args = raw[action] ?? {};
  const schema = getModule(action)?.schema;
  if (schema) problems.push(...validateAgainst(schema, args, source, `${pointer}/${action}`, { noun: 'parameter' }));
  const task: TaskNode = { kind: 'task', ...named(raw), module: action, args, keywords, location, pointer };
  if (role === 'handler' && raw.listen !== undefined) task.listen = toList(raw.listen).map(String);
  return [task];
}

/** Ansible task keys people carry over, with what to write here instead. */
const TASK_HINTS: Record<string, string> = {
  args: 'put the arguments under the module key, e.g. `command: { argv: [ls] }`',
  action: 'write the module as the key, e.g. `debug: { msg: hi }`',
  local_action: 'write the module as the key and add `delegate_to: localhost`',
  include_tasks: 'tasks files are imported statically: use import_tasks',
  with_items: 'use loop',
};

/** The keys that say what the task does; unknown keys are reported here with a suggestion. */
function findActions(raw: Record<string, unknown>, source: YamlSource, pointer: string, problems: ConfigProblem[]): string[] {
  const actions: string[] = [];
  const unknown: string[] = [];
  for (const key of Object.keys(raw)) {
    if (key === 'block' || key === 'import_tasks' || key === 'meta' || getModule(key)) actions.push(key);
    else if (!TASK_KEYWORDS.includes(key)) unknown.push(key);
  }
  const actionNames = [...modules.keys(), 'block', 'import_tasks', 'meta'];
  for (const key of unknown) {
    const keyword = didYouMean(key, TASK_KEYWORDS.filter((k) => !STRUCTURE.has(k)));
    const isModule = didYouMean(key, actionNames) !== undefined || (keyword === undefined && actions.length === 0);
    const message = TASK_HINTS[key] ? `unknown keyword '${key}': ${TASK_HINTS[key]}`
      : isModule ? `unknown module '${key}'${formatSuggestion(key, actionNames)}` : `unknown keyword '${key}'${formatSuggestion(key, TASK_KEYWORDS)}`;
    problems.push(keyProblem(source, pointer, key, message));
  }
  if (actions.length === 0 && unknown.length === 0) {
    problems.push({ location: source.locate(pointer), pointer, message: "task has no module: add one module key (such as 'command' or 'debug'), 'block' or 'import_tasks'" });
  }
  return actions;
}

function importTasks(raw: Record<string, unknown>, source: YamlSource, pointer: string, loader: Loader, keywords: TaskKeywords, role: 'task' | 'handler'): TaskItem[] {
  if (typeof raw.import_tasks !== 'string') return [];
  const at = `${pointer}/import_tasks`;
  const target = resolve(dirname(source.file), raw.import_tasks);
  if (loader.stack.includes(target)) {
    const chain = [...loader.stack.slice(loader.stack.indexOf(target)), target].map((f) => f.split('/').pop()).join(' -> ');
    loader.problems.push({ location: source.locate(at), pointer: at, message: `import cycle: ${chain}; remove one of these imports` });
    return [];
  }
  const imported = readIncluded(raw.import_tasks, at, source, loader, 'tasks file');
  if (!imported) return [];
  loader.problems.push(...validateAgainst(TASK_LIST_SCHEMA, imported.value, imported, '', { noun: 'keyword', skipTemplates: false }));
  loader.stack.push(target);
  const tasks = buildTaskList(imported.value, imported, '', loader, role);
  loader.stack.pop();
  if (Object.keys(keywords).length === 0) return tasks;
  if (role === 'handler') {
    // Handlers are a flat list of tasks (TaskNode[]): there is no block to carry the keywords.
    loader.problems.push({ location: source.locate(pointer), pointer, message: 'an import_tasks in handlers cannot carry keywords: put them on the imported handlers' });
    return [];
  }
  // tags, when, vars... of the import apply to every imported task: a block says exactly that.
  return [{ kind: 'block', ...named(raw), keywords, location: source.locate(pointer), pointer, block: tasks, rescue: [], always: [] }];
}

/** Every notify must name a handler or a listen topic of the play (Ansible errors too). */
function checkNotified(handlers: TaskNode[], loader: Loader): void {
  const known = new Set(handlers.flatMap((h) => [...(h.name ? [h.name] : []), ...(h.listen ?? [])]));
  for (const n of loader.notified) {
    if (!known.has(n.name)) {
      loader.problems.push({ location: n.source.locate(n.pointer), pointer: n.pointer, message: `notify: no handler named or listening to '${n.name}' in this play${formatSuggestion(n.name, known)}` });
    }
  }
}

/** The executor's view of the keywords: lists where Ansible accepts "one or many". */
function normalizeKeywords(raw: Record<string, unknown>): TaskKeywords {
  const kw: Record<string, unknown> = {};
  for (const key of TASK_KEYWORDS) {
    const value = raw[key];
    if (value === undefined || STRUCTURE.has(key) || key === 'name' || key === 'listen') continue;
    if (key === 'when') kw.when = toList(value).map(String);
    else if (key === 'changed_when' || key === 'failed_when') kw[key] = typeof value === 'boolean' ? value : toList(value).map(String);
    else if (key === 'notify' || key === 'tags') kw[key] = toList(value).map(String);
    else kw[key] = value;
  }
  return kw as TaskKeywords;
}

function makeFlush(source: YamlSource, pointer: string): TaskNode {
  return { kind: 'task', name: 'flush handlers', module: 'meta', args: 'flush_handlers', keywords: {}, location: source.locateKey(pointer), pointer };
}

function keyProblem(source: YamlSource, pointer: string, key: string, message: string): ConfigProblem {
  return { location: source.locateKey(`${pointer}/${key}`), pointer: `${pointer}/${key}`, message };
}

function named(raw: Record<string, unknown>): { name?: string } {
  return typeof raw.name === 'string' ? { name: raw.name } : {};
}

function toList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
