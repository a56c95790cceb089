/**
 * Reading an input file of the controller (playbook, inventory, vars file, `-e @file`, a file a
 * template reads) as text, refusing what would hang, exhaust memory or be misread: anything but
 * a regular file (`/dev/zero`, a FIFO, a directory), files over a size limit, UTF-16, invalid
 * UTF-8 and NUL bytes. A UTF-8 byte-order mark is dropped. The refusal names the file and, where
 * there is one, the line and column; it never quotes the file's content (it may be a secret).
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { ConfigError, type SourceLocation } from '../errors.js';

/**
 * YAML files (playbooks, task files, inventories, vars files). Loading costs about 6 s per MB
 * (measured: 250 KB of tasks took 1.6 s, 800 KB 4.7 s), and the largest playbook we know of is
 * under 20 KB (etcd-ha.yaml: 17 KB): 128 KiB keeps validation under a second and leaves room.
 */
export const MAX_YAML_BYTES = 128 * 1024;
/**
 * All the YAML files of one playbook (imports and vars files included), for the same reason:
 * 8000 tasks in two 112 KB imports took 1.3 to 2.0 s on a busy 2-core machine. etcd-ha.yaml, the
 * largest playbook here, is 17 KB.
 */
export const MAX_PLAYBOOK_TOTAL_BYTES = 128 * 1024;
/**
 * Inventory files: a fleet's inventory is one file as often as not (Kubespray's hosts.yaml, a
 * generated INI), and a few hundred bytes per host put 1,000 hosts over the YAML limit above.
 * Loading costs about 2 s per MB (measured: 5,000 hosts with seven variables each, 1.3 MB,
 * `--list-hosts` in 2.1 s): 8 MiB holds some 30,000 such hosts and keeps the wait bounded.
 */
export const MAX_INVENTORY_BYTES = 8 * 1024 * 1024;
/** Files a template reads (lookup_file, render_file): content sent to hosts, not parsed. */
export const MAX_TEMPLATE_FILE_BYTES = 16 * 1024 * 1024;

/**
 * A file refused before its content was used: why, and where in it. A refusal of the whole file
 * (missing, a device, too big) is located at its start; whoever names the file (a vars_files
 * entry, `-e`) may report it at the name instead.
 */
export class InputFileError extends ConfigError {
  readonly reason: string;
  readonly wholeFile: boolean;
  constructor(file: string, reason: string, location?: SourceLocation) {
    super([{ location: location ?? { file, line: 1, col: 1 }, pointer: '', message: location ? reason : reason.startsWith('cannot read the file') ? reason.replace('the file', file) : `${file} ${reason}` }]);
    this.reason = reason;
    this.wholeFile = !location;
  }
}
InputFileError.prototype.name = 'InputFileError';

/** The text of `file`, or an InputFileError (a missing file is one too: `reason` says so). */
export function readInputText(file: string, maxBytes: number = MAX_YAML_BYTES): string {
  return decodeInput(file, readBytes(file, maxBytes));
}

function readBytes(file: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO with no writer must not hang before fstat can refuse it.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new InputFileError(file, `cannot read the file: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new InputFileError(file, 'is a directory: name a file');
    if (!st.isFile()) throw new InputFileError(file, 'is not a regular file (a device, FIFO or socket): name a regular file');
    if (st.size > maxBytes) throw new InputFileError(file, `is ${st.size} bytes, over the limit of ${maxBytes}: split it into several files`);
    // Read to the end, but never more than one byte past the limit: a file that grows while
    // read, or a /proc file whose size says 0, is still bounded and read whole.
    const chunks: Buffer[] = [];
    let n = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, maxBytes + 1 - n));
      const got = readSync(fd, chunk, 0, chunk.length, null);
      if (got === 0) break;
      chunks.push(chunk.subarray(0, got));
      n += got;
      if (n > maxBytes) throw new InputFileError(file, `is over the limit of ${maxBytes} bytes: split it into several files`);
    }
    return Buffer.concat(chunks, n);
  } finally {
    closeSync(fd);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** UTF-8 text of the bytes, without a byte-order mark; refuses UTF-16, bad UTF-8 and NUL. */
export function decodeInput(file: string, bytes: Buffer): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new InputFileError(file, 'the file is UTF-16 (it starts with a UTF-16 byte-order mark): save it as UTF-8', { file, line: 1, col: 1 });
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new InputFileError(file, 'a NUL byte: an input file must be text (UTF-8); remove it', locateByte(file, bytes, nul));
  try {
    // ignoreBOM: false means the decoder drops a leading UTF-8 BOM.
    return utf8.decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    throw new InputFileError(file, 'not valid UTF-8 here: save the file as UTF-8', locateByte(file, bytes, bad));
  }
}

/** Line and column (in characters) of byte `offset`. */
function locateByte(file: string, bytes: Buffer, offset: number): SourceLocation {
  const before = bytes.subarray(0, offset);
  const lineStart = before.lastIndexOf(0x0a) + 1;
  const line = before.reduce((n, b) => (b === 0x0a ? n + 1 : n), 1);
  // Columns count characters: UTF-8 continuation bytes do not start one.
  const col = bytes.subarray(lineStart, offset).reduce((n, b) => ((b & 0xc0) === 0x80 ? n : n + 1), 1);
  return { file, line, col };
}

/** Byte offset of the first invalid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const len = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (len === 0 || i + len > bytes.length) return i;
    try {
      utf8.decode(bytes.subarray(i, i + len));
    } catch {
      return i;
    }
    i += len;
  }
  return 0;
}
