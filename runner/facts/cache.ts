/**
 * The per-host fact cache: each fact runs once per (name, arguments, privilege) until a change
 * is applied; after it, `get` reads the fact again (later tasks must never see state from before
 * a change as if it were current). A fact read as the login user and the same fact read as root
 * are different entries: the login user may not see a root-only path at all.
 *
 * A change applied to any host ends what every host of the run read before it (they share one
 * ChangeEpoch): a task on one host may change another (a command that copies files to its
 * peers, a member that rewrites cluster state), and paths are read ahead for the whole play
 * (strategy/prefetch.ts). A run that changes nothing, a re-run, keeps everything it read.
 *
 * What was read before a change is not thrown away when its fact has a guard (Fact.guard): a
 * task may plan from it through `kept`, and its first change then checks on the host, in the
 * same command, that the answer still holds (facts/kept-reads.ts). That spares a changing task
 * the round trip of reading its path again after the previous task's change.
 */
import type { Connection } from '../connection/types.js';
import type { Fact, FactCache } from '../types.js';

/** Counts the changes applied in a run, on any host; shared by every host's cache. */
export interface ChangeEpoch {
  value: number;
}

/** A host's facts, read as the login user or as root as each task's `become` says. */
export interface HostFactCache {
  /** The cache a task uses: facts run as root when it becomes (or when the fact says so). */
  forTask(become: boolean): FactCache;
  /** The run's change count now: what was read before a later change must not be stored. */
  readonly generation: number;
  /**
   * Store a fact read ahead by other means (many paths in one command: strategy/prefetch.ts), as
   * if `forTask(become).get(fact, args)` had read it, unless a change was applied since
   * `generation` (it may be stale) or the cache knows it already.
   */
  seed<T, A>(become: boolean, fact: Fact<T, A>, args: A, value: T, generation: number): void;
}

/**
 * Answers read before a change that the cache keeps for FactCache.kept, per host: the newest
 * ones. A re-run never needs them (it changes nothing); a first run needs the paths of the
 * tasks still to come, which the play's read-ahead bounds (strategy/prefetch.ts MAX_PATHS).
 */
const MAX_KEPT = 256;

/** One cached answer: the read (shared by concurrent gets), when it started, and its value once read. */
interface Entry {
  read: Promise<unknown>;
  /** The run's change count when the read started: after any later change the answer is only kept. */
  generation: number;
  fact: Fact<unknown, never>;
  done?: { value: unknown };
}

/**
 * The caches of one host over `conn`. Both views share one memo; concurrent gets of the same
 * key share one command; a transport failure is not cached, so the next get tries again.
 */
export function createHostFactCache(conn: Connection, epoch: ChangeEpoch = { value: 0 }): HostFactCache {
  const memo = new Map<string, Entry>();
  // Answers from before a change stay in the memo (get reads again, kept checks the guard) and
  // are pruned only when it grows past this: a first run on hundreds of hosts sees a change per
  // host and task, and walking the memo at each one cost more than the reads it saves.
  let pruneAt = 2 * MAX_KEPT;
  const prune = () => {
    let keep = MAX_KEPT;
    for (const [key, entry] of [...memo].reverse()) {
      if (entry.generation === epoch.value) continue;
      if (entry.fact.guard === undefined || entry.done === undefined || keep-- <= 0) memo.delete(key);
    }
    pruneAt = Math.max(2 * MAX_KEPT, 2 * memo.size);
  };
  const store = (key: string, fact: Fact<unknown, never>, read: Promise<unknown>, generation: number) => {
    const entry: Entry = { read, generation, fact };
    memo.delete(key); // re-inserted last: the newest answers are the ones kept
    memo.set(key, entry);
    if (memo.size > pruneAt) prune();
    read.then(
      (value) => (entry.done = { value }),
      () => {
        if (memo.get(key) === entry) memo.delete(key);
      },
    );
  };
  const keyOf = (fact: Fact<unknown, never>, sudo: boolean, args: unknown) => `${fact.name}\0${sudo ? 'root' : 'user'}\0${JSON.stringify(args) ?? ''}`;
  const view = (become: boolean): FactCache => ({
    get<T, A>(fact: Fact<T, A>, args: A): Promise<T> {
      const sudo = become || fact.sudo === true;
      const key = keyOf(fact as Fact<unknown, never>, sudo, args);
      const hit = memo.get(key);
      if (hit && hit.generation === epoch.value) return hit.read as Promise<T>;
      const pending = runFact(conn, fact, args, sudo);
      store(key, fact as Fact<unknown, never>, pending, epoch.value);
      return pending;
    },
    kept<T, A>(fact: Fact<T, A>, args: A): { value: T } | undefined {
      if (fact.guard === undefined) return undefined;
      const hit = memo.get(keyOf(fact as Fact<unknown, never>, become || fact.sudo === true, args));
      return hit && hit.generation !== epoch.value ? (hit.done as { value: T } | undefined) : undefined;
    },
    clear(): void {
      epoch.value++;
    },
  });
  const asUser = view(false);
  const asRoot = view(true);
  return {
    forTask: (become) => (become ? asRoot : asUser),
    get generation() {
      return epoch.value;
    },
    seed(become, fact, args, value, since) {
      const key = keyOf(fact as Fact<unknown, never>, become || fact.sudo === true, args);
      const hit = memo.get(key);
      if (since === epoch.value && !(hit && hit.generation === epoch.value)) store(key, fact as Fact<unknown, never>, Promise.resolve(value), since);
    },
  };
}

/** One view of a fresh host cache: every fact as root with `sudo`, else only facts that ask. */
export function createFactCache(conn: Connection, opts: { sudo: boolean }): FactCache {
  return createHostFactCache(conn).forTask(opts.sudo);
}

async function runFact<T, A>(conn: Connection, fact: Fact<T, A>, args: A, sudo: boolean): Promise<T> {
  const r = await conn.exec(fact.command(args), { sudo });
  // Output cut in the middle (connection/capped-output.ts) would parse into wrong facts.
  if (r.dropped) throw new Error(`${fact.name}: the host printed more than quorum keeps of a command's output (${r.dropped.stdout + r.dropped.stderr} bytes dropped)`);
  return fact.parse({ stdout: r.stdout.toString(), stderr: r.stderr.toString(), exitCode: r.exitCode }, args);
}
