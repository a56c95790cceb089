/**
 * Reading ahead: while a host's facts are gathered, the paths that the play's `file` tasks will
 * inspect are read in one command (facts/path-state-batch.ts) and stored in the host's fact
 * cache. A task then finds its path there instead of running stat and sha256sum itself, so a
 * re-run (nothing to change) costs the host a handful of processes for the whole play instead
 * of one or two per task: pyinfra reads facts ahead the same way, for the same reason.
 *
 * It never gives a task an answer staler than the cache already could: after any change applied
 * to any host of the run, a task uses what was read ahead only through facts/kept-reads.ts (its
 * first change checks on the host that the path is still as read, else it reads again), a change
 * made while the batch runs stops it from being stored (the cache's generation), and a task whose
 * path or privilege differs from the guess reads its own. Guesses come only from what is known before
 * the play starts: tasks without a loop or a delegate, whose path renders with the play's
 * variables. Plays without facts read ahead before a host's first task instead.
 *
 * Modules may also name whole facts they will read (ModuleDefinition.readsAhead: apt's installed
 * packages); these are read at the same moment, once per host and privilege, through the cache.
 */
import type { Play, TaskItem, TaskKeywords } from '../playbook.js';
import type { HostState, RunState } from '../engine/run-state.js';
import type { HostFactCache } from '../facts/cache.js';
import type { Connection } from '../connection/types.js';
import type { Fact } from '../types.js';
import { pathState } from '../facts/path-state.js';
import { buildPathStatesScript, parsePathStates } from '../facts/path-state-batch.js';
import { getModule } from '../../modules/index.js';
import { buildTaskVars, type RoleLayers, type SharedVars } from '../vars/task-vars.js';
import { renderValue } from '../lang/template.js';
import { becomeFor } from '../executor/become.js';
import { selectedByTags } from './tags.js';

/** More paths than this in one play are left to their tasks: the script stays small. */
const MAX_PATHS = 200;

interface Scope {
  keywords: TaskKeywords;
  varsScopes: Array<Record<string, unknown> | undefined>;
  tags: string[];
  /** The role layers (runner/vars/task-vars.ts) of a role's tasks and of included tasks. */
  role: RoleLayers;
}

/** One guessed read: the path, and whether the task reads it as root. */
export interface PathGuess {
  path: string;
  become: boolean;
}

/** One fact a module says it will read (ModuleDefinition.readsAhead), with the task's privilege. */
export interface FactGuess {
  fact: Fact<unknown, any>;
  args: unknown;
  become: boolean;
}

/**
 * The paths the play's tasks will inspect on `host`, as far as they can be known now: every
 * task (blocks, rescue and always included) selected by the tags, with no loop or delegate,
 * whose module says which paths it inspects and whose path renders to an absolute path; and the
 * facts those same tasks' modules say they read (ModuleDefinition.readsAhead).
 */
export function guessReads(state: RunState, play: Play, shared: SharedVars, host: HostState): { paths: PathGuess[]; facts: FactGuess[] } {
  const guesses = new Map<string, PathGuess>();
  const factGuesses = new Map<string, FactGuess>();
  const visit = (items: TaskItem[], scope: Scope) => {
    for (const item of items) {
      const keywords: TaskKeywords = { ...scope.keywords, ...item.keywords };
      const tags = [...scope.tags, ...(item.keywords.tags ?? [])];
      if (item.kind === 'block') {
        const params = item.role || item.include ? { ...scope.role.params, ...item.role?.params, ...item.include?.params } : scope.role.params;
        const role: RoleLayers = item.role ? { defaults: item.role.defaults, vars: item.role.vars, ...(params ? { params } : {}) } : { ...scope.role, ...(params ? { params } : {}) };
        const inner: Scope = { keywords, varsScopes: [...scope.varsScopes, item.keywords.vars], tags, role };
        for (const section of [item.block, item.rescue, item.always]) visit(section, inner);
        continue;
      }
      if (keywords.loop !== undefined || keywords.delegate_to !== undefined || !selectedByTags(state.options, [...tags, ...(play.tags ?? [])])) continue;
      const module = getModule(item.module);
      const wanted = module?.inspectsPaths?.((item.args ?? {}) as Record<string, unknown>) ?? [];
      const facts = module?.readsAhead?.((item.args ?? {}) as Record<string, unknown>) ?? [];
      if (wanted.length === 0 && facts.length === 0) continue;
      const become = becomeFor(state, host.name, keywords.become ?? play.become);
      for (const f of facts) factGuesses.set(`${become}\0${f.fact.name}\0${JSON.stringify(f.args) ?? ''}`, { ...f, become });
      // Built only for a templated path, and once per task (command has two paths).
      let vars: Record<string, unknown> | undefined;
      const taskVars = () => (vars ??= buildTaskVars(state, play, shared, host, [...scope.varsScopes, item.keywords.vars], scope.role));
      for (const raw of wanted) {
        const path = renderPath(raw, taskVars);
        if (path !== undefined && guesses.size < MAX_PATHS) guesses.set(`${become}\0${path}`, { path, become });
      }
    }
  };
  visit(play.tasks, { keywords: {}, varsScopes: [], tags: [], role: {} });
  return { paths: [...guesses.values()], facts: [...factGuesses.values()] };
}

