/**
 * The inventory sources of a run (`-i`, repeatable) read into one InventoryDraft, in order, as
 * Ansible's InventoryManager reads them: a comma list (`-i a,b,` — host names, not a path), a
 * directory (every entry in name order, recursively, skipping what Ansible skips), a YAML file
 * (.yml, .yaml, .json, or a mapping without extension) or an INI file (anything else).
 * Where Ansible would warn "Unable to parse ... as an inventory source" and go on with no hosts,
 * quorum stops with the reason (exit 5): a run never starts on an inventory it half read.
 */
import { readdirSync, statSync } from 'node:fs';
import { InputFileError, MAX_INVENTORY_BYTES, readInputText } from '../load/read-input.js';
import { extname, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { parseYamlText, type YamlSource } from '../load/yaml.js';
import type { InventoryDraft } from './draft.js';
import { parseHostEntry } from './host-pattern.js';
import { readIniInventory } from './ini.js';
import { checkHostName } from './names.js';
import { resolveLocalTags } from './yaml-tags.js';
import { decryptVault, isVaultText } from './vault.js';
import { yaml11Warnings } from './yaml11-check.js';
import { isRecord, readYamlInventory } from './yaml-source.js';

/** Ansible's INVENTORY_IGNORE_EXTS (REJECT_EXTS plus .orig .ini .cfg .retry): skipped in a directory. */
const IGNORED_EXTENSIONS = ['.pyc', '.pyo', '.swp', '.bak', '~', '.rpm', '.md', '.txt', '.rst', '.orig', '.ini', '.cfg', '.retry'];
/** Entries of a directory source Ansible never reads as inventory (the vars directories are read apart). */
const IGNORED_ALWAYS = /^(?:\..*|host_vars|group_vars|vars_plugins)$/;
const YAML_EXTENSIONS = ['.yml', '.yaml', '.json'];

export interface ReadSource {
  /** The source as given. */
  given: string;
  /** Absolute path, or undefined for a comma list. */
  path?: string;
  isDirectory: boolean;
  /** Files read, in order. */
  files: string[];
}

/** A source is a host list when it holds a comma and is not an existing path, as in Ansible. */
export function isHostList(source: string): boolean {
  return source.includes(',') && statOrUndefined(resolve(source)) === undefined;
}

export function readSource(draft: InventoryDraft, source: string): ReadSource {
  if (isHostList(source)) {
    readHostList(draft, source);
    return { given: source, isDirectory: false, files: [] };
  }
  const path = resolve(source);
  const stat = statOrUndefined(path);
  if (!stat) {
    draft.problems.push({ pointer: '', message: `option '-i, --inventory' ${source}: no such inventory file or directory (for a list of hosts, end it with a comma: -i ${source},)` });
    return { given: source, path, isDirectory: false, files: [] };
  }
  const files: string[] = [];
  if (stat.isDirectory()) readDirectory(draft, path, files);
  else readFile(draft, path, files);
  return { given: source, path, isDirectory: stat.isDirectory(), files };
}

/** Ansible's host_list plugin: `-i 'a,b:2222,'`, hosts in `ungrouped`, no ranges. */
function readHostList(draft: InventoryDraft, list: string): void {
  const where = { file: '-i', line: 1, col: 1 };
  for (const raw of list.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const parsed = entry.includes('[') ? { names: [entry] } : parseHostEntry(entry);
    const names = 'error' in parsed ? [entry] : parsed.names;
    const port = 'error' in parsed ? undefined : parsed.port;
    for (const name of names) {
      const bad = checkHostName(name);
      if (bad) draft.problems.push({ location: where, pointer: '', message: `in -i ${list}: ${bad}` });
      else if (!draft.hosts.has(name)) draft.addHost(name, 'ungrouped', where, port);
    }
  }
}

function readDirectory(draft: InventoryDraft, dir: string, files: string[]): void {
  const entries = readdirSync(dir).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const entry of entries) {
    const full = resolve(dir, entry);
    if (IGNORED_ALWAYS.test(entry)) continue;
    if (IGNORED_EXTENSIONS.some((ext) => entry.endsWith(ext))) {
      draft.warnings.push(`${full} is not read: Ansible skips files ending in ${IGNORED_EXTENSIONS.find((ext) => entry.endsWith(ext))} in an inventory directory (give it with its own -i to read it)`);
      continue;
    }
    const stat = statOrUndefined(full);
    if (stat?.isDirectory()) readDirectory(draft, full, files);
    else if (stat?.isFile()) readFile(draft, full, files);
  }
}

