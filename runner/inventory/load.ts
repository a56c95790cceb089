/**
 * Load the inventory of a run as Ansible loads it: every `-i` source in order (YAML and INI
 * files, directories, comma lists; sources.ts), then group_vars/ and host_vars/ beside each
 * source and beside the playbook (vars-dirs.ts), merged with Ansible's precedence (resolve.ts).
 * Every problem of every source is reported at once with file:line:col, before any host is
 * touched; what is read but not used is named in `warnings`.
 */
import { dirname, resolve } from 'node:path';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { parseYamlText } from '../load/yaml.js';
import { InventoryDraft } from './draft.js';
import { resolveInventory, type VarsDirs } from './resolve.js';
import { readSource, type ReadSource } from './sources.js';
import { loadVarsDir } from './vars-dirs.js';
import { readYamlInventory } from './yaml-source.js';
import type { Inventory, InventoryGroup, InventoryHost } from './types.js';

export interface InventoryLoadOptions {
  /** Directory of the playbook: its group_vars/ and host_vars/ apply too (Ansible's playbook dir). */
  playbookDir?: string;
  /** Decrypts `!vault` values and vault-encrypted files (--vault-password-file); without it they are refused. */
  vaultPassword?: string;
}

/**
 * Read, validate and resolve the inventory of these sources (as given with -i).
 * @throws ConfigError listing every problem with file:line:col
 */
export function loadInventorySources(sources: readonly string[], options: InventoryLoadOptions = {}): Inventory {
  const draft = new InventoryDraft(options.vaultPassword);
  const read: ReadSource[] = sources.map((source) => readSource(draft, source));
  return finish(draft, read, sources, options);
}

/** One inventory file or directory (tests, and the API of earlier versions). */
export function loadInventory(file: string, options: InventoryLoadOptions = {}): Inventory {
  return loadInventorySources([file], options);
}

/** A YAML inventory from text (tests, inventories given inline); no vars directories. */
export function parseInventory(file: string, text: string): Inventory {
  const draft = new InventoryDraft();
  readYamlInventory(draft, parseYamlText(resolve(file), text));
  throwProblems(draft.problems);
  draft.reconcile();
  return resolveInventory(draft, { inventory: [] }, { file: resolve(file), sources: [file], warnings: [] }, true);
}

/** The inventory of a run without -i: one `localhost` that runs commands on the controller. */
export function implicitLocalInventory(): Inventory {
  const vars = { ansible_connection: 'local' };
  const host: InventoryHost = { name: 'localhost', vars, groups: ['all', 'ungrouped'] };
  const group = (name: string, children: string[]): InventoryGroup => ({ name, hosts: ['localhost'], children, vars: {} });
  return {
    hosts: new Map([['localhost', host]]),
    // Unlike Ansible's implicit localhost, it is in `all`: `hosts: all` without -i means "here".
    groups: new Map([
      ['all', group('all', ['ungrouped'])],
      ['ungrouped', group('ungrouped', [])],
    ]),
  };
}

function finish(draft: InventoryDraft, read: ReadSource[], sources: readonly string[], options: InventoryLoadOptions): Inventory {
  throwProblems(draft.problems);
  draft.reconcile();
  const names = { groups: [...draft.groups.keys()], hosts: [...draft.hosts.keys()] };
  const problems: ConfigProblem[] = [];
  const warnings = [...draft.warnings];
  // Ansible reads the vars directories beside each file source, inside each directory source.
  const bases: string[] = [];
  for (const source of read) {
    if (!source.path) continue;
    const base = source.isDirectory ? source.path : dirname(source.path);
    if (!bases.includes(base)) bases.push(base);
  }
  const dirs: VarsDirs = { inventory: bases.map((base) => loadVarsDir(base, names, problems, warnings, options.vaultPassword)) };
  const playbookDir = options.playbookDir ? resolve(options.playbookDir) : undefined;
  // The playbook's directory counts once: beside the inventory, it is already read as such.
  if (playbookDir && !bases.includes(playbookDir)) dirs.playbook = loadVarsDir(playbookDir, names, problems, warnings, options.vaultPassword);
  throwProblems(problems);
  const file = read.flatMap((s) => s.files)[0];
  return resolveInventory(draft, dirs, { ...(file ? { file } : {}), sources: [...sources], warnings }, true);
}

function throwProblems(problems: ConfigProblem[]): void {
  if (problems.length === 0) return;
  throw new ConfigError([...problems].sort(compareLocations));
}

function compareLocations(a: ConfigProblem, b: ConfigProblem): number {
  return (
    (a.location?.file ?? '').localeCompare(b.location?.file ?? '') ||
    (a.location?.line ?? 0) - (b.location?.line ?? 0) ||
    (a.location?.col ?? 0) - (b.location?.col ?? 0)
  );
}
