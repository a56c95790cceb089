/**
 * Checks done before any host is touched: every template parses (handlebars), every expression
 * parses (CEL), and every variable they name is defined somewhere. A typo in a variable name
 * then fails in a second, not after half the cluster has been changed.
 */
import Handlebars from 'handlebars';
import { parse as parseCel } from '@marcbachmann/cel-js';
import type { ConfigProblem, SourceLocation } from '../errors.js';
import type { Playbook, Play, RoleScope, TaskItem, TaskNode } from '../playbook.js';
import { formatSuggestion } from '../util/suggest.js';
import { sortProblems } from '../validators/validate.js';
import { isScalar } from 'yaml';
import { decodePointer, encodePointer, type YamlSource } from './yaml.js';
import { getPlaybookSources, type PlaybookSources } from './playbook.js';
import { findCelRoots, findTemplateRoots, type TemplateRoot } from './static-roots.js';
import { jinjaConditionHint, jinjaTemplateHint } from '../lang/jinja-hints.js';
import { parseAcceptingJinjaWords } from '../lang/jinja-boolean-words.js';
import { findTemplateFileReads, templateFileProblem } from './template-file-reads.js';
import { ansibleFactsKeyProblems, unknownAnsibleFactProblem } from '../facts/ansible-fact-check.js';

/** Variables the runner defines on every host, whatever the inventory says (runner/vars/task-vars.ts). */
export const MAGIC_VARS = [
  'inventory_hostname', 'inventory_hostname_short', 'groups', 'group_names', 'hostvars', 'facts',
  'check_mode', 'diff_mode', 'play_hosts', 'ansible_play_hosts', 'ansible_play_hosts_all', 'ansible_play_batch', 'playbook_dir', 'ansible_check_mode', 'vars',
];

/** The keywords that make a task a loop (Ansible's with_* included: runner/executor/loop-items.ts). */
const LOOP_KEYWORDS = ['loop', 'with_items', 'with_list', 'with_dict', 'with_fileglob'] as const;

/** Task keywords whose strings are CEL expressions; everything else is a template. */
const CEL_KEYWORDS = ['when', 'until', 'changed_when', 'failed_when'] as const;

interface Checker {
  problems: ConfigProblem[];
  sources?: PlaybookSources;
  /** Where relative lookup_file / render_file paths start. */
  playbookDir?: string;
}

/**
 * Every syntax error and undefined variable in the templates and expressions of `playbook`.
 * `knownVars` are the names the inventory defines (host and group vars), filled by the engine.
 */
export function staticCheck(playbook: Playbook, knownVars: Set<string>): ConfigProblem[] {
  const checker: Checker = { problems: [], sources: getPlaybookSources(playbook), playbookDir: playbook.dir };
  const global = new Set([...MAGIC_VARS, ...knownVars, ...collectDefinedByTasks(playbook)]);
  for (const play of playbook.plays) checkPlay(play, global, checker);
  return sortProblems(checker.problems);
}

function checkPlay(play: Play, global: Set<string>, checker: Checker): void {
  const scope = new Set([...global, ...Object.keys(play.defaults), ...Object.keys(play.vars)]);
  const origins = checker.sources?.varOrigins.get(play);
  for (const [name, value] of [...Object.entries(play.defaults), ...Object.entries(play.vars)]) {
    const origin = origins?.get(name);
    // Extra vars come from the command line: no file to point at, and the user typed them.
    if (origin) checkValue(value, origin.pointer, scope, { source: origin.source, fallback: play.location }, checker);
  }
  for (const item of play.tasks) checkItem(item, scope, checker);
  for (const handler of play.handlers) checkItem(handler, handler.role ? new Set([...scope, ...roleNames(handler.role)]) : scope, checker);
}

/** Where a node's values are: its file (to locate pointers) or at least the node's own location. */
interface Place {
  source?: YamlSource;
  fallback: SourceLocation;
}

