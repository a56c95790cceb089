/**
 * The per-host fact cache: each fact runs once per (name, arguments, privilege) until a change
 * is applied, which clears it (later tasks must never see state from before a change). A fact
 * read as the login user and the same fact read as root are different entries: the login user
 * may not see a root-only path at all.
 *
 * A change applied to any host clears the caches of every host of the run (they share one
 * ChangeEpoch): a task on one host may change another (a command that copies files to its
 * peers, a member that rewrites cluster state), and paths are read ahead for the whole play
 * (strategy/prefetch.ts). A run that changes nothing, a re-run, keeps everything it read.
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
 * The caches of one host over `conn`. Both views share one memo; concurrent gets of the same
 * key share one command; a transport failure is not cached, so the next get tries again.
 */
export function createHostFactCache(conn: Connection, epoch: ChangeEpoch = { value: 0 }): HostFactCache {
  const memo = new Map<string, Promise<unknown>>();
  let seen = epoch.value;
  // Forget what was read before a change applied anywhere in the run.
  const sync = () => {
    if (seen === epoch.value) return;
    memo.clear();
    seen = epoch.value;
  };
  const keyOf = (fact: Fact<unknown, never>, sudo: boolean, args: unknown) => `${fact.name}\0${sudo ? 'root' : 'user'}\0${JSON.stringify(args) ?? ''}`;
  const view = (become: boolean): FactCache => ({
    get<T, A>(fact: Fact<T, A>, args: A): Promise<T> {
      sync();
      const sudo = become || fact.sudo === true;
      const key = keyOf(fact, sudo, args);
      const hit = memo.get(key);
      if (hit) return hit as Promise<T>;
      const pending = runFact(conn, fact, args, sudo);
      memo.set(key, pending);
      pending.catch(() => {
        if (memo.get(key) === pending) memo.delete(key);
      });
      return pending;
    },
    clear(): void {
      epoch.value++;
      sync();
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
      sync();
      const key = keyOf(fact, become || fact.sudo === true, args);
      if (since === epoch.value && !memo.has(key)) memo.set(key, Promise.resolve(value));
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
