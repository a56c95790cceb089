/**
 * Ansible's spellings of a task, read into quorum's where the meaning is unambiguous:
 *
 * - FQCN module names: `ansible.builtin.file`, `ansible.legacy.command`, `ansible.posix.X` are
 *   the registry's `file`, `command`, `X` (any module in modules/index.ts, so a module added to
 *   the registry gets its FQCN for free; a name we do not have stays unknown).
 * - key=value arguments: `file: path=/x state=directory mode=0755`, and for modules whose
 *   arguments may be a command line (their schema takes a string: command, shell), the
 *   parameters Ansible takes out of that line (`command: chdir=/tmp creates=/x make`).
 * - `args:`, Ansible's second place for a task's arguments, merged under the module's own.
 * - Values written as strings where the schema wants a boolean (`enabled=yes`) or a number.
 *
 * Nothing here reads or renders a template: values keep their `{{ }}` for the run.
 */
import type { ConfigProblem } from '../errors.js';
import type { ModuleDefinition } from '../types.js';
import type { YamlSource } from './yaml.js';
import { isMapping } from './loader.js';

/** Collections whose modules we have under the same short name. */
const NAMESPACES = ['ansible.builtin.', 'ansible.legacy.', 'ansible.posix.'];

/** The short name a task key stands for (`ansible.builtin.file` -> `file`), or the key itself. */
export function shortActionName(key: string): string {
  for (const ns of NAMESPACES) if (key.startsWith(ns) && key.length > ns.length) return key.slice(ns.length);
  return key;
}

/**
 * Ansible's parameters of command-like modules that may sit inside the command line
 * (module_utils/splitter parse_kv with check_raw): taken out of the line when we know them.
 */
const RAW_PARAMS = ['creates', 'removes', 'chdir', 'executable', 'warn', 'stdin', 'stdin_add_newline', 'strip_empty_ends'];

interface Token {
  text: string;
  key?: string;
  value?: string;
}

/**
 * Split a key=value line on spaces outside quotes and outside `{{ }}` / `{% %}`, as Ansible's
 * split_args does. `k="a b"` is one token whose value is `a b`.
 */
export function splitArgs(line: string): Token[] {
  const tokens: Token[] = [];
  let current = '';
  let quote = '';
  let depth = 0;
  const push = () => {
    if (current === '') return;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=([\s\S]*)$/.exec(current);
    tokens.push(m ? { text: current, key: m[1]!, value: unquote(m[2]!) } : { text: current });
    current = '';
  };
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    const two = line.slice(i, i + 2);
    if (!quote && (two === '{{' || two === '{%')) {
      depth++;
      current += two;
      i++;
    } else if (!quote && depth > 0 && (two === '}}' || two === '%}')) {
      depth--;
      current += two;
      i++;
    } else if (quote) {
      if (ch === '\\' && quote === '"' && i + 1 < line.length) {
        current += ch + line[++i];
        continue;
      }
      if (ch === quote) quote = '';
      current += ch;
    } else if ((ch === '"' || ch === "'") && depth === 0) {
      quote = ch;
      current += ch;
    } else if (/\s/.test(ch) && depth === 0) push();
    else current += ch;
  }
  push();
  return tokens;
}