function readFile(draft: InventoryDraft, file: string, files: string[]): void {
  let text: string;
  try {
    // The one reader of input files: regular files only, bounded, encodings checked (BOM, UTF-16).
    text = readInputText(file, MAX_INVENTORY_BYTES);
    // An executable file is a dynamic inventory script for Ansible: quorum runs no scripts.
    if ((statSync(file).mode & 0o111) !== 0 && text.startsWith('#!')) {
      draft.problems.push({ location: { file, line: 1, col: 1 }, pointer: '', message: 'this is an inventory script (executable, starts with #!): quorum does not run inventory scripts; write its output to a file with `ansible-inventory -i FILE --list -y > inventory.yaml` and use that' });
      return;
    }
  } catch (err) {
    if (err instanceof InputFileError) {
      draft.problems.push(...err.problems);
      return;
    }
    draft.problems.push({ pointer: '', message: `cannot read inventory ${file}: ${(err as Error).message}` });
    return;
  }
  files.push(file);
  let wholeFileVaulted = false;
  if (isVaultText(text)) {
    if (draft.vaultPassword === undefined) {
      draft.problems.push({ location: { file, line: 1, col: 1 }, pointer: '', message: 'this inventory is encrypted with ansible-vault: give the vault password with --vault-password-file FILE' });
      return;
    }
    const result = decryptVault(text, draft.vaultPassword);
    if (!result.ok) {
      draft.problems.push({ location: { file, line: 1, col: 1 }, pointer: '', message: `cannot decrypt this vault file: ${result.error}` });
      return;
    }
    // Positions in messages below are those of the decrypted text.
    text = result.plaintext;
    wholeFileVaulted = true;
  }
  const ext = extname(file).toLowerCase();
  if (ext === '.toml') {
    draft.problems.push({ location: { file, line: 1, col: 1 }, pointer: '', message: "TOML inventories are not read: convert it with `ansible-inventory -i FILE --list -y > inventory.yaml`" });
    return;
  }
  if (YAML_EXTENSIONS.includes(ext)) {
    const src = parseYaml(draft, file, text);
    if (src) readYaml(draft, src, wholeFileVaulted);
    return;
  }
  if (ext !== '.ini') {
    // No telling extension: a YAML mapping is a YAML inventory (Ansible tries its yaml plugin first).
    const src = tryYaml(file, text);
    if (src) {
      readYaml(draft, src, wholeFileVaulted);
      return;
    }
  }
  readIniInventory(draft, file, text);
}

function readYaml(draft: InventoryDraft, src: YamlSource, wholeFileVaulted: boolean): void {
  if (isRecord(src.value) && 'plugin' in src.value) {
    draft.problems.push({ location: src.locateKey('/plugin'), pointer: '/plugin', message: `this is the configuration of the inventory plugin '${String(src.value.plugin)}', which quorum does not run: write its output to a file with \`ansible-inventory -i ${src.file} --list -y > inventory.yaml\` and use that` });
    return;
  }
  const decrypted = new Set<string>();
  const tagged = resolveLocalTags(src, draft.vaultPassword, decrypted);
  if (tagged.length > 0) {
    draft.problems.push(...tagged);
    return;
  }
  // Nothing of a vault file's text goes to the output, not even a yes/no.
  if (!wholeFileVaulted) draft.warnings.push(...yaml11Warnings(src));
  readYamlInventory(draft, src, wholeFileVaulted ? 'all' : decrypted);
}

function parseYaml(draft: InventoryDraft, file: string, text: string): YamlSource | undefined {
  try {
    return parseYamlText(file, text);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    draft.problems.push(...err.problems);
    return undefined;
  }
}

function tryYaml(file: string, text: string): YamlSource | undefined {
  try {
    const src = parseYamlText(file, text);
    return isRecord(src.value) && Object.keys(src.value).length > 0 ? src : undefined;
  } catch {
    return undefined;
  }
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
