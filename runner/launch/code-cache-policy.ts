/**
 * When the launcher (runner/launch.ts) writes V8's code cache again. Pure decisions, so they can
 * be tested without V8.
 *
 * Why rewrite at all: a cache holds the functions compiled when it was made. The first `run`
 * writes it, so the functions of paths that run did not take (another playbook's modules, the
 * etcd-ha playbook's pki and etcd code, facts) were compiled again, lazily, on every later run
 * (~5 % of an etcd-ha re-run's CPU). A cache made at the exit of a later run holds those too, and
 * what the old cache held, since V8 serialises every function compiled by then: rewriting
 * converges on the union of the paths the user runs.
 *
 * Why not on every run: V8 serialising the cache (script.createCachedData) costs ~60-150 ms for
 * the ~2 MB bundle, more than the lazy compiling it saves on one run. So the launcher probes (makes
 * the cache data) only when the run compiled much new bytecode — V8's heap code statistics, read
 * after the cache was loaded and at exit, a few microseconds each — and that figure also counts
 * what no cache of ours can hold (Node's own modules, templates compiled at run time): ~75 KB on
 * an etcd-ha re-run whose paths are all cached, ~240 KB on the facts + 20 file tasks bench
 * re-run, ~400 KB on an etcd-ha re-run whose cache came from that bench. A probe that adds nothing
 * remembers its figure (`quietBytecode`): later runs are probed only when they compile clearly
 * more than that. And a cache is rewritten at most MAX_CACHE_WRITES times per bundle, whatever
 * the runs look like.
 */

/** What a cache file records about its writes (kept in its header, code-cache.ts). */
export interface CacheRecord {
  /** How many times this bundle's cache has been written (1 for the first). */
  writes: number;
  /** The largest new-bytecode figure of a run whose probe found nothing to add (bytes; 0 = none yet). */
  quietBytecode: number;
}

/** The record of a cache written from nothing (no cache, or one V8 rejected). */
export const FIRST_WRITE: CacheRecord = { writes: 1, quietBytecode: 0 };

/** A cache is written at most this many times per bundle (the first write included). */
export const MAX_CACHE_WRITES = 8;
/** A run that compiled less new bytecode than this is never probed. */
export const MIN_NEW_BYTECODE = 64 * 1024;
/** Probe only above the quiet figure plus a quarter: the same workload varies by a few KB. */
const QUIET_MARGIN = 1.25;
/** New cache data this much longer than the loaded data (2 %) counts as having added something. */
const GROWTH = 1.02;

/**
 * At exit of a run that loaded an accepted run cache with `record`, having compiled
 * `newBytecode` bytes of bytecode since: make the cache data again (and see what it adds)?
 */
export function shouldProbe(record: CacheRecord, newBytecode: number): boolean {
  if (record.writes >= MAX_CACHE_WRITES) return false;
  if (newBytecode < MIN_NEW_BYTECODE) return false;
  return newBytecode > record.quietBytecode * QUIET_MARGIN;
}

/**
 * After a probe: which data to keep and the record to write with it. A probe is always written
 * (it counts towards MAX_CACHE_WRITES, so probes are bounded too). The new data replaces the old
 * unless it is shorter (V8 drops the bytecode of functions unused for a while: a long run's cache
 * may hold less than the one it loaded).
 */
export function settleProbe(record: CacheRecord, loadedLength: number, newLength: number, newBytecode: number): { useNew: boolean; record: CacheRecord } {
  const added = newLength >= loadedLength * GROWTH;
  return {
    useNew: newLength >= loadedLength,
    record: { writes: record.writes + 1, quietBytecode: added ? record.quietBytecode : Math.max(record.quietBytecode, newBytecode) },
  };
}
