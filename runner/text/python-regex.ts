/**
 * Ansible's regular expressions are Python's. The common ones mean the same in JavaScript; the
 * spellings that differ are translated here: named groups `(?P<name>...)`, `(?P=name)`, and the
 * replacement syntax of backrefs (`\1`, `\g<1>`, `\g<name>`). An expression JavaScript refuses
 * is an error naming the argument, not a stack trace.
 */

/** A RegExp from a Python pattern (no flags: Ansible's lineinfile and blockinfile use none). */
export function compilePythonRegex(pattern: string, argument: string): RegExp {
  const translated = pattern.replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>').replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>');
  try {
    return new RegExp(translated);
  } catch (err) {
    throw new Error(`${argument}: not a regular expression quorum can use (${(err as Error).message.replace(/^Invalid regular expression: /, '')})`);
  }
}

/** Python's Match.expand: `\N` and `\g<N>`/`\g<name>` replaced by groups (unmatched: empty), `\\` a backslash. */
export function expandBackrefs(template: string, match: RegExpExecArray): string {
  return template.replace(/\\(?:(\d{1,2})|g<(\w+)>|(\\)|n|t)/g, (whole, num: string | undefined, name: string | undefined, backslash: string | undefined) => {
    if (backslash) return '\\';
    if (whole === '\\n') return '\n';
    if (whole === '\\t') return '\t';
    const key = num ?? name!;
    const value = /^\d+$/.test(key) ? match[Number(key)] : match.groups?.[key];
    return value ?? '';
  });
}
