/**
 * A run, start to end: load and validate everything (no host is touched while any error
 * stands), then the plays in order with the linear strategy, then the recap and exit code.
 */
import { dirname, resolve } from 'node:path';
import type { RunOptions, RunState } from './run-state.js';
import type { HostRecap } from '../report/events.js';
import type { Inventory } from '../inventory/types.js';
import type { Playbook } from '../playbook.js';
import { createHostState, emptyRecap } from './run-state.js';
import { loadInventorySources, implicitLocalInventory } from '../inventory/load.js';
import { selectHosts } from '../inventory/patterns.js';
import { connectionSpec, inventoryDirOf } from '../inventory/connection-spec.js';
import { loadPlaybook } from '../load/playbook.js';
import { staticCheck, collectDefinedByTasks, MAGIC_VARS } from '../load/static-check.js';
import { checkInventoryTemplates } from '../inventory/template-check.js';
import { normalizeConnectionVars } from '../inventory/connection-vars.js';
import { vaultPasswordOf } from '../inventory/vault.js';
import { checkDelegateTargets } from '../load/delegate-check.js';
import { checkHostArgs } from '../load/host-args-check.js';
import { runPlay } from '../strategy/linear.js';
import { closeAll } from '../executor/connect-host.js';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { exitCodeOf } from '../exit-codes.js';
import { slicePlayHosts, type Slice } from './slice.js';

export interface RunSummary {
  exitCode: number;
  recap: Record<string, HostRecap>;
  changesPending: boolean;
  interrupted: boolean;
  durationMs: number;
}

/** Everything a run needs, loaded and checked; throws ConfigError listing every problem. */
export interface PreparedRun {
  inventory: Inventory;
  playbook: Playbook;
  /** Hosts of each play, in play order. */
  playHosts: string[][];
}

export function prepareRun(options: Pick<RunOptions, 'playbookFile' | 'inventoryFile' | 'inventorySources' | 'vaultPasswordFile' | 'extraVars' | 'limit' | 'rolesPath'> & { slice?: Slice }): PreparedRun {
  const sources = options.inventorySources ?? (options.inventoryFile ? [options.inventoryFile] : []);
  const vaultPassword = options.vaultPasswordFile ? vaultPasswordOf(options.vaultPasswordFile) : undefined;
  const inventory =
    sources.length > 0
      ? loadInventorySources(sources, { playbookDir: dirname(resolve(options.playbookFile)), ...(vaultPassword !== undefined ? { vaultPassword } : {}) })
      : implicitLocalInventory();
  const playbook = loadPlaybook(resolve(options.playbookFile), { extraVars: options.extraVars, rolesPath: rolesPathOf(options.rolesPath ?? []) });
  const known = new Set<string>(Object.keys(options.extraVars));
  for (const host of inventory.hosts.values()) for (const key of Object.keys(host.vars)) known.add(key);
  const problems = normalizeConnectionVars(inventory);
  problems.push(...staticCheck(playbook, known), ...checkDelegateTargets(playbook, new Set(inventory.hosts.keys())));
  // Templates in inventory variables may name play variables and what tasks register too.
  const templateScope = new Set([...MAGIC_VARS, ...known, ...collectDefinedByTasks(playbook), ...playbook.plays.flatMap((p) => [...Object.keys(p.vars), ...Object.keys(p.defaults)])]);
  problems.push(...checkInventoryTemplates(inventory, templateScope));
  if (problems.length > 0) throw new ConfigError(problems);
  const selected = playbook.plays.map((play) => selectHosts(inventory, play.hosts, options.limit, play.location));
  // --slice K/N: this machine's share of the selected hosts (runner/engine/slice.ts).
  const playHosts = options.slice ? slicePlayHosts(selected, options.slice) : selected;
  // Ansible's implicit localhost joins the run's hosts only when a play names it.
  if (inventory.implicitLocalhost && playHosts.some((hosts) => hosts.includes('localhost'))) inventory.hosts.set('localhost', inventory.implicitLocalhost);
  checkConnectionVars(inventory, playHosts);
  // Values a module refuses whatever the host (kubeadm's node names), from the vars alone.
  const argProblems = checkHostArgs(inventory, playbook, playHosts, options.extraVars);
  if (argProblems.length > 0) throw new ConfigError(argProblems);
  return { inventory, playbook, playHosts };
}

