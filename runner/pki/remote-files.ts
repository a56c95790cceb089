/**
 * Read a host's PKI files in one round trip: for each path its mode/owner/group and content,
 * or that it is missing. A missing file is a fact, not an error.
 */
import { quote } from '../connection/quote.js';

/** One file as found on the host. */
export interface RemoteFile {
  /** Four-digit octal, e.g. "0644". */
  mode: string;
  owner: string;
  group: string;
  content: string;
}

const MARK = '@@quorum-certs';

/**
 * The shell script that prints every path's attributes and content between markers. Two
 * programs however many files (a process costs the host 1-2 ms): one `stat` for the attributes
 * of all, and the contents read by the shell's own `read` (certificates and keys are text).
 */
export function buildReadScript(paths: readonly string[], dirs: readonly string[]): string {
  const files = paths.map(quote).join(' ');
  const dirList = dirs.map(quote).join(' ');
  // Each file's lines are printed as read; a last line without a newline is printed as it is,
  // then a newline so the next marker starts a line (as `cat -- "$f"; printf '\n'` did); the
  // parser removes that newline again.
  return [
    'set --',
    `for f in ${files}; do if [ -f "$f" ]; then set -- "$@" "$f"; else printf '${MARK} missing %s\\n' "$f"; fi; done`,
    'if [ $# -gt 0 ]; then',
    `  q_a=$(stat -c '%a %U %G' -- "$@") || exit 1`,
    '  for f; do',
    `    IFS= read -r a || exit 1; printf '${MARK} file %s %s\\n' "$a" "$f"`,
    `    l=; while IFS= read -r l; do printf '%s\\n' "$l"; done <"$f" || exit 1`,
    `    printf '%s\\n' "$l"`,
    '  done <<Q_ATTRS',
    '$q_a',
    'Q_ATTRS',
    'fi',
    `for d in ${dirList}; do if [ -d "$d" ]; then printf '${MARK} dir %s\\n' "$d"; fi; done`,
  ].join('\n');
}

/** Parse the script's output: files by path (missing ones absent), and the existing dirs. */
export function parseReadOutput(stdout: string): { files: Map<string, RemoteFile>; dirs: Set<string> } {
  const files = new Map<string, RemoteFile>();
  const dirs = new Set<string>();
  let current: { path: string; file: RemoteFile; lines: string[] } | undefined;
  const flush = () => {
    if (!current) return;
    current.file.content = current.lines.join('\n').replace(/\n$/, '');
    files.set(current.path, current.file);
    current = undefined;
  };
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(`${MARK} `)) {
      current?.lines.push(line);
      continue;
    }
    flush();
    const [kind, ...rest] = line.slice(MARK.length + 1).split(' ');
    if (kind === 'file') {
      const [mode, owner, group, ...path] = rest;
      current = { path: path.join(' '), file: { mode: (mode ?? '').padStart(4, '0'), owner: owner ?? '', group: group ?? '', content: '' }, lines: [] };
    } else if (kind === 'dir') dirs.add(rest.join(' '));
  }
  flush();
  return { files, dirs };
}
