/**
 * Python's `shlex.split(line, comments=True)` (POSIX mode), which Ansible's INI inventory uses to
 * cut a host line into its tokens. Reproduced rule for rule because a host line's meaning depends
 * on it: `#` outside quotes ends the line even inside a word (`pass=a#b` is `pass=a`), quotes
 * join, a backslash escapes outside quotes and, inside double quotes, only `"` and `\`.
 */

export interface ShlexToken {
  text: string;
  /** 0-based offset in the line of the token's first character, for error columns. */
  start: number;
}

/** Tokens of `line`, or the error Python raises ("No closing quotation", "No escaped character"). */
export function shlexSplit(line: string): ShlexToken[] | { error: string } {
  const tokens: ShlexToken[] = [];
  const WHITESPACE = ' \t\r\n';
  let state: ' ' | 'a' | "'" | '"' | '\\' = ' ';
  let escaped: 'a' | '"' | "'" = 'a';
  let token = '';
  let quoted = false;
  let start = 0;
  const emit = () => {
    if (token !== '' || quoted) tokens.push({ text: token, start });
    token = '';
    quoted = false;
  };
  for (let i = 0; i <= line.length; i++) {
    const ch = i < line.length ? line[i]! : '';
    if (state === ' ' || state === 'a') {
      if (ch === '') break;
      if (WHITESPACE.includes(ch)) {
        if (state === 'a') emit();
        state = ' ';
      } else if (ch === '#') {
        // The rest of the line is a comment, whether or not a word is under way.
        if (state === 'a') emit();
        state = ' ';
        break;
      } else {
        if (state === ' ') start = i;
        if (ch === '\\') {
          escaped = 'a';
          state = '\\';
        } else if (ch === '"' || ch === "'") state = ch;
        else token += ch;
        if (state === ' ') state = 'a';
      }
    } else if (state === "'" || state === '"') {
      quoted = true;
      if (ch === '') return { error: 'No closing quotation' };
      if (ch === state) state = 'a';
      else if (ch === '\\' && state === '"') {
        escaped = '"';
        state = '\\';
      } else token += ch;
    } else {
      if (ch === '') return { error: 'No escaped character' };
      // In POSIX shells, only the quote itself or the escape character may be escaped within quotes.
      if (escaped !== 'a' && ch !== '\\' && ch !== escaped) token += '\\';
      token += ch;
      state = escaped;
    }
  }
  if (state === 'a') emit();
  return tokens;
}
