/**
 * blockinfile's edit as a pure function over text, following Ansible's blockinfile.py: the
 * block sits between a BEGIN and an END marker line (`# {mark} ANSIBLE MANAGED BLOCK`); an
 * existing pair is replaced in place, else the block is inserted after the last line matching
 * `insertafter` (or before the last matching `insertbefore`), at BOF, or at the end. An empty
 * block or state absent removes the markers and what is between them.
 *
 * Markers are found by their text whatever the line ending (Ansible compares the ending too and
 * so would add a second block to a CRLF file); new lines take the file's ending.
 */
import { compilePythonRegex } from './python-regex.js';
import { joinLines, lineEnding, splitLines, terminateLast, type Line } from './lines.js';

export interface BlockInFileArgs {
  block?: string;
  marker?: string;
  marker_begin?: string;
  marker_end?: string;
  state?: 'present' | 'absent';
  insertafter?: string;
  insertbefore?: string;
}

export interface BlockEdit {
  content: string;
  changed: boolean;
  /** "Block inserted", "Block removed", "". */
  msg: string;
}

export const DEFAULT_MARKER = '# {mark} ANSIBLE MANAGED BLOCK';

export function editBlockInFile(content: string, args: BlockInFileArgs): BlockEdit {
  const lines = splitLines(content);
  const eol = lineEnding(lines);
  const marker = args.marker ?? DEFAULT_MARKER;
  const begin = marker.replace('{mark}', args.marker_begin ?? 'BEGIN');
  const end = marker.replace('{mark}', args.marker_end ?? 'END');
  const present = args.state !== 'absent' && (args.block ?? '') !== '';
  const blockLines: Line[] = present ? [begin, ...splitLines(args.block!).map((l) => l.text), end].map((text) => ({ text, eol })) : [];
  // The last of each marker, as Ansible's loop finds them.
  let n0 = -1;
  let n1 = -1;
  lines.forEach((l, i) => {
    if (l.text === begin) n0 = i;
    if (l.text === end) n1 = i;
  });
  let at: number;
  if (n0 === -1 || n1 === -1) {
    if (!present) return { content, changed: false, msg: '' };
    at = insertionPoint(lines, args);
  } else {
    const [from, to] = n0 < n1 ? [n0, n1] : [n1, n0];
    lines.splice(from, to - from + 1);
    at = from;
  }
  if (at > 0 && at >= lines.length) terminateLast(lines, eol);
  lines.splice(at, 0, ...blockLines);
  const result = joinLines(lines);
  if (result === content) return { content, changed: false, msg: '' };
  return { content: result, changed: true, msg: present ? 'Block inserted' : 'Block removed' };
}

function insertionPoint(lines: readonly Line[], args: BlockInFileArgs): number {
  if (args.insertafter !== undefined && args.insertafter !== 'EOF') {
    const re = compilePythonRegex(args.insertafter, 'insertafter');
    const last = lastIndex(lines, re);
    return last === -1 ? lines.length : last + 1;
  }
  if (args.insertbefore !== undefined) {
    if (args.insertbefore === 'BOF') return 0;
    const last = lastIndex(lines, compilePythonRegex(args.insertbefore, 'insertbefore'));
    return last === -1 ? lines.length : last;
  }
  return lines.length;
}

function lastIndex(lines: readonly Line[], re: RegExp): number {
  let found = -1;
  lines.forEach((l, i) => {
    if (re.test(l.text)) found = i;
  });
  return found;
}
