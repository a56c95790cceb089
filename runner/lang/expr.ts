/**
 * Expressions in CEL (`when`, `until`, `changed_when`, `failed_when`, `assert`), evaluated with
 * @marcbachmann/cel-js: `result.rc == 0`, `inventory_hostname == groups.etcd[0]`,
 * `facts.os.id == "debian"`, `"x" in list`, `size(list) > 0`, `a.contains("x")`, `has(a.b)`.
 *
 * Numbers: CEL keeps int and double apart (`3.0 + 1` is an error) while YAML and JSON give JS
 * numbers. We pass a JS number that is an integer as a CEL int and any other as a double, so
 * `x > 2` and `x + 1` work for x = 3 as an Ansible user expects; mixing an int variable with a
 * double literal in arithmetic (`x + 0.5`) still needs `double(x)`. Results come back as JS
 * numbers (a CEL int beyond 2^53 stays a bigint). `undefined` values are absent keys, so
 * `has(a.b)` is false for them.
 */
import { Environment, EvaluationError, ParseError, type ASTNode, type ParseResult } from '@marcbachmann/cel-js';
import { TemplateError, type SourceLocation } from '../errors.js';
import { isSecret, SECRET_MASK } from '../secret.js';
import { formatSuggestion } from '../util/suggest.js';
import { versionHolds } from './version-compare.js';
import { jinjaConditionHint } from './jinja-hints.js';
import { parseAcceptingJinjaWords } from './jinja-boolean-words.js';

// Variables are whatever the playbook defines, so they are dynamic; mixed lists are normal YAML.
const env = new Environment({ unlistedVariablesAreDyn: true, homogeneousAggregateLiterals: false });
// Ansible's `x is version('3.5', '>=')`, written `version(x, ">=", "3.5")` (runner/lang/version-compare.ts).
env.registerFunction('version(string, string, string): bool', (a: string, op: string, b: string) => versionHolds(a, op, b));

interface Compiled {
  run: ParseResult;
  roots: string[];
  /** The text CEL parsed: the expression, or its reading of Jinja's and/or/not. Error ranges point into it. */
  source: string;
}

/** CEL's type names win over variables of the same name, so such a variable cannot be read. */
const CEL_TYPE_NAMES = new Set(['int', 'uint', 'double', 'bool', 'string', 'bytes', 'list', 'map', 'null_type', 'type', 'dyn']);

const cache = new Map<string, Compiled>();
const CACHE_LIMIT = 5000;

/** Macros whose first argument names a variable bound inside them, not a variable of ours. */
const BINDING_MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter', 'sortBy', 'transformList', 'transformMap']);

/**
 * Evaluate a CEL expression with the task's variables.
 * @param where where the expression was written (the task), for error messages
 * @throws TemplateError on bad syntax, an undefined variable, a missing key or a type error
 */
export function evaluate(expr: string, vars: Readonly<Record<string, unknown>>, where?: SourceLocation): unknown {
  const compiled = compileExpression(expr, where);
  const context: Record<string, unknown> = {};
  // Only the variables the expression names are converted: hostvars can be big.
  for (const root of compiled.roots) {
    if (!(root in vars)) continue;
    if (CEL_TYPE_NAMES.has(root)) {
      throw new TemplateError(`in expression ${JSON.stringify(expr)}: '${root}' is a CEL type name, so the variable '${root}' cannot be read here: rename the variable`, where);
    }
    const value = toCel((vars as Record<string, unknown>)[root]);
    if (value !== undefined) context[root] = value;
  }
  let result: unknown;
  try {
    result = compiled.run(context);
  } catch (err) {
    throw describeEvaluationError(err, expr, compiled.source, vars, where);
  }
  return fromCel(result);
}

/** Evaluate a condition: the result must be a boolean (a string "false" is not false). */
export function evaluateBool(expr: string, vars: Readonly<Record<string, unknown>>, where?: SourceLocation): boolean {
  const value = evaluate(expr, vars, where);
  if (typeof value !== 'boolean') {
    throw new TemplateError(`condition ${JSON.stringify(expr)} must give true or false, got ${describeValue(value)}: compare it, e.g. \`x == "yes"\` or \`size(x) > 0\``, where);
  }
  return value;
}

