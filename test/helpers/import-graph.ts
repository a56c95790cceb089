/**
 * The file-level import graph of the sources (runner/, modules/), its cycles and the layer rules
 * of docs/architecture.md, for test/unit/layout.test.ts.
 *
 * Every specifier counts: static imports, `export ... from`, dynamic `import()` and type-only
 * imports. Type-only imports vanish at run time, but they still tie two files' concerns together
 * (cli.ts ↔ cli-run.ts was a dynamic import one way and a type import the other), and the rule is
 * "no cycles between files", not "no cycles esbuild can see". The specifiers are read by
 * TypeScript's own pre-processor, so a commented-out import or an import in a string is not one.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** Edges from a file (path from the project root, '/'-separated) to the files it imports. */
export type ImportGraph = Map<string, Set<string>>;

/** Every .ts file under `dirs` (paths from `root`), .d.ts left out. */
export function sourceFiles(root: string, dirs: readonly string[]): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
      const path = posix.join(dir, e.name);
      if (e.isDirectory()) return walk(path);
      return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
    });
  return dirs.flatMap(walk).sort();
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The graph of `files` and what each imports by a relative specifier (`./x.js` is `./x.ts` under
 * NodeNext). A relative specifier that names no file throws: the scan must understand every import.
 */
export function buildImportGraph(root: string, files: readonly string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of files) {
    const edges = new Set<string>();
    for (const ref of ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true).importedFiles) {
      const spec = ref.fileName;
      if (!spec.startsWith('./') && !spec.startsWith('../')) continue;
      const raw = posix.normalize(posix.join(posix.dirname(file), spec));
      const target = [raw.replace(/\.js$/, '.ts'), raw].find((c) => isFile(join(root, c)));
      if (!target) throw new Error(`${file}: import '${spec}' names no file`);
      edges.add(target);
    }
    graph.set(file, edges);
  }
  return graph;
}

/**
 * Every import cycle, one per strongly connected component (Tarjan), each written as the path
 * that closes it: `a.ts → b.ts → a.ts`. A file that imports itself is a cycle too.
 */
export function findCycles(graph: ImportGraph): string[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let next = 0;
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.has(v)) components.push(component);
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) connect(v);
  return components.map((c) => cyclePath(graph, new Set(c)).join(' → ')).sort();
}

/** The shortest cycle through the component's first file (by name), staying inside the component. */
function cyclePath(graph: ImportGraph, component: Set<string>): string[] {
  const start = [...component].sort()[0]!;
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of [...(graph.get(v) ?? [])].sort()) {
      if (!component.has(w)) continue;
      if (w === start) {
        const path = [start];
        for (let at: string | undefined = v; at !== undefined && at !== start; at = cameFrom.get(at)) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!cameFrom.has(w)) {
        cameFrom.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

/** A layer rule: files under `from` may not import files under `forbidden` (prefixes or exact paths). */
export interface LayerRule {
  why: string;
  from: readonly string[];
  /** Files under `from` that the rule does not judge (the importing side). */
  fromExcept?: readonly string[];
  forbidden: readonly string[];
  /** Imported files the rule lets through although a `forbidden` prefix covers them. */
  allowed?: readonly string[];
}

const under = (file: string, prefixes: readonly string[]): boolean => prefixes.some((p) => file === p || (p.endsWith('/') && file.startsWith(p)));

/** Every import that breaks a rule, as `a.ts → b.ts (why)`. */
export function layerViolations(graph: ImportGraph, rules: readonly LayerRule[]): string[] {
  const found: string[] = [];
  for (const [file, edges] of graph) {
    for (const rule of rules) {
      if (!under(file, rule.from) || under(file, rule.fromExcept ?? [])) continue;
      for (const target of edges) {
        if (under(target, rule.forbidden) && !under(target, rule.allowed ?? [])) found.push(`${file} → ${target} (${rule.why})`);
      }
    }
  }
  return found.sort();
}

/** The project root, two levels above this file. */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
