/**
 * The core vocabulary of quorum: modules, their plans and changes, facts, task outcomes.
 *
 * A module is gather -> plan -> apply (architecture.md, decision 5):
 *   gather(ctx, params)  only reads (facts), over the host's connection;
 *   plan(params, facts)  is pure and returns the changes that would close the gap;
 *   one generic applier (runner/plan/apply.ts) runs the changes.
 * Check mode is gather + plan, never apply, so modules never branch on check mode.
 */
import type { Connection } from './connection/types.js';
import type { Requirement } from './connection/preconditions.js';
import type { Secret } from './secret.js';

/** Bytes for a `put`, possibly produced lazily (a thunk is only called at apply time). */
export type PutContent = Uint8Array | Secret | (() => Promise<Uint8Array | Secret>);

/** One step that changes a host. Every change says in words what it does (`describe`). */
export type Change =
  | {
      kind: 'exec';
      /** argv (quoted by the connection) or a shell script. */
      command: readonly string[] | string;
      describe: string;
      stdin?: string | Uint8Array | Secret;
      cwd?: string;
      env?: Record<string, string>;
      /** Exit codes that count as success (default [0]). */
      okExitCodes?: number[];
      /** Checked on the host in the same command, before it runs (connection/preconditions.ts). */
      requires?: readonly Requirement[];
    }
  | {
      kind: 'put';
      dest: string;
      content: PutContent;
      describe: string;
      mode?: string;
      owner?: string;
      group?: string;
      /** Checked on the host in the same command, before anything is written. */
      requires?: readonly Requirement[];
    }
  | {
      kind: 'call';
      describe: string;
      /** Escape hatch for steps that are neither a command nor a file (rare). */
      run(ctx: ModuleContext): Promise<Record<string, unknown> | void>;
    };

/** A before/after pair shown by `--diff`. Secret diffs show only that something changed. */
export interface Diff {
  /** What the diff is about: a path, "attributes of /etc/x", "unit etcd.service". */
  label: string;
  before: string;
  after: string;
  /** Content is secret: the reporter prints "(secret content changed)" instead. */
  secret?: boolean;
}

/** What a module's plan says about one (task, host). */
export interface Plan {
  changes: Change[];
  /** Required when `changes` is empty: why nothing needs doing (shown with -v). */
  noop?: string;
  diffs?: Diff[];
  /** Data registered with `register:` (merged with `changed`, `failed`, `msg`...). */
  result?: Record<string, unknown>;
  /** The module decided the task fails (e.g. assert, etcd-health): the message says why. */
  failed?: string;
  /** Free-text message for the report (debug's msg, a warning). */
  msg?: string;
  /**
   * Check mode only: the plan cannot tell what applying would do (command without
   * creates/removes). The executor reports the task as skipped ("cannot predict").
   */
  unpredictable?: string;
}

/** Context a module sees; the same for gather and for `call` changes. */
export interface ModuleContext {
  /** The host this task runs on (after delegate_to, the host the connection reaches). */
  host: string;
  /** The inventory host the task is for (differs from `host` with delegate_to). */
  inventoryHost: string;
  conn: Connection;
  /** Run commands as root. */
  become: boolean;
  /**
   * With become: run `exec` changes as this user instead of root (Ansible's become_user). Other
   * changes (file writes) cannot be made as another user: the applier refuses them.
   */
  becomeUser?: string;
  /** Exported to every `exec` change of the task, under the change's own env (environment keyword). */
  environment?: Record<string, string>;
  /** Host facts cache: fact parsers run once per host and run, cleared after a change. */
  facts: FactCache;
  /** All variables visible to the task (for modules that need them, e.g. etcd-health defaults). */
  vars: Readonly<Record<string, unknown>>;
  /** True in --check: only for read-only modules that must not be fooled (never to skip work). */
  checkMode: boolean;
  /** Directory of the playbook: relative controller paths (src, template, dir) resolve here. */
  playbookDir: string;
  /**
   * Directory of the role the task belongs to, if any: relative `src`/`template` paths are
   * looked for in its files/ and templates/ first (runner/files/controller-files.ts resolveControllerFile).
   */
  roleDir?: string;
  /** Render a handlebars template with the task's variables (strict, no escaping). */
  render(template: string, sourceName?: string): string;
  /** Abort signal of the run (Ctrl-C). */
  signal?: AbortSignal;
  /**
   * Inventory hosts this run has marked unreachable (SSH failed), as of this attempt. Run state,
   * not a variable: Ansible's magic variables cannot tell a host that failed a task (still
   * reachable) from one that cannot be reached, and etcd-health must name only the latter.
   */
  unreachableHosts?: readonly string[];
  /**
   * Say that a wait inside the module goes on (wait_for's polls, apt waiting for the dpkg
   * lock): reported as the task's
   * `task:retry` events, so a long wait is never silent. Absent where nobody listens (tests).
   */
  reportWait?(wait: WaitReport): void;
}

/** One poll of a module's wait that did not succeed yet (ModuleContext.reportWait). */
export interface WaitReport {
  /** The poll that just failed, from 1. */
  attempt: number;
  /** Polls still possible before the timeout. */
  retriesLeft: number;
  /** Seconds until the next poll. */
  delaySeconds: number;
  /** What is awaited and what the poll saw. */
  msg: string;
}

