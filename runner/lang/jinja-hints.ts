/**
 * What to write instead, when a template or a condition is written in Jinja (Ansible's
 * language) rather than Handlebars or CEL: the quorum spelling of that very expression.
 *
 *   {{ x | default('y') }}            ->  {{default x 'y'}}
 *   {{ groups.etcd | join(',') }}     ->  {{join groups.etcd ','}}
 *   {% for h in hosts %}..{% endfor %} -> {{#each hosts as |h|}}..{{/each}}
 *   when: x is defined                ->  has(vars.x)
 *   when: r is succeeded and y|bool   ->  !has(r.failed) && y
 *
 * Translation is best effort, for the message only: it is never run. When a shape is not
 * recognised, the hint names the rule instead of guessing.
 */

/** Jinja filter names and the Handlebars helper that does the same (runner/lang/template-helpers.ts). */
const FILTERS: Record<string, string> = {
  default: 'default', d: 'default', join: 'join', first: 'first', last: 'last', sort: 'sort', unique: 'unique',
  basename: 'basename', dirname: 'dirname', split: 'split', replace: 'replace', lower: 'lower', upper: 'upper',
  int: 'int', bool: 'bool', to_json: 'to_json', to_nice_json: 'to_json', to_yaml: 'to_yaml', to_nice_yaml: 'to_yaml',
  b64encode: 'b64encode', b64decode: 'b64decode', regex_replace: 'regex_replace', length: 'length', count: 'length',
  indent: 'indent', string: 'string', trim: 'trim', quote: 'quote',
};

/**
 * A Jinja path (`a.b`, `a['b']`, `a[0]`) as a Handlebars path (`a.b`, `a.[0]`); one indexed by
 * a variable (`hostvars[h]['ansible_host']`) as a `get` call (`(get hostvars h 'ansible_host')`).
 */
function handlebarsPath(path: string): string {
  if (/\[\s*[A-Za-z_]/.test(path)) {
    const [root, ...segments] = path.match(/^[A-Za-z_]\w*|\.\w+|\[[^\]]+\]/g) ?? [];
    const keys = segments.map((seg) => (seg.startsWith('.') ? `'${seg.slice(1)}'` : seg.slice(1, -1).trim().replace(/^"(.*)"$/, "'$1'")));
    return `(get ${root} ${keys.join(' ')})`;
  }
  return path.replace(/\[\s*'([^']*)'\s*\]|\[\s*"([^"]*)"\s*\]/g, (_m, a, b) => `.${/^\w+$/.test(a ?? b) ? (a ?? b) : `[${a ?? b}]`}`).replace(/\[(\d+)\]/g, '.[$1]');
}

/** Split `a, 'b,c', 3` at top-level commas. */
function splitArgs(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let current = '';
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  if (current.trim() !== '') out.push(current.trim());
  return out;
}

