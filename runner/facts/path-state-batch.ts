/**
 * path-state for many paths in one command: what `pathState` says of each path, read with one
 * `stat`, one `sha256sum` and one `readlink` for all of them instead of one or two processes per
 * path. A process costs more on the host than the round trip (path-state.ts), so reading the
 * paths of every `file` task of a play at once (strategy/prefetch.ts) takes most of a re-run's
 * host work away.
 *
 * The shell tells each path's kind with builtins (`[ -L ]`, `[ -f ]`, `[ -e ]`), then the three
 * tools print their records in argument order. Each path's record is put back into the text the
 * one-path script prints and parsed by `parsePathState`, so both ways give the same answer by
 * construction; the tests compare them on every kind of path. Anything unexpected (a tool that
 * failed, a path that changed kind between two looks, a count that does not add up) throws:
 * the caller then reads nothing ahead, and each task reads its own path as before.
 */
import { posix } from 'node:path';
import { quote } from '../connection/quote.js';
import { parsePathState, printExistingAncestor, type PathState } from './path-state.js';

/** The same fields, in the same order, as the one-path script's `stat --printf`. */
const STAT_FORMAT = 'type=%F\\nmode=%a\\nowner=%U\\ngroup=%G\\nuid=%u\\ngid=%g\\nsize=%s\\n';
const STAT_LINES = 7;
const SECTION = { stat: '::stat', sha256: '::sha256', link: '::link' } as const;

/** The script: one kind line per path, then the stat, sha256sum and readlink sections. */
export function buildPathStatesScript(paths: readonly string[]): string {
  const q = paths.map(quote);
  const lines: string[] = [];
  // Kind of each path: parent directory there (y/n), then link, regular file, other, absent.
  for (const [i, path] of paths.entries()) {
    lines.push(
      `p=${q[i]}; if [ -d ${quote(posix.dirname(path))} ]; then r=y; else r=n; fi; ` +
        `if [ -L "$p" ]; then echo "$r"l; elif [ -f "$p" ]; then echo "$r"f; elif [ -e "$p" ]; then echo "$r"o; ` +
        // Absent with its parent missing: also where creating it would start (path-state.ts).
        `elif [ $r = y ]; then echo ya; else ${printExistingAncestor(path, 'na')}; fi`,
    );
  }
  // Each list is built again with the same tests: the parser checks the counts and kinds agree.
  const collect = (test: (p: string) => string) => `set --; ${q.map((p) => `if ${test(p)}; then set -- "$@" ${p}; fi`).join('; ')}`;
  lines.push(`echo ${SECTION.stat}`, collect((p) => `[ -e ${p} ] || [ -L ${p} ]`), `[ $# -eq 0 ] || LC_ALL=C stat --printf '${STAT_FORMAT}' -- "$@" || exit 3`);
  lines.push(`echo ${SECTION.sha256}`, collect((p) => `[ -f ${p} ] && [ ! -L ${p} ]`), `[ $# -eq 0 ] || sha256sum -- "$@" || exit 3`);
  lines.push(`echo ${SECTION.link}`, collect((p) => `[ -L ${p} ]`), `[ $# -eq 0 ] || readlink -z -- "$@" || exit 3`);
  return lines.join('\n');
}

/** Parse the script's output into one PathState per path, in order; throws when it does not add up. */
export function parsePathStates(stdout: string, paths: readonly string[]): PathState[] {
  const [kindsText, statText, shaText, linkText] = splitSections(stdout);
  const kinds = kindsText.split('\n').filter((l) => l !== '');
  if (kinds.length !== paths.length || kinds.some((k) => !/^(?:[yn][lfo]|ya|na[1-9]\d*)$/.test(k))) throw new Error(`path-state batch: expected ${paths.length} kind lines, got ${JSON.stringify(kindsText.slice(0, 200))}`);

  const statLines = statText === '' ? [] : statText.replace(/\n$/, '').split('\n');
  const present = kinds.filter((k) => k[1] !== 'a').length;
  if (statLines.length !== present * STAT_LINES) throw new Error(`path-state batch: ${statLines.length} stat lines for ${present} paths`);
  const hashes = shaText.split('\n').filter((l) => l !== '').map((l) => l.replace(/^\\/, '').slice(0, 64));
  if (hashes.length !== kinds.filter((k) => k[1] === 'f').length || hashes.some((h) => !/^[0-9a-f]{64}$/.test(h))) throw new Error('path-state batch: sha256sum lines do not match the files');
  const targets = linkText === '' ? [] : linkText.split('\0').slice(0, -1);
  if (targets.length !== kinds.filter((k) => k[1] === 'l').length) throw new Error('path-state batch: readlink targets do not match the links');

  let nextStat = 0;
  let nextHash = 0;
  let nextTarget = 0;
  return paths.map((path, i) => {
    const kind = kinds[i]!;
    // The text the one-path script would have printed for this path.
    const text = [`parent=${kind[0] === 'y' ? 'yes' : 'no'}`];
    if (kind[1] === 'a') text.push('type=absent', ...(kind[0] === 'n' ? [`ancestor=${kind.slice(2)}`] : []));
    else text.push(...statLines.slice(nextStat * STAT_LINES, ++nextStat * STAT_LINES));
    if (kind[1] === 'f') text.push(`sha256=${hashes[nextHash++]}  -`);
    if (kind[1] === 'l') text.push(`target=${targets[nextTarget++]}\0`);
    const state = parsePathState(text.join('\n') + '\n', path);
    const expected = { l: 'link', f: 'file', a: 'absent' }[kind[1] as 'l' | 'f' | 'a'];
    if (expected ? state.type !== expected : state.type === 'link' || state.type === 'file' || state.type === 'absent') {
      throw new Error(`path-state batch: ${path} changed while it was read (${kind[1]} then ${state.type})`);
    }
    return state;
  });
}

/** The four parts of the output: kinds, stat records, sha256sum lines, readlink targets. */
function splitSections(stdout: string): [string, string, string, string] {
  const parts: string[] = [];
  let rest = stdout;
  for (const name of [SECTION.stat, SECTION.sha256, SECTION.link]) {
    // A section marker is a line of its own; only what the kinds and tools print comes between.
    const at = rest.startsWith(`${name}\n`) ? 0 : rest.indexOf(`\n${name}\n`);
    if (at < 0) throw new Error(`path-state batch: no ${name} section in the output`);
    parts.push(at === 0 ? '' : rest.slice(0, at + 1));
    rest = rest.slice(at === 0 ? name.length + 1 : at + name.length + 2);
  }
  parts.push(rest);
  return parts as [string, string, string, string];
}
