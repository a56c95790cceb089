/**
 * Jinja's boolean words in a condition, read as CEL reads its operators: `and` -> `&&`,
 * `or` -> `||`, `not X` -> `!(X)`. Ansible users write `when: a and not b.stat.exists` in
 * nearly every playbook; the meaning is not in doubt, so the condition is accepted as written.
 *
 * Only the three words change, and only as whole words outside string literals and not after a
 * `.` (a field named `not` stays a field). `not` binds as in Jinja: looser than comparisons
 * (`not a == b` is `!(a == b)`), tighter than `and`/`or`, so its operand runs to the next
 * top-level `and`, `or`, `,`, closing bracket or the end. The caller uses the result only when
 * the expression as written does not parse as CEL and the translation does.
 */

/** The CEL spelling of `expr`, or undefined when it holds none of the three words. */
export function translateJinjaBooleanWords(expr: string): string | undefined {
  let out = '';
  let changed = false;
  let depth = 0;
  // Depths at which a `!(` is open, innermost last.
  const openNots: number[] = [];
  const closeNotsAt = (level: number): void => {
    while (openNots.length > 0 && openNots[openNots.length - 1]! >= level) {
      openNots.pop();
      out += ')';
    }
  };
  let i = 0;
  while (i < expr.length) {
    const ch = expr[i]!;
    if (ch === '"' || ch === "'") {
      const end = endOfString(expr, i);
      out += expr.slice(i, end);
      i = end;
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') {
      depth++;
      out += ch;
      i++;
      continue;
    }
    if (ch === ')' || ch === ']' || ch === '}' || ch === ',') {
      out = out.replace(/\s*$/, '');
      closeNotsAt(depth);
      if (ch !== ',') depth--;
      out += ch;
      i++;
      continue;
    }
    const word = /^[A-Za-z_]\w*/.exec(expr.slice(i))?.[0];
    if (word === undefined) {
      out += ch;
      i++;
      continue;
    }
    const afterDot = /\.\s*$/.test(out);
    if (!afterDot && (word === 'and' || word === 'or')) {
      out = out.replace(/\s*$/, '');
      closeNotsAt(depth);
      out += ` ${word === 'and' ? '&&' : '||'}`;
      changed = true;
    } else if (!afterDot && word === 'not') {
      out += '!(';
      openNots.push(depth);
      changed = true;
      // The operand starts after the blanks that follow `not`.
      i += word.length;
      while (expr[i] === ' ' || expr[i] === '\t') i++;
      continue;
    } else {
      out += word;
    }
    i += word.length;
  }
  if (openNots.length > 0) out = out.replace(/\s*$/, '');
  closeNotsAt(0);
  return changed ? out : undefined;
}

/**
 * `parse(expr)`; when that throws, `parse` of the translation (if there is one and it parses),
 * else the first error: the condition as written keeps its own message. `text` is what was
 * parsed: positions in the result (error ranges) are positions in it.
 */
export function parseAcceptingJinjaWords<T>(expr: string, parse: (text: string) => T): { result: T; text: string } {
  try {
    return { result: parse(expr), text: expr };
  } catch (err) {
    const translated = translateJinjaBooleanWords(expr);
    if (translated === undefined) throw err;
    try {
      return { result: parse(translated), text: translated };
    } catch {
      throw err;
    }
  }
}

/** Index just past the string literal that starts at `start` (CEL's backslash escapes). */
function endOfString(text: string, start: number): number {
  const quote = text[start]!;
  let i = start + 1;
  while (i < text.length && text[i] !== quote) i += text[i] === '\\' ? 2 : 1;
  return Math.min(i + 1, text.length);
}
