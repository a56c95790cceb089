/**
 * Template helpers, named after the Jinja filters Ansible users know, called in handlebars'
 * prefix form: `{{ join groups.etcd "," }}`, `{{ default etcd_port 2379 }}`,
 * `{{ indent (to_yaml config) 4 }}`. handlebars' own `if`, `unless`, `each`, `with` and
 * `lookup` are there too.
 *
 * The one way to build etcd's `initial-cluster` from the inventory:
 * ```handlebars
 * {{#each groups.etcd}}{{this}}=https://{{get ../hostvars this "ansible_host"}}:2380{{#unless @last}},{{/unless}}{{/each}}
 * ```
 */
import { InputFileError, MAX_TEMPLATE_FILE_BYTES, readInputText } from '../load/read-input.js';
import { resolveControllerFile, type ControllerFileKind } from '../files/controller-files.js';
import type Handlebars from 'handlebars';
import { isIP } from 'node:net';
import { stringify } from 'yaml';
import { compareSemver, parseSemver } from './semver.js';
import { versionHolds } from './version-compare.js';
import { urlHost } from '../util/url-host.js';

type HelperOptions = Handlebars.HelperOptions;

/** render_file's compiled templates, by text: every host of every task renders the same few files. */
const renderFileCache = new Map<string, Handlebars.TemplateDelegate>();

/** Register every helper on a handlebars instance (runner/lang/template.ts owns the only one). */
export function registerTemplateHelpers(hb: typeof Handlebars): void {
  for (const [name, helper] of Object.entries(HELPERS)) hb.registerHelper(name, withPosition(helper));
  /** render_file PATH: a controller template file rendered with the same variables (Ansible's lookup('template')). */
  hb.registerHelper(
    'render_file',
    withPosition((path: unknown, options: HelperOptions) => {
      const text = readControllerFile('render_file', path, options, 'templates');
      let template = renderFileCache.get(text);
      if (!template) {
        template = hb.compile(text, { strict: true, noEscape: true });
        renderFileCache.set(text, template);
      }
      return template(options.data?.root, { data: options.data });
    }),
  );
  makeEachStrict(hb);
}

type Position = { loc?: { start: { line: number; column: number } } };

/** Errors from a helper carry the position of the call, as handlebars' own errors do. */
function withPosition(helper: (...args: any[]) => unknown): (...args: any[]) => unknown {
  return function positioned(this: unknown, ...args: unknown[]) {
    try {
      return helper.apply(this, args);
    } catch (err) {
      const loc = (args[args.length - 1] as Position | undefined)?.loc;
      if (loc && err instanceof Error && !('lineNumber' in err)) Object.assign(err, { lineNumber: loc.start.line, column: loc.start.column });
      throw err;
    }
  };
}

/**
 * Strict mode does not check block helper arguments, so `{{#each groups.etdc}}` would render
 * nothing, silently: a wrong etcd initial-cluster. `each` over an undefined value is an error,
 * carrying handlebars' position so runner/lang/template.ts can say where. (`if` stays lenient: an
 * undefined value is a legitimate "not set".)
 */
function makeEachStrict(hb: typeof Handlebars): void {
  const each = hb.helpers.each as (this: unknown, context: unknown, options: HelperOptions) => unknown;
  hb.registerHelper('each', function strictEach(this: unknown, context: unknown, options: HelperOptions) {
    if (context === undefined) {
      const loc = (options as HelperOptions & Position).loc;
      throw Object.assign(new Error('#each over an undefined value (a misspelt variable?)'), { lineNumber: loc?.start.line, column: loc?.start.column });
    }
    return each.call(this, context, options);
  });
}

/** Names of the helpers, for "did you mean" and the docs. */
export function listTemplateHelpers(): string[] {
  return [...Object.keys(HELPERS), 'render_file', 'if', 'unless', 'each', 'with', 'lookup'];
}

/** handlebars passes its options object last; helpers with optional arguments drop it. */
function dropOptions(args: unknown[]): unknown[] {
  const last = args[args.length - 1];
  return last && typeof last === 'object' && 'hash' in (last as object) && 'data' in (last as object) ? args.slice(0, -1) : args;
}

function requireString(helper: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`${helper}: expected a string, got ${describeType(value)}`);
}

function requireList(helper: string, value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  throw new Error(`${helper}: expected a list, got ${describeType(value)}`);
}

