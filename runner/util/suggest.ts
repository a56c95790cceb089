/**
 * "Did you mean ...?" for unknown keywords, modules and variables. Damerau-Levenshtein (optimal
 * string alignment) because the typical typo is a transposition ('wehn' for 'when').
 */

/** Edit distance counting insertions, deletions, substitutions and adjacent transpositions. */
export function measureEditDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
      }
    }
  }
  return d[rows - 1]![cols - 1]!;
}

/**
 * The closest candidate to `word`, or undefined when nothing is close enough. Short words allow
 * fewer edits (a 1- or 2-letter word only a case change), else every short word would "mean"
 * every other one.
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const limit = word.length <= 2 ? 0 : word.length <= 3 ? 1 : word.length <= 6 ? 2 : 3;
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const distance = measureEditDistance(lower, candidate.toLowerCase());
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Depth of withoutSuggestions calls in progress: formatSuggestion answers "" while above 0. */
let quietDepth = 0;

/**
 * Run `fn` with formatSuggestion returning "": for callers that catch the errors `fn` throws and
 * never show them (checkHostArgs renders every host's arguments ahead of the run, and an
 * undefined variable there only means "not known yet"). Comparing a name with every variable of
 * a host cost ~14 ms of an etcd-ha run for messages thrown away.
 */
export function withoutSuggestions<T>(fn: () => T): T {
  quietDepth++;
  try {
    return fn();
  } finally {
    quietDepth--;
  }
}

/** " (did you mean 'x'?)" or "" — ready to append to a message. */
export function formatSuggestion(word: string, candidates: Iterable<string>): string {
  if (quietDepth > 0) return '';
  const match = didYouMean(word, candidates);
  return match === undefined ? '' : ` (did you mean '${match}'?)`;
}

/**
 * Values an Ansible user writes for a module's state, and what quorum's modules call them:
 * `state: present` on file means a file (or a directory), on systemd `started`.
 */
const ANSIBLE_VALUES: Record<string, string[]> = {
  present: ['present', 'file', 'directory', 'started'],
  installed: ['present'],
  latest: ['latest', 'present'],
  running: ['started'],
  removed: ['absent'],
  touch: ['file'],
  hard: ['link'],
  enabled: ['started'],
  restarted: ['restarted'],
};

/** Words whose nearest spelling means the opposite: never offered for each other. */
const OPPOSITES: ReadonlyArray<readonly [string, string]> = [
  ['present', 'absent'], ['started', 'stopped'], ['enabled', 'disabled'], ['installed', 'uninstalled'], ['mounted', 'unmounted'],
  ['locked', 'unlocked'], ['yes', 'no'], ['true', 'false'], ['on', 'off'], ['start', 'stop'], ['load', 'unload'],
];

function areOpposites(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return OPPOSITES.some(([p, q]) => (x === p && y === q) || (x === q && y === p));
}

/**
 * The hint for a value that is not one of `allowed`: what Ansible's word means here, else the
 * nearest spelling unless it means the opposite ('present' is 3 edits from 'absent').
 */
export function formatValueSuggestion(word: string, allowed: readonly string[]): string {
  const meant = (ANSIBLE_VALUES[word.toLowerCase()] ?? []).filter((w) => allowed.includes(w));
  if (meant.length > 0) return ` (Ansible's '${word}': here write ${meant.map((w) => `'${w}'`).join(' or ')})`;
  const match = didYouMean(word, allowed);
  return match === undefined || areOpposites(word, match) ? '' : ` (did you mean '${match}'?)`;
}
