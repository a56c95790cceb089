/**
 * lineinfile's edit as a pure function over text, following Ansible's lineinfile.py: with
 * `regexp` (or `search_string`) the LAST matching line is replaced (the first with firstmatch);
 * without one, a line equal to `line` counts as present; otherwise the line is inserted after
 * the last line matching `insertafter` (or before the one matching `insertbefore`), at EOF or
 * BOF, and at the end when neither matches. state absent removes every matching line.
 *
 * One deliberate difference: a replaced line keeps its own line ending and an inserted one takes
 * the file's (CRLF files stay CRLF); Ansible writes "\n" and so changes a CRLF line that already
 * matches on every run... once, then reports ok.
 */
import { compilePythonRegex, expandBackrefs } from './python-regex.js';
import { joinLines, lineEnding, splitLines, terminateLast } from './lines.js';

export interface LineInFileArgs {
  line?: string;
  regexp?: string;
  search_string?: string;
  state?: 'present' | 'absent';
  insertafter?: string;
  insertbefore?: string;
  firstmatch?: boolean;
  backrefs?: boolean;
}

export interface LineEdit {
  content: string;
  changed: boolean;
  /** Ansible's msg: "line added", "line replaced", "1 line(s) removed", "". */
  msg: string;
  /** state absent: how many lines were removed. */
  found?: number;
}

export function editLineInFile(content: string, args: LineInFileArgs): LineEdit {
  const lines = splitLines(content);
  const matcher = lineMatcher(args);
  if (args.state === 'absent') {
    const kept = lines.filter((l) => !matcher.test(l.text));
    const found = lines.length - kept.length;
    // Removing the last line leaves the one before it with its ending: nothing else moves.
    return { content: found ? joinLines(kept) : content, changed: found > 0, msg: found ? `${found} line(s) removed` : '', found };
  }
  const line = args.line ?? '';
  const eol = lineEnding(lines);
  const insertAt = args.insertafter ?? args.insertbefore;
  const positional = insertAt !== undefined && insertAt !== 'EOF' && insertAt !== 'BOF' ? compilePythonRegex(insertAt, args.insertafter !== undefined ? 'insertafter' : 'insertbefore') : undefined;
  let matchIndex = -1;
  let match: RegExpExecArray | null = null;
  let insertIndex = -1;
  for (const [i, l] of lines.entries()) {
    const m = matcher.exec(l.text);
    if (m) {
      matchIndex = i;
      match = m;
      if (args.firstmatch) break;
    } else if (positional?.test(l.text)) {
      insertIndex = args.insertafter !== undefined ? i + 1 : i;
      if (args.firstmatch) break;
    }
  }
  if (matchIndex >= 0) {
    const wanted = args.backrefs && match && matcher.regex ? expandBackrefs(line, match) : line;
    const current = lines[matchIndex]!;
    if (current.text === wanted) return unchanged(content);
    lines[matchIndex] = { text: wanted, eol: current.eol };
    return { content: joinLines(lines), changed: true, msg: 'line replaced' };
  }
  // backrefs without a match: the line cannot be built, so nothing is done (as Ansible).
  if (args.backrefs) return unchanged(content);
  const added = (at: number): LineEdit => {
    if (at >= lines.length) terminateLast(lines, eol);
    lines.splice(at, 0, { text: line, eol });
    return { content: joinLines(lines), changed: true, msg: 'line added' };
  };
  if (insertAt === 'BOF') return added(0);
  if (insertAt === 'EOF' || insertIndex === -1) return added(lines.length);
  // Already there right after the insertafter line: nothing to do.
  if (args.insertafter !== undefined) {
    const neighbour = insertIndex === lines.length ? lines[insertIndex - 1] : lines[insertIndex];
    if (neighbour?.text === line) return unchanged(content);
  }
  return added(insertIndex);
}

function unchanged(content: string): LineEdit {
  return { content, changed: false, msg: '' };
}

/** What "this line is the one" means: regexp, search_string, or equal to `line`. */
function lineMatcher(args: LineInFileArgs): { regex?: RegExp; test(text: string): boolean; exec(text: string): RegExpExecArray | null } {
  if (args.regexp !== undefined) {
    const regex = compilePythonRegex(args.regexp, 'regexp');
    return { regex, test: (t) => regex.test(t), exec: (t) => regex.exec(t) };
  }
  const exact = (found: boolean, text: string) => (found ? Object.assign([text], { index: 0, input: text }) as RegExpExecArray : null);
  if (args.search_string !== undefined) {
    const s = args.search_string;
    return { test: (t) => t.includes(s), exec: (t) => exact(t.includes(s), t) };
  }
  const line = args.line ?? '';
  return { test: (t) => t === line, exec: (t) => exact(t === line, t) };
}

