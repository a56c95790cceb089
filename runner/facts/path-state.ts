/**
 * path-state: what a path is on the host, in one round trip: type, mode, owner/group (names and
 * ids), size, sha256 of a regular file, target of a link, and whether the parent directory
 * exists. The path itself is inspected (`stat` without -L), so a symbolic link is reported as a
 * link, never as what it points to. Every module that compares a path with what it wants (file,
 * command's creates/removes, fetch, kubeadm-phase) reads it here.
 *
 * The script runs for nearly every task, so it spawns as few processes as it can: a process
 * costs 0.7-1.5 ms on the lab's hosts, more than the round trip. The parent directory is
 * computed here, not with dirname; `stat` and `sha256sum` print straight to the output instead
 * of through command substitutions (each a fork). Two processes for a file, one otherwise.
 */
import { posix } from 'node:path';
import type { Fact } from '../types.js';
import { quote, quoteArgv } from '../connection/quote.js';
import { ModuleError } from '../errors.js';

/** What a path is on the host. Only `path`, `type` and `parentExists` are set when absent. */
export interface PathState {
  path: string;
  type: 'absent' | 'file' | 'directory' | 'link' | 'other';
  /** Permission bits as 4 octal digits ("0644"). */
  mode?: string;
  owner?: string;
  group?: string;
  uid?: number;
  gid?: number;
  size?: number;
  /** Hex sha256 of the content (regular files only). */
  sha256?: string;
  /** What a symbolic link points to, as stored in the link (not resolved). */
  target?: string;
  /** The directory that would hold the path exists (a write there can succeed). */
  parentExists: boolean;
  /**
   * Absent with its parent missing: the deepest ancestor that was a directory (links followed)
   * when the path was read, where creating the path starts (modules/file.ts, mkdirNoFollow).
   */
  existingAncestor?: string;
}

/** Arguments of {@link pathState}. */
export interface PathStateArgs {
  path: string;
}

/** The fact: one shell script printing `key=value` lines, parsed by {@link parsePathState}. */
export const pathState: Fact<PathState, PathStateArgs> = {
  name: 'path-state',
  command({ path }) {
    return buildPathStateScript(path);
  },
  parse(output, { path }) {
    if (output.exitCode !== 0) {
      throw new ModuleError(`cannot inspect ${path} (exit ${output.exitCode}): ${output.stderr.trim() || 'no error output'}`);
    }
    return parsePathState(output.stdout, path);
  },
  guard: ({ path }, state) => pathStateGuard(path, state),
};

/**
 * A shell condition that holds while `path` is still what `state` says (Fact.guard): its kind;
 * for what exists, its mode, ids and owner names; a file's sha256; a link's target. Builtins
 * only for an absent path, the case of every file a first run creates. That the parent exists
 * is checked only when `state` says so: a plan made while it was missing checks for it itself
 * (modules/file.ts), and creating it is what the tasks before usually did. Undefined for a
 * special file (nothing plans from one).
 */
export function pathStateGuard(path: string, state: PathState): string | undefined {
  const p = quote(path);
  const parts = state.parentExists ? [`[ -d ${quote(posix.dirname(path))} ]`] : [];
  // Where creating it starts: still a directory (a plan made from this read enters it).
  if (state.existingAncestor !== undefined) parts.push(`[ -d ${quote(state.existingAncestor)} ]`);
  if (state.type === 'absent') return [...parts, `[ ! -e ${p} ]`, `[ ! -L ${p} ]`].join(' && ');
  if (state.type === 'other' || state.mode === undefined || !Number.isInteger(state.uid) || !Number.isInteger(state.gid)) return undefined;
  // stat's %a has no leading zeros ("644"); PathState keeps four digits ("0644").
  const attributes = [state.mode.replace(/^0+(?=.)/, ''), state.uid, state.gid, state.owner, state.group].join(':');
  const statIs = `[ "$(LC_ALL=C stat --printf '%a:%u:%g:%U:%G' -- ${p})" = ${quote(attributes)} ]`;
  switch (state.type) {
    case 'file':
      if (state.sha256 === undefined) return undefined;
      return [...parts, `[ -f ${p} ]`, `[ ! -L ${p} ]`, statIs, `[ "$(sha256sum < ${p})" = ${quote(`${state.sha256}  -`)} ]`].join(' && ');
    case 'directory':
      return [...parts, `[ -d ${p} ]`, `[ ! -L ${p} ]`, statIs].join(' && ');
    case 'link':
      if (state.target === undefined) return undefined;
      // The '.' keeps the command substitution from eating a target's own trailing newlines.
      return [...parts, `[ -L ${p} ]`, statIs, `[ "$(readlink -- ${p}; echo .)" = ${quote(`${state.target}\n.`)} ]`].join(' && ');
  }
}

/**
 * The same fact, always as root: for modules that read root-only paths whether or not the task
 * uses become (fetch of a snapshot, kubeadm's artefacts under /etc/kubernetes).
 */
