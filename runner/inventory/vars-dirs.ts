/**
 * `group_vars/` and `host_vars/` beside an inventory source or the playbook, read as Ansible's
 * host_group_vars plugin reads them: for a group or host NAME, the first of `NAME` (a file, or a
 * directory read recursively in name order), `NAME.yml`, `NAME.yaml`, `NAME.json`; in a
 * directory only files with those extensions or none, hidden files and `~` backups skipped.
 * Ansible passes over the rest in silence; quorum names each entry it does not use in a warning.
 */
import { readdirSync, statSync } from 'node:fs';
import { InputFileError, readInputText } from '../load/read-input.js';
import { extname, join } from 'node:path';
import { ConfigError, type ConfigProblem, type SourceLocation } from '../errors.js';
import { encodePointer, parseYamlText } from '../load/yaml.js';
import { resolveLocalTags } from './yaml-tags.js';
import { decryptVault, holdsVaulted, isVaultText, markVaulted } from './vault.js';
import { yaml11Warnings } from './yaml11-check.js';
import { isRecord } from './yaml-source.js';

export interface LayerVars {
  vars: Record<string, unknown>;
  origins: Record<string, SourceLocation>;
}

/** The variables one directory gives each group and host, by name. */
export interface VarsDir {
  base: string;
  groups: Map<string, LayerVars>;
  hosts: Map<string, LayerVars>;
}

const EXTENSIONS = ['', '.yml', '.yaml', '.json'];

export function loadVarsDir(
  base: string,
  names: { groups: Iterable<string>; hosts: Iterable<string> },
  problems: ConfigProblem[],
  warnings: string[],
  vaultPassword?: string,
): VarsDir {
  return {
    base,
    groups: loadKind(join(base, 'group_vars'), 'group', names.groups, problems, warnings, vaultPassword),
    hosts: loadKind(join(base, 'host_vars'), 'host', names.hosts, problems, warnings, vaultPassword),
  };
}

function loadKind(dir: string, kind: 'group' | 'host', names: Iterable<string>, problems: ConfigProblem[], warnings: string[], vaultPassword: string | undefined): Map<string, LayerVars> {
  const result = new Map<string, LayerVars>();
  const kindOf = statOrUndefined(dir);
  if (!kindOf) return result;
  if (!kindOf.isDirectory()) {
    warnings.push(`${dir} is not a directory: it is not read (Ansible skips it too)`);
    return result;
  }
  /** name -> the entry read for it */
  const used = new Map<string, string>();
  for (const name of names) {
    const files = findVarsFiles(dir, name, used);
    if (files.length === 0) continue;
    const layer: LayerVars = { vars: {}, origins: {} };
    for (const file of files) readVarsFile(file, layer, problems, warnings, vaultPassword);
    result.set(name, layer);
  }
  for (const entry of listVisible(dir)) {
    const full = join(dir, entry);
    if ([...used.values()].includes(full)) continue;
    const ext = extname(entry);
    const stem = EXTENSIONS.includes(ext) ? entry.slice(0, entry.length - ext.length) : undefined;
    if (stem === undefined) warnings.push(`${full} is not read: only files ending in .yml, .yaml, .json or with no extension are (as in Ansible)`);
    else if (used.has(stem)) warnings.push(`${full} is not read: ${used.get(stem)} comes first for ${kind} '${stem}' (Ansible reads only the first of NAME, NAME.yml, NAME.yaml, NAME.json)`);
    else warnings.push(`${full} is not read: the inventory has no ${kind} '${stem}'`);
  }
  return result;
}

/** Ansible's DataLoader.find_vars_files: the first candidate that exists, a directory walked. */
function findVarsFiles(dir: string, name: string, used: Map<string, string>): string[] {
  for (const ext of EXTENSIONS) {
    const candidate = join(dir, name + ext);
    const stat = statOrUndefined(candidate);
    if (!stat) continue;
    used.set(name, candidate);
    return stat.isDirectory() ? walkVarsDir(candidate) : [candidate];
  }
  return [];
}

function walkVarsDir(dir: string): string[] {
  const found: string[] = [];
  for (const entry of listVisible(dir)) {
    const full = join(dir, entry);
    const ext = extname(entry);
    const stat = statOrUndefined(full);
    if (stat?.isDirectory() && ext === '') found.push(...walkVarsDir(full));
    else if (stat?.isFile() && EXTENSIONS.includes(ext)) found.push(full);
  }
  return found;
}

/** Entries in Python's sorted() order, without hidden files and editor backups. */
function listVisible(dir: string): string[] {
  return readdirSync(dir)
    .filter((e) => !e.startsWith('.') && !e.endsWith('~'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function readVarsFile(file: string, layer: LayerVars, problems: ConfigProblem[], warnings: string[], vaultPassword: string | undefined): void {
  let text: string;
  try {
    text = readInputText(file);
  } catch (err) {
    if (err instanceof InputFileError) {
      problems.push(...err.problems);
      return;
    }
    problems.push({ pointer: '', message: `cannot read ${file}: ${(err as Error).message}` });
    return;
  }
  let wholeFileVaulted = false;
  if (isVaultText(text)) {
    if (vaultPassword === undefined) {
      problems.push({ location: { file, line: 1, col: 1 }, pointer: '', message: 'this file is encrypted with ansible-vault: give the vault password with --vault-password-file FILE, or pass the secrets with -e @FILE' });
      return;
    }
    const result = decryptVault(text, vaultPassword);
    if (!result.ok) {
      problems.push({ location: { file, line: 1, col: 1 }, pointer: '', message: `cannot decrypt this vault file: ${result.error}` });
      return;
    }
    // Positions in messages below are those of the decrypted text.
    text = result.plaintext;
    wholeFileVaulted = true;
  }
  let src;
  try {
    src = parseYamlText(file, text);
  } catch (err) {
    if (err instanceof ConfigError) {
      problems.push(...err.problems);
      return;
    }
    throw err;
  }
  const decrypted = new Set<string>();
  const tagged = resolveLocalTags(src, vaultPassword, decrypted);
  if (tagged.length > 0) {
    problems.push(...tagged);
    return;
  }
  // Nothing of a vault file's text goes to the output, not even a yes/no.
  if (!wholeFileVaulted) warnings.push(...yaml11Warnings(src));
  if (src.value === null || src.value === undefined) return;
  if (!isRecord(src.value)) {
    problems.push({ location: src.locate(''), pointer: '', message: `a vars file must be a mapping of variable names to values, got ${Array.isArray(src.value) ? 'a list' : typeof src.value}` });
    return;
  }
  for (const [key, value] of Object.entries(src.value)) {
    layer.vars[key] = value;
    const pointer = encodePointer([key]);
    const origin = src.locate(pointer);
    layer.origins[key] = wholeFileVaulted || holdsVaulted(pointer, decrypted) ? markVaulted(origin) : origin;
  }
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
