/**
 * stat-path: what Ansible's stat module reports about a path, in one command: type, mode,
 * owner and group (ids and names), size, times, inode, link count, a link's target and, when
 * asked, a checksum. path-state.ts answers "does it match what I want" for the file module;
 * this answers "tell me everything" for a playbook's `when`, so it reads more and hashes less.
 */
import type { Fact } from '../types.js';
import { quote } from '../connection/quote.js';
import { ModuleError } from '../errors.js';

export interface StatPathArgs {
  path: string;
  follow: boolean;
  /** Hash a regular file with this algorithm; undefined: no checksum. */
  checksum?: 'sha1' | 'sha256';
}

/** What stat printed, as key=value fields (see buildStatScript), or absent. */
export interface StatPath {
  exists: boolean;
  fields: Record<string, string>;
  /** A link's target as stored (NUL-terminated in the output: it may hold a newline). */
  target?: string;
}

export const statPath: Fact<StatPath, StatPathArgs> = {
  name: 'stat-path',
  command: buildStatScript,
  parse(output, args) {
    if (output.exitCode !== 0) throw new ModuleError(`cannot stat ${args.path} (exit ${output.exitCode}): ${output.stderr.trim() || 'no error output'}`);
    return parseStat(output.stdout, args.path);
  },
};

export function buildStatScript({ path, follow, checksum }: StatPathArgs): string {
  const test = follow ? '[ ! -e "$p" ]' : '[ ! -e "$p" ] && [ ! -L "$p" ]';
  const hash = checksum === 'sha256' ? 'sha256sum' : 'sha1sum';
  return [
    `p=${quote(path)}`,
    `if ${test}; then echo exists=no; exit 0; fi`,
    'echo exists=yes',
    `LC_ALL=C stat ${follow ? '-L ' : ''}--printf 'type=%F\\nmode=%a\\nuid=%u\\ngid=%g\\nowner=%U\\ngroup=%G\\nsize=%s\\nmtime=%Y\\natime=%X\\nctime=%Z\\ninode=%i\\nnlink=%h\\ndev=%d\\n' -- "$p" || exit 3`,
    '[ -r "$p" ] && echo readable=yes; [ -w "$p" ] && echo writeable=yes; [ -x "$p" ] && echo executable=yes',
    checksum ? `if [ -f "$p" ] && [ -r "$p" ]; then printf 'checksum='; ${hash} < "$p" || exit 3; fi` : ':',
    // Resolved target of a link (Ansible's lnk_source), then the target as stored, last and NUL-ended.
    follow ? ':' : `if [ -L "$p" ]; then printf 'source='; readlink -f -- "$p"; printf 'target='; readlink -z -- "$p" || exit 3; fi`,
  ].join('\n');
}

export function parseStat(stdout: string, path: string): StatPath {
  const at = stdout.indexOf('\ntarget=');
  const head = at < 0 ? stdout : stdout.slice(0, at + 1);
  let target: string | undefined;
  if (at >= 0) {
    const start = at + '\ntarget='.length;
    const end = stdout.indexOf('\0', start);
    target = end < 0 ? stdout.slice(start).replace(/\n$/, '') : stdout.slice(start, end);
  }
  const fields = new Map<string, string>();
  for (const line of head.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const exists = fields.get('exists');
  if (exists !== 'yes' && exists !== 'no') throw new ModuleError(`unexpected stat output for ${path}: ${JSON.stringify(stdout.slice(0, 200))}`);
  return { exists: exists === 'yes', fields: Object.fromEntries(fields), ...(target !== undefined ? { target } : {}) };
}