export const pathStateAsRoot: Fact<PathState, PathStateArgs> = { ...pathState, name: 'path-state-as-root', sudo: true };

/** The script behind {@link pathState}; exported so fact fixtures can show what runs. */
export function buildPathStateScript(path: string): string {
  const p = quote(path);
  const parent = quote(posix.dirname(path));
  // LC_ALL=C: %F prints localised words ("fichier régulier") otherwise.
  // sha256sum reads stdin so that odd file names are not escaped in its output ("HEX  -").
  return [
    `p=${p}`,
    `if [ -d ${parent} ]; then echo parent=yes; else echo parent=no; fi`,
    `if [ ! -e "$p" ] && [ ! -L "$p" ]; then echo type=absent; [ -d ${parent} ] || ${printExistingAncestor(path)}; exit 0; fi`,
    `LC_ALL=C stat --printf 'type=%F\\nmode=%a\\nowner=%U\\ngroup=%G\\nuid=%u\\ngid=%g\\nsize=%s\\n' -- "$p" || exit 3`,
    // Last, and ended by NUL, not newline: a link's target may hold a newline.
    `if [ -L "$p" ]; then printf 'target='; readlink -z -- "$p" || exit 3;`,
    `elif [ -f "$p" ]; then printf 'sha256='; sha256sum < "$p" || exit 3; fi`,
  ].join('\n');
}

/**
 * The ancestors of `path` from its parent up to `/`: where creating it could start. Index 0,
 * the parent, is never printed as the existing ancestor (that is `parent=yes`).
 */
export function ancestorsOf(path: string): string[] {
  const ancestors: string[] = [];
  for (let d = posix.dirname(posix.normalize(path)); ; d = posix.dirname(d)) {
    ancestors.push(d);
    if (d === '/' || d === '.') return ancestors;
  }
}

/**
 * Shell: print `label` and the index in ancestorsOf(path) of the deepest ancestor that is a
 * directory, then a newline (builtins only). `label` is shell-safe text of ours: `ancestor=` in
 * the one-path script, `na` in the batch's kind line.
 */
export function printExistingAncestor(path: string, label = 'ancestor='): string {
  const above = ancestorsOf(path).slice(1);
  if (above.length === 0) return 'true';
  return `{ i=1; for d in ${quoteArgv(above)}; do if [ -d "$d" ]; then echo ${label}$i; break; fi; i=$((i + 1)); done; }`;
}

/** Parse the `key=value` output of {@link buildPathStateScript} (pure). */
export function parsePathState(stdout: string, path: string): PathState {
  const { head, target } = splitTarget(stdout);
  const fields = parseKeyValues(head);
  const rawType = fields.get('type');
  if (rawType === undefined || !fields.has('parent')) {
    throw new ModuleError(`unexpected path-state output for ${path}: ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  const state: PathState = { path, type: mapType(rawType), parentExists: fields.get('parent') === 'yes' };
  if (state.type === 'absent') {
    if (!state.parentExists) {
      const ancestor = ancestorsOf(path)[Number(fields.get('ancestor') ?? NaN)];
      if (!/^[1-9]\d*$/.test(fields.get('ancestor') ?? '') || ancestor === undefined) {
        throw new ModuleError(`unexpected path-state output for ${path}: no directory above it (${JSON.stringify(stdout.slice(0, 200))})`);
      }
      state.existingAncestor = ancestor;
    }
    return state;
  }
  state.mode = (fields.get('mode') ?? '').padStart(4, '0');
  state.owner = fields.get('owner');
  state.group = fields.get('group');
  state.uid = Number(fields.get('uid'));
  state.gid = Number(fields.get('gid'));
  state.size = Number(fields.get('size'));
  // sha256sum prints "HEX  -" (its input is stdin).
  const sha = fields.get('sha256')?.split(' ')[0];
  if (sha !== undefined) state.sha256 = sha;
  if (target !== undefined) state.target = target;
  return state;
}

/** The link target (the last field, up to its NUL) apart from the `key=value` lines before it. */
function splitTarget(stdout: string): { head: string; target?: string } {
  // Never the first line: `parent=` always comes first.
  const line = stdout.indexOf('\ntarget=');
  if (line < 0) return { head: stdout };
  const start = line + '\ntarget='.length;
  const end = stdout.indexOf('\0', start);
  return { head: stdout.slice(0, line + 1), target: end < 0 ? stdout.slice(start).replace(/\n$/, '') : stdout.slice(start, end) };
}

function parseKeyValues(stdout: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return fields;
}

function mapType(kind: string): PathState['type'] {
  switch (kind) {
    case 'absent':
      return 'absent';
    case 'regular file':
    case 'regular empty file':
      return 'file';
    case 'directory':
      return 'directory';
    case 'symbolic link':
      return 'link';
    default:
      return 'other';
  }
}