function unquote(value: string): string {
  if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) {
    const inner = value.slice(1, -1);
    return value[0] === '"' ? inner.replace(/\\(["\\])/g, '$1') : inner;
  }
  return value;
}

/** The object branch of a module schema (`{type: object}` itself, or the one of an anyOf/oneOf). */
function objectBranch(schema: unknown): { properties?: Record<string, unknown> } | undefined {
  if (!isMapping(schema)) return undefined;
  if (schema.type === 'object') return schema as { properties?: Record<string, unknown> };
  for (const alt of [...((schema.anyOf as unknown[]) ?? []), ...((schema.oneOf as unknown[]) ?? [])]) {
    const found = objectBranch(alt);
    if (found) return found;
  }
  return undefined;
}

/** Whether the module takes a plain string (a command line) as its arguments. */
function takesString(schema: unknown): boolean {
  if (!isMapping(schema)) return false;
  if (schema.type === 'string') return true;
  return [...((schema.anyOf as unknown[]) ?? []), ...((schema.oneOf as unknown[]) ?? [])].some(takesString);
}

/**
 * The arguments of a task as quorum's module reads them, from the value under the module key and
 * the task's `args:`. Problems are pushed with the location of what is wrong.
 * @param at pointer of the module key's value
 */
export function readModuleArgs(module: ModuleDefinition, value: unknown, args: unknown, source: YamlSource, at: string, argsAt: string, problems: ConfigProblem[]): unknown {
  const branch = objectBranch(module.schema);
  const known = Object.keys(branch?.properties ?? {});
  let own: unknown = value;
  if (typeof value === 'string' && branch) {
    own = takesString(module.schema) ? splitCommandLine(module.name, value, known, source, at, problems) : splitKeyValues(module.name, value, known, source, at, problems);
  }
  if (args !== undefined) {
    // args that are not a mapping are the playbook schema's problem: said once, there.
    if (!isMapping(args)) return own;
    if (own === null || own === undefined) own = { ...args };
    else if (isMapping(own)) own = { ...args, ...own };
    else if (typeof own === 'string' && takesString(module.schema)) own = { ...args, cmd: own };
    else problems.push({ location: source.locate(argsAt), pointer: argsAt, message: `args cannot be combined with ${module.name}'s arguments written this way: write them all under '${module.name}' as a mapping` });
  }
  return isMapping(own) && branch ? coerceScalars(own, branch.properties ?? {}) : own;
}

/** `chdir=/tmp creates=x make all`: Ansible's parameters out, the rest is the command line. */
function splitCommandLine(name: string, line: string, known: string[], source: YamlSource, at: string, problems: ConfigProblem[]): unknown {
  const tokens = splitArgs(line);
  const params: Record<string, unknown> = {};
  const rest: string[] = [];
  for (const t of tokens) {
    if (t.key !== undefined && RAW_PARAMS.includes(t.key)) {
      if (known.includes(t.key)) params[t.key] = t.value;
      else problems.push({ location: source.locate(at), pointer: at, message: `${name}: '${t.key}=' is not supported by quorum's ${name}: remove it` });
    } else rest.push(t.text);
  }
  if (Object.keys(params).length === 0) return line;
  if (rest.length === 0) {
    problems.push({ location: source.locate(at), pointer: at, message: `${name}: no command left after ${Object.keys(params).map((k) => `${k}=`).join(' ')}: write the command after them` });
    return params;
  }
  return { cmd: rest.join(' '), ...params };
}

/** `path=/x state=directory mode=0755` as a mapping. */
function splitKeyValues(name: string, line: string, known: string[], source: YamlSource, at: string, problems: ConfigProblem[]): unknown {
  const out: Record<string, unknown> = {};
  for (const t of splitArgs(line)) {
    if (t.key === undefined) {
      const hint = known.length > 0 ? ` (its arguments: ${known.join(', ')})` : '';
      problems.push({ location: source.locate(at), pointer: at, message: `${name}: '${t.text}' is not key=value: write ${name}'s arguments as key=value words or as a mapping${hint}` });
      return line;
    }
    out[t.key] = t.value;
  }
  return out;
}

const TRUE_WORDS = new Set(['yes', 'true', 'on', '1', 'y']);
const FALSE_WORDS = new Set(['no', 'false', 'off', '0', 'n']);

/**
 * Ansible's module argument types accept 'yes' for a bool and '3' for an int (key=value gives
 * only strings). Strings with a template are left to the run.
 */
export function coerceScalars(args: Record<string, unknown>, properties: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...args };
  for (const [key, v] of Object.entries(args)) {
    const prop = properties[key];
    if (typeof v !== 'string' || v.includes('{{') || !isMapping(prop)) continue;
    const types = ([] as unknown[]).concat(prop.type ?? []);
    const word = v.trim().toLowerCase();
    if (types.includes('boolean') && !types.includes('string')) {
      if (TRUE_WORDS.has(word)) out[key] = true;
      else if (FALSE_WORDS.has(word)) out[key] = false;
    } else if ((types.includes('integer') || types.includes('number')) && !types.includes('string') && /^-?\d+(\.\d+)?$/.test(word)) {
      out[key] = Number(word);
    }
  }
  return out;
}

/** The playbook schema's "must be one of sudo" for become_method, with what quorum does instead. */
export function explainBecomeMethod(problem: ConfigProblem): ConfigProblem {
  if (!/\/become_method$/.test(problem.pointer) || !problem.message.startsWith('must be one of')) return problem;
  return { ...problem, message: 'become_method: quorum becomes another user with sudo only: remove become_method or write sudo' };
}
