/**
 * The per-host fact cache: each fact runs once per (name, arguments, privilege) until a change
 * is applied on the host, which clears it (later tasks must never see state from before their
 * change). A fact read as the login user and the same fact read as root are different entries:
 * the login user may not see a root-only path at all.
 */
import type { Connection } from '../connection/types.js';
import type { Fact, FactCache } from '../types.js';

/** A host's facts, read as the login user or as root as each task's `become` says. */
export interface HostFactCache {
  /** The cache a task uses: facts run as root when it becomes (or when the fact says so). */
  forTask(become: boolean): FactCache;
}

/**
 * The caches of one host over `conn`. Both views share one memo: a change applied through
 * either clears what both know. Concurrent gets of the same key share one command; a transport
 * failure is not cached, so the next get tries again.
 */
export function createHostFactCache(conn: Connection): HostFactCache {
  const memo = new Map<string, Promise<unknown>>();
  const view = (become: boolean): FactCache => ({
    get<T, A>(fact: Fact<T, A>, args: A): Promise<T> {
      const sudo = become || fact.sudo === true;
      const key = `${fact.name}\0${sudo ? 'root' : 'user'}\0${JSON.stringify(args) ?? ''}`;
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
      memo.clear();
    },
  });
  const asUser = view(false);
  const asRoot = view(true);
  return { forTask: (become) => (become ? asRoot : asUser) };
}

/** One view of a fresh host cache: every fact as root with `sudo`, else only facts that ask. */
export function createFactCache(conn: Connection, opts: { sudo: boolean }): FactCache {
  return createHostFactCache(conn).forTask(opts.sudo);
}

async function runFact<T, A>(conn: Connection, fact: Fact<T, A>, args: A, sudo: boolean): Promise<T> {
  const r = await conn.exec(fact.command(args), { sudo });
  return fact.parse({ stdout: r.stdout.toString(), stderr: r.stderr.toString(), exitCode: r.exitCode }, args);
}