function describeType(value: unknown): string {
  return value === undefined ? 'an undefined value' : value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`;
}

const HELPERS: Record<string, (...args: any[]) => unknown> = {
  /** join LIST [SEP]: the items joined by SEP (default ","). */
  join(...raw: unknown[]) {
    const [list, sep = ','] = dropOptions(raw);
    if (!Array.isArray(list)) throw new Error(`join: expected a list, got ${describeType(list)}`);
    return list.map(String).join(requireString('join', sep));
  },
  /** default VALUE FALLBACK: FALLBACK when VALUE is undefined or null (strict mode lets a missing last path segment through to helpers). */
  default(value: unknown, fallback: unknown) {
    return value === undefined || value === null ? fallback : value;
  },
  /** get OBJECT KEY...: OBJECT[KEY][KEY2]...; a missing key is an error, as in strict templates. */
  get(...raw: unknown[]) {
    const [root, ...keys] = dropOptions(raw);
    let value: unknown = root;
    for (const key of keys) {
      const k = String(key);
      if (value === null || typeof value !== 'object' || !(k in value)) throw new Error(`get: no key '${k}' (keys: ${value && typeof value === 'object' ? Object.keys(value).join(', ') : describeType(value)})`);
      value = (value as Record<string, unknown>)[k];
    }
    return value;
  },
  b64encode: (value: unknown) => Buffer.from(requireString('b64encode', value), 'utf8').toString('base64'),
  b64decode: (value: unknown) => Buffer.from(requireString('b64decode', value), 'base64').toString('utf8'),
  /** to_yaml VALUE: YAML without the final newline, to embed in a line. */
  to_yaml: (value: unknown) => stringify(value).replace(/\n$/, ''),
  to_json: (value: unknown) => JSON.stringify(value),
  /** indent TEXT N: indent every line but the first by N spaces (Jinja's indent). */
  indent(text: unknown, n: unknown) {
    const width = typeof n === 'number' ? n : 4;
    const pad = ' '.repeat(width);
    return requireString('indent', text)
      .split('\n')
      .map((line, i) => (i === 0 || line === '' ? line : pad + line))
      .join('\n');
  },
  /** lookup_file PATH: a controller file's text; relative to the playbook's directory. */
  lookup_file(path: unknown, options: HelperOptions) {
    return readControllerFile('lookup_file', path, options, 'files');
  },
  upper: (value: unknown) => requireString('upper', value).toUpperCase(),
  lower: (value: unknown) => requireString('lower', value).toLowerCase(),
  /** replace TEXT OLD NEW: every occurrence of OLD (a plain string, not a regex). */
  replace: (text: unknown, from: unknown, to: unknown) => requireString('replace', text).split(requireString('replace', from)).join(requireString('replace', to)),
  /** url_host ADDRESS: the address as the host part of a URL (an IPv6 address in brackets). */
  url_host(value: unknown) {
    return urlHost(requireString('url_host', value));
  },
  /**
   * version_gte VERSION MINIMUM: VERSION is at least MINIMUM (semver, as kubeadm compares etcd
   * versions; runner/lang/semver.ts). False when VERSION is null or undefined (a tool that is not
   * installed: facts.versions.etcd), so `{{#if (version_gte ...)}}` picks the older choice.
   */
  version_gte(version: unknown, minimum: unknown) {
    const min = parseSemver(requireString('version_gte', minimum));
    if (!min) throw new Error(`version_gte: '${String(minimum)}' is not a version such as 3.6.0`);
    if (version === undefined || version === null) return false;
    const have = parseSemver(requireString('version_gte', version));
    if (!have) throw new Error(`version_gte: '${String(version)}' is not a version such as 3.6.0`);
    return compareSemver(have, min) >= 0;
  },
  /** is_ipv6 ADDRESS: the address is IPv6 (brackets allowed), as kubeadm picks `::1` over 127.0.0.1. */
  is_ipv6: (value: unknown) => isIP(requireString('is_ipv6', value).replace(/^\[(.*)\]$/, '$1')) === 6,
  /** first LIST: the first item (undefined for an empty list, as Jinja's first). */
  first: (list: unknown) => requireList('first', list)[0],
  /** last LIST: the last item. */
  last: (list: unknown) => requireList('last', list).at(-1),
  /** length LIST|TEXT|MAP: the number of items, characters or keys (Jinja's length). */
  length(value: unknown) {
    if (typeof value === 'string' || Array.isArray(value)) return value.length;
    if (value && typeof value === 'object') return Object.keys(value).length;
    throw new Error(`length: expected a list, a string or a mapping, got ${describeType(value)}`);
  },
  /** sort LIST: a sorted copy; numbers by value, anything else as text (Jinja's sort). */
  sort(list: unknown) {
    const items = [...requireList('sort', list)];
    return items.every((i) => typeof i === 'number') ? items.sort((a, b) => (a as number) - (b as number)) : items.sort((a, b) => String(a).localeCompare(String(b), 'en'));
  },
  /** unique LIST: items in their first order, repeats dropped (compared as JSON for maps and lists). */
  unique(list: unknown) {
    const seen = new Set<string>();
    return requireList('unique', list).filter((item) => {
      const key = typeof item === 'object' && item !== null ? `j:${JSON.stringify(item)}` : `${typeof item}:${String(item)}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  },
  /** basename PATH: the last part of a path (Python's os.path.basename: "" after a final /). */
  basename: (path: unknown) => requireString('basename', path).split('/').at(-1) ?? '',
  /** dirname PATH: the path without its last part (Python's os.path.dirname). */
  dirname(path: unknown) {
    const p = requireString('dirname', path);
    const cut = p.lastIndexOf('/');
    if (cut < 0) return '';
    const head = p.slice(0, cut + 1);
    return /^\/+$/.test(head) ? head : head.replace(/\/+$/, '');
  },
  /** split TEXT [SEP]: the parts; without SEP, at runs of whitespace (Python's str.split). */
  split(...raw: unknown[]) {
    const [text, sep] = dropOptions(raw);
    const t = requireString('split', text);
    if (sep === undefined) return t.split(/\s+/).filter((part) => part !== '');
    return t.split(requireString('split', sep));
  },
  /** int VALUE [DEFAULT]: a whole number; text that is not one gives DEFAULT (0), as Jinja's int. */
  int(...raw: unknown[]) {
    const [value, fallback = 0] = dropOptions(raw);
    if (typeof value === 'number') return Math.trunc(value);
    if (typeof value === 'boolean') return value ? 1 : 0;
    const m = typeof value === 'string' ? /^\s*([-+]?\d+)(\.\d*)?\s*$/.exec(value) : null;
    return m ? Number(m[1]) : fallback;
  },
  /** bool VALUE: Ansible's truthy words (yes, on, true, 1) as true, anything else false. */
  bool(value: unknown) {
    if (typeof value === 'boolean') return value;
    if (typeof value === 'number') return value === 1;
    return typeof value === 'string' && ['yes', 'on', 'true', '1', 'y'].includes(value.trim().toLowerCase());
  },
  /** regex_replace TEXT PATTERN REPLACEMENT: every match replaced; `\\1` or `$1` name a group. */
  regex_replace(text: unknown, pattern: unknown, replacement: unknown) {
    const re = new RegExp(requireString('regex_replace', pattern), 'g');
    return requireString('regex_replace', text).replace(re, requireString('regex_replace', replacement).replace(/\\(\d)/g, '$$$1'));
  },
  /** version A OP B: Ansible's version test, e.g. `{{#if (version facts.versions.etcd ">=" "3.5")}}` (runner/lang/version-compare.ts). */
  version: (a: unknown, op: unknown, b: unknown) => versionHolds(requireString('version', a), requireString('version', op), requireString('version', b)),
  eq: (a: unknown, b: unknown) => a === b,
  ne: (a: unknown, b: unknown) => a !== b,
};

/** A controller file's text; a relative path is looked for in the role (role_path), then the playbook's directory. */
function readControllerFile(helper: string, path: unknown, options: HelperOptions, kind: ControllerFileKind): string {
  const p = requireString(helper, path);
  const root = options.data?.root as Record<string, unknown> | undefined;
  const base = root?.playbook_dir;
  const roleDir = typeof root?.role_path === 'string' ? root.role_path : undefined;
  const full = resolveControllerFile(p, kind, { playbookDir: typeof base === 'string' ? base : process.cwd(), roleDir });
  try {
    // A regular UTF-8 file under a size limit: /dev/zero or a FIFO would never end.
    return readInputText(full, MAX_TEMPLATE_FILE_BYTES);
  } catch (err) {
    const problem = err instanceof InputFileError ? err.problems[0]! : undefined;
    const why = !problem ? `cannot read ${full}: ${(err as Error).message}` : (err as InputFileError).wholeFile ? problem.message : `${full}:${problem.location!.line}:${problem.location!.col}: ${problem.message}`;
    throw new Error(`${helper}: ${why}`, { cause: err });
  }
}
