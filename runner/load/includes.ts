/**
 * include_tasks, import_role and include_role entries of a task list.
 *
 * import_role is static, like import_tasks: the role's tasks take the entry's keywords (when,
 * tags, become...) and its `vars` become role parameters. include_tasks and include_role are
 * dynamic, as in Ansible: `when` and `loop` are decided per host when the run reaches them
 * (strategy/include.ts), the keywords of the entry apply to the include itself, not to the
 * included tasks (write them under `apply:` for that), and `vars` (and the loop variable) are
 * include parameters. A file or role named literally is read and validated now, before any
 * host is touched; a file name that is a template is read when a host includes it
 * (loadIncludedFile), and a problem in it fails that host's include, naming the file.
 */
import { statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError, type ConfigProblem } from '../errors.js';
import type { BlockNode, IncludeSpec, TaskItem, TaskKeywords, TaskNode } from '../playbook.js';
import { validateAgainst } from '../validators/validate.js';
import { TASK_LIST_SCHEMA } from '../validators/schemas.js';
import { handlerTopics, isMapping, keyProblem, named, readIncluded, type IncludeAction, type Loader } from './loader.js';
import { buildTaskList, normalizeKeywords, TASK_KEYWORDS } from './tasks.js';
import { formatSuggestion } from '../util/suggest.js';
import { loadRole, type RoleRequest } from './roles.js';
import { loadYamlFile, type YamlSource } from './yaml.js';

/** Keywords an include itself may carry; any other applies to the included tasks only through `apply`. */
const ON_INCLUDE = new Set(['name', 'when', 'loop', 'loop_control', 'tags', 'vars']);
/** Keywords an import may not carry (it is not a task: nothing to loop over or register). */
const NOT_ON_IMPORT = ['loop', 'loop_control', 'register', 'notify', 'changed_when', 'failed_when', 'retries', 'until', 'delay', 'listen'];

/** The tasks an include_tasks / import_role / include_role entry stands for. */
export function buildInclude(action: IncludeAction, raw: Record<string, unknown>, source: YamlSource, pointer: string, loader: Loader, keywords: TaskKeywords, role: 'task' | 'handler'): TaskItem[] {
  if (role === 'handler') {
    loader.problems.push(keyProblem(source, pointer, action, `'${action}' is not supported in handlers: list the handlers themselves (import_tasks works there)`));
    return [];
  }
  const present = Object.keys(raw).filter((k) => raw[k] !== undefined && k !== action);
  if (action === 'import_role') {
    for (const k of present.filter((k) => NOT_ON_IMPORT.includes(k))) loader.problems.push(keyProblem(source, pointer, k, `'${k}' cannot be used on an import${k.startsWith('loop') ? ': use include_role to loop over a role' : ''}`));
    return importRole(raw, source, pointer, loader, keywords);
  }
  for (const k of present.filter((k) => !ON_INCLUDE.has(k))) {
    loader.problems.push(keyProblem(source, pointer, k, `'${k}' on ${action} would apply to the include only, not to the included tasks (as in Ansible): put it under ${action === 'include_tasks' ? 'include_tasks: { file: ..., apply: { ' : 'include_role: { name: ..., apply: { '}${k}: ... } } or on the included tasks`));
  }
  const { vars, ...own } = keywords;
  const args = raw[action];
  const apply = isMapping(args) && isMapping(args.apply) ? applyKeywords(args.apply, source, `${pointer}/${action}/apply`, loader) : {};
  const include: IncludeSpec = {
    what: action === 'include_tasks' ? 'tasks' : 'role',
    file: '',
    from: source.file,
    params: vars ?? {},
    ...(loader.roles.current ? { roleDir: loader.roles.current.dir } : {}),
  };
  const node = (block: TaskItem[]): BlockNode => ({ kind: 'block', ...named(raw), keywords: own, location: source.locate(pointer), pointer, block, rescue: [], always: [], include });
  const applied = (items: TaskItem[]): TaskItem[] =>
    Object.keys(apply).length === 0 ? items : [{ kind: 'block', keywords: apply, location: source.locate(`${pointer}/${action}/apply`), pointer: `${pointer}/${action}/apply`, block: items, rescue: [], always: [] }];

  if (action === 'include_role') {
    if (!isMapping(args) || typeof args.name !== 'string') return [];
    include.file = args.name;
    const req = roleRequest(args, source, pointer, 'include_role', {}, {});
    if (!req) return [];
    const loaded = loadRole(req, loader);
    return loaded?.block ? [node(applied([loaded.block]))] : [];
  }
  const file = typeof args === 'string' ? args : isMapping(args) && typeof args.file === 'string' ? args.file : undefined;
  if (file === undefined) return [];
  include.file = file;
  // A templated name (`{{ ansible_os_family }}.yml`, a loop's `{{ item }}.yml`) is read per host at run time.
  if (file.includes('{{')) return [node([])];
  const at = typeof args === 'string' ? `${pointer}/include_tasks` : `${pointer}/include_tasks/file`;
  const tasks = readTasksFile(file, at, source, loader, include.roleDir);
  return tasks ? [node(applied(tasks))] : [];
}

