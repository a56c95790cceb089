/**
 * Build the `quorum` executable with esbuild into dist/bundle/:
 *   main.cjs    the whole CLI and its dependencies in one CommonJS file;
 *   quorum.cjs  the launcher (runner/launch.ts, package.json bin): runs main.cjs through V8's
 *               code cache.
 *
 * Why: loading ~300 separate modules through Node's ESM and CommonJS loaders, then compiling
 * them, cost about 0.5 s of a 1 s run (bench/README.md, "Start-up"). One file, compiled once and
 * cached, loads in a fraction of that. CommonJS because V8's code cache is only reachable from
 * `vm.Script` on Node 20, which runs scripts, not ES modules.
 *
 * ssh2 is bundled, but its optional native crypto binding is required by package path so that
 * Node finds it in node_modules: a bundled ssh2 could not find it by its relative path and would
 * fall back to pure-JS ciphers without a word.
 */
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';

const OUT_DIR = 'dist/bundle';

const keepNativeBindingExternal = {
  name: 'keep-native-binding-external',
  setup(b) {
    b.onResolve({ filter: /sshcrypto\.node$/ }, () => ({ path: 'ssh2/lib/protocol/crypto/build/Release/sshcrypto.node', external: true }));
  },
};

const common = { bundle: true, format: 'cjs', platform: 'node', target: 'node20', logLevel: 'warning' };

rmSync(OUT_DIR, { recursive: true, force: true });
await build({
  ...common,
  entryPoints: ['runner/cli.ts'],
  outfile: `${OUT_DIR}/main.cjs`,
  external: ['cpu-features'],
  plugins: [keepNativeBindingExternal],
  // The sources are ES modules that locate files with import.meta.url.
  define: { 'import.meta.url': '__quorumImportMetaUrl' },
  banner: { js: "const __quorumImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
});
/**
 * The launcher is both a POSIX sh script and JavaScript. sh runs the second line: it moves
 * NODE_EXTRA_CA_CERTS aside (Node 20 would parse that file at start-up, ~70 ms; see
 * runner/launch/extra-ca-certs.ts) and execs Node on this same file. To JavaScript that line is a
 * string directive followed by a comment, and "use strict" after it is still in the prologue.
 */
const LAUNCHER_HEADER = [
  '#!/bin/sh',
  '":" //; [ -z "${NODE_EXTRA_CA_CERTS:-}" ] || { QUORUM_DEFERRED_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS; export QUORUM_DEFERRED_EXTRA_CA_CERTS; unset NODE_EXTRA_CA_CERTS; }; exec node "$0" "$@"',
].join('\n');
await build({ ...common, entryPoints: ['runner/launch.ts'], outfile: `${OUT_DIR}/quorum.cjs`, banner: { js: LAUNCHER_HEADER } });
chmodSync(`${OUT_DIR}/quorum.cjs`, 0o755);