/**
 * Where roles are looked for after roles/ beside the playbook: --roles-path in order, then
 * QUORUM_ROLES_PATH, then ANSIBLE_ROLES_PATH (both colon-separated, as Ansible's), so roles
 * installed for Ansible are found as they are.
 */
export function rolesPathOf(cli: string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = (name: string) => (env[name] ?? '').split(':').filter((dir) => dir !== '');
  return [...cli, ...fromEnv('QUORUM_ROLES_PATH'), ...fromEnv('ANSIBLE_ROLES_PATH')];
}

/**
 * Connection variables of every selected host, checked now (types, ports, jump hosts) so that a
 * wrong one is an input error before any host is touched, not an unreachable host mid-run.
 */
function checkConnectionVars(inventory: Inventory, playHosts: string[][]): void {
  const problems: ConfigProblem[] = [];
  const inventoryDir = inventoryDirOf(inventory);
  for (const name of new Set(playHosts.flat())) {
    const host = inventory.hosts.get(name);
    if (!host) continue;
    try {
      connectionSpec(host, { hostKeyPolicy: 'strict', connectTimeoutMs: 1, inventoryDir });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
}

export async function runPlaybook(options: RunOptions, prepared: PreparedRun = prepareRun(options)): Promise<RunSummary> {
  const started = performance.now();
  const { inventory, playbook, playHosts } = prepared;
  const state: RunState = {
    options,
    inventory,
    playbook,
    hosts: new Map([...inventory.hosts.keys()].map((name) => [name, createHostState(name)])),
    interrupted: false,
    changeEpoch: { value: 0 },
    anyChange: false,
    recap: new Map(),
  };
  const onAbort = () => {
    state.interrupted = true;
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const { reporter } = options;
  const allHosts = [...new Set(playHosts.flat())];
  for (const h of allHosts) state.recap.set(h, emptyRecap());
  reporter.emit({ kind: 'run:start', playbook: playbook.file, check: options.check, diff: options.diff, hosts: allHosts });
  try {
    for (const [i, play] of playbook.plays.entries()) {
      if (state.interrupted) break;
      const hosts = playHosts[i]!;
      reporter.emit({ kind: 'play:start', play: play.name ?? play.hosts, hosts });
      if (hosts.length === 0) {
        reporter.emit({ kind: 'warning', message: `play '${play.name ?? play.hosts}': no hosts matched '${play.hosts}'` });
        continue;
      }
      await runPlay(state, play, hosts);
      // As in Ansible, any_errors_fatal (or max_fail_percentage) takes every host of the play
      // out of the run: later plays (a rolling restart after a failed join) must not start.
      if (state.stoppedBy) {
        const rest = playbook.plays.slice(i + 1).map((p) => p.name ?? p.hosts);
        if (rest.length > 0) reporter.emit({ kind: 'warning', message: `${state.stoppedBy}: the run ends here; not run: ${rest.join(', ')}` });
        break;
      }
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    await closeAll(state);
  }
  const recap = Object.fromEntries(state.recap);
  const changesPending = options.check && state.anyChange;
  const exitCode = exitCodeOf({ recap, interrupted: state.interrupted, changesPending, detailed: options.detailedExitCode ?? false });
  const durationMs = performance.now() - started;
  reporter.emit({ kind: 'run:end', recap, durationMs, exitCode, changesPending, interrupted: state.interrupted });
  await reporter.close?.();
  return { exitCode, recap, changesPending, interrupted: state.interrupted, durationMs };
}