/** Split at top-level `|` (not inside quotes or parentheses, not `||`). */
function splitPipes(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(' || ch === '[') depth++;
    else if (ch === ')' || ch === ']') depth--;
    else if (ch === '|' && depth === 0 && text[i + 1] !== '|' && text[i - 1] !== '|') {
      out.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  out.push(current.trim());
  return out;
}

const PATH = String.raw`[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*|\[[^\]]+\])*`;
const LITERAL = String.raw`'[^']*'|"[^"]*"|-?\d+(?:\.\d+)?`;

/** One Jinja value (a path or a literal) in Handlebars, or undefined when it is something else. */
function value(text: string): string | undefined {
  const t = text.trim();
  if (new RegExp(`^(?:${LITERAL})$`).test(t)) return t;
  if (t === 'True' || t === 'true') return 'true';
  if (t === 'False' || t === 'false') return 'false';
  if (new RegExp(`^${PATH}$`).test(t)) return handlebarsPath(t);
  return undefined;
}

/** `x | f(a) | g` as nested helper calls `g (f x a)`, or undefined. */
function filterChain(expr: string): string | undefined {
  const [head, ...filters] = splitPipes(expr);
  let out = value(head ?? '');
  if (out === undefined || filters.length === 0) return filters.length === 0 ? out : undefined;
  for (const f of filters) {
    const m = /^(\w+)\s*(?:\((.*)\))?$/s.exec(f);
    const helper = m && FILTERS[m[1]!];
    if (!m || !helper) return undefined;
    const args = m[2] ? splitArgs(m[2]).map(value) : [];
    if (args.some((a) => a === undefined)) return undefined;
    out = [helper, out.includes(' ') && !out.startsWith('(') ? `(${out})` : out, ...(args as string[])].join(' ');
  }
  return out;
}

/** A `{{ ... }}` or `{% ... %}` body in Handlebars, or undefined. */
function translateTag(kind: '{{' | '{%', body: string): string | undefined {
  const b = body.trim().replace(/^-|-$/g, '').trim();
  if (kind === '{{') {
    const defined = new RegExp(`^(${PATH})\\s+is\\s+(not\\s+)?defined$`).exec(b);
    if (defined) return `{{#if ${handlebarsPath(defined[1]!)}}}...{{/if}} (or {{default ${handlebarsPath(defined[1]!)} ...}})`;
    const chain = filterChain(b);
    return chain === undefined ? undefined : `{{${chain}}}`;
  }
  let m: RegExpExecArray | null;
  if ((m = new RegExp(`^for\\s+(\\w+)\\s+in\\s+(.+)$`).exec(b))) {
    const list = filterChain(m[2]!);
    return list === undefined ? undefined : `{{#each ${list.includes(' ') ? `(${list})` : list} as |${m[1]}|}}`;
  }
  if ((m = /^(if|elif)\s+(.+)$/.exec(b))) {
    const cond = conditionForTemplate(m[2]!);
    if (cond === undefined) return undefined;
    return m[1] === 'if' ? `{{#if ${cond}}}` : `{{else if ${cond}}}`;
  }
  if (b === 'else') return '{{else}}';
  if (b === 'endif') return '{{/if}}';
  if (b === 'endfor') return '{{/each}}';
  return undefined;
}

function conditionForTemplate(text: string): string | undefined {
  const t = text.trim();
  const defined = new RegExp(`^(${PATH})\\s+is\\s+defined$`).exec(t);
  if (defined) return handlebarsPath(defined[1]!);
  const eq = new RegExp(`^(${PATH})\\s*(==|!=)\\s*(${LITERAL})$`).exec(t);
  if (eq) return `(${eq[2] === '==' ? 'eq' : 'ne'} ${handlebarsPath(eq[1]!)} ${eq[3]})`;
  const chain = filterChain(t);
  return chain === undefined ? undefined : chain.includes(' ') ? `(${chain})` : chain;
}

/** A `{{ }}` body in Jinja: a filter or a test outside string literals; Handlebars blocks (`#each xs as |x|`) are not. */
function isJinjaBody(body: string): boolean {
  const b = body.trim();
  if (/^[#/!^>&~]/.test(b)) return false;
  return /(^|[^|])\|(?!\|)\s*\w|\bis\s+(not\s+)?\w+|\bif\b.*\belse\b/.test(stripLiterals(b));
}

function stripLiterals(text: string): string {
  return text.replace(/'[^']*'|"[^"]*"/g, "''");
}

/** Whether a template uses Jinja's syntax (a filter, a test, a statement). */
export function looksLikeJinjaTemplate(text: string): boolean {
  return /(^|[^{])\{[%#]/.test(text) || [...text.matchAll(/\{\{([\s\S]*?)\}\}/g)].some((m) => isJinjaBody(m[1]!));
}

/**
 * The hint for a template written in Jinja: the Handlebars spelling of each Jinja part, or
 * the rule when a part is not recognised. Undefined when the text does not look like Jinja.
 */
export function jinjaTemplateHint(text: string): string | undefined {
  if (!looksLikeJinjaTemplate(text)) return undefined;
  const parts: string[] = [];
  let unknown = false;
  for (const m of text.matchAll(/(\{\{|\{%)([\s\S]*?)(\}\}|%\})/g)) {
    const body = m[2]!;
    const isJinja = m[1] === '{%' || isJinjaBody(body);
    if (!isJinja) continue;
    const written = translateTag(m[1] as '{{' | '{%', body);
    if (written === undefined) unknown = true;
    else parts.push(`\`${m[0].trim()}\` -> \`${written}\``);
  }
  const rule = 'quorum templates are Handlebars: a filter is a helper written first, `{{ x | default(\'y\') }}` is `{{default x \'y\'}}`; `{% if %}`/`{% for %}` are `{{#if}}`/`{{#each}}` (docs/from-ansible.md)';
  if (parts.length === 0) return `this is Jinja: ${rule}`;
  // Inside {{#each}} the context is the item: the play's variables are reached from @root.
  const loopNote = /\{%-?\s*for\b/.test(text) ? '; inside {{#each}} the other variables are `@root.NAME`' : '';
  return `this is Jinja: write ${parts.join(', ')}${unknown ? `; ${rule}` : ''}${loopNote}`;
}

/** Whether a condition uses Jinja's words (a test, a filter, and/or/not, True/False, `{{ }}`). */
export function looksLikeJinjaCondition(expr: string): boolean {
  return /\bis\s+(not\s+)?\w+|(^|[^|])\|(?!\|)\s*\w|\b(and|or|not)\b|\b(True|False|None)\b|\{\{/.test(stripLiterals(expr));
}

const TESTS: Record<string, (p: string) => string> = {
  defined: (p) => has(p),
  undefined: (p) => `!${has(p)}`,
  none: (p) => `${p} == null`,
  succeeded: (p) => `!has(${p}.failed)`,
  success: (p) => `!has(${p}.failed)`,
  failed: (p) => `has(${p}.failed)`,
  failure: (p) => `has(${p}.failed)`,
  changed: (p) => `(has(${p}.changed) && ${p}.changed)`,
  change: (p) => `(has(${p}.changed) && ${p}.changed)`,
  skipped: (p) => `has(${p}.skipped)`,
  skip: (p) => `has(${p}.skipped)`,
};

function has(path: string): string {
  return path.includes('.') ? `has(${path})` : `has(vars.${path})`;
}

function celPath(path: string): string {
  return path.replace(/\[\s*'([^']*)'\s*\]/g, '["$1"]');
}

/** A Jinja condition in CEL, or undefined when a part is not recognised. */
export function jinjaConditionToCel(expr: string): string | undefined {
  let out = expr.trim().replace(/^\{\{\s*|\s*\}\}$/g, '');
  let unknown = false;
  // `x is version('3.5', '>=')` / `x is version_compare(...)`
  out = out.replace(new RegExp(`(${PATH})\\s+is\\s+(not\\s+)?version(?:_compare)?\\(\\s*(${LITERAL})\\s*,\\s*(${LITERAL})\\s*\\)`, 'g'), (_m, p, not, ver, op) => `${not ? '!' : ''}version(${celPath(p)}, "${unq(op)}", "${unq(ver)}")`);
  out = out.replace(new RegExp(`(${PATH})\\s+is\\s+(not\\s+)?(\\w+)`, 'g'), (m, p, not, test) => {
    const t = TESTS[test];
    if (!t) {
      unknown = true;
      return m;
    }
    return `${not ? '!' : ''}${t(celPath(p))}`;
  });
  out = out.replace(new RegExp(`(${PATH})\\s*\\|\\s*default\\(\\s*(${LITERAL}|${PATH})\\s*\\)`, 'g'), (_m, p, d) => `(${has(celPath(p))} ? ${celPath(p)} : ${d.startsWith("'") ? `"${unq(d)}"` : d})`);
  out = out.replace(new RegExp(`(${PATH})\\s*\\|\\s*(length|count)\\b`, 'g'), (_m, p) => `size(${celPath(p)})`);
  out = out.replace(new RegExp(`(${PATH})\\s*\\|\\s*int\\b`, 'g'), (_m, p) => `int(${celPath(p)})`);
  out = out.replace(new RegExp(`(${PATH})\\s*\\|\\s*bool\\b`, 'g'), (_m, p) => celPath(p));
  if (/(^|[^|])\|(?!\|)/.test(out)) unknown = true;
  out = out
    .replace(/\band\b/g, '&&')
    .replace(/\bor\b/g, '||')
    .replace(/\bnot\s+/g, '!')
    .replace(/\bTrue\b/g, 'true')
    .replace(/\bFalse\b/g, 'false')
    .replace(/\bNone\b/g, 'null')
    .replace(/'([^'"]*)'/g, '"$1"');
  return unknown ? undefined : out;
}

function unq(literal: string): string {
  return /^['"]/.test(literal) ? literal.slice(1, -1) : literal;
}

/** The hint for a condition written in Jinja, or undefined when it does not look like Jinja. */
export function jinjaConditionHint(expr: string): string | undefined {
  if (!looksLikeJinjaCondition(expr)) return undefined;
  const cel = jinjaConditionToCel(expr);
  const rule = 'conditions are CEL: `x is defined` is `has(vars.x)`, `a and not b` is `a && !b`, `x | length` is `size(x)`, `v is version(\'3.5\', \'>=\')` is `version(v, ">=", "3.5")`';
  return cel !== undefined ? `this is Jinja: write \`${cel}\`` : `this is Jinja: ${rule}`;
}
