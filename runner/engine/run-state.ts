/**
 * The state of one run: options, the inventory, and per host its connection, facts, runtime
 * variables (registered results, set_fact) and whether it is still in the play.
 */
import type { Connection } from '../connection/types.js';
import type { ToolVersionCache } from '../facts/version-cache.js';
import type { ChangeEpoch, HostFactCache } from '../facts/cache.js';
import type { Inventory } from '../inventory/types.js';
import type { Play, Playbook } from '../playbook.js';
import type { HostRecap, Reporter } from '../report/events.js';

/** What the user asked for on the command line (or a test, programmatically). */
export interface RunOptions {
  playbookFile: string;
  /** Inventory file; without one, the implicit `localhost` inventory. */
  inventoryFile?: string;
  /** Inventory sources in order (-i, repeatable); when set, inventoryFile is not used. */
  inventorySources?: string[];
  /** File holding the Ansible Vault password that decrypts the inventory's vault values. */
  vaultPasswordFile?: string;
  check: boolean;
  diff: boolean;
  /** `--limit` host pattern. */
  limit?: string;
  tags?: string[];
  skipTags?: string[];
  /** `-e`: highest precedence. */
  extraVars: Record<string, unknown>;
  /** --roles-path directories, in order (the environment's come after them: engine.ts). */
  rolesPath?: string[];
  /** Parallel hosts per task. */
  forks: number;
  hostKeyPolicy: 'strict' | 'accept-new' | 'off';
  connectTimeoutMs: number;
  becomePassword?: string;
  verbosity: number;
  reporter: Reporter;
  signal?: AbortSignal;
  /** `--check --detailed-exitcode`: exit 10 when changes are pending. */
  detailedExitCode?: boolean;
}

/** One inventory host during the run. */
export interface HostState {
  name: string;
  /** Opened on first use, kept for the whole run. */
  conn?: Connection;
  facts?: HostFactCache;
  /** The play whose paths were last read ahead on this host (strategy/prefetch.ts). */
  pathsReadFor?: Play;
  /** `facts.*` of the playbook, once gathered. */
  hostFacts?: Record<string, unknown>;
  /** Registered results and set_fact values: above play vars, below extra vars. */
  runtimeVars: Record<string, unknown>;
  /** Failed in this play: skipped by later tasks (reset per play, as in Ansible). */
  failed: boolean;
  /** Could not be reached: out for the rest of the run. */
  unreachable: boolean;
  /** Handlers (by name or listen topic) notified and not yet run. */
  notified: Set<string>;
}

export interface RunState {
  options: RunOptions;
  inventory: Inventory;
  playbook: Playbook;
  hosts: Map<string, HostState>;
  /** Set by Ctrl-C: no new task starts. */
  interrupted: boolean;
  /** Set when a play's failure policy stopped it (any_errors_fatal, max_fail_percentage): no later play runs. */
  stoppedBy?: string;
  /** Some task would change something (check mode) or changed something. */
  anyChange: boolean;
  /** PLAY RECAP counts per host, across plays. */
  recap: Map<string, HostRecap>;
  /** Changes applied so far, on any host: every host's fact cache forgets at each (facts/cache.ts). */
  changeEpoch: ChangeEpoch;
  /** Tool versions remembered between runs (facts/version-cache.ts), loaded at the first gathering. */
  toolVersions?: ToolVersionCache;
}

export function emptyRecap(): HostRecap {
  return { ok: 0, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
}

export function createHostState(name: string): HostState {
  return { name, runtimeVars: {}, failed: false, unreachable: false, notified: new Set() };
}
