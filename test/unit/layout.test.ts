/**
 * The layout of the sources (docs/architecture.md): no import cycles between files of runner/
 * and modules/, the layer rules hold, and the paths the docs and comments name exist.
 *
 * The graph is read from the import specifiers themselves (test/helpers/import-graph.ts says why
 * type-only and dynamic imports count); esbuild's metafile over the real bundle entries checks
 * that the scan misses no import the bundle follows.
 */
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { buildImportGraph, findCycles, layerViolations, sourceFiles, PROJECT_ROOT, type ImportGraph, type LayerRule } from '../helpers/import-graph.js';

const SOURCES = ['runner', 'modules'];
/** The bundle's entry points (scripts/bundle.mjs). */
const ENTRIES = ['runner/cli.ts', 'runner/launch.ts'];

const CLI = ['runner/cli.ts', 'runner/cli/'];
const RUN_LAYERS = [...CLI, 'runner/engine/', 'runner/strategy/', 'runner/executor/', 'runner/vars/'];

/** What may import what: docs/architecture.md, "Who may import whom". */
const LAYER_RULES: LayerRule[] = [
  {
    why: 'the command line is the top layer: nothing imports it, nor the launcher',
    from: ['runner/', 'modules/'],
    fromExcept: CLI,
    forbidden: [...CLI, 'runner/launch.ts'],
  },
  {
    why: 'the launcher loads before the bundle and stays small: launch/ and the cache directory only',
    from: ['runner/launch.ts', 'runner/launch/'],
    forbidden: ['runner/', 'modules/'],
    allowed: ['runner/launch/', 'runner/files/cache-dir.ts'],
  },
  {
    why: 'below the command line the engine is reached only through the run\'s state',
    from: ['runner/', 'modules/'],
    fromExcept: [...CLI, 'runner/engine/'],
    forbidden: ['runner/engine/'],
    allowed: ['runner/engine/run-state.ts'],
  },
  {
    why: 'strategies are driven by the engine',
    from: ['runner/', 'modules/'],
    fromExcept: [...CLI, 'runner/engine/', 'runner/strategy/'],
    forbidden: ['runner/strategy/'],
    allowed: ['runner/strategy/prefetch.ts'],
  },
  {
    why: 'the executor\'s one call up is the read-ahead (for plays without fact gathering)',
    from: ['runner/', 'modules/'],
    fromExcept: [...CLI, 'runner/engine/', 'runner/strategy/', 'runner/executor/executor.ts'],
    forbidden: ['runner/strategy/prefetch.ts'],
  },
  {
    why: 'modules gather and plan; they never drive a run, load input or report',
    from: ['modules/'],
    forbidden: [...RUN_LAYERS, 'runner/load/', 'runner/report/'],
  },
  {
    why: 'connections know hosts, not runs: connection/, controller files and the shared vocabulary only',
    from: ['runner/connection/'],
    forbidden: ['runner/', 'modules/'],
    allowed: ['runner/connection/', 'runner/files/', 'runner/types.ts', 'runner/errors.ts', 'runner/secret.ts'],
  },
  {
    why: 'the host-side libraries (facts, pki, etcd, apt, text, plan) know nothing of runs, input, languages or modules',
    from: ['runner/facts/', 'runner/pki/', 'runner/etcd/', 'runner/apt/', 'runner/text/', 'runner/plan/'],
    forbidden: [...RUN_LAYERS, 'runner/load/', 'runner/inventory/', 'runner/report/', 'runner/lang/', 'modules/'],
  },
  {
    why: 'the languages render values and evaluate conditions; they never run anything or touch a host',
    from: ['runner/lang/'],
    forbidden: [...RUN_LAYERS, 'runner/connection/', 'runner/report/', 'modules/'],
  },
  {
    why: 'the inventory and the loader read input before any host is touched; they never run it',
    from: ['runner/inventory/', 'runner/load/'],
    forbidden: [...CLI, 'runner/strategy/', 'runner/executor/', 'runner/report/'],
  },
  {
    why: 'reporters read events only',
    from: ['runner/report/'],
    forbidden: [...RUN_LAYERS, 'runner/load/', 'runner/inventory/', 'runner/lang/', 'runner/connection/', 'modules/'],
  },
];

let graph: ImportGraph;
test.before(() => {
  graph = buildImportGraph(PROJECT_ROOT, sourceFiles(PROJECT_ROOT, SOURCES));
});

test('no import cycle between files of runner/ and modules/ (type-only and dynamic imports included)', (t) => {
  t.true(graph.size > 200, `the scan found ${graph.size} files`);
  const cycles = findCycles(graph);
  t.deepEqual(cycles, [], `import cycles:\n  ${cycles.join('\n  ')}`);
});

