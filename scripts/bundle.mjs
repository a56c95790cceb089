/**
 * Bundle the CLI into dist/bundle/ with esbuild: what `quorum` (package.json bin) runs.
 *
 * Why: loading ~300 separate modules through Node's ESM and CommonJS loaders cost about 0.4 s
 * of a 1 s run (bench/README.md, "Start-up"). One bundle, split only where the CLI already
 * imports lazily (lab, doc, run), loads in a fraction of that.
 *
 * ssh2 (and its optional cpu-features) stays outside the bundle, loaded from node_modules as
 * before: it finds its native crypto binding by a relative path, which bundling would break,
 * and ssh2 would then fall back to its pure-JS ciphers without a word (measured: slower runs).
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const OUT_DIR = 'dist/bundle';

// The bundle is ESM; CommonJS dependencies inside it still call require and read __dirname.
const banner = [
  "import { createRequire as __quorumCreateRequire } from 'node:module';",
  "import { fileURLToPath as __quorumFileUrlToPath } from 'node:url';",
  "import { dirname as __quorumDirname } from 'node:path';",
  'const require = __quorumCreateRequire(import.meta.url);',
  'const __filename = __quorumFileUrlToPath(import.meta.url);',
  'const __dirname = __quorumDirname(__filename);',
].join(' ');

rmSync(OUT_DIR, { recursive: true, force: true });
await build({
  entryPoints: ['runner/cli.ts'],
  outdir: OUT_DIR,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  entryNames: '[name]',
  sourcemap: true,
  external: ['ssh2', 'cpu-features'],
  banner: { js: banner },
  logLevel: 'warning',
});
