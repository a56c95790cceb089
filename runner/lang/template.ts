/**
 * Templates: one handlebars instance, compiled with `strict` (an undefined variable is an error,
 * never an empty string) and `noEscape` (handlebars HTML-escapes by default, which would corrupt
 * config files). Ansible users write `{{ var }}`, `{{ a.b }}`, `{{ groups.etcd }}`,
 * `{{ hostvars.infra0.ansible_host }}`: all are handlebars paths. Index a list with
 * `{{ groups.etcd.[0] }}` and reach names with dots with `{{ hostvars.[10.0.0.6] }}`.
 *
 * A value that is exactly one `{{ path }}` or one `{{ helper args }}` keeps its type (a list
 * stays a list, `{{ eq a b }}` is a boolean), as Ansible's native types do.
 */
import Handlebars from 'handlebars';
import { TemplateError, type SourceLocation } from '../errors.js';
import { isSecret, SECRET_MASK } from '../secret.js';
import { formatSuggestion } from '../util/suggest.js';
import { listTemplateHelpers, registerTemplateHelpers } from './template-helpers.js';
import { jinjaTemplateHint } from './jinja-hints.js';

type Compiled = Handlebars.TemplateDelegate;

const hb = Handlebars.create();
registerTemplateHelpers(hb);
hb.registerHelper('__capture', (value: unknown, options: Handlebars.HelperOptions) => {
  (options.data as { capture: { value?: unknown } }).capture.value = value;
  return '';
});

/** Compiled templates by source text; bounded so a long run cannot grow it without end. */
const cache = new Map<string, Compiled>();
const CACHE_LIMIT = 5000;

/** `{{ path }}` and nothing else: identifier segments joined by `.` or `/`, `[literal]` allowed. */
const SINGLE_PATH = /^\s*\{\{\s*((?:[\w$-]+|\[[^\]]*\])(?:[./](?:[\w$-]+|\[[^\]]*\]))*)\s*\}\}\s*$/;
/** `{{ helper args }}` and nothing else: its result keeps its type too (`{{ eq a b }}` is a boolean). */
const SINGLE_CALL = /^\s*\{\{\s*([A-Za-z_][\w-]*)\s+([^{}]+?)\s*\}\}\s*$/;
/** Block helpers and handlebars internals: never called inline for a value. */
const NOT_VALUE_HELPERS = new Set(['if', 'unless', 'each', 'with', 'log', 'helperMissing', 'blockHelperMissing']);
/** Names handlebars treats as literals or keywords, not variables. */
const NOT_PATHS = new Set(['true', 'false', 'null', 'undefined', 'this', 'else']);

/**
 * Render one string. A string that is exactly `{{ path }}` or `{{ helper args }}` returns the
 * raw value (list, number, boolean, object, Secret); any other string renders to a string.
 * @param where where the string was written, for errors (`file:line:col  undefined variable ...`)
 * @throws TemplateError on an undefined variable, unknown helper or bad syntax
 */
export function renderString(text: string, vars: Readonly<Record<string, unknown>>, where?: SourceLocation): unknown {
  if (!text.includes('{{')) return text;
  const single = SINGLE_PATH.exec(text);
  if (single && !NOT_PATHS.has(single[1]!) && !/^\d/.test(single[1]!)) return keepOuterSpace(text, lookupPath(single[1]!, vars, text, where));
  const call = SINGLE_CALL.exec(text);
  if (call && hb.helpers[call[1]!] && !NOT_VALUE_HELPERS.has(call[1]!)) return keepOuterSpace(text, callHelper(call[1]!, call[2]!, text, vars, where));
  return renderText(text, vars, where);
}

/**
 * A lone value written with blanks around it (`content: "{{ motd }}\n"`, a `|` block): text keeps
 * them, as Jinja renders them; a list, number, boolean or Secret is the value itself.
 */
function keepOuterSpace(text: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return `${/^\s*/.exec(text)![0]}${value}${/\s*$/.exec(text)![0]}`;
}

/**
 * The raw result of a lone helper call: the call is made a subexpression of `__capture`,
 * which keeps the value aside. On any error the original text is rendered again, so the
 * message and column are those of what the user wrote.
 */
function callHelper(name: string, args: string, text: string, vars: Readonly<Record<string, unknown>>, where?: SourceLocation): unknown {
  const box: { value?: unknown } = {};
  try {
    compileCached(`{{__capture (${name} ${args})}}`, where)(vars, { data: { capture: box } });
  } catch {
    return renderText(text, vars, where);
  }
  return box.value;
}