function checkItem(item: TaskItem, outer: Set<string>, checker: Checker): void {
  const place: Place = { source: checker.sources?.files.get(item.location.file), fallback: item.location };
  const kw = item.keywords;
  // Copy the scope only when the node adds names: inventories can define many variables.
  const loopKey = LOOP_KEYWORDS.find((k) => kw[k] !== undefined);
  const added = [...Object.keys(kw.vars ?? {}), ...(item.kind === 'block' && item.role ? roleNames(item.role) : []), ...(item.kind === 'block' && item.include ? Object.keys(item.include.params) : [])];
  const scope = added.length > 0 || loopKey !== undefined ? new Set([...outer, ...added]) : outer;
  if (loopKey !== undefined) {
    // The loop variable exists for everything in the task except the loop itself.
    checkValue(kw[loopKey], `${item.pointer}/${loopKey}`, scope, place, checker);
    scope.add(kw.loop_control?.loop_var ?? 'item');
    if (kw.loop_control?.index_var) scope.add(kw.loop_control.index_var);
  }
  if (item.name !== undefined) checkValue(item.name, `${item.pointer}/name`, scope, place, checker);
  for (const [name, value] of Object.entries(kw.vars ?? {})) checkValue(value, `${item.pointer}/vars${encodePointer([name])}`, scope, place, checker);
  if (kw.delegate_to !== undefined) checkValue(kw.delegate_to, `${item.pointer}/delegate_to`, scope, place, checker);
  if (kw.environment !== undefined) checkValue(kw.environment, `${item.pointer}/environment`, scope, place, checker);
  if (kw.loop_control?.label !== undefined) checkValue(kw.loop_control.label, `${item.pointer}/loop_control/label`, scope, place, checker);
  // The file's own value, not the normalized list, so pointers match what the user wrote.
  for (const key of CEL_KEYWORDS) {
    // The task's own result is `result` (and its register name) in the conditions judged after it ran.
    const conditionScope = key === 'when' ? scope : new Set([...scope, 'result']);
    checkConditions(readAt(place, `${item.pointer}/${key}`) ?? kw[key], `${item.pointer}/${key}`, key, conditionScope, place, checker);
  }
  if (item.kind === 'block' && item.include) {
    // The file name of a dynamic include_tasks is a template: its variables must exist too.
    const at = `${item.pointer}/include_tasks${isMapping(readAt(place, `${item.pointer}/include_tasks`)) ? '/file' : ''}`;
    if (item.include.what === 'tasks') checkValue(item.include.file, at, scope, place, checker);
    for (const [name, value] of Object.entries(item.include.params)) checkValue(value, `${item.pointer}/vars${encodePointer([name])}`, scope, place, checker);
  }
  if (item.kind === 'block' && item.role) {
    // The templates in the role's own defaults and vars files, once per role use.
    for (const file of checker.sources?.roleVarFiles?.get(item.role) ?? []) {
      if (!isMapping(file.value)) continue;
      for (const [name, value] of Object.entries(file.value)) checkValue(value, encodePointer([name]), scope, { source: file, fallback: item.location }, checker);
    }
    // Role parameters are written on the entry (`- role: x` keys) or under its vars.
    for (const [name, value] of Object.entries(item.role.params)) {
      const own = `${item.pointer}${encodePointer([name])}`;
      checkValue(value, readAt(place, own) !== undefined ? own : `${item.pointer}/vars${encodePointer([name])}`, outer, place, checker);
    }
  }
  if (item.kind === 'block') {
    for (const child of [...item.block, ...item.rescue, ...item.always]) checkItem(child, scope, checker);
    return;
  }
  checkModuleArgs(item, scope, place, checker);
}