/** The syntax error of an expression, or undefined when it parses (for the static check). */
export function checkExpression(expr: string): string | undefined {
  try {
    compileExpression(expr, undefined);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Top-level variable names an expression reads (macro-bound names excluded). */
export function referencedRoots(expr: string): string[] {
  return [...compileExpression(expr, undefined).roots];
}

function compileExpression(expr: string, where: SourceLocation | undefined): Compiled {
  const known = cache.get(expr);
  if (known) return known;
  let run: ParseResult;
  let source: string;
  try {
    ({ result: run, text: source } = parseAcceptingJinjaWords(expr, (text) => env.parse(text)));
  } catch (err) {
    const summary = err instanceof ParseError ? err.summary : (err as Error).message;
    // Jinja (Ansible's conditions) does not parse as CEL: say how to write that very expression.
    const jinja = jinjaConditionHint(expr);
    if (jinja) throw new TemplateError(`invalid expression ${JSON.stringify(expr)}: ${jinja}`, where, { cause: err });
    throw new TemplateError(`invalid expression ${JSON.stringify(expr)}: ${summary}${pointAt(expr, (err as ParseError).range?.start)}`, where, { cause: err });
  }
  const compiled = { run, roots: collectRoots(run.ast), source };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(expr, compiled);
  return compiled;
}

function collectRoots(ast: ASTNode): string[] {
  const ids = new Set<string>();
  const bound = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object' || !('op' in node)) return;
    const n = node as ASTNode;
    if (n.op === 'id') ids.add(n.args);
    else if (n.op === 'rcall' && BINDING_MACROS.has(n.args[0]) && n.args[2][0]?.op === 'id') {
      // x.all(v, v > 0): `v` is bound by the macro. Approximation: bound names are dropped
      // everywhere, so a variable shadowed by a macro name is not passed (rare, documented).
      bound.add(n.args[2][0].args);
      visit(n.args[1]);
      visit(n.args[2].slice(1));
    } else visit(n.args);
  };
  visit(ast);
  return [...ids].filter((id) => !bound.has(id));
}

/** The views made by {@link lazyView}, so results can be turned back into plain objects. */
const lazyViews = new WeakSet<object>();

/**
 * A mapping as CEL sees it, converted key by key when the expression reads it. Converting
 * eagerly would walk all of hostvars (every host's variables, rendering every lazy template of
 * every host, where one unrelated failure would fail this expression) for `hostvars.h2.x`.
 * Entries whose value is undefined are absent, as for {@link toCel}.
 */
function lazyView(source: Record<string, unknown>): Record<string, unknown> {
  const converted = new Map<string, unknown>();
  const read = (key: string): unknown => {
    if (!converted.has(key)) converted.set(key, Object.prototype.propertyIsEnumerable.call(source, key) ? toCel(source[key]) : undefined);
    return converted.get(key);
  };
  const view = new Proxy(Object.create(null) as Record<string, unknown>, {
    get: (_t, key) => (typeof key === 'string' ? read(key) : undefined),
    has: (_t, key) => typeof key === 'string' && read(key) !== undefined,
    ownKeys: () => Object.keys(source).filter((key) => read(key) !== undefined),
    getOwnPropertyDescriptor: (_t, key) => {
      if (typeof key !== 'string') return undefined;
      const value = read(key);
      return value === undefined ? undefined : { value, enumerable: true, configurable: true, writable: false };
    },
  });
  lazyViews.add(view);
  return view;
}

/** JS value -> CEL value: integers become bigint (CEL int), undefined entries disappear. */
function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (value === null || typeof value !== 'object') return value;
  // A secret stays opaque in expressions too: it can be tested for presence, never read.
  if (isSecret(value)) return SECRET_MASK;
  if (value instanceof Uint8Array || value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : toCel(item)));
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, toCel(v)]));
  return lazyView(value as Record<string, unknown>);
}

/** CEL value -> JS value: ints back to numbers when they fit. */
function fromCel(value: unknown): unknown {
  if (typeof value === 'bigint') return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  if (Array.isArray(value)) return value.map(fromCel);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), fromCel(v)]));
  if (value && typeof value === 'object' && (lazyViews.has(value) || Object.getPrototypeOf(value) === Object.prototype)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromCel(v)]));
  }
  // CEL's uint is a wrapper object; its valueOf is the bigint.
  if (value && typeof value === 'object' && value.constructor?.name === 'UnsignedInt') return fromCel((value as { valueOf(): unknown }).valueOf());
  return value;
}

/** `source` is what CEL parsed (ranges point into it); `expr` is what the user wrote. */
function describeEvaluationError(err: unknown, expr: string, source: string, vars: Readonly<Record<string, unknown>>, where: SourceLocation | undefined): TemplateError {
  const e = err as EvaluationError;
  const code = err instanceof EvaluationError ? e.code : undefined;
  const range = e.range ?? (e.node as { range?: { start: number; end: number } } | undefined)?.range;
  const text = range ? source.slice(range.start, range.end) : undefined;
  let message: string;
  if (code === 'unknown_variable') {
    const name = /Unknown variable: (\S+)/.exec(e.message)?.[1] ?? text ?? '?';
    message = `undefined variable '${name}'${formatSuggestion(name, Object.keys(vars))}`;
  } else if (code === 'no_such_key') {
    const key = /No such key: (.*)$/m.exec(e.summary ?? e.message)?.[1] ?? '?';
    const nodeText = nodeSource(e.node, source) ?? text;
    message = `missing key '${key}'${nodeText ? ` in '${nodeText}'` : ''} (use has(${nodeText ?? 'a.b'}) to test for it)`;
  } else {
    message = (e.summary ?? e.message ?? String(err)).split('\n')[0]!;
  }
  return new TemplateError(`in expression ${JSON.stringify(expr)}: ${message}${pointAt(source, range?.start)}`, where, { cause: err });
}

function nodeSource(node: unknown, expr: string): string | undefined {
  const range = (node as { range?: { start: number; end: number } } | undefined)?.range;
  return range ? expr.slice(range.start, range.end) : undefined;
}

/** A caret under the position, only for long expressions where it helps. */
function pointAt(expr: string, pos: number | undefined): string {
  if (pos === undefined || expr.length < 40 || expr.includes('\n')) return '';
  return `\n    ${expr}\n    ${' '.repeat(pos)}^`;
}

/** The kind of a value, never the value: it may be a password passed with -e. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return `a ${typeof value}`;
}
