/**
 * A host entry of an inventory as Ansible reads it (parse_address, then expand_hostname_range):
 * an optional `:PORT` suffix (`db1:5309`, `[2001:db8::1]:22`), then ranges expanded —
 * `web[01:20]` (zero padding kept), `db-[a:f]`, `mail[:5]` (from 0), `n[1:9:2]` (a step), several
 * ranges multiplying. An entry Ansible cannot read as an address keeps its text whole, port
 * included, as Ansible does.
 */

/** The hosts an entry names, and the port it gives them; or the error, as a sentence. */
export type HostEntry = { names: string[]; port?: number } | { error: string };

const NUMERIC_RANGE = String.raw`\[(?:[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const HEX_RANGE = String.raw`\[(?:[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]`;
const ALNUM_RANGE = String.raw`\[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\]`;
const IPV6_PART = `(?:[0-9a-f]{1,4}|${HEX_RANGE})`;
const IPV4_PART = `(?:[01]?[0-9]{1,2}|2[0-4][0-9]|25[0-5]|${NUMERIC_RANGE})`;
// Python's \w is Unicode-aware for str patterns; so is \p{L}\p{N} here.
const WORD = String.raw`[\p{L}\p{N}_]`;
const LABEL = `(?:${WORD}|${ALNUM_RANGE})(?:${WORD}|-|${ALNUM_RANGE})*(?<![_-])`;

const BRACKETED_HOSTPORT = /^\[(.+)\]:([0-9]+)$/;
const HOSTPORT = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/;
const IPV4 = new RegExp(`^(?:${IPV4_PART}\\.){3}${IPV4_PART}$`, 'i');
const IPV6 = new RegExp(
  '^(?:' +
    [
      `(?:${IPV6_PART}:){7}${IPV6_PART}`,
      `(?:${IPV6_PART}:){1,6}:`,
      `(?:${IPV6_PART}:)(?::${IPV6_PART}){1,6}`,
      `(?:${IPV6_PART}:){2}(?::${IPV6_PART}){1,5}`,
      `(?:${IPV6_PART}:){3}(?::${IPV6_PART}){1,4}`,
      `(?:${IPV6_PART}:){4}(?::${IPV6_PART}){1,3}`,
      `(?:${IPV6_PART}:){5}(?::${IPV6_PART}){1,2}`,
      `(?:${IPV6_PART}:){6}(?::${IPV6_PART})`,
      `:(?::${IPV6_PART}){1,6}`,
      `${IPV6_PART}?::`,
      `(?:0:){6}(?:${IPV6_PART}\\.){3}${IPV6_PART}`,
      `::(?:ffff:)?(?:${IPV6_PART}\\.){3}${IPV6_PART}`,
      `(?:0:){5}ffff:(?:${IPV6_PART}\\.){3}${IPV6_PART}`,
    ].join('|') +
    ')$',
  'i',
);
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`, 'iu');
/**
 * HOSTNAME for the names nearly every inventory uses: ASCII letters, digits, `_` and `-`, dots,
 * no range. On such text it accepts exactly what HOSTNAME accepts (\p{L}\p{N} hold no other
 * ASCII, and a range needs `[`), so trying it first changes no answer; it spares compiling
 * HOSTNAME's case-folded Unicode classes, ~10 ms of every run (test/unit/host-pattern.test.ts
 * compares the two on many names).
 */
const ASCII_LABEL = '[A-Za-z0-9_][A-Za-z0-9_-]*(?<![_-])';
const ASCII_HOSTNAME = new RegExp(`^${ASCII_LABEL}(?:\\.${ASCII_LABEL})*$`);

/** Split `host:port` the way Ansible's parse_address does; undefined when it is no address. */
export function parseAddress(entry: string): { host: string; port?: number } | undefined {
  return splitAddress(entry, (address) => ASCII_HOSTNAME.test(address) || IPV4.test(address) || IPV6.test(address) || HOSTNAME.test(address));
}

/**
 * parseAddress without the ASCII fast path: what it answered before the fast path existed, and
 * must still answer (test/unit/host-pattern.test.ts compares the two on many names).
 */
export function parseAddressWithoutFastPath(entry: string): { host: string; port?: number } | undefined {
  return splitAddress(entry, (address) => IPV4.test(address) || IPV6.test(address) || HOSTNAME.test(address));
}

function splitAddress(entry: string, isAddress: (address: string) => boolean): { host: string; port?: number } | undefined {
  let address = entry;
  let port: number | undefined;
  // Both forms are tried in turn, the second on what the first left, as in Ansible.
  for (const form of [BRACKETED_HOSTPORT, HOSTPORT]) {
    const m = form.exec(address);
    if (m) {
      address = m[1]!;
      port = Number(m[2]);
    }
  }
  if (!isAddress(address)) return undefined;
  return port === undefined ? { host: address } : { host: address, port };
}

export function parseHostEntry(entry: string): HostEntry {
  const address = parseAddress(entry);
  const pattern = address?.host ?? entry;
  const names = pattern.includes('[') ? expandRanges(pattern, entry) : [pattern];
  if (typeof names === 'string') return { error: names };
  return address?.port === undefined ? { names } : { names, port: address.port };
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Ansible's expand_hostname_range: the first `[...]` expanded, then the rest recursively. */
function expandRanges(name: string, entry: string): string[] | string {
  const open = name.indexOf('[');
  const close = name.indexOf(']', open);
  if (close < 0 || name.indexOf('[', open + 1) >= 0 && name.indexOf('[', open + 1) < close) {
    return `host range in '${entry}': every '[' needs its ']' (write a range as [01:20], [a:f] or [:5])`;
  }
  const head = name.slice(0, open);
  const tail = name.slice(close + 1);
  const bounds = name.slice(open + 1, close).split(':');
  if (bounds.length !== 2 && bounds.length !== 3) return `host range in '${entry}' must be [begin:end] or [begin:end:step]`;
  const beg = bounds[0] === '' ? '0' : bounds[0]!;
  const end = bounds[1]!;
  const stepText = bounds[2] ?? '1';
  if (end === '') return `host range in '${entry}' must give its end, e.g. [01:20]`;
  if (!/^[0-9]+$/.test(stepText) || Number(stepText) < 1) return `host range in '${entry}': the step must be a whole number of at least 1`;
  const step = Number(stepText);
  const width = beg.length > 1 && beg.startsWith('0') ? beg.length : 0;
  if (width > 0 && end.length !== width) return `host range in '${entry}' must give its ends with the same number of digits (zero padding)`;
  let items: string[];
  const iBeg = beg.length === 1 ? LETTERS.indexOf(beg) : -1;
  const iEnd = end.length === 1 ? LETTERS.indexOf(end) : -1;
  if (iBeg >= 0 && iEnd >= 0) {
    if (iBeg > iEnd) return `host range in '${entry}' must have its start before its end`;
    items = [];
    for (let i = iBeg; i <= iEnd; i += step) items.push(LETTERS[i]!);
  } else {
    if (!/^[0-9]+$/.test(beg) || !/^[0-9]+$/.test(end)) return `host range in '${entry}': both ends must be numbers, or both single letters`;
    // Ansible silently expands [5:1] to no host at all; quorum refuses to drop hosts in silence.
    if (Number(beg) > Number(end)) return `host range in '${entry}' must have its start before its end`;
    items = [];
    for (let i = Number(beg); i <= Number(end); i += step) items.push(width > 0 ? String(i).padStart(width, '0') : String(i));
  }
  const names: string[] = [];
  for (const item of items) {
    const expanded = `${head}${item}${tail}`;
    if (!expanded.includes('[')) names.push(expanded);
    else {
      const more = expandRanges(expanded, entry);
      if (typeof more === 'string') return more;
      names.push(...more);
    }
  }
  return names;
}