/**
 * Render a template to text (a `template:` file, a message). Errors point into the template:
 * `where` is where its first character is (`{file, line: 1, col: 1}` for a file).
 */
export function renderText(text: string, vars: Readonly<Record<string, unknown>>, where?: SourceLocation): string {
  if (!text.includes('{{')) return text;
  const simple = renderPathsOnly(text, vars);
  if (simple !== undefined) return simple;
  const template = compileCached(text, where);
  let out: string;
  try {
    out = template(vars);
  } catch (err) {
    throw describeRenderError(err, text, vars, where);
  }
  // A Secret prints as its mask; written into a file that would silently corrupt it.
  if (out.includes(SECRET_MASK) && !text.includes(SECRET_MASK)) {
    throw new TemplateError(
      `a secret value cannot be put into text (it would read ${SECRET_MASK}): pass it alone, as "{{ name }}", to a parameter that takes a secret`,
      where,
    );
  }
  return out;
}

/** One `{{ path }}` inside text (global: used to cut the text apart). */
const PATH_MUSTACHE = /\{\{\s*((?:[\w$-]+|\[[^\]]*\])(?:[./](?:[\w$-]+|\[[^\]]*\]))*)\s*\}\}/g;

/**
 * Text whose only templating is `{{ path }}` mustaches ("{{ pki_dir }}/etcd/ca.crt", most of a
 * playbook's strings), rendered without handlebars: compiling each distinct string to a
 * JavaScript function cost ~60 ms of an etcd-ha run. The output is what handlebars prints
 * (`null` and `undefined` as "", everything else as `"" + value`). Anything else (helpers,
 * blocks, braces around a mustache, escapes, a path that does not resolve, a Secret, a
 * function) returns undefined, and handlebars renders it and reports its errors as always.
 */
function renderPathsOnly(text: string, vars: Readonly<Record<string, unknown>>): string | undefined {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(PATH_MUSTACHE)) {
    const path = m[1]!;
    const literal = text.slice(last, m.index);
    if (/[{}\\]/.test(literal) || NOT_PATHS.has(path) || /^\d/.test(path)) return undefined;
    const head = splitPath(path)[0];
    if (head === undefined || hb.helpers[head] || findMissing(path, vars) !== undefined) return undefined;
    const value = valueAt(path, vars);
    if (typeof value === 'function' || isSecret(value)) return undefined;
    out += literal + (value == null ? '' : '' + (value as string));
    last = m.index + m[0].length;
  }
  const rest = text.slice(last);
  return last === 0 || /[{}\\]/.test(rest) ? undefined : out + rest;
}

/**
 * Deep-render a value: strings are rendered (keeping the type of a lone `{{ path }}`), arrays
 * and plain objects are walked, keys are left alone, everything else is returned as is.
 */
export function renderValue(value: unknown, vars: Readonly<Record<string, unknown>>, where?: SourceLocation): unknown {
  if (typeof value === 'string') return renderString(value, vars, where);
  if (Array.isArray(value)) return value.map((item) => renderValue(item, vars, where));
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = renderValue(item, vars, where);
    return out;
  }
  return value;
}

