/**
 * Text as lines with their own endings, the way Python's readlines() keeps them, so an edit
 * touches only the lines it means to: a file without a final newline, CRLF lines, an empty file.
 */

/** One line: its text without the ending, and the ending it had ("\n", "\r\n", or "" for a last line without one). */
export interface Line {
  text: string;
  eol: string;
}

export function splitLines(content: string): Line[] {
  const lines: Line[] = [];
  const re = /\r?\n/g;
  let start = 0;
  for (let m = re.exec(content); m !== null; m = re.exec(content)) {
    lines.push({ text: content.slice(start, m.index), eol: m[0] });
    start = m.index + m[0].length;
  }
  if (start < content.length) lines.push({ text: content.slice(start), eol: '' });
  return lines;
}

export function joinLines(lines: readonly Line[]): string {
  return lines.map((l) => l.text + l.eol).join('');
}

/** The ending new lines get: the file's own (CRLF when its first line ends so), else "\n". */
export function lineEnding(lines: readonly Line[]): string {
  return lines.find((l) => l.eol !== '')?.eol ?? '\n';
}

/** Before inserting after the last line, give it an ending if it had none. */
export function terminateLast(lines: Line[], eol: string): void {
  const last = lines[lines.length - 1];
  if (last && last.eol === '') last.eol = eol;
}
