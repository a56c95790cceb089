/**
 * Where quorum keeps what it may reuse between runs (V8's code cache, tool versions seen on
 * hosts): the user's own cache directory, never a shared /tmp where another user could plant a
 * file. QUORUM_NO_CACHE=1 (or, for the code cache only, QUORUM_NO_COMPILE_CACHE=1) turns caching
 * off; everything then works, only slower.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** `$XDG_CACHE_HOME/quorum` or `~/.cache/quorum`; undefined when caching is off or there is no home. */
export function userCacheDirectory(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env['QUORUM_NO_CACHE'] === '1') return undefined;
  const base = env['XDG_CACHE_HOME'] || (homedir() ? join(homedir(), '.cache') : '');
  return base ? join(base, 'quorum') : undefined;
}

/**
 * Write a file of the cache directory atomically (a temp file, then rename), the directory 0700
 * and the file 0600: a concurrent run reads the old file or the new one, never half of one.
 * The temp file has a random name and is created exclusively (`wx`: never through a link or
 * into a file someone else made). Throws like writeFileSync; callers treat a failure as "not cached".
 */
export function writeCacheFile(file: string, data: string | Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(temp, data, { mode: 0o600, flag: 'wx' });
  try {
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw err;
  }
}
