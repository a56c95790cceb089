/**
 * Host key verification the way OpenSSH does it: known_hosts files (plain patterns, hashed
 * `|1|salt|hash` entries, `[host]:port` for non-standard ports, `@revoked`), three policies and
 * pinned `SHA256:` fingerprints. It never prompts: an unknown key under `strict` and any mismatch
 * are refused with a message naming the host and both fingerprints.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { UnreachableError } from '../errors.js';

/** One usable line of a known_hosts file. */
export interface KnownHostEntry {
  /** `@revoked` lines refuse the key; `@cert-authority` lines are skipped (no certificates here). */
  marker?: '@revoked' | '@cert-authority';
  /** Comma-separated patterns, or undefined for a hashed entry. */
  patterns?: string;
  /** Salt and HMAC-SHA1 of a hashed entry (`|1|salt|hash`). */
  hashed?: { salt: Buffer; hash: Buffer };
  keyType: string;
  /** The public key blob (SSH wire format), as base64-decoded from the line. */
  key: Buffer;
  /** 1-based line number, for messages. */
  line: number;
}

/** What the host key policy decided. */
export type HostKeyVerdict =
  | { accepted: true; learn: boolean }
  | { accepted: false; reason: string };

/** Inputs of one verification. */
export interface HostKeyCheck {
  /** Names the host is known by (address first); each is tried with the port. */
  names: string[];
  port: number;
  policy: 'strict' | 'accept-new' | 'off';
  /** Pinned `SHA256:...` fingerprints: when non-empty, known_hosts is not consulted. */
  pinned?: string[];
}

