/**
 * OpenSSH's client configuration, which Ansible's users rely on through the ssh client Ansible
 * runs: `~/.ssh/config` then `/etc/ssh/ssh_config`, or only the file of `-F FILE`. Read as
 * OpenSSH reads it, for one destination: `Host` patterns (`*`, `?`, `!negated`), `Match all` and
 * `Match host`/`originalhost`, `Include` (globs; relative to ~/.ssh or /etc/ssh), `Keyword value`
 * or `Keyword=value`, keywords in any case, and the first value obtained for a keyword wins
 * (IdentityFile accumulates). Options quorum applies are returned; options that change nothing
 * about where or how quorum connects are passed over (listed below); any other option, such as
 * ProxyCommand or Ciphers, is an error naming it and its place: quorum runs no ssh client, so
 * such an option would otherwise be dropped and the connection go elsewhere or otherwise.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { SourceLocation } from '../errors.js';

/** The options quorum applies, lower-cased. */
const APPLIED = new Set(['hostname', 'user', 'port', 'identityfile', 'identitiesonly', 'proxyjump', 'userknownhostsfile', 'stricthostkeychecking', 'connecttimeout']);
/**
 * Options with no bearing on where quorum connects, as whom, or how the host is checked
 * (multiplexing, keepalives, environment, agent and display forwarding, logging...).
 */
const PASSED_OVER = new Set([
  'serveraliveinterval', 'serveralivecountmax', 'tcpkeepalive', 'controlmaster', 'controlpath', 'controlpersist', 'sendenv', 'setenv',
  'hashknownhosts', 'gssapiauthentication', 'gssapidelegatecredentials', 'addkeystoagent', 'usekeychain', 'ignoreunknown', 'loglevel',
  'compression', 'forwardagent', 'forwardx11', 'forwardx11trusted', 'visualhostkey', 'checkhostip', 'updatehostkeys', 'pubkeyauthentication',
  'passwordauthentication', 'preferredauthentications', 'kbdinteractiveauthentication', 'challengeresponseauthentication', 'batchmode',
  'numberofpasswordprompts', 'connectionattempts', 'escapechar', 'requesttty', 'identityagent', 'addressfamily', 'exitonforwardfailure',
  'clearallforwardings', 'nohostauthenticationforlocalhost', 'verifyhostkeydns', 'stdinnull', 'forkafterauthentication', 'sessiontype',
  'permitlocalcommand', 'globalknownhostsfile',
]);

export interface SshOption {
  values: string[];
  origin: SourceLocation;
}

export interface SshConfigResult {
  /** lower-cased keyword -> its value(s) and where it was set */
  options: Map<string, SshOption>;
  /** Options quorum cannot honour, each with its place. */
  problems: Array<{ location: SourceLocation; message: string }>;
}

interface Line {
  key: string;
  /** the keyword as written */
  name: string;
  args: string[];
  location: SourceLocation;
  /** The directory relative Includes resolve against. */
  includeBase: string;
}

/** The config files OpenSSH reads when no -F is given. */
export function defaultSshConfigFiles(): string[] {
  return [join(homedir(), '.ssh', 'config'), '/etc/ssh/ssh_config'];
}

/** The options that apply to `destination` (what ssh is given: ansible_host or the host name). */
export function sshConfigFor(destination: string, files: readonly string[]): SshConfigResult {
  const result: SshConfigResult = { options: new Map(), problems: [] };
  for (const file of files) {
    if (!existsSync(file)) continue;
    const base = file.startsWith('/etc/ssh/') ? '/etc/ssh' : join(homedir(), '.ssh');
    applyLines(readLines(file, base, 0, result), destination, result);
  }
  return result;
}

function applyLines(lines: Line[], destination: string, result: SshConfigResult): void {
  let active = true;
  for (const line of lines) {
    if (line.key === 'host') {
      active = matchesHost(destination, line.args);
      continue;
    }
    if (line.key === 'match') {
      const matched = evaluateMatch(line, destination, result);
      active = matched;
      continue;
    }
    if (!active) continue;
    if (PASSED_OVER.has(line.key)) continue;
    if (!APPLIED.has(line.key)) {
      result.problems.push({
        location: line.location,
        message: `ssh option '${line.args.length > 0 ? `${canonical(line)} ${line.args.join(' ')}` : canonical(line)}' applies to ${destination}, and quorum cannot honour it (it speaks SSH itself and runs no ssh client): remove it for this host, or give quorum its own config with ansible_ssh_common_args: "-F FILE"`,
      });
      continue;
    }
    const known = result.options.get(line.key);
    // OpenSSH keeps the first value obtained; IdentityFile lines add up.
    if (known && line.key === 'identityfile') known.values.push(...line.args);
    else if (!known) result.options.set(line.key, { values: [...line.args], origin: line.location });
  }
}