/** The keywords of `apply:`, which become those of a block around the included tasks. */
function applyKeywords(apply: Record<string, unknown>, source: YamlSource, pointer: string, loader: Loader): TaskKeywords {
  for (const key of Object.keys(apply)) {
    if (NOT_ON_IMPORT.includes(key) || key === 'name') loader.problems.push(keyProblem(source, pointer, key, `'${key}' cannot be used in apply: it applies to single tasks, write it on them`));
    else if (!TASK_KEYWORDS.includes(key) || ['block', 'rescue', 'always', 'import_tasks', 'include_tasks', 'import_role', 'include_role', 'meta'].includes(key)) {
      loader.problems.push(keyProblem(source, pointer, key, `unknown keyword '${key}' in apply${formatSuggestion(key, TASK_KEYWORDS)}`));
    }
  }
  return normalizeKeywords(apply);
}

/** import_role: the role's block, carrying the entry's keywords; its vars are role parameters. */
function importRole(raw: Record<string, unknown>, source: YamlSource, pointer: string, loader: Loader, keywords: TaskKeywords): TaskItem[] {
  const args = raw.import_role;
  if (!isMapping(args) || typeof args.name !== 'string') return [];
  const { vars, ...own } = keywords;
  const req = roleRequest(args, source, pointer, 'import_role', vars ?? {}, own);
  if (!req) return [];
  const loaded = loadRole(req, loader);
  return loaded?.block ? [loaded.block] : [];
}

function roleRequest(args: Record<string, unknown>, source: YamlSource, pointer: string, action: string, params: Record<string, unknown>, keywords: TaskKeywords): RoleRequest | undefined {
  const name = args.name as string;
  const fromPointer = `${pointer}/${action}`;
  const str = (k: string) => (typeof args[k] === 'string' ? { [k === 'tasks_from' ? 'tasksFrom' : k === 'vars_from' ? 'varsFrom' : k === 'defaults_from' ? 'defaultsFrom' : 'handlersFrom']: args[k] as string } : {});
  return { name, source, pointer, namePointer: `${fromPointer}/name`, fromPointer, params, keywords, once: false, ...str('tasks_from'), ...str('vars_from'), ...str('defaults_from'), ...str('handlers_from') };
}

/**
 * Where an included tasks file is: relative to the file that names it, or, in a role, in the
 * role's tasks/ (Ansible looks there too).
 */
export function includedFilePath(file: string, from: string, roleDir: string | undefined): string {
  if (isAbsolute(file)) return file;
  const beside = resolve(dirname(from), file);
  if (!roleDir || isFile(beside)) return beside;
  const inRole = resolve(roleDir, 'tasks', file);
  return isFile(inRole) ? inRole : beside;
}

/** Read, validate and build a tasks file named by include_tasks; undefined when it cannot be. */
function readTasksFile(file: string, at: string, source: YamlSource, loader: Loader, roleDir: string | undefined): TaskItem[] | undefined {
  const target = includedFilePath(file, source.file, roleDir);
  if (loader.stack.includes(target)) {
    const chain = [...loader.stack.slice(loader.stack.indexOf(target)), target].map((f) => f.split('/').pop()).join(' -> ');
    loader.problems.push({ location: source.locate(at), pointer: at, message: `include cycle: ${chain}; remove one of these includes` });
    return undefined;
  }
  const loaded = readIncluded(target, at, source, loader, 'tasks file');
  if (!loaded) return undefined;
  loader.problems.push(...validateAgainst(TASK_LIST_SCHEMA, loaded.value, loaded, '', { noun: 'keyword', skipTemplates: false }));
  loader.stack.push(target);
  const tasks = buildTaskList(loaded.value, loaded, '', loader, 'task');
  loader.stack.pop();
  return tasks;
}

/** What a file included at run time needs from the play it runs in. */
export interface RunTimeInclude {
  /** The file as rendered for this host. */
  file: string;
  spec: IncludeSpec;
  playbookDir: string;
  rolesPath: string[];
  /** The play's handlers: a notify in the file must name one of them. */
  handlers: TaskNode[];
}

/**
 * A tasks file whose name was a template, read when a host includes it: validated like any
 * playbook file (schema, modules, arguments, notify). Throws a ConfigError naming the file.
 */
export function loadIncludedFile(inc: RunTimeInclude): TaskItem[] {
  const path = includedFilePath(inc.file, inc.spec.from, inc.spec.roleDir);
  const source = loadYamlFile(path);
  const loader: Loader = {
    problems: [],
    sources: { files: new Map([[path, source]]), varOrigins: new Map() },
    stack: [path],
    notified: [],
    roles: { playbookDir: inc.playbookDir, rolesPath: inc.rolesPath, stack: [], seen: new Map(), handlers: [], handlerFiles: new Set() },
    buildInclude,
  };
  loader.problems.push(...validateAgainst(TASK_LIST_SCHEMA, source.value, source, '', { noun: 'keyword', skipTemplates: false }));
  const tasks = buildTaskList(source.value, source, '', loader, 'task');
  const known = new Set([...inc.handlers, ...loader.roles.handlers].flatMap(handlerTopics));
  for (const n of loader.notified) {
    if (!known.has(n.name)) loader.problems.push({ location: n.source.locate(n.pointer), pointer: n.pointer, message: `notify: no handler named or listening to '${n.name}' in this play` });
  }
  if (loader.problems.length > 0) throw new ConfigError(loader.problems as ConfigProblem[]);
  // Handlers of roles included by the file join the play's, as include_role's do in Ansible.
  for (const h of loader.roles.handlers) if (!inc.handlers.some((k) => k.name === h.name && k.role?.dir === h.role?.dir)) inc.handlers.push(h);
  return tasks;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
