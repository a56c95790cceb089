/**
 * Writing a file on the controller so that its name holds either the old file or the whole new
 * one, after a crash or a power cut too, and never writes through a link someone planted:
 *
 *  - the temp file beside the destination has a random name and is created exclusively
 *    (O_CREAT|O_EXCL, Node's `wx+`): an existing name, a symbolic link included, is an error,
 *    never followed (a predictable `DEST.tmp-PID` let another user's link make root overwrite
 *    and chmod any file);
 *  - it gets its mode before it has a name anyone would read (the umask cannot widen it);
 *  - what it holds is read back and checked (size and SHA-256) before it is renamed;
 *  - the file is fsync'ed before the rename and its directory after it, so "changed" is never
 *    reported for a file a power cut could still leave empty.
 *
 * rename() replaces a link at the destination itself rather than following it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** Permission bits of the file, e.g. 0o600. */
  mode: number;
  /** Hex SHA-256 the bytes must have (checked on what was written, before the rename). */
  sha256?: string;
  /** Only for tests: the temp file's name instead of a random one. */
  tempPath?: string;
}

/** Write `bytes` to `dest` as described above; throws (leaving dest as it was) on any failure. */
export async function writeFileAtomically(dest: string, bytes: Uint8Array, options: AtomicWriteOptions): Promise<void> {
  const temp = options.tempPath ?? join(dirname(dest), `.${basename(dest)}.quorum-${randomBytes(8).toString('hex')}`);
  await writeNewFile(temp, bytes, options);
  let placed = false;
  try {
    await rename(temp, dest);
    placed = true;
  } finally {
    if (!placed) await unlink(temp).catch(() => undefined);
  }
  await syncDirectory(dirname(dest));
}

/**
 * Create `path`, which must not exist (a link there is an error, never followed), holding
 * `bytes` with `mode` (and owner, when given), checked (size and SHA-256) and fsync'ed: ready to
 * be renamed or linked into place. On failure it is removed, unless it was not ours (it existed).
 */
export async function writeNewFile(path: string, bytes: Uint8Array, options: { mode: number; sha256?: string; uid?: number; gid?: number }): Promise<void> {
  // Outside the try: a name that already exists is not ours to remove.
  const handle = await open(path, 'wx+', options.mode);
  let closed = false;
  let done = false;
  try {
    // Owner first: chown clears set-id bits, which the mode sets after it.
    if (options.uid !== undefined || options.gid !== undefined) await handle.chown(options.uid ?? -1, options.gid ?? -1);
    await handle.chmod(options.mode);
    await handle.writeFile(bytes);
    await handle.sync();
    await verifyWritten(handle, path, bytes.length, options.sha256 ?? sha256Hex(bytes));
    closed = true;
    await handle.close();
    done = true;
  } finally {
    if (!closed) await handle.close().catch(() => undefined);
    if (!done) await unlink(path).catch(() => undefined);
  }
}

/** fsync a directory, so that a rename or a new name in it survives a power cut. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Read the file back through its own descriptor and compare size and SHA-256. */
async function verifyWritten(handle: FileHandle, temp: string, size: number, sha256: string): Promise<void> {
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(Math.min(Math.max(size, 1), 1 << 20));
  let total = 0;
  for (;;) {
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, total);
    if (bytesRead === 0) break;
    hash.update(chunk.subarray(0, bytesRead));
    total += bytesRead;
  }
  const got = hash.digest('hex');
  if (total !== size || got !== sha256) throw new Error(`${temp} holds ${total} bytes (sha256 ${got}) after writing ${size} bytes (sha256 ${sha256})`);
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
