/**
 * The per-host fact cache: each fact runs once per (name, arguments) until a change is applied
 * on the host, which clears it (later tasks must never see state from before their change).
 */
import type { Connection } from '../connection/types.js';
import type { Fact, FactCache } from '../types.js';

/**
 * A cache over `conn`. With `sudo`, every fact runs as root (the task uses become); otherwise
 * only facts that declare `sudo: true` do. Concurrent gets of the same key share one command;
 * a transport failure is not cached, so the next get tries again.
 */
export function createFactCache(conn: Connection, opts: { sudo: boolean }): FactCache {
  const memo = new Map<string, Promise<unknown>>();
  return {
    get<T, A>(fact: Fact<T, A>, args: A): Promise<T> {
      const key = `${fact.name}\0${JSON.stringify(args) ?? ''}`;
      const hit = memo.get(key);
      if (hit) return hit as Promise<T>;
      const pending = runFact(conn, fact, args, opts.sudo || fact.sudo === true);
      memo.set(key, pending);
      pending.catch(() => {
        if (memo.get(key) === pending) memo.delete(key);
      });
      return pending;
    },
    clear(): void {
      memo.clear();
    },
  };
}

async function runFact<T, A>(conn: Connection, fact: Fact<T, A>, args: A, sudo: boolean): Promise<T> {
  const r = await conn.exec(fact.command(args), { sudo });
  return fact.parse({ stdout: r.stdout.toString(), stderr: r.stderr.toString(), exitCode: r.exitCode }, args);
}
