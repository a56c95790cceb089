/**
 * `quorum run --slice K/N`: run only the K-th of N slices of the selected hosts, so that N
 * machines (a CI matrix, a Kubernetes Indexed Job) share one run; `quorum recap` merges their
 * `-o json` streams (runner/report/recap-merge.ts).
 *
 * A slice is taken from the run's hosts as a whole (every play's hosts after --limit, sorted
 * by name in code-unit order, not the locale's), then each play keeps its hosts of that slice:
 * a host is in the same slice for every play, so its plays still run in order on one machine.
 * Slices are contiguous runs of that sorted list, sizes differing by at most one; the same
 * inventory, playbook and --limit give the same slices on every machine and every repeat.
 */

/** The K-th (from 1) of `count` slices. */
export interface Slice {
  index: number;
  count: number;
}

/** The most slices a run can be cut into (a bound so that a typo cannot ask for a billion). */
export const MAX_SLICES = 10_000;

/**
 * Parse `K/N`. Throws an Error whose message says what to write instead (the CLI turns it into
 * commander's "option '--slice <K/N>' argument ... is invalid", exit 5).
 */
export function parseSlice(text: string): Slice {
  const m = /^(\d{1,5})\/(\d{1,5})$/.exec(text.trim());
  if (!m) throw new Error(`write K/N, the K-th of N slices counting from 1, e.g. 1/4 (got "${text}").`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SLICES) throw new Error(`N must be from 1 to ${MAX_SLICES} (got "${text}").`);
  if (index < 1 || index > count) throw new Error(`K must be from 1 to N=${count}: slices count from 1 (got "${text}").`);
  return { index, count };
}

/** The hosts of slice `slice` among `hosts` (any order, duplicates ignored), sorted by name. */
export function sliceOf(hosts: Iterable<string>, slice: Slice): string[] {
  const sorted = [...new Set(hosts)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const start = Math.floor(((slice.index - 1) * sorted.length) / slice.count);
  const end = Math.floor((slice.index * sorted.length) / slice.count);
  return sorted.slice(start, end);
}

/** Each play's hosts restricted to the slice of all plays' hosts, play order and host order kept. */
export function slicePlayHosts(playHosts: string[][], slice: Slice): string[][] {
  const keep = new Set(sliceOf(playHosts.flat(), slice));
  return playHosts.map((hosts) => hosts.filter((h) => keep.has(h)));
}