test('the layer rules of docs/architecture.md hold', (t) => {
  const broken = layerViolations(graph, LAYER_RULES);
  t.deepEqual(broken, [], `imports that break a layer rule:\n  ${broken.join('\n  ')}`);
});

test("the scan sees every import esbuild follows from the bundle's entries", async (t) => {
  const result = await build({
    entryPoints: ENTRIES,
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    write: false,
    outdir: 'unused',
    platform: 'node',
    format: 'esm',
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
  });
  let followed = 0;
  const missed: string[] = [];
  for (const [file, input] of Object.entries(result.metafile.inputs)) {
    if (!graph.has(file)) continue;
    for (const imported of input.imports) {
      if (!graph.has(imported.path)) continue;
      followed++;
      if (!graph.get(file)!.has(imported.path)) missed.push(`${file} → ${imported.path} (${imported.kind})`);
    }
  }
  t.true(followed > 300, `esbuild followed ${followed} imports between source files`);
  t.deepEqual(missed, [], 'imports the scan did not see');
});

test('the cycle and layer checks can fail: a synthetic graph with a cycle and a forbidden import', (t) => {
  const synthetic: ImportGraph = new Map([
    ['runner/cli.ts', new Set(['runner/cli/run.ts'])],
    ['runner/cli/run.ts', new Set(['runner/cli.ts', 'runner/engine/engine.ts'])],
    ['runner/engine/engine.ts', new Set(['runner/strategy/linear.ts'])],
    ['runner/strategy/linear.ts', new Set(['runner/executor/executor.ts'])],
    ['runner/executor/executor.ts', new Set(['runner/strategy/linear.ts', 'runner/engine/run-state.ts'])],
    ['runner/engine/run-state.ts', new Set()],
    ['runner/connection/ssh.ts', new Set(['runner/connection/ssh.ts', 'runner/engine/engine.ts'])],
  ]);
  t.deepEqual(findCycles(synthetic), [
    'runner/cli.ts → runner/cli/run.ts → runner/cli.ts',
    'runner/connection/ssh.ts → runner/connection/ssh.ts',
    'runner/executor/executor.ts → runner/strategy/linear.ts → runner/executor/executor.ts',
  ]);
  t.deepEqual(layerViolations(synthetic, LAYER_RULES).map((v) => v.replace(/ \(.*/, '')), [
    'runner/connection/ssh.ts → runner/engine/engine.ts',
    'runner/connection/ssh.ts → runner/engine/engine.ts',
    'runner/executor/executor.ts → runner/strategy/linear.ts',
  ]);
});

/** Files whose text names project paths: the docs, and comments in the sources and tests. */
function textFiles(): string[] {
  const md = ['README.md', 'CONTRIBUTING.md', 'bench/README.md', ...readdirSync(join(PROJECT_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  return [...md, ...sourceFiles(PROJECT_ROOT, ['runner', 'modules', 'test', 'bench']), 'scripts/bundle.mjs', 'scripts/generate-validators.ts'];
}

/** Paths named as examples, not as files (a compiler message in test/unit/ci-summary.test.ts). */
const NOT_FILES = new Set(['runner/x.ts']);

test('every runner/ or modules/ source path the docs and comments name exists', (t) => {
  const exists = new Set([...sourceFiles(PROJECT_ROOT, SOURCES), ...NOT_FILES]);
  const stale: string[] = [];
  let named = 0;
  for (const file of textFiles()) {
    const text = readFileSync(join(PROJECT_ROOT, file), 'utf8');
    for (const m of text.matchAll(/(?<![\w./-])((?:runner|modules)\/[\w./-]*?\.ts)(?![\w-])/g)) {
      named++;
      if (!exists.has(m[1]!)) stale.push(`${file}: ${m[1]}`);
    }
  }
  t.true(named > 50, `${named} paths named`);
  t.deepEqual(stale, [], `paths that name no file (moved? see docs/architecture.md):\n  ${stale.join('\n  ')}`);
});

test('docs/architecture.md names every folder of runner/', (t) => {
  const page = readFileSync(join(PROJECT_ROOT, 'docs/architecture.md'), 'utf8');
  const folders = readdirSync(join(PROJECT_ROOT, 'runner'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => `${e.name}/`);
  const top = readdirSync(join(PROJECT_ROOT, 'runner')).filter((f) => f.endsWith('.ts'));
  t.deepEqual(folders.filter((f) => !page.includes(`runner/${f}`)), [], 'folders the page does not name');
  t.deepEqual(top.filter((f) => !page.includes(`runner/${f}`)), [], 'top-level files the page does not name');
  t.true(top.length <= 8, `runner/ holds ${top.length} loose files: ${top.join(', ')}`);
});
