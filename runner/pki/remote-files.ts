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

/** The shell script that prints every path's attributes and content between markers. */
export function buildReadScript(paths: readonly string[], dirs: readonly string[]): string {
  const files = paths.map(quote).join(' ');
  const dirList = dirs.map(quote).join(' ');
  // cat's output is followed by a newline so the next marker starts a line even if the file
  // does not end with one; the parser removes that newline again.
  return [
    `for f in ${files}; do`,
    `  if [ -f "$f" ]; then printf '${MARK} file %s %s\\n' "$(stat -c '%a %U %G' -- "$f")" "$f" && cat -- "$f" && printf '\\n' || exit 1;`,
    `  else printf '${MARK} missing %s\\n' "$f"; fi`,
    'done',
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
