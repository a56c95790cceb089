/**
 * YAML with positions. We parse with the document API so that every value keeps its range;
 * `locate` turns a JSON pointer (as ajv reports it) into file:line:col.
 */
import { parseDocument, isMap, isSeq, isScalar, isPair, isAlias, visit, Scalar, LineCounter, type Document, type Node, type Pair, type YAMLMap } from 'yaml';
import { ConfigError, type ConfigProblem, type SourceLocation } from '../errors.js';
import { readInputText } from './read-input.js';

export interface YamlSource {
  file: string;
  text: string;
  doc: Document.Parsed;
  /** The plain JS value of the document. */
  value: unknown;
  /** Location of the node at `pointer`, or of its nearest existing ancestor. */
  locate(pointer: string): SourceLocation;
  /** Location of the key (not the value) at `pointer`: what an "unknown key" error points at. */
  locateKey(pointer: string): SourceLocation;
}

export function decodePointer(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return [];
  return pointer
    .replace(/^\//, '')
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function encodePointer(parts: ReadonlyArray<string | number>): string {
  return parts.length === 0 ? '' : '/' + parts.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/');
}

/** Parse a YAML file; syntax errors become one ConfigError listing every problem. */
export function loadYamlFile(file: string): YamlSource {
  return parseYamlText(file, readInputText(file));
}

/**
 * Nesting deeper than this is refused before parsing (the parser recurses: 100k `[` overflow its
 * stack after seconds) and after it (block nesting). Real playbooks nest under 15 levels.
 */
export const MAX_YAML_DEPTH = 100;
/**
 * The pair of `map` whose key reads `key` (the first one, as a scan would find it). Each map's
 * pairs are indexed by key text on the first lookup: locating every host of an inventory
 * scanned its group's whole host map once per host, quadratic in the hosts (5,000 hosts: 4.2 s
 * of a 7.4 s `--list-hosts`, measured with --cpu-prof).
 */
function pairOf(map: YAMLMap, key: string): Pair | undefined {
  let index = pairsByKey.get(map);
  if (!index) {
    index = new Map();
    for (const p of map.items) {
      if (!isPair(p) || !isScalar(p.key)) continue;
      const text = String(p.key.value);
      if (!index.has(text)) index.set(text, p);
    }
    pairsByKey.set(map, index);
  }
  return index.get(key);
}
const pairsByKey = new WeakMap<YAMLMap, Map<string, Pair>>();

/** Values after expanding aliases: an alias bomb (a billion laughs) stops here, in milliseconds. */
export const MAX_YAML_ALIAS_COUNT = 1000;

export function parseYamlText(file: string, rawText: string): YamlSource {
  // A UTF-8 byte-order mark (Windows editors) is not content: YAML would see a stray character.
  const text = rawText.startsWith('\uFEFF') ? rawText.slice(1) : rawText;
  const lineCounter = new LineCounter();
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  const deep = tooDeepFlowAt(text);
  if (deep >= 0) {
    lineCounter.addNewLine(0);
    for (let i = text.indexOf('\n'); i >= 0 && i < deep; i = text.indexOf('\n', i + 1)) lineCounter.addNewLine(i + 1);
    throw new ConfigError([{ location: at(deep), pointer: '', message: `YAML: nested more than ${MAX_YAML_DEPTH} levels deep: flatten the structure` }]);
  }
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems: ConfigProblem[] = doc.errors.map((e) => ({
      location: at(e.pos[0]),
      pointer: '',
      message: `YAML: ${e.message.split('\n')[0]}`,
    }));
    throw new ConfigError(problems);
  }
  const walk = (pointer: string, wantKey: boolean): SourceLocation => {
    let node: unknown = doc.contents;
    let best: number = (doc.contents as Node | null)?.range?.[0] ?? 0;
    const parts = decodePointer(pointer);
    for (const [i, part] of parts.entries()) {
      const last = i === parts.length - 1;
      if (isMap(node)) {
        const pair = pairOf(node, part);
        if (!pair) break;
        const keyRange = (pair.key as Node).range;
        const valueRange = (pair.value as Node | null)?.range;
        best = (wantKey && last ? keyRange?.[0] : valueRange?.[0] ?? keyRange?.[0]) ?? best;
        node = pair.value;
      } else if (isSeq(node)) {
        const item = node.items[Number(part)] as Node | undefined;
        if (!item) break;
        best = item.range?.[0] ?? best;
        node = item;
      } else break;
    }
    return at(best);
  };
  const deepNode = tooDeepNode(doc.contents as Node | null);
  if (deepNode) {
    throw new ConfigError([{ location: at(deepNode.range?.[0] ?? 0), pointer: '', message: `YAML: nested more than ${MAX_YAML_DEPTH} levels deep: flatten the structure` }]);
  }
  readAsAnsibleDoes(doc);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_COUNT });
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    // The yaml library says "Excessive alias count" (a bomb) or names an unresolved alias.
    const firstAlias = findAlias(doc.contents as Node | null);
    const bomb = /excessive alias count/i.test(err.message);
    throw new ConfigError([
      {
        location: at(firstAlias?.range?.[0] ?? 0),
        pointer: '',
        message: bomb
          ? `YAML: aliases expand to more than ${MAX_YAML_ALIAS_COUNT} values (an alias bomb): write the values out or use fewer aliases`
          : `YAML: ${err.message.split('\n')[0]}`,
      },
    ]);
  }
  return {
    file,
    text,
    doc,
    value,
    locate: (p) => walk(p, false),
    locateKey: (p) => walk(p, true),
  };
}

