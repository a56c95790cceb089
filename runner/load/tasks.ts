/**
 * Tasks, blocks, handlers and `import_tasks` of the playbook loader: each task entry checked
 * (one module, keywords valid where they are, module arguments against the module's schema)
 * and turned into the AST of runner/playbook.ts. Problems are collected, never thrown.
 */
import { dirname, resolve } from 'node:path';
import type { ConfigProblem } from '../errors.js';
import type { TaskItem, TaskNode, TaskKeywords, BlockNode } from '../playbook.js';
import { getModule, modules } from '../../modules/index.js';
import { validateAgainst } from '../validators/validate.js';
import { formatSuggestion, didYouMean } from '../util/suggest.js';
import type { YamlSource } from './yaml.js';
import { PLAYBOOK_SCHEMA, TASK_LIST_SCHEMA } from '../validators/schemas.js';
import { INCLUDE_ACTIONS, isMapping, keyProblem, named, readIncluded, toList, type IncludeAction, type Loader } from './loader.js';
import { readModuleArgs, shortActionName } from './ansible-spellings.js';

/** Keywords a task may carry besides its module key (the schema lists their types). */
export const TASK_KEYWORDS = Object.keys(PLAYBOOK_SCHEMA.$defs.task.properties as object);
/** Keywords that make no sense on a block or an import (Ansible rejects them too). */
const TASK_ONLY = ['loop', 'with_items', 'with_list', 'with_dict', 'with_fileglob', 'loop_control', 'register', 'notify', 'changed_when', 'failed_when', 'retries', 'until', 'delay', 'listen'];
const STRUCTURE = new Set(['block', 'rescue', 'always', 'import_tasks', 'meta', ...INCLUDE_ACTIONS]);

/** The tasks of a list (tasks, a block's parts, handlers, an imported file). */
export function buildTaskList(value: unknown, source: YamlSource, pointer: string, loader: Loader, role: 'task' | 'handler'): TaskItem[] {
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
  // The key as written (`ansible.builtin.file`) locates its arguments; the short name is the module.
  const actionKey = actions[0];
  const action = actionKey === undefined ? undefined : shortActionName(actionKey);
  if (actionKey !== undefined && actionKey !== action) raw = { ...raw, [action!]: raw[actionKey] };
  const loops = ['loop', 'with_items', 'with_list', 'with_dict', 'with_fileglob'].filter((k) => raw[k] !== undefined);
  if (loops.length > 1) problems.push(keyProblem(source, pointer, loops[1]!, `a task has one loop, this one has ${loops.map((k) => `'${k}'`).join(' and ')}: keep one`));
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
  if (action !== undefined && INCLUDE_ACTIONS.has(action)) return loader.buildInclude(action as IncludeAction, raw, source, pointer, loader, keywords, role);
  for (const [k, name] of toList(raw.notify ?? []).entries()) {
    // A notify of the wrong type is already a schema problem: no "no such handler" on top.
    if (typeof name === 'string') loader.notified.push({ name, source, pointer: `${pointer}/notify${Array.isArray(raw.notify) ? `/${k}` : ''}` });
  }
  if (action === undefined || actionKey === undefined) return [];
  const module = getModule(action);
  const at = `${pointer}/${actionKey}`;
  const before = problems.length;
  const args = module ? readModuleArgs(module, raw[action], raw.args, source, at, `${pointer}/args`, problems) ?? {} : raw[action] ?? {};
  // Arguments that could not be read (a word that is not key=value) are not checked further.
  if (module && problems.length === before) problems.push(...validateAgainst(module.schema, args, source, at, { noun: 'parameter' }));
  const task: TaskNode = { kind: 'task', ...named(raw), module: action, ...(actionKey !== action ? { moduleKey: actionKey } : {}), args, keywords, location, pointer };
  if (role === 'handler' && raw.listen !== undefined) task.listen = toList(raw.listen).map(String);
  return [task];
}

/** Ansible task keys people carry over, with what to write here instead. */
const TASK_HINTS: Record<string, string> = {
  action: 'write the module as the key, e.g. `debug: { msg: hi }`',
  local_action: 'write the module as the key and add `delegate_to: localhost`',
};

/**
 * Ansible modules an Ansible user reaches for, and what to write while the registry has none of
 * that name (the hint is dropped the moment a module of that name is registered).
 */
const MODULE_HINTS: Record<string, string> = {
  systemd_service: 'write `systemd: { name: ..., state: started }`',
  include_vars: 'use the play\'s vars_files',
  raw: 'write `command: { cmd: ... }`',
  script: 'put the script on the host with `file` and run it with `command`',
};

/** The keys that say what the task does; unknown keys are reported here with a suggestion. */
function findActions(raw: Record<string, unknown>, source: YamlSource, pointer: string, problems: ConfigProblem[]): string[] {
  const actions: string[] = [];
  const unknown: string[] = [];
  for (const key of Object.keys(raw)) {
    const short = shortActionName(key);
    if (short === 'block' || short === 'import_tasks' || short === 'meta' || INCLUDE_ACTIONS.has(short as IncludeAction) || getModule(short)) actions.push(key);
    else if (!TASK_KEYWORDS.includes(key)) unknown.push(key);
  }
  const actionNames = [...modules.keys(), 'block', 'import_tasks', 'meta', ...INCLUDE_ACTIONS];
  for (const key of unknown) {
    const short = shortActionName(key);
    const keyword = didYouMean(key, TASK_KEYWORDS.filter((k) => !STRUCTURE.has(k)));
    const isModule = short !== key || MODULE_HINTS[short] !== undefined || didYouMean(short, actionNames) !== undefined || (keyword === undefined && actions.length === 0);
    const message = TASK_HINTS[key] ? `unknown keyword '${key}': ${TASK_HINTS[key]}`
      : MODULE_HINTS[short] && !getModule(short) ? `unknown module '${key}': ${MODULE_HINTS[short]}`
      : isModule ? `unknown module '${key}'${formatSuggestion(short, actionNames)}` : `unknown keyword '${key}'${formatSuggestion(key, TASK_KEYWORDS)}`;
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

/** The executor's view of the keywords: lists where Ansible accepts "one or many". */
export function normalizeKeywords(raw: Record<string, unknown>): TaskKeywords {
  const kw: Record<string, unknown> = {};
  for (const key of TASK_KEYWORDS) {
    const value = raw[key];
    if (value === undefined || STRUCTURE.has(key) || key === 'name' || key === 'listen' || key === 'args') continue;
    if (key === 'when') kw.when = toList(value).map(String);
    else if (key === 'changed_when' || key === 'failed_when') kw[key] = typeof value === 'boolean' ? value : toList(value).map(String);
    else if (key === 'notify' || key === 'tags') kw[key] = toList(value).map(String);
    else kw[key] = value;
  }
  return kw as TaskKeywords;
}

export function makeFlush(source: YamlSource, pointer: string): TaskNode {
  return { kind: 'task', name: 'flush handlers', module: 'meta', args: 'flush_handlers', keywords: {}, location: source.locateKey(pointer), pointer };
}