function checkModuleArgs(task: TaskNode, scope: Set<string>, place: Place, checker: Checker): void {
  const base = `${task.pointer}/${task.moduleKey ?? task.module}`;
  const args = task.args;
  if (task.module === 'meta' || !isMapping(args)) {
    if (task.module !== 'meta') checkValue(args, base, scope, place, checker);
    return;
  }
  for (const [key, value] of Object.entries(args)) {
    const pointer = `${base}${encodePointer([key])}`;
    if (task.module === 'assert' && key === 'that') checkConditions(value, pointer, 'assert that', scope, place, checker);
    else if (task.module === 'debug' && key === 'var' && typeof value === 'string') checkNames([value.split(/[.[]/)[0]!], scope, locateIn(place, pointer), pointer, checker);
    else checkValue(value, pointer, scope, place, checker);
  }
}

/** A condition keyword: a boolean, a CEL string, or a list of them (at `pointer/k`). */
function checkConditions(value: unknown, pointer: string, what: string, scope: Set<string>, place: Place, checker: Checker): void {
  if (typeof value === 'string') checkCel(value, pointer, what, scope, place, checker);
  else if (Array.isArray(value)) value.forEach((v, k) => checkConditions(v, `${pointer}/${k}`, what, scope, place, checker));
}

function checkCel(expression: string, pointer: string, what: string, scope: Set<string>, place: Place, checker: Checker): void {
  const location = locateIn(place, pointer);
  if (expression.includes('{{')) {
    checker.problems.push({ location, pointer, message: `'${what}' is a CEL expression, not a template: write the variables without {{ }} (e.g. x == 1)` });
    return;
  }
  let roots: string[];
  try {
    roots = findCelRoots(parseAcceptingJinjaWords(expression, parseCel).result.ast);
  } catch (err) {
    const e = err as Error & { range?: { start: number } };
    const column = e.range ? ` at column ${e.range.start + 1}` : '';
    const jinja = jinjaConditionHint(expression);
    checker.problems.push({ location, pointer, message: jinja ? `'${what}' is a CEL expression: ${jinja}` : `CEL syntax error in '${what}'${column}: ${e.message.split('\n')[0]}` });
    return;
  }
  checkNames(roots, scope, location, pointer, checker);
  for (const message of ansibleFactsKeyProblems(expression)) checker.problems.push({ location, pointer, message });
}

/** Every string inside `value` is a template: parse it and check the variables it names. */
function checkValue(value: unknown, pointer: string, scope: Set<string>, place: Place, checker: Checker): void {
  if (Array.isArray(value)) value.forEach((v, k) => checkValue(v, `${pointer}/${k}`, scope, place, checker));
  else if (isMapping(value)) for (const [k, v] of Object.entries(value)) checkValue(v, `${pointer}${encodePointer([k])}`, scope, place, checker);
  else if (typeof value === 'string' && value.includes('{{')) checkTemplate(value, pointer, scope, place, checker);
}

function checkTemplate(template: string, pointer: string, scope: Set<string>, place: Place, checker: Checker): void {
  // Jinja may even parse as Handlebars (`{% for %}` is text): say what to write, once.
  const jinja = jinjaTemplateHint(template);
  if (jinja) {
    checker.problems.push({ location: locateIn(place, pointer), pointer, message: `templates are Handlebars, ${jinja}` });
    return;
  }
  let roots: TemplateRoot[];
  let program: ReturnType<typeof Handlebars.parse>;
  try {
    program = Handlebars.parse(template);
    roots = findTemplateRoots(program);
  } catch (err) {
    checker.problems.push({ location: locateIn(place, pointer), pointer, message: `template syntax error: ${describeTemplateError(err as Error)}` });
    return;
  }
  for (const root of roots) checkNames([root.name], scope, locateInScalar(place, pointer, root), pointer, checker);
  for (const message of ansibleFactsKeyProblems(template)) checker.problems.push({ location: locateIn(place, pointer), pointer, message });
  if (checker.playbookDir === undefined) return;
  for (const read of findTemplateFileReads(program)) {
    const problem = templateFileProblem(read, checker.playbookDir);
    if (problem) checker.problems.push({ location: locateInScalar(place, pointer, read), pointer, message: problem });
  }
}

/**
 * Where a position inside a string value is in the file, when the scalar maps it exactly: a
 * literal block (`|`, one file line per template line) or a one-line value. Else the value's start.
 */
function locateInScalar(place: Place, pointer: string, at: { line: number; column: number }): SourceLocation {
  const start = locateIn(place, pointer);
  const node = place.source?.doc.getIn(decodePointer(pointer), true);
  if (!place.source || !isScalar(node) || !node.range) return start;
  if (node.type === 'BLOCK_LITERAL') {
    const body = place.source.text.slice(place.source.text.indexOf('\n', node.range[0]) + 1, node.range[1]);
    const firstLine = body.split('\n').find((l) => l.trim() !== '') ?? '';
    const indent = firstLine.length - firstLine.trimStart().length;
    return { file: start.file, line: start.line + at.line, col: indent + at.column + 1 };
  }
  const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
  // In a quoted scalar an escape before the template shifts columns by a little; still the right line.
  if (at.line === 1 && (quoted || node.type === 'PLAIN') && !String(node.source ?? '').includes('\n')) {
    return { ...start, col: start.col + at.column + (quoted ? 1 : 0) };
  }
  return start;
}

function checkNames(roots: string[], scope: Set<string>, location: SourceLocation, pointer: string, checker: Checker): void {
  for (const name of roots) {
    if (scope.has(name)) continue;
    // ansible_* are connection variables (ansible_host, ansible_user...) any host may carry, or
    // facts: only a fact quorum does not gather, or a misspelt one, is known to be wrong now.
    if (name.startsWith('ansible_')) {
      const problem = unknownAnsibleFactProblem(name);
      if (problem) checker.problems.push({ location, pointer, message: problem });
      continue;
    }
    checker.problems.push({ location, pointer, message: `undefined variable '${name}'${formatSuggestion(name, scope)}` });
  }
}

/** Handlebars' parser error is a multi-line drawing; keep the position and what it expected. */
function describeTemplateError(err: Error): string {
  const lines = err.message.split('\n');
  const head = /^Parse error on line (\d+):$/.exec(lines[0] ?? '');
  if (!head) return lines[0] ?? String(err);
  const expected = /^Expecting (.*), got '(.*)'$/.exec(lines[3] ?? '');
  const tokens = expected?.[1]!.split(', ') ?? [];
  // The grammar's token names mean little to a user; the common case is a '}}' gone missing.
  const what = tokens.includes("'CLOSE'") ? "'{{' is not closed by '}}'" : expected ? `unexpected ${expected[2]}, expecting ${tokens.slice(0, 3).join(', ')}` : (lines[3] ?? '');
  return `${what} (line ${head[1]} of the template)`;
}

/** Names defined by register and set_fact anywhere: they may be used in any later play. */
export function collectDefinedByTasks(playbook: Playbook): string[] {
  const names: string[] = [];
  const visit = (item: TaskItem): void => {
    if (item.keywords.register) names.push(item.keywords.register);
    if (item.kind === 'block') [...item.block, ...item.rescue, ...item.always].forEach(visit);
    else if (item.module === 'set_fact' && isMapping(item.args)) names.push(...Object.keys(item.args).filter((k) => k !== 'cacheable'));
  };
  for (const play of playbook.plays) [...play.tasks, ...play.handlers].forEach(visit);
  return names;
}

/** The variables a role adds for its tasks and handlers: defaults, vars (role_name, role_path), parameters. */
function roleNames(role: RoleScope): string[] {
  return [...Object.keys(role.defaults), ...Object.keys(role.vars), ...Object.keys(role.params)];
}

function readAt(place: Place, pointer: string): unknown {
  let value: unknown = place.source?.value;
  for (const part of decodePointer(pointer)) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function locateIn(place: Place, pointer: string): SourceLocation {
  return place.source ? place.source.locate(pointer) : place.fallback;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
