/**
 * Python's `ast.literal_eval`, the subset that can hold an inventory value: what Ansible's INI
 * inventory does to every `key=value` before keeping it (`port=22` is the number 22, `on=True` a
 * boolean, `x=[1, 2]` a list, `'a'` the string a, `true` stays the string "true").
 *
 * Anything literal_eval refuses (a name, an expression, a leading-zero number...) is the raw text,
 * as in Ansible. Literals JSON cannot hold (complex numbers, `...`) are also kept as raw text:
 * Ansible would carry a Python object there that no playbook can use.
 */

export type LiteralResult = { ok: true; value: unknown } | { ok: false };

/** The value Ansible's INI parser stores for the text `text`. */
export function iniValue(text: string): unknown {
  const parsed = literalEval(text);
  return parsed.ok ? parsed.value : text;
}

export function literalEval(text: string): LiteralResult {
  const parser = new LiteralParser(text.replace(/^[ \t]+/, ''));
  try {
    const value = parser.expression();
    parser.skipSpace();
    if (!parser.atEnd()) return { ok: false };
    return { ok: true, value };
  } catch (err) {
    if (err instanceof NotLiteral) return { ok: false };
    throw err;
  }
}

class NotLiteral extends Error {}

const STRING_START = /^(?:[rRuUbB]|[rR][bB]|[bB][rR])?['"]/;

class LiteralParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  /** Spaces, tabs, and a `#` comment to the end (the text is one line). */
  skipSpace(): void {
    for (;;) {
      const ch = this.text[this.pos];
      if (ch === ' ' || ch === '\t' || ch === '\f' || ch === '\r' || ch === '\n') this.pos++;
      else if (ch === '\\' && this.text[this.pos + 1] === '\n') this.pos += 2;
      else if (ch === '#') this.pos = this.text.length;
      else return;
    }
  }

  expression(): unknown {
    this.skipSpace();
    const first = this.atom();
    this.skipSpace();
    // A bare tuple: `1, 2`.
    if (this.text[this.pos] !== ',') return first;
    const items = [first];
    while (this.text[this.pos] === ',') {
      this.pos++;
      this.skipSpace();
      if (this.atEnd()) break;
      items.push(this.atom());
      this.skipSpace();
    }
    return items;
  }

  private atom(): unknown {
    this.skipSpace();
    const rest = this.text.slice(this.pos);
    if (STRING_START.test(rest)) return this.strings();
    const ch = rest[0];
    if (ch === '[') return this.sequence(']');
    if (ch === '(') return this.parenthesised();
    if (ch === '{') return this.braces();
    if (ch === '-' || ch === '+') {
      this.pos++;
      this.skipSpace();
      const n = this.number();
      return ch === '-' ? -n : n;
    }
    if (ch !== undefined && /[0-9.]/.test(ch)) return this.number();
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest)?.[0];
    if (name === 'True') return this.advance(name, true);
    if (name === 'False') return this.advance(name, false);
    if (name === 'None') return this.advance(name, null);
    throw new NotLiteral();
  }

  private advance<T>(word: string, value: T): T {
    this.pos += word.length;
    return value;
  }

  private number(): number {
    const rest = this.text.slice(this.pos);
    const m =
      /^0[xX](?:_?[0-9a-fA-F])+(?![0-9A-Za-z_.])/.exec(rest) ??
      /^0[oO](?:_?[0-7])+(?![0-9A-Za-z_.])/.exec(rest) ??
      /^0[bB](?:_?[01])+(?![0-9A-Za-z_.])/.exec(rest) ??
      /^(?:(?:[0-9](?:_?[0-9])*)?\.[0-9](?:_?[0-9])*|[0-9](?:_?[0-9])*\.?)(?:[eE][+-]?[0-9](?:_?[0-9])*)?(?![0-9A-Za-z_.])/.exec(rest);
    if (!m) throw new NotLiteral();
    const raw = m[0].replace(/_/g, '');
    this.pos += m[0].length;
    if (/^0[xXoObB]/.test(raw)) return Number(raw.toLowerCase());
    // Python refuses leading zeros on a decimal integer (`007`), but not `000` or `0.5`.
    if (/^0[0-9]+$/.test(raw) && /[1-9]/.test(raw)) throw new NotLiteral();
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new NotLiteral();
    return value;
  }

  /** Adjacent string literals concatenate, as in Python; bytes read as text (Ansible's to_text). */
  private strings(): string {
    let out = '';
    const kinds = new Set<'bytes' | 'text'>();
    do {
      const m = /^([rRuUbB]{0,2})('''|"""|'|")/.exec(this.text.slice(this.pos))!;
      const prefix = m[1]!.toLowerCase();
      const quote = m[2]!;
      kinds.add(prefix.includes('b') ? 'bytes' : 'text');
      this.pos += m[0].length;
      out += this.stringBody(quote, prefix.includes('r'));
      this.skipSpace();
    } while (STRING_START.test(this.text.slice(this.pos)));
    // Python refuses `b'a' 'b'`.
    if (kinds.size > 1) throw new NotLiteral();
    return out;
  }

  private stringBody(quote: string, raw: boolean): string {
    let out = '';
    for (;;) {
      if (this.atEnd()) throw new NotLiteral();
      if (this.text.startsWith(quote, this.pos)) {
        this.pos += quote.length;
        return out;
      }
      const ch = this.text[this.pos]!;
      if (ch === '\n' && quote.length === 1) throw new NotLiteral();
      if (ch !== '\\') {
        out += ch;
        this.pos++;
        continue;
      }
      const next = this.text[this.pos + 1];
      if (next === undefined) throw new NotLiteral();
      if (raw) {
        out += ch + next;
        this.pos += 2;
        continue;
      }
      this.pos += 2;
      out += this.escape(next);
    }
  }

  private escape(next: string): string {
    const simple: Record<string, string> = { '\n': '', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
    if (next in simple) return simple[next]!;
    const hex = (len: number): string => {
      const digits = this.text.slice(this.pos, this.pos + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(digits)) throw new NotLiteral();
      this.pos += len;
      return String.fromCodePoint(Number.parseInt(digits, 16));
    };
    if (next === 'x') return hex(2);
    if (next === 'u') return hex(4);
    if (next === 'U') return hex(8);
    if (/[0-7]/.test(next)) {
      const more = /^[0-7]{0,2}/.exec(this.text.slice(this.pos))![0];
      this.pos += more.length;
      return String.fromCodePoint(Number.parseInt(next + more, 8));
    }
    // \N{NAME} needs Unicode's name table: not worth carrying for an inventory.
    if (next === 'N') throw new NotLiteral();
    // Python keeps an unknown escape as written.
    return `\\${next}`;
  }

  private sequence(close: string): unknown[] {
    this.pos++;
    const items: unknown[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === close) {
        this.pos++;
        return items;
      }
      items.push(this.atom());
      this.skipSpace();
      const ch = this.text[this.pos];
      if (ch === ',') this.pos++;
      else if (ch !== close) throw new NotLiteral();
    }
  }

  /** `(1)` is 1, `(1,)` and `(1, 2)` are tuples (lists here), `()` the empty tuple. */
  private parenthesised(): unknown {
    const start = this.pos;
    this.pos++;
    this.skipSpace();
    if (this.text[this.pos] === ')') {
      this.pos++;
      return [];
    }
    const first = this.atom();
    this.skipSpace();
    if (this.text[this.pos] === ')') {
      this.pos++;
      return first;
    }
    this.pos = start;
    return this.sequence(')');
  }

  /** A dict, or a set (kept as a list: JSON has no sets). */
  private braces(): unknown {
    this.pos++;
    this.skipSpace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return {};
    }
    const firstKey = this.atom();
    this.skipSpace();
    if (this.text[this.pos] !== ':') {
      const items = [firstKey];
      for (;;) {
        this.skipSpace();
        const ch = this.text[this.pos];
        if (ch === '}') {
          this.pos++;
          return items;
        }
        if (ch !== ',') throw new NotLiteral();
        this.pos++;
        this.skipSpace();
        if (this.text[this.pos] === '}') continue;
        items.push(this.atom());
      }
    }
    const dict: Record<string, unknown> = {};
    let key: unknown = firstKey;
    for (;;) {
      // Only hashable keys: a list or dict as key is a TypeError in Python.
      if (typeof key === 'object' && key !== null) throw new NotLiteral();
      this.skipSpace();
      if (this.text[this.pos] !== ':') throw new NotLiteral();
      this.pos++;
      dict[pythonKey(key)] = this.atom();
      this.skipSpace();
      const ch = this.text[this.pos];
      if (ch === '}') {
        this.pos++;
        return dict;
      }
      if (ch !== ',') throw new NotLiteral();
      this.pos++;
      this.skipSpace();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return dict;
      }
      key = this.atom();
    }
  }
}

/** How Python's json module writes a non-string dict key. */
function pythonKey(key: unknown): string {
  if (key === null) return 'null';
  if (key === true) return 'true';
  if (key === false) return 'false';
  return String(key);
}
