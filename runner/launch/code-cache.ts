/**
 * The files of V8's code cache that the launcher (runner/launch.ts) hands to V8, and why they
 * can be trusted. A code cache is code: V8 checks only that the source has the same length and
 * that V8's version and flags match, so a cache compiled from any other script of that length
 * runs instead of quorum. Hence a cache is used only when all of this holds, and ignored (never
 * run, then rewritten where allowed) otherwise:
 *
 *  - its directory is a real directory (not a link) owned by this user and writable by nobody
 *    else (no group or other write bit): `sudo -E` with the user's XDG_CACHE_HOME, or a directory
 *    another user can write, is refused;
 *  - the file is a regular file (opened without following a link) owned by this user and
 *    writable by nobody else;
 *  - its name and its header carry the SHA-256 of the exact bundle text it was compiled from,
 *    and that is the bundle being run (not its size and date: another build of the same size
 *    and time, or a file copied from elsewhere, does not match);
 *  - its header carries the SHA-256 of what follows (the rewrite record of code-cache-policy.ts,
 *    then the V8 data), and it matches (a truncated or altered file is ignored).
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync } from 'node:fs';
import { FIRST_WRITE, type CacheRecord } from './code-cache-policy.js';

// Version 2 added the rewrite record: a version 1 file is not read, and is rewritten once.
const MAGIC = Buffer.from('quorum-v8cache-2\n');
const DIGEST_BYTES = 32;
/** The rewrite record: writes so far, then the quiet bytecode figure (code-cache-policy.ts), u32 LE each. */
const RECORD_BYTES = 8;
/** Far above a real cache (a few MB): a bigger file is not read at all. */
const MAX_CACHE_BYTES = 256 * 1024 * 1024;

/** SHA-256 of the bundle's bytes: what a cache must have been compiled from. */
export function sourceDigest(source: Uint8Array): Buffer {
  return createHash('sha256').update(source).digest();
}

/** The file name stem of the caches of one bundle text on this Node and architecture. */
export function cacheKey(digest: Uint8Array): string {
  return `main-${Buffer.from(digest).toString('hex')}-${process.version}-${process.arch}`;
}

/** A cache file's bytes: magic, the source's digest, the digest of the rest, the rewrite record, the V8 data. */
export function encodeCache(digest: Uint8Array, data: Uint8Array, record: CacheRecord = FIRST_WRITE): Buffer {
  const recordBytes = Buffer.alloc(RECORD_BYTES);
  recordBytes.writeUInt32LE(Math.min(record.writes, 0xffffffff), 0);
  recordBytes.writeUInt32LE(Math.min(record.quietBytecode, 0xffffffff), 4);
  const rest = Buffer.concat([recordBytes, data]);
  return Buffer.concat([MAGIC, digest, createHash('sha256').update(rest).digest(), rest]);
}

/** A cache file as read: the V8 data and its rewrite record. */
export interface DecodedCache {
  data: Buffer;
  record: CacheRecord;
}

/** The V8 data and record of a cache file made for the source `digest`, or undefined when anything differs. */
export function decodeCacheFile(file: Buffer, digest: Uint8Array): DecodedCache | undefined {
  const head = MAGIC.length + 2 * DIGEST_BYTES;
  if (file.length <= head + RECORD_BYTES || !file.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  if (!file.subarray(MAGIC.length, MAGIC.length + DIGEST_BYTES).equals(digest)) return undefined;
  const rest = file.subarray(head);
  const restDigest = file.subarray(MAGIC.length + DIGEST_BYTES, head);
  if (!createHash('sha256').update(rest).digest().equals(restDigest)) return undefined;
  return { data: rest.subarray(RECORD_BYTES), record: { writes: rest.readUInt32LE(0), quietBytecode: rest.readUInt32LE(4) } };
}

/** The V8 data of a cache file made for the source `digest`, or undefined when anything differs. */
export function decodeCache(file: Buffer, digest: Uint8Array): Buffer | undefined {
  return decodeCacheFile(file, digest)?.data;
}

/** Why a code cache may not come from `dir`, or undefined when only this user can write it. */
export function untrustedDirectoryReason(dir: string): string | undefined {
  let info;
  try {
    info = lstatSync(dir);
  } catch (err) {
    return `cannot read ${dir}: ${(err as Error).message}`;
  }
  if (!info.isDirectory()) return `${dir} is not a directory`;
  return notOnlyMine(dir, info);
}

/**
 * The V8 data (and rewrite record) of the cache `file` in the trusted directory `dir` for the
 * source `digest`; undefined when the directory, the file or its content is not as described above.
 */
export function readTrustedCache(dir: string, file: string, digest: Uint8Array): DecodedCache | undefined {
  if (untrustedDirectoryReason(dir) !== undefined) return undefined;
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile() || info.size > MAX_CACHE_BYTES || notOnlyMine(file, info) !== undefined) return undefined;
    return decodeCacheFile(readFileSync(fd), digest);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function notOnlyMine(path: string, info: { uid: number; mode: number }): string | undefined {
  const me = process.geteuid?.();
  if (me !== undefined && info.uid !== me) return `${path} is owned by uid ${info.uid}, not by this user (uid ${me})`;
  if ((info.mode & 0o022) !== 0) return `${path} can be written by others (mode ${(info.mode & 0o777).toString(8).padStart(4, '0')})`;
  return undefined;
}