/** YAML 1.1's other booleans, which Ansible (PyYAML) reads as true and false. */
const YAML11_TRUE = /^(?:yes|Yes|YES|on|On|ON)$/;
const YAML11_FALSE = /^(?:no|No|NO|off|Off|OFF)$/;
/** An unquoted number with a leading zero: YAML 1.1 octal, in Ansible almost always a file mode. */
const OCTAL = /^0[0-7]+$/;

/**
 * Ansible reads YAML 1.1; we parse YAML 1.2, where `enabled: yes` is the string "yes" and
 * `mode: 0755` the decimal number 755. Unquoted values (never keys, never quoted strings, never
 * explicitly tagged ones) are read as an Ansible user means them: yes/no/on/off as booleans and
 * a leading-zero number as the string of its digits ("0755", which is what quorum's modes take;
 * Ansible's 493 would print as 493 in a template). 1.1's sexagesimal and y/n are left out.
 */
function readAsAnsibleDoes(doc: Document.Parsed): void {
  visit(doc, {
    Scalar(key, node) {
      if (key === 'key' || node.type !== Scalar.PLAIN || node.tag !== undefined || typeof node.source !== 'string') return;
      if (YAML11_TRUE.test(node.source)) node.value = true;
      else if (YAML11_FALSE.test(node.source)) node.value = false;
      else if (OCTAL.test(node.source) && typeof node.value === 'number') node.value = node.source;
    },
  });
}

/** Offset of the first flow collection (`[`, `{`) nested deeper than MAX_YAML_DEPTH, or -1. */
function tooDeepFlowAt(text: string): number {
  let depth = 0;
  let quote = '';
  let lineStart = true;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (quote === '"' && ch === '\\') i++;
      else if (ch === quote) quote = '';
      continue;
    }
    if (ch === '#' && (lineStart || text[i - 1] === ' ' || text[i - 1] === '\t')) {
      const eol = text.indexOf('\n', i);
      if (eol < 0) break;
      i = eol - 1;
      continue;
    }
    lineStart = ch === '\n';
    // Quotes open a scalar only where a value starts; an apostrophe inside a plain word does not.
    if ((ch === '"' || ch === "'") && /[\s\[{,:]/.test(text[i - 1] ?? ' ')) quote = ch;
    else if (ch === '[' || ch === '{') {
      if (++depth > MAX_YAML_DEPTH) return i;
    } else if ((ch === ']' || ch === '}') && depth > 0) depth--;
  }
  return -1;
}

/** The first node nested deeper than MAX_YAML_DEPTH (block style), iteratively. */
function tooDeepNode(root: Node | null): Node | undefined {
  const stack: Array<[unknown, number]> = [[root, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > MAX_YAML_DEPTH) return node as Node;
    if (isMap(node)) for (const p of node.items) stack.push([p.value, depth + 1]);
    else if (isSeq(node)) for (const item of node.items) stack.push([item, depth + 1]);
  }
  return undefined;
}

/** The first alias in document order, where an alias problem is reported. */
function findAlias(root: Node | null): Node | undefined {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.shift();
    if (isAlias(node)) return node;
    if (isMap(node)) for (const p of node.items) stack.push(p.key, p.value);
    else if (isSeq(node)) stack.push(...node.items);
  }
  return undefined;
}
