/**
 * YAML with positions. We parse with the document API so that every value keeps its range;
 * `locate` turns a JSON pointer (as ajv reports it) into file:line:col.
 */
import { readFileSync } from 'node:fs';
import { parseDocument, isMap, isSeq, isScalar, isPair, LineCounter, type Document, type Node } from 'yaml';
import { ConfigError, type ConfigProblem, type SourceLocation } from '../errors.js';

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
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ pointer: '', message: `cannot read ${file}: ${(err as Error).message}` }], { cause: err });
  }
  return parseYamlText(file, text);
}

export function parseYamlText(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): SourceLocation => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
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
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === part);
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
  return {
    file,
    text,
    doc,
    value: doc.toJS({ maxAliasCount: 1000 }),
    locate: (p) => walk(p, false),
    locateKey: (p) => walk(p, true),
  };
}
