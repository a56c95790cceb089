/**
 * Ansible's `version` test (`ansible_distribution_version is version('12', '>=')`), for CEL
 * (`version(v, ">=", "12")`) and templates (`{{#if (version v ">=" "12")}}`). Versions that are
 * semver-like (3.5, 3.6.0-rc.1) compare as runner/lang/semver.ts does; anything else (Debian's
 * 1:2.3~rc1, 5.15.0-91-generic) as Ansible's LooseVersion: runs of digits compare as numbers,
 * other runs as text, a shorter version that is a prefix is lower.
 */
import { compareSemver, parseSemver } from './semver.js';

const OPERATORS: Record<string, (c: number) => boolean> = {
  '<': (c) => c < 0, lt: (c) => c < 0,
  '<=': (c) => c <= 0, le: (c) => c <= 0,
  '>': (c) => c > 0, gt: (c) => c > 0,
  '>=': (c) => c >= 0, ge: (c) => c >= 0,
  '==': (c) => c === 0, '=': (c) => c === 0, eq: (c) => c === 0,
  '!=': (c) => c !== 0, '<>': (c) => c !== 0, ne: (c) => c !== 0,
};

/** The operators accepted, for error messages. */
export const VERSION_OPERATORS = Object.keys(OPERATORS);

/** `a OP b` for versions; throws on an unknown operator or an empty version. */
export function versionHolds(a: string, op: string, b: string): boolean {
  const test = OPERATORS[op.trim()];
  if (!test) throw new Error(`version: unknown operator '${op}': use one of ${VERSION_OPERATORS.join(' ')}`);
  if (a.trim() === '' || b.trim() === '') throw new Error('version: an empty version cannot be compared');
  return test(compareVersions(a, b));
}

/** Negative, zero or positive as `a` is below, equal to or above `b`. */
export function compareVersions(a: string, b: string): number {
  const sa = parseSemver(a);
  const sb = parseSemver(b);
  if (sa && sb) return compareSemver(sa, sb);
  const pa = looseParts(a);
  const pb = looseParts(b);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (typeof x === 'number' && typeof y === 'number') {
      if (x !== y) return Math.sign(x - y);
    } else if (String(x) !== String(y)) {
      // LooseVersion compares a number with a word as text; Python 3 would raise. Numbers first.
      if (typeof x !== typeof y) return typeof x === 'number' ? 1 : -1;
      return String(x) < String(y) ? -1 : 1;
    }
  }
  return Math.sign(pa.length - pb.length);
}

function looseParts(v: string): Array<number | string> {
  return (v.trim().replace(/^v(?=\d)/, '').match(/\d+|[a-z]+/gi) ?? []).map((p) => (/^\d+$/.test(p) ? Number(p) : p.toLowerCase()));
}
