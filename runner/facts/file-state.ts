/**
 * Shared file facts: what a path is (one `stat` + `sha256sum` round trip), and a small file's
 * content. Modules compare these with what they want instead of running ad-hoc shell checks.
 */
import type { Fact } from '../types.js';
import { quote } from '../connection/quote.js';

/** What a path is on the host; `exists: false` and nothing else when it is absent. */
export interface FileState {
  path: string;
  exists: boolean;
  /** `file`, `directory`, `symlink` or `other` (sockets, devices). */
  type?: 'file' | 'directory' | 'symlink' | 'other';
  /** Octal permission bits, 4 digits ("0644"). */
  mode?: string;
  owner?: string;
  group?: string;
  size?: number;
  /** Hex sha256 of the content, regular files only. */
  sha256?: string;
}

// `stat -c` with a fixed separator; %F is localised only in its words, which we map below.
// LC_ALL=C keeps those words English whatever the host's locale.
const STAT_FORMAT = '%F|%a|%U|%G|%s';

/** exists/type/mode/owner/group/size/sha256 of `path`, without following a final symlink. */
export const fileState: Fact<FileState, string> = {
  name: 'file-state',
  sudo: true,
  command(path) {
    const p = quote(path);
    return [
      `if [ -e ${p} ] || [ -L ${p} ]; then`,
      `  LC_ALL=C stat -c '${STAT_FORMAT}' -- ${p} || exit 3`,
      `  if [ -f ${p} ] && [ ! -L ${p} ]; then sha256sum -- ${p} | cut -d' ' -f1 || exit 3; fi`,
      `else echo absent; fi`,
    ].join('\n');
  },
  parse(output, path) {
    if (output.exitCode !== 0) {
      throw new Error(`cannot stat ${path} (exit ${output.exitCode}): ${output.stderr.trim()}`);
    }
    return parseFileState(output.stdout, path);
  },
};

/** Parse the output of {@link fileState}'s command (pure; exported for fixture tests). */
export function parseFileState(stdout: string, path: string): FileState {
  const lines = stdout.split('\n').filter((l) => l.length > 0);
  if (lines[0] === 'absent') return { path, exists: false };
  const fields = (lines[0] ?? '').split('|');
  if (fields.length !== 5) throw new Error(`unexpected stat output for ${path}: ${JSON.stringify(stdout)}`);
  const [kind, mode, owner, group, size] = fields as [string, string, string, string, string];
  const state: FileState = {
    path,
    exists: true,
    type: mapType(kind),
    mode: mode.padStart(4, '0'),
    owner,
    group,
    size: Number(size),
  };
  if (lines[1] !== undefined) state.sha256 = lines[1];
  return state;
}

function mapType(kind: string): FileState['type'] {
  if (kind === 'regular file' || kind === 'regular empty file') return 'file';
  if (kind === 'directory') return 'directory';
  if (kind === 'symbolic link') return 'symlink';
  return 'other';
}

/** Content of a small text file, or `undefined` when it does not exist. */
export interface FileContent {
  path: string;
  content?: string;
}

/**
 * The content of a small text file (unit files, manifests) for diffs and comparisons. Do not
 * use it for secrets: the content ends up in diffs.
 */
export const fileContent: Fact<FileContent, string> = {
  name: 'file-content',
  sudo: true,
  command(path) {
    const p = quote(path);
    // The marker line tells "absent" from "empty" without a second round trip.
    return `if [ -f ${p} ]; then echo present; cat -- ${p} || exit 3; else echo absent; fi`;
  },
  parse(output, path) {
    if (output.exitCode !== 0) throw new Error(`cannot read ${path} (exit ${output.exitCode}): ${output.stderr.trim()}`);
    const nl = output.stdout.indexOf('\n');
    const marker = output.stdout.slice(0, nl);
    if (marker === 'absent') return { path };
    if (marker !== 'present') throw new Error(`unexpected output reading ${path}`);
    return { path, content: output.stdout.slice(nl + 1) };
  },
};