/** A path as the task will see it, or undefined when it cannot be known yet. */
function renderPath(raw: unknown, vars: () => Record<string, unknown>): string | undefined {
  if (typeof raw !== 'string') return undefined;
  let path = raw;
  if (raw.includes('{{')) {
    try {
      path = String(renderValue(raw, vars()));
    } catch {
      return undefined; // depends on something later tasks register: the task reads it itself
    }
  }
  return path.startsWith('/') ? path : undefined;
}

/**
 * Read the play's paths ahead on `host`, once per play: with the facts when the play gathers
 * them (gather.ts), else before the host's first task of the play (executor.ts), which would
 * have needed a round trip for its own path anyway. Never throws.
 */
export async function readAheadForPlay(state: RunState, play: Play, shared: SharedVars, host: HostState, conn: Connection, facts: HostFactCache): Promise<void> {
  if (host.pathsReadFor === play) return;
  host.pathsReadFor = play;
  let guesses: { paths: PathGuess[]; facts: FactGuess[] };
  try {
    guesses = guessReads(state, play, shared, host);
  } catch {
    return; // only a saving: each task reads its own path
  }
  await Promise.all([readPathsAhead(conn, facts, guesses.paths), readFactsAhead(facts, guesses.facts)]);
}

/**
 * Read the facts modules named ahead into the host's cache, all at once. Never throws: a fact
 * that fails is not cached (facts/cache.ts), so its task reads it again and reports the failure.
 */
export async function readFactsAhead(facts: HostFactCache, guesses: FactGuess[]): Promise<void> {
  await Promise.all(guesses.map((g) => facts.forTask(g.become).get(g.fact, g.args).catch(() => undefined)));
}

/**
 * Read the guessed paths in one command per privilege and store them in the host's fact cache.
 * Never throws and never reports: on any failure nothing is stored and every task reads its own.
 */
export async function readPathsAhead(conn: Connection, facts: HostFactCache, guesses: PathGuess[]): Promise<void> {
  for (const become of [true, false]) {
    const paths = guesses.filter((g) => g.become === become).map((g) => g.path);
    if (paths.length === 0) continue;
    const generation = facts.generation;
    try {
      const r = await conn.exec(scriptFor(paths), { sudo: become });
      // Output cut in the middle (connection/capped-output.ts) is not parsed: each task reads its own.
      if (r.exitCode !== 0 || r.dropped) continue;
      const states = parsePathStates(r.stdout.toString(), paths);
      states.forEach((value, i) => facts.seed(become, pathState, { path: paths[i]! }, value, generation));
    } catch {
      // A lost connection surfaces at the next task, with its own message.
    }
  }
}

let lastScript: { key: string; script: string } | undefined;

/**
 * The batch script for `paths`: every host of a play usually reads the same paths, so the
 * last script is kept and not built again for each host (a path never holds a NUL byte).
 */
function scriptFor(paths: readonly string[]): string {
  const key = paths.join('\0');
  if (lastScript?.key !== key) lastScript = { key, script: buildPathStatesScript(paths) };
  return lastScript.script;
}
