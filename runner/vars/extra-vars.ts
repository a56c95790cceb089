/**
 * `-e` values as Ansible takes them: `key=value key2=value2` (values are strings), a JSON or
 * YAML mapping (`{"a": [1, 2]}`), or `@file.yaml`. Later -e options override earlier ones.
 */
import { parse } from 'yaml';
import { ConfigError } from '../errors.js';
import { loadYamlFile } from '../load/yaml.js';
import { varsFileProblems } from '../load/loader.js';
import { InputFileError } from '../load/read-input.js';

export function parseExtraVars(values: readonly string[]): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const raw of values) {
    const one = parseOne(raw.trim());
    // An @file's names are checked (and not quoted) like a vars file's; these were typed.
    if (!raw.trim().startsWith('@')) {
      const bad = Object.keys(one).find((name) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name));
      if (bad !== undefined) fail(`-e: '${bad}' is not a variable name: write letters, digits and _, not starting with a digit`);
    }
    Object.assign(vars, one);
  }
  return vars;
}

function parseOne(text: string): Record<string, unknown> {
  if (text.startsWith('@')) return varsFile(text.slice(1));
  if (text.startsWith('{')) return mappingFrom(text, 'mapping');
  const vars: Record<string, unknown> = {};
  for (const pair of splitWords(text)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) fail(`-e ${JSON.stringify(text)}: expected key=value, a JSON/YAML mapping, or @file`);
    vars[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return vars;
}

/** Split on spaces outside quotes, removing the quotes: a="x y" b=z. */
function splitWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let quote: string | undefined;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else current += ch;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (/\s/.test(ch)) {
      if (current) words.push(current);
      current = '';
    } else current += ch;
  }
  if (current) words.push(current);
  return words;
}

function mappingFrom(text: string, source: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = parse(text);
  } catch (err) {
    fail(`-e ${source}: not valid YAML/JSON: ${(err as Error).message.split('\n')[0]}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(`-e ${source}: must be a mapping of variable names to values`);
  return value as Record<string, unknown>;
}

/**
 * `-e @FILE` is a vars file: the same limits (a regular file, size, encoding, aliases) and the
 * same checks as vars_files, and an error names the file, line and column, never its content.
 */
function varsFile(path: string): Record<string, unknown> {
  let loaded;
  try {
    loaded = loadYamlFile(path);
  } catch (err) {
    if (err instanceof InputFileError && err.wholeFile) fail(`-e @${path}: ${err.problems[0]!.message}`);
    throw err;
  }
  const problems = varsFileProblems(loaded);
  if (problems.length > 0) throw new ConfigError(problems);
  return loaded.value as Record<string, unknown>;
}

function fail(message: string): never {
  throw new ConfigError([{ pointer: '', message }]);
}
