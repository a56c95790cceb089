/**
 * Validation against a schema (validators/compile.ts) and the translation of ajv's errors into
 * ConfigProblems that say where (file:line:col, JSON pointer) and what to do, in plain words.
 * Used for the playbook, module arguments and the inventory.
 */
import type { ErrorObject } from 'ajv';
import type { ConfigProblem } from '../errors.js';
import type { YamlSource } from '../load/yaml.js';
import { formatSuggestion, formatValueSuggestion } from '../util/suggest.js';
import { compileSchema } from './compile.js';

/** Options of {@link validateAgainst}. */
export interface ValidateOptions {
  /** What an object key is called in messages: 'key' (default), 'keyword', 'parameter'. */
  noun?: string;
  /** Drop errors whose value is a template string (checked again after rendering). Default true. */
  skipTemplates?: boolean;
}

/**
 * Validate `value` (found at `basePointer` in `source`) against `schema`; every problem, none
 * thrown. Pointers in the problems are absolute in the source document.
 */
export function validateAgainst(
  schema: object,
  value: unknown,
  source: YamlSource,
  basePointer: string,
  options: ValidateOptions = {},
): ConfigProblem[] {
  const validate = compileSchema(schema);
  if (validate(value)) return [];
  const skipTemplates = options.skipTemplates ?? true;
  // A propertyNames failure comes twice: the summary adds nothing to the error about the name.
  const errors = collapseAlternatives(validate.errors ?? []).filter((e) => e.keyword !== 'propertyNames' && !(skipTemplates && isTemplate(e.data)));
  const problems = errors.map((e) => formatAjvError(e, source, basePointer, options.noun));
  return dedupeProblems(problems);
}

/** A string that will be rendered before use: its type cannot be known yet. */
export function isTemplate(value: unknown): boolean {
  return typeof value === 'string' && value.includes('{{');
}

/** One ajv error as a human problem; key errors point at the key, value errors at the value. */
export function formatAjvError(error: ErrorObject, source: YamlSource, basePointer: string, noun = 'key'): ConfigProblem {
  if (error.propertyName !== undefined) {
    const keyPointer = `${basePointer}${error.instancePath}/${escapeKey(error.propertyName)}`;
    const problem = formatAjvError({ ...error, propertyName: undefined }, source, basePointer, noun);
    return { location: source.locateKey(keyPointer), pointer: keyPointer, message: `name '${error.propertyName}' ${problem.message}` };
  }
  const pointer = basePointer + error.instancePath;
  const params = error.params as Record<string, unknown>;
  const parent = (error.parentSchema ?? {}) as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const key = String(params.additionalProperty ?? params.unevaluatedProperty);
      const keyPointer = `${pointer}/${escapeKey(key)}`;
      const known = Object.keys((parent.properties ?? {}) as object);
      return { location: source.locateKey(keyPointer), pointer: keyPointer, message: `unknown ${noun} '${key}'${formatSuggestion(key, known)}` };
    }
    case 'required':
      return { location: source.locate(pointer), pointer, message: `missing required ${noun} '${String(params.missingProperty)}'` };
    case 'dependentRequired':
      return { location: source.locate(pointer), pointer, message: `missing required ${noun} '${String(params.missingProperty)}' (needed with '${String(params.property)}')` };
    case 'type':
      return { location: source.locate(pointer), pointer, message: `must be ${describeTypes(params.type)}, got ${describeValue(error.data)}` };
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v));
      const hint = typeof error.data === 'string' ? formatValueSuggestion(error.data, (params.allowedValues as unknown[]).map(String)) : '';
      return { location: source.locate(pointer), pointer, message: `must be one of ${allowed.join(', ')}${hint}` };
    }
    case 'const':
      return { location: source.locate(pointer), pointer, message: `must be ${JSON.stringify(params.allowedValue)}` };
    case 'pattern':
      return { location: source.locate(pointer), pointer, message: describePattern(parent, String(params.pattern)) };
    case 'format':
      return { location: source.locate(pointer), pointer, message: `must be a valid ${String(params.format)}` };
    case 'oneOf':
    case 'anyOf':
      return { location: source.locate(pointer), pointer, message: describeAlternatives(error) };
    default:
      return { location: source.locate(pointer), pointer, message: error.message ?? `fails ${error.keyword}` };
  }
}