/** `Match all`, `Match host P,Q`, `Match originalhost P`, `Match !host P`; anything else is refused. */
function evaluateMatch(line: Line, destination: string, result: SshConfigResult): boolean {
  const args = [...line.args];
  if (args.length === 1 && args[0]!.toLowerCase() === 'all') return true;
  let matched = true;
  while (args.length > 0) {
    let criterion = args.shift()!.toLowerCase();
    const negate = criterion.startsWith('!');
    if (negate) criterion = criterion.slice(1);
    if (criterion !== 'host' && criterion !== 'originalhost') {
      result.problems.push({ location: line.location, message: `ssh 'Match ${line.args.join(' ')}': quorum evaluates only Match all, host and originalhost (it runs no ssh client): rewrite it as a Host block` });
      return false;
    }
    const patterns = (args.shift() ?? '').split(',');
    // Without HostName substitution yet, host and originalhost are the destination itself.
    const hit = matchesHost(destination, patterns);
    matched &&= negate ? !hit : hit;
  }
  return matched;
}

/** OpenSSH's host pattern list: any positive match, and no negated match. */
export function matchesHost(name: string, patterns: string[]): boolean {
  let positive = false;
  for (const raw of patterns.flatMap((p) => p.split(','))) {
    if (raw === '') continue;
    const negated = raw.startsWith('!');
    const re = new RegExp(`^${(negated ? raw.slice(1) : raw).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
    if (re.test(name)) {
      if (negated) return false;
      positive = true;
    }
  }
  return positive;
}

function readLines(file: string, includeBase: string, depth: number, result: SshConfigResult): Line[] {
  if (depth > 16) return [];
  const lines: Line[] = [];
  const text = readFileSync(file, 'utf8');
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(trimmed) ?? [trimmed, trimmed, ''];
    const location = { file, line: index + 1, col: raw.length - raw.trimStart().length + 1 };
    const key = m[1]!.toLowerCase();
    const args = splitArgs(m[2]!);
    if (key === 'include') {
      for (const pattern of args) for (const included of expandInclude(pattern, includeBase)) lines.push(...readLines(included, includeBase, depth + 1, result));
      continue;
    }
    lines.push({ key, name: m[1]!, args, location, includeBase });
  }
  return lines;
}

/** Include's glob, as OpenSSH expands it (a `*` or `?` in the last component), in name order. */
function expandInclude(pattern: string, base: string): string[] {
  const path = expandTilde(pattern);
  const full = isAbsolute(path) ? path : join(base, path);
  if (!/[*?]/.test(basename(full))) return existsSync(full) ? [full] : [];
  const dir = dirname(full);
  if (!existsSync(dir)) return [];
  const re = new RegExp(`^${basename(full).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return readdirSync(dir).filter((e) => re.test(e)).sort().map((e) => join(dir, e));
}

function splitArgs(text: string): string[] {
  const args: string[] = [];
  for (const m of text.matchAll(/"([^"]*)"|(\S+)/g)) args.push(m[1] ?? m[2]!);
  return args;
}

function canonical(line: Line): string {
  return line.name;
}

export function expandTilde(path: string): string {
  if (path === '~') return homedir();
  return path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
}

/** `-F FILE` taken out of an ssh argument string (Ansible's ansible_ssh_common_args), and the rest. */
export function takeConfigFileArg(args: string): { file?: string; rest: string } {
  const m = /(^|\s)-F\s*("[^"]*"|'[^']*'|[^\s"']+)/.exec(args);
  if (!m) return { rest: args };
  const file = m[2]!.replace(/^["'](.*)["']$/, '$1');
  return { file, rest: (args.slice(0, m.index) + m[1] + args.slice(m.index + m[0].length)).trim() };
}
