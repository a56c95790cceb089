/**
 * etcd's member and cluster ids are unsigned 64-bit integers. etcdctl's `-w json` prints them as
 * JSON numbers, which `JSON.parse` rounds to the nearest double (ids above 2^53 come out wrong),
 * and the JSON gateway prints them as decimal strings. Everything here ends as lowercase hex,
 * the form etcdctl's tables and `member remove` use.
 */

/**
 * Rewrite every JSON integer literal too big for a double into a string, outside string
 * literals, so `JSON.parse` keeps its exact digits. A scanner, not a regex: digits inside
 * strings (URLs with ports) must stay untouched.
 */
export function quoteBigInts(json: string): string {
  let out = '';
  let i = 0;
  while (i < json.length) {
    const c = json[i]!;
    if (c === '"') {
      const end = findStringEnd(json, i);
      out += json.slice(i, end);
      i = end;
    } else if ((c >= '0' && c <= '9') || c === '-') {
      let j = i + 1;
      while (j < json.length && /[0-9.eE+-]/.test(json[j]!)) j++;
      const literal = json.slice(i, j);
      out += /^-?\d+$/.test(literal) && !Number.isSafeInteger(Number(literal)) ? `"${literal}"` : literal;
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Index just after the closing quote of the string literal starting at `start`. */
function findStringEnd(json: string, start: number): number {
  let i = start + 1;
  while (i < json.length) {
    if (json[i] === '\\') i += 2;
    else if (json[i] === '"') return i + 1;
    else i++;
  }
  return json.length;
}

/** A decimal id (number or string) as lowercase hex without padding; "0" for absent. */
export function toHexId(value: unknown): string {
  if (value === undefined || value === null || value === '') return '0';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`id ${value} lost precision before it reached toHexId: quote big integers first`);
    return value.toString(16);
  }
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value).toString(16);
  throw new Error(`not an etcd id: ${JSON.stringify(value)}`);
}

/** A JSON number or decimal string as a number (db sizes, raft terms: far below 2^53). */
export function toCount(value: unknown): number {
  if (value === undefined || value === null) return 0;
  const n = typeof value === 'string' ? Number(value) : (value as number);
  if (!Number.isFinite(n)) throw new Error(`not a number: ${JSON.stringify(value)}`);
  return n;
}
