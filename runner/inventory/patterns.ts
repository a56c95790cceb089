/**
 * Ansible host patterns: `all`, `*`, a group, a host, globs (`web*`), regexes (`~web\d+`),
 * union (`a:b` or `a,b`), intersection (`a:&b`) and exclusion (`a:!b`). As in Ansible, the
 * union terms are applied first, then every `&` term, then every `!` term, whatever their order.
 */
import { ConfigError, type SourceLocation } from '../errors.js';
import { formatSuggestion } from '../util/suggest.js';
import type { Inventory } from './types.js';

interface PatternTerms {
  union: string[];
  intersect: string[];
  exclude: string[];
}

/**
 * The hosts a pattern selects, in inventory order, narrowed by `limit` (same syntax, as
 * `--limit` does).
 * @param where where the pattern was written (the play's `hosts:`), for the error message
 * @throws ConfigError when a term names no group or host and contains no wildcard
 */
export function selectHosts(inv: Inventory, pattern: string, limit?: string, where?: SourceLocation): string[] {
  const selected = new Set(matchPattern(inv, pattern, where));
  if (limit !== undefined && limit.trim() !== '') {
    const allowed = new Set(matchPattern(inv, limit, where, '--limit'));
    for (const host of [...selected]) if (!allowed.has(host)) selected.delete(host);
  }
  const order = [...inv.hosts.keys(), ...(inv.implicitLocalhost && !inv.hosts.has('localhost') ? ['localhost'] : [])];
  return order.filter((h) => selected.has(h));
}

function matchPattern(inv: Inventory, pattern: string, where: SourceLocation | undefined, what = 'host pattern'): Set<string> {
  const terms = splitPattern(pattern);
  if (terms.union.length === 0 && terms.intersect.length === 0 && terms.exclude.length === 0) {
    throw patternError(`${what} '${pattern}' selects nothing: name a group or a host, or use 'all'`, where);
  }
  // "&b" or "!b" alone means "all hosts, then ...", as in Ansible.
  const base = terms.union.length > 0 ? terms.union : ['all'];
  const result = new Set<string>();
  for (const term of base) for (const h of matchTerm(inv, term, where, what)) result.add(h);
  for (const term of terms.intersect) {
    const keep = new Set(matchTerm(inv, term, where, what));
    for (const h of [...result]) if (!keep.has(h)) result.delete(h);
  }
  for (const term of terms.exclude) for (const h of matchTerm(inv, term, where, what)) result.delete(h);
  return result;
}

/**
 * Ansible's split: on `,` when the pattern has one (so a regex may contain `:`), otherwise on
 * `:` outside `[...]`. IPv6 addresses are not host names here (they go in ansible_host).
 */
function splitPattern(pattern: string): PatternTerms {
  const terms: PatternTerms = { union: [], intersect: [], exclude: [] };
  const parts = pattern.includes(',') ? pattern.split(',') : splitOnColons(pattern);
  for (const raw of parts) {
    const part = raw.trim();
    if (part === '') continue;
    if (part.startsWith('&')) terms.intersect.push(part.slice(1).trim());
    else if (part.startsWith('!')) terms.exclude.push(part.slice(1).trim());
    else terms.union.push(part);
  }
  return terms;
}

function splitOnColons(pattern: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of pattern) {
    if (ch === '[') depth++;
    else if (ch === ']') depth = Math.max(0, depth - 1);
    if (ch === ':' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

function matchTerm(inv: Inventory, term: string, where: SourceLocation | undefined, what: string): string[] {
  if (term === 'all' || term === '*') return [...inv.hosts.keys()];
  if (term.startsWith('~')) return matchRegex(inv, term.slice(1), where);
  const group = inv.groups.get(term);
  if (group) return group.hosts;
  if (inv.hosts.has(term)) return [term];
  if (term === 'localhost' && inv.implicitLocalhost) return [term];
  if (/[*?[]/.test(term)) return matchGlob(inv, term);
  const names = [...inv.groups.keys(), ...inv.hosts.keys()];
  throw patternError(`${what}: '${term}' is neither a group nor a host of the inventory${formatSuggestion(term, names)}`, where);
}

/** A glob matches group names (giving their hosts) and host names, as Ansible's fnmatch does. */
function matchGlob(inv: Inventory, glob: string): string[] {
  const re = new RegExp(`^${glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return matchBoth(inv, re);
}

function matchRegex(inv: Inventory, source: string, where: SourceLocation | undefined): string[] {
  let re: RegExp;
  try {
    re = new RegExp(source);
  } catch (err) {
    throw patternError(`invalid regular expression in host pattern '~${source}': ${(err as Error).message}`, where, err);
  }
  // Ansible uses re.match, anchored at the start only.
  const anchored = new RegExp(`^(?:${re.source})`);
  return matchBoth(inv, anchored);
}

function matchBoth(inv: Inventory, re: RegExp): string[] {
  const hosts = new Set<string>();
  for (const [name, group] of inv.groups) if (re.test(name)) for (const h of group.hosts) hosts.add(h);
  for (const name of inv.hosts.keys()) if (re.test(name)) hosts.add(name);
  return [...hosts];
}

function patternError(message: string, where: SourceLocation | undefined, cause?: unknown): ConfigError {
  return new ConfigError([{ ...(where ? { location: where } : {}), pointer: '', message }], cause === undefined ? undefined : { cause });
}