/** A fact: a shell command and a pure parser of its output. */
export interface Fact<T, A = void> {
  /** Unique name; the cache key is name + JSON of args. */
  name: string;
  command(args: A): string;
  parse(output: { stdout: string; stderr: string; exitCode: number }, args: A): T;
  /** Run as root. */
  sudo?: boolean;
  /**
   * A shell condition that holds on the host while the fact would still read `value`, or
   * undefined when that cannot be told without reading it again. It lets a task plan from an
   * answer read before a later change and check, in the same command as its first change, that
   * the answer still holds (facts/kept-reads.ts). It must run only shell builtins and tools the
   * fact's own command runs, print nothing that matters and change nothing.
   */
  guard?(args: A, value: T): string | undefined;
}

export interface FactCache {
  get<T, A>(fact: Fact<T, A>, args: A): Promise<T>;
  /**
   * An answer read before a change applied since (so it may be stale), when the cache still
   * holds one that was read in full, for a fact that has a guard; else undefined. `get` never
   * returns such an answer: it reads the fact again.
   */
  kept?<T, A>(fact: Fact<T, A>, args: A): { value: T } | undefined;
  /** Forget every cached fact of this host (called after any change on it). */
  clear(): void;
}

/** Module capabilities, declared, not guessed. */
export interface ModuleFlags {
  /** Never changes anything: runs in check mode too (etcd-health, assert, debug). */
  readOnly?: boolean;
  /** The module cannot predict its effect: in check mode it is skipped, as in Ansible. */
  checkMode?: 'supported' | 'unsupported';
  /** Not idempotent by nature; the reason is shown in the report (pyinfra's notice). */
  notIdempotent?: string;
  /** Runs on the controller regardless of the host (set_fact, debug, assert). */
  controllerOnly?: boolean;
}

/** Documentation that is not in the schema: examples and registered return values. */
export interface ModuleDocs {
  /** YAML of one or more example tasks; a test validates each against the schema. */
  examples: string;
  /** Keys of the registered result, with a one-line description each. */
  returns?: Record<string, string>;
  /** Anything a user must know (what was not tested for real, platform notes). */
  notes?: string[];
}

/**
 * A module definition. `P` is the validated parameter type (derived from `schema`), `F` what
 * gather returns. Registered in modules/index.ts, the only list of modules.
 */
export interface ModuleDefinition<P = any, F = any> {
  name: string;
  /** One line, shown by `quorum doc`. */
  summary: string;
  /** JSON Schema (draft 2020-12 subset ajv supports) for the parameters; `description` on every property. */
  schema: Record<string, unknown>;
  /** Parameter names whose values are secret: masked in output, diffs and registered results. */
  secretParams?: string[];
  flags?: ModuleFlags;
  docs: ModuleDocs;
  /**
   * The paths whose `pathState` this module's gather reads, from the task's arguments as written
   * (templates not rendered yet). The strategy reads the paths of a whole play in one command per
   * host while facts are gathered (strategy/prefetch.ts); a guess that turns out wrong costs one
   * stat, since only a read of exactly that path, with the same privilege, uses it.
   */
  inspectsPaths?(args: Record<string, unknown>): unknown[];
  /**
   * Facts this module's gather reads (the installed packages, for apt), read ahead with the play's
   * paths while facts are gathered, each once per host and privilege (strategy/prefetch.ts), so
   * the first task finds them in the cache. Only a saving: a fact that fails there is read again
   * by the task.
   */
  readsAhead?(args: Record<string, unknown>): Array<{ fact: Fact<unknown, any>; args: unknown }>;
  /**
   * Rules on argument values that need no host (kubeadm's node-name rule, say). Run before any
   * host is touched (runner/load/host-args-check.ts) for each host of the play whose arguments
   * render without facts or registered results, so a bad value is an input error (exit 5) with
   * the place it was written; `plan` should apply the same rule for values known only later.
   */
  checkArgs?(params: P, inventoryHost: string): ArgProblem[];
  /** Read the current state. Must not change anything. */
  gather(ctx: ModuleContext, params: P): Promise<F>;
  /** Compare wanted with current; pure. */
  plan(params: P, facts: F, ctx: PlanContext): Plan;
}

/** One argument value a module refuses (ModuleDefinition.checkArgs). */
export interface ArgProblem {
  /** The argument the value is for. */
  param: string;
  /** What is wrong and what to write instead. */
  message: string;
  /** A value that would be accepted, when there is one. */
  suggestion?: string;
  /** The argument was not given: its value is the default, the inventory host's name. */
  defaultedToHostName?: boolean;
}

/** What `plan` may know beyond params and facts (pure data, no I/O). */
export interface PlanContext {
  host: string;
  inventoryHost: string;
  checkMode: boolean;
}

export type TaskStatus = 'ok' | 'changed' | 'failed' | 'skipped' | 'unreachable';

/** The outcome of one task on one host: a value, never an exception. */
export interface TaskResult {
  status: TaskStatus;
  /** What the changes said they do (planned in check mode, applied otherwise). */
  changes: string[];
  diffs: Diff[];
  /** Registered data: module result plus changed/failed/skipped/msg/rc/stdout... */
  result: Record<string, unknown>;
  msg?: string;
  /** Failure ignored by ignore_errors. */
  ignored?: boolean;
  /** Failure handled by a rescue section. */
  rescued?: boolean;
  durationMs: number;
}