function escapeKey(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function describeTypes(type: unknown): string {
  const types = Array.isArray(type) ? type.map(String) : String(type).split(',');
  const words = types.map((t) => (t === 'null' ? 'null' : t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : t === 'integer' ? 'an integer' : `a ${t}`));
  return words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}` : words[0] ?? 'something else';
}

/** The kind of a value, never the value itself: it may be a secret. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  return `a ${typeof value}`;
}

function describePattern(parent: Record<string, unknown>, pattern: string): string {
  // A schema's description usually says the rule in words ("octal mode such as '0644'").
  const words = typeof parent.description === 'string' ? ` (${parent.description.replace(/\.$/, '')})` : '';
  return `must match the pattern ${pattern}${words}`;
}

function describeAlternatives(error: ErrorObject): string {
  const branches = ((error.schema ?? []) as Array<Record<string, unknown>>);
  const keys = branches.map(requiredOnly);
  if (keys.every((k) => k !== undefined)) {
    const list = keys.map((k) => `'${k!.join("' + '")}'`).join(', ');
    const passing = (error.params as { passingSchemas?: number[] | null }).passingSchemas;
    return passing ? `use only one of ${list}` : `needs one of ${list}`;
  }
  return error.keyword === 'oneOf' ? 'must match exactly one of the allowed forms' : 'must match one of the allowed forms';
}

/** The keys of a branch that only says `required: [...]`, else undefined. */
function requiredOnly(branch: Record<string, unknown>): string[] | undefined {
  const keys = Object.keys(branch);
  return keys.length === 1 && Array.isArray(branch.required) ? (branch.required as string[]) : undefined;
}

/**
 * ajv reports every failing branch of a oneOf/anyOf. Keep either the summary (branches that
 * only differ by required keys: "needs one of 'msg', 'var'") or the errors of the branch that
 * came closest, so the user sees one actionable message, not the whole search.
 */
function collapseAlternatives(errors: ErrorObject[]): ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  const alternatives = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf').sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const alt of alternatives) {
    if (dropped.has(alt)) continue;
    const children = errors.filter((e) => e !== alt && e.schemaPath.startsWith(`${alt.schemaPath}/`) && e.instancePath.startsWith(alt.instancePath));
    const passing = (alt.params as { passingSchemas?: number[] | null }).passingSchemas;
    const branches = ((alt.schema ?? []) as Array<Record<string, unknown>>);
    if (passing || branches.every((b) => requiredOnly(b) !== undefined)) {
      children.forEach((c) => dropped.add(c));
      continue;
    }
    const best = pickClosestBranch(alt, children);
    for (const c of children) if (branchOf(alt, c) !== best) dropped.add(c);
    dropped.add(alt);
  }
  return errors.filter((e) => !dropped.has(e));
}

function branchOf(alt: ErrorObject, child: ErrorObject): number {
  return Number(child.schemaPath.slice(alt.schemaPath.length + 1).split('/')[0]);
}

/** Fewest errors wins; a branch whose very type does not fit the value is a bad guess. */
function pickClosestBranch(alt: ErrorObject, children: ErrorObject[]): number {
  const score = new Map<number, number>();
  for (const c of children) {
    const wrongShape = c.instancePath === alt.instancePath && (c.keyword === 'type' || c.keyword === 'const' || c.keyword === 'enum');
    score.set(branchOf(alt, c), (score.get(branchOf(alt, c)) ?? 0) + (wrongShape ? 1000 : 1));
  }
  return [...score.entries()].sort((a, b) => a[1] - b[1] || a[0] - b[0])[0]?.[0] ?? 0;
}

function dedupeProblems(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.pointer}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Problems without repeats, by file, then position: the order a reader scans them. */
export function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  const unique = problems.filter((p) => {
    const key = `${p.location?.file}:${p.location?.line}:${p.location?.col}\u0000${p.pointer}\u0000${p.message}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
  const byPosition = (a: ConfigProblem, b: ConfigProblem) =>
    (a.location?.file ?? '').localeCompare(b.location?.file ?? '') || (a.location?.line ?? 0) - (b.location?.line ?? 0) || (a.location?.col ?? 0) - (b.location?.col ?? 0);
  return unique.sort(byPosition);
}
