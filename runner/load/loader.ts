/**
 * What the playbook loader carries while it reads a playbook and the files it names, and the
 * small helpers its parts share (playbook.ts: plays and vars; tasks.ts: tasks and imports).
 */
import { dirname, isAbsolute, join } from 'node:path';
import { ConfigError, type ConfigProblem } from '../errors.js';
import type { Play } from '../playbook.js';
import { loadYamlFile, type YamlSource } from './yaml.js';

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

/** The state of one loadPlaybook call. */
export interface Loader {
  problems: ConfigProblem[];
  sources: PlaybookSources;
  /** Absolute paths of the files being imported, outermost first: a repeat is a cycle. */
  stack: string[];
  /** notify targets to resolve once the play's handlers are known. */
  notified: Array<{ name: string; source: YamlSource; pointer: string }>;
}

/** Read a file named relative to the including file; a problem at the naming value if it fails. */
export function readIncluded(name: string, pointer: string, from: YamlSource, loader: Loader, what: string): YamlSource | undefined {
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

/** A problem about the key `key` of the mapping at `pointer`, located at the key itself. */
export function keyProblem(source: YamlSource, pointer: string, key: string, message: string): ConfigProblem {
  return { location: source.locateKey(`${pointer}/${key}`), pointer: `${pointer}/${key}`, message };
}

/** `{ name }` when the entry has a string name, else nothing (spread into AST nodes). */
export function named(raw: Record<string, unknown>): { name?: string } {
  return typeof raw.name === 'string' ? { name: raw.name } : {};
}

/** Ansible's "one or many": a single value as a one-item list. */
export function toList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

/** A YAML mapping (not a list, not null). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