/** Parse a known_hosts file; comments, blank and malformed lines are skipped. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === '' || fields[0]!.startsWith('#')) return;
    const marker = fields[0] === '@revoked' || fields[0] === '@cert-authority' ? fields.shift() : undefined;
    const [hosts, keyType, keyB64] = fields;
    if (!hosts || !keyType || !keyB64) return;
    const entry: KnownHostEntry = { keyType, key: Buffer.from(keyB64, 'base64'), line: index + 1 };
    if (marker) entry.marker = marker as KnownHostEntry['marker'];
    if (hosts.startsWith('|1|')) {
      const [, , salt, hash] = hosts.split('|');
      if (!salt || !hash) return;
      entry.hashed = { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
    } else {
      entry.patterns = hosts;
    }
    entries.push(entry);
  });
  return entries;
}

/** The name as known_hosts writes it: `host` on port 22, `[host]:port` otherwise. */
export function formatKnownHostName(host: string, port: number): string {
  return port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`;
}

/** Does this entry name the host (already formatted with formatKnownHostName)? */
export function matchesHost(entry: KnownHostEntry, hostName: string): boolean {
  if (entry.hashed) {
    const mac = createHmac('sha1', entry.hashed.salt).update(hostName).digest();
    return mac.length === entry.hashed.hash.length && timingSafeEqual(mac, entry.hashed.hash);
  }
  // OpenSSH semantics: any matching negated pattern vetoes the whole line.
  let matched = false;
  for (const pattern of (entry.patterns ?? '').split(',')) {
    const negated = pattern.startsWith('!');
    const glob = negated ? pattern.slice(1) : pattern;
    // A plain name is compared as text: compiling a RegExp per line per host made checking 300
    // hosts against a 300-host known_hosts quadratic (bench/results.md, the cost curve).
    if (!(/[*?]/.test(glob) ? globToRegExp(glob).test(hostName) : glob.toLowerCase() === hostName)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

/** Compiled wildcard patterns, by pattern: the same lines are checked for every host of a run. */
const globs = new Map<string, RegExp>();

function globToRegExp(glob: string): RegExp {
  let re = globs.get(glob);
  if (!re) {
    const body = glob.toLowerCase().replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    re = new RegExp(`^${body}$`);
    globs.set(glob, re);
  }
  return re;
}

/** OpenSSH's fingerprint of a public key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type written at the start of a public key blob (`ssh-ed25519`, ...). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const len = key.readUInt32BE(0);
  return key.subarray(4, 4 + len).toString('latin1');
}

/** Entries (not @cert-authority) that name the host under any of its names. */
export function findHostEntries(entries: KnownHostEntry[], names: string[], port: number): KnownHostEntry[] {
  const formatted = names.map((n) => formatKnownHostName(n, port));
  return entries.filter((e) => e.marker !== '@cert-authority' && formatted.some((n) => matchesHost(e, n)));
}

/** Decide about an offered key. Pure: the caller reads and appends the file. */
export function checkHostKey(entries: KnownHostEntry[], key: Buffer, check: HostKeyCheck): HostKeyVerdict {
  const offered = fingerprintOf(key);
  const host = formatKnownHostName(check.names[0] ?? '', check.port);
  if (check.policy === 'off') return { accepted: true, learn: false };
  if (check.pinned && check.pinned.length > 0) {
    if (check.pinned.map(normalizeFingerprint).includes(offered)) return { accepted: true, learn: false };
    return { accepted: false, reason: mismatchMessage(host, check.pinned, offered, 'the pinned fingerprints') };
  }
  const known = findHostEntries(entries, check.names, check.port);
  const revoked = known.find((e) => e.marker === '@revoked' && e.key.equals(key));
  if (revoked) return { accepted: false, reason: `host key for ${host} (${offered}) is marked @revoked (known_hosts line ${revoked.line}); refusing to connect` };
  const valid = known.filter((e) => e.marker === undefined);
  if (valid.some((e) => e.key.equals(key))) return { accepted: true, learn: false };
  if (valid.length > 0) {
    const expected = valid.map((e) => `${fingerprintOf(e.key)} (${e.keyType}, known_hosts line ${e.line})`);
    return { accepted: false, reason: mismatchMessage(host, expected, offered, 'known_hosts') };
  }
  if (check.policy === 'accept-new') return { accepted: true, learn: true };
  return {
    accepted: false,
    reason: `host key for ${host} is not in known_hosts (offered ${keyTypeOf(key)} ${offered}); host_key_policy is strict: add the key with ssh-keyscan after checking it, pin its fingerprint, or use accept-new`,
  };
}

function mismatchMessage(host: string, expected: string[], offered: string, source: string): string {
  return (
    `HOST KEY MISMATCH for ${host}: ${source} expect ${expected.join(', ')} but the host offered ${offered}; ` +
    'refusing to connect (the host was reinstalled, or someone is intercepting): check the key and update known_hosts'
  );
}

function normalizeFingerprint(fp: string): string {
  const trimmed = fp.trim().replace(/=+$/, '');
  return trimmed.startsWith('SHA256:') ? trimmed : `SHA256:${trimmed}`;
}

/** The known_hosts path a spec uses (default ~/.ssh/known_hosts). */
export function resolveKnownHostsFile(file: string | undefined): string {
  if (!file) return join(homedir(), '.ssh', 'known_hosts');
  return file.startsWith('~/') ? join(homedir(), file.slice(2)) : file;
}

/**
 * The last parse of each known_hosts file, by its text: every host of a run reads the same file
 * twice (preferred key types, then the check) and parsed it whole each time. Keyed by the text,
 * not the mtime (too coarse to see two quick rewrites), so a changed file is parsed again.
 */
const parsed = new Map<string, { text: string; entries: KnownHostEntry[] }>();

/** Read a known_hosts file; a missing file is an empty one. The entries are shared: do not modify them. */
export async function loadKnownHosts(file: string): Promise<KnownHostEntry[]> {
  try {
    const text = await readFile(file, 'utf8');
    const cached = parsed.get(file);
    if (cached?.text === text) return cached.entries;
    const entries = parseKnownHosts(text);
    parsed.set(file, { text, entries });
    return entries;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/**
 * Verify an offered host key for one connection; appends it to the file under accept-new.
 * Throws UnreachableError with the refusal reason.
 */
export async function verifyHostKey(host: string, file: string, key: Buffer, check: HostKeyCheck): Promise<void> {
  const entries = check.policy === 'off' || check.pinned?.length ? [] : await loadKnownHosts(file);
  const verdict = checkHostKey(entries, key, check);
  if (!verdict.accepted) throw new UnreachableError(host, verdict.reason);
  if (verdict.learn) await appendKnownHost(file, formatKnownHostName(check.names[0]!, check.port), key);
}

/** Append one plain entry; O_APPEND keeps concurrent appends of whole lines intact. */
export async function appendKnownHost(file: string, hostName: string, key: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await appendFile(file, `${hostName} ${keyTypeOf(key)} ${key.toString('base64')}\n`, { mode: 0o600 });
}

/** Host key algorithms to prefer, from the key types known for the host, so the server offers one we can check. */
export function preferredHostKeyAlgorithms(entries: KnownHostEntry[], names: string[], port: number): string[] {
  const types = new Set(findHostEntries(entries, names, port).filter((e) => !e.marker).map((e) => e.keyType));
  const algorithms: string[] = [];
  for (const t of types) algorithms.push(...(t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]));
  return algorithms;
}
