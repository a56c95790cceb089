/**
 * The `quorum` executable (package.json bin, built to dist/bundle/quorum.cjs): loads the
 * bundled CLI (dist/bundle/main.cjs) through V8's code cache.
 *
 * Why: Node 20 has no compile cache for user code (module.enableCompileCache is Node 22), and
 * parsing and compiling ~2 MB of JavaScript on every start cost about a quarter of a short run
 * (bench/README.md). V8 can serialise the code it compiled, including the functions compiled
 * lazily while the run went on; reloading that skips the work. The cache lives in the user's
 * own cache directory (~/.cache/quorum, mode 0700), never in a shared /tmp where another user
 * could plant one. A cache is code and V8 checks little of it (the source's length only), so
 * runner/launch/code-cache.ts decides whether one is used: keyed by the SHA-256 of the bundle's bytes,
 * in a directory and a file only this user can write, with the digest of its data; anything
 * else is ignored, recompiled and (where the directory is ours) rewritten.
 * runner/launch/code-cache-policy.ts decides when a run writes it again (to hold the paths later runs took).
 * QUORUM_NO_COMPILE_CACHE=1 (or QUORUM_NO_CACHE=1) turns it off.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { join } from 'node:path';
import { getHeapCodeStatistics, setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import { userCacheDirectory, writeCacheFile } from './files/cache-dir.js';
import { cacheKey, encodeCache, readTrustedCache, sourceDigest, untrustedDirectoryReason } from './launch/code-cache.js';
import { restoreDeferredExtraCaCerts } from './launch/extra-ca-certs.js';
import { FIRST_WRITE, settleProbe, shouldProbe, type CacheRecord } from './launch/code-cache-policy.js';
import { setLauncherV8Flags } from './launch/v8-flags.js';

const MAIN = join(__dirname, 'main.cjs');

/** Node's own wrapper for a CommonJS module, so the bundle runs exactly as `require` would run it. */
type ModuleWrapper = (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;

function cacheDirectory(): string | undefined {
  if (process.env.QUORUM_NO_COMPILE_CACHE === '1') return undefined;
  return userCacheDirectory();
}

/**
 * One cache per bundle text (its SHA-256), Node version and architecture. A cache written by a
 * `run` is preferred: it holds the code a run compiles (loader, engine, modules), which
 * `--version` never reaches.
 */
function cacheFiles(dir: string, digest: Buffer): { key: string; run: string; other: string } {
  const key = cacheKey(digest);
  return { key, run: join(dir, `${key}.run.v8cache`), other: join(dir, `${key}.other.v8cache`) };
}

/**
 * Write the cache atomically, with its header (code-cache.ts), and drop the caches of other
 * builds; only into a directory only this user can write. Never fails the run.
 */
function writeCache(dir: string, key: string, file: string, digest: Buffer, data: Buffer, record: CacheRecord): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (untrustedDirectoryReason(dir) !== undefined) return;
    writeCacheFile(file, encodeCache(digest, data, record));
    for (const old of readdirSync(dir)) if (old.endsWith('.v8cache') && !old.startsWith(key)) rmSync(join(dir, old), { force: true });
  } catch {
    // A read-only or missing home: the next run compiles again, nothing else changes.
  }
}

/** Bytes of bytecode in the heap. */
function bytecodeBytes(): number {
  return getHeapCodeStatistics().bytecode_and_metadata_size;
}

function launch(): void {
  // Before the bundle is compiled: V8 keys the code cache by its flags (launch/v8-flags.ts),
  // and after Node's built-ins are loaded, which would otherwise lose their own code cache.
  setLauncherV8Flags(process.argv[2], (id) => require(id), setFlagsFromString);
  restoreDeferredExtraCaCerts();
  // The entry's `#!` line survives bundling; Node's loader would drop it, so do the same.
  const bytes = readFileSync(MAIN);
  const source = bytes.toString('utf8').replace(/^#!.*/, '');
  const dir = cacheDirectory();
  const cache = dir === undefined ? undefined : { dir, digest: sourceDigest(bytes) };
  const files = cache && cacheFiles(cache.dir, cache.digest);
  const read = (file: string) => (cache ? readTrustedCache(cache.dir, file, cache.digest) : undefined);
  const isRun = process.argv[2] === 'run';
  const runCache = files && read(files.run);
  const loaded = runCache ?? (files && read(files.other));
  const cachedData = loaded?.data;
  const script = new Script(Module.wrap(source), { filename: MAIN, ...(cachedData ? { cachedData } : {}) });
  const wanted = files && (!cachedData || script.cachedDataRejected || (isRun && !runCache)) ? (isRun ? files.run : files.other) : undefined;
  if (cache && files && wanted) {
    // At exit the cache also holds every function the run compiled lazily.
    process.once('exit', () => writeCache(cache.dir, files.key, wanted, cache.digest, script.createCachedData(), FIRST_WRITE));
  } else if (cache && files && isRun && runCache) {
    // A run that compiled much more than its cache held writes it again (code-cache-policy.ts).
    const bytecodeAtStart = bytecodeBytes();
    process.once('exit', () => {
      const newBytecode = bytecodeBytes() - bytecodeAtStart;
      if (!shouldProbe(runCache.record, newBytecode)) return;
      const data = script.createCachedData();
      const settled = settleProbe(runCache.record, runCache.data.length, data.length, newBytecode);
      writeCache(cache.dir, files.key, files.run, cache.digest, settled.useNew ? data : runCache.data, settled.record);
    });
  }
  const wrapper = script.runInThisContext() as ModuleWrapper;
  const mainModule = new Module(MAIN);
  mainModule.filename = MAIN;
  wrapper.call(mainModule.exports, mainModule.exports, createRequire(MAIN), mainModule, MAIN, __dirname);
}

launch();