/** The syntax error of a template, or undefined when it compiles (for the static check). */
export function checkTemplate(text: string): string | undefined {
  if (!text.includes('{{')) return undefined;
  try {
    compileCached(text, undefined);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function compileCached(text: string, where: SourceLocation | undefined): Compiled {
  let template = cache.get(text);
  if (template) return template;
  try {
    // Handlebars compiles lazily; precompiling now turns syntax errors into errors here.
    const ast = hb.parse(text);
    template = hb.compile(ast, { strict: true, noEscape: true });
  } catch (err) {
    const first = (err as Error).message.split('\n').slice(0, 4).join(' | ');
    // Handlebars' own message about Jinja misleads ("'{{' is not closed"): say what to write.
    const jinja = jinjaTemplateHint(text);
    throw new TemplateError(jinja ? `template syntax error: ${jinja}` : `template syntax error: ${first}`, where, { cause: err });
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(text, template);
  return template;
}

/** Resolve a handlebars path (`a.b`, `a/b`, `a.[0]`, `a.[x.y]`) the way a strict template would. */
function lookupPath(path: string, vars: Readonly<Record<string, unknown>>, text: string, where?: SourceLocation): unknown {
  const missing = findMissing(path, vars);
  if (missing !== undefined) throw new TemplateError(`undefined variable '${path}' in ${JSON.stringify(text.trim())}${missing}`, where);
  return valueAt(path, vars);
}

/** The value at a path that {@link findMissing} found complete. */
function valueAt(path: string, vars: Readonly<Record<string, unknown>>): unknown {
  let value: unknown = vars;
  for (const segment of splitPath(path)) value = (value as Record<string, unknown>)[segment];
  return value;
}

function splitPath(path: string): string[] {
  return (path.match(/\[[^\]]*\]|[^./[\]]+/g) ?? []).map((s) => (s.startsWith('[') ? s.slice(1, -1) : s)).filter((s) => s !== 'this');
}

/** Why `path` does not resolve ("" when it is missing at the top), with a "did you mean"; undefined when it resolves. */
function findMissing(path: string, vars: Readonly<Record<string, unknown>>, extra: string[] = []): string | undefined {
  let value: unknown = vars;
  const segments = splitPath(path);
  for (const [i, segment] of segments.entries()) {
    if (value === null || typeof value !== 'object' || isSecret(value)) return ` ('${segments.slice(0, i).join('.')}' is ${value === null ? 'null' : `not a mapping`})`;
    if (!(segment in value)) {
      const where = i > 0 ? ` ('${segment}' is not a key of '${segments.slice(0, i).join('.')}')` : '';
      return `${where}${formatSuggestion(segment, [...Object.keys(value), ...(i === 0 ? extra : [])])}`;
    }
    value = (value as Record<string, unknown>)[segment];
  }
  return undefined;
}

/** Turn handlebars' `"x" not defined in [object Object] - 2:5` into our message and location. */
function describeRenderError(err: unknown, text: string, vars: Readonly<Record<string, unknown>>, where: SourceLocation | undefined): Error {
  if (err instanceof TemplateError) return err;
  // `{{ x is defined }}` parses as a call of `x`: the Jinja hint says more than "unknown helper".
  const jinja = jinjaTemplateHint(text);
  if (jinja) return new TemplateError(`cannot render ${JSON.stringify(text.trim().slice(0, 120))}: ${jinja}`, where, { cause: err });
  const e = err as Error & { lineNumber?: number; column?: number };
  const missing = /^"([^"]+)" not defined in/.exec(e.message ?? '');
  const at = locateInTemplate(where, e.lineNumber, e.column);
  const hasPos = e.lineNumber !== undefined && e.column !== undefined;
  const snippet = hasPos ? mustacheAt(text, e.lineNumber!, e.column!) : undefined;
  const inWhat = snippet ? ` in ${JSON.stringify(snippet)}` : '';
  if (missing) {
    // handlebars names only the missing segment; the path starts at the reported column.
    const token = hasPos ? /^[^\s{}()]+/.exec((text.split('\n')[e.lineNumber! - 1] ?? '').slice(e.column!))?.[0] : undefined;
    const path = token && token.split(/[./]/).includes(missing[1]!) ? token : missing[1]!;
    const isCall = snippet !== undefined && new RegExp(`\\{\\{[~#]?\\s*${escapeRegExp(path)}\\s+[^\\s}]`).test(snippet);
    const detail = findMissing(path, vars, isCall ? listTemplateHelpers() : []) ?? '';
    const what = isCall ? `unknown helper or undefined variable '${path}'` : `undefined variable '${path}'`;
    return new TemplateError(`${what}${inWhat}${detail}`, at, { cause: err });
  }
  // Strict mode does not check helper arguments deeper than one level: `default a.b "x"`
  // with `a` undefined ends up here as a TypeError.
  const deep = /Cannot read properties of (?:undefined|null) \(reading '([^']+)'\)/.exec(e.message ?? '');
  if (deep) return new TemplateError(`undefined variable: the parent of '${deep[1]}' is not defined (in ${JSON.stringify(text.trim().slice(0, 120))})`, where, { cause: err });
  return new TemplateError(`cannot render template: ${e.message}${inWhat}`, at, { cause: err });
}

function locateInTemplate(where: SourceLocation | undefined, line: number | undefined, column: number | undefined): SourceLocation | undefined {
  if (!where || line === undefined || column === undefined) return where;
  // handlebars columns are 0-based; the first line of the template starts at where.col.
  return line === 1 ? { file: where.file, line: where.line, col: where.col + column } : { file: where.file, line: where.line + line - 1, col: column + 1 };
}

/** The `{{ ... }}` around a position, to quote it in the message. */
function mustacheAt(text: string, line: number, column: number): string | undefined {
  const lineText = text.split('\n')[line - 1] ?? '';
  const open = lineText.lastIndexOf('{{', column);
  const close = lineText.indexOf('}}', column);
  return open >= 0 && close >= 0 ? lineText.slice(open, close + 2) : undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
