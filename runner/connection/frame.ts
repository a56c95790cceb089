/**
 * The framing protocol of a persistent remote shell (architecture.md decision 9).
 *
 * One long-lived `sh` reads commands on its stdin. Each command's output goes through FIFOs of
 * its own ({@link sessionSetup}; {@link encodeCommand} is the same frame without them). Each
 * command runs in a subshell
 * `( eval 'SCRIPT' )` so that `exit`, `cd`, `set -e` or a syntax error cannot end or change the
 * shell, with its stdin either /dev/null or a base64 here-document (the shell's own stdin is the
 * protocol and must never be read by a command). After it, the shell prints a random
 * per-session marker on stdout (followed by `seq:status`) and on stderr (followed by `seq`).
 * Output is cut at the marker wherever it appears, so bytes are exact: no trailing newline is
 * added or removed, binary output passes untouched. The marker is 128 random bits, so output
 * cannot contain it by accident, including output that imitates the marker's shape.
 * What is kept of each command's output is bounded (capped-output.ts): past the limit, the
 * middle is dropped and counted, while the stream is still scanned for the marker.
 */
import { randomBytes } from 'node:crypto';
import { quote } from './quote.js';
import { CappedOutput, droppedOf, OUTPUT_KEEP_BYTES } from './capped-output.js';

/** One command's completed output, as cut from the two streams. */
export interface Frame {
  seq: number;
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  /** Present when more was printed than kept (capped-output.ts). */
  dropped?: { stdout: number; stderr: number };
}

/** A fresh random marker for one session. Only [A-Za-z0-9_], so it is safe in a printf format. */
export function createMarker(): string {
  return `_QF${randomBytes(16).toString('hex')}_`;
}

/**
 * The text to write to the shell for one command.
 * @param script the command as a shell script (already with cwd/env applied)
 * @param stdin bytes for the command's stdin, or undefined for /dev/null
 */
export function encodeCommand(marker: string, seq: number, script: string, stdin?: Uint8Array): string {
  const trailer = `; printf '${marker}${seq}:%d\\n' "$?"; printf '${marker}${seq}\\n' >&2\n`;
  const body = `( eval ${quote(script)} )`;
  if (stdin === undefined) return `${body} </dev/null${trailer}`;
  // The delimiter contains '_', which base64 never produces, so no data line can end the document.
  const eof = `${marker}IN`;
  const data = Buffer.from(stdin).toString('base64').replace(/.{1,76}/g, '$&\n');
  return `base64 -d 2>/dev/null <<'${eof}' | ${body}${trailer}${data}${eof}\n`;
}

/**
 * Each command's output its own (issue 13 item 11: a background job's output leaked into the
 * next command's frame). Sent once to a new shell: it makes a private directory of FIFOs and
 * shell functions. Command N writes to FIFOs oN (stdout) and eN (stderr), read in turn by two
 * long-lived `cat`s that copy them to the shell's own stdout and stderr. After it, the shell opens
 * FIFOs tN and uN, which a cat opens only once everything that held oN or eN open has closed it,
 * command and background jobs alike, and it has copied all of it; then the shell prints the
 * trailers itself. So what a background job prints belongs to the command that
 * started it, whose frame ends when the job closes its output (as over a channel of its own,
 * and as Ansible waits): `cmd > /dev/null 2>&1 &` returns at once. No process per command: the
 * FIFOs and the two cats are made per batch of {@link FIFO_BATCH} commands. Without mktemp or
 * mkfifo the shell falls back to writing to its own stdout and stderr (fds 3 and 4 dup them).
 */
export function sessionSetup(marker: string): string {
  return [
    `q_d=$(mktemp -d /tmp/.quorum-sh.XXXXXXXXXX 2>/dev/null) || q_d=; q_r= q_old=`,
    // Removed on exit, and by the TERM and HUP traps themselves: dash does not run the EXIT
    // trap when a signal's trap exits.
    `q_rm=; [ -z "$q_d" ] || q_rm="kill \\$q_r 2>/dev/null; rm -rf $q_d"`,
    `trap "$q_rm" EXIT; trap "$q_rm; trap - EXIT; exit 129" HUP; trap "$q_rm; trap - EXIT; exit 143" TERM`,
    `q_mk() { [ -n "$q_d" ] || return 0; q_i=$1 q_o= q_e=; while [ $q_i -le $2 ]; do q_o="$q_o $q_d/o$q_i $q_d/t$q_i" q_e="$q_e $q_d/e$q_i $q_d/u$q_i" q_i=$((q_i + 1)); done; [ -z "$q_old" ] || rm -f $q_old; q_old="$q_o $q_e"; if mkfifo $q_o $q_e 2>/dev/null; then cat $q_o & q_r=$!; cat $q_e >&2 & q_r="$q_r $!"; else q_d=; fi; }`,
    `q_beg() { if [ -n "$q_d" ]; then exec 3>"$q_d/o$1" 4>"$q_d/e$1"; else exec 3>&1 4>&2; fi; }`,
    // Opening tN and uN returns once each relay has copied everything of oN and eN into the
    // shell's stdout and stderr; both trailers then leave from this shell back to back, so sshd
    // can read them together and send one segment (a relay each always made two).
    `q_end() { exec 3>&- 4>&-; [ -z "$q_d" ] || { : >"$q_d/t$1"; : >"$q_d/u$1"; }; printf '${marker}%s:%s\\n' "$1" "$2"; printf '${marker}%s\\n' "$1" >&2; }`,
    '',
  ].join('\n');
}

/** Commands per batch of FIFOs (sessionSetup). */
export const FIFO_BATCH = 64;

/**
 * The text for one command on a shell set up by {@link sessionSetup}; `batch` when this command
 * starts a new batch of FIFOs (its last command's number).
 */
export function encodeIsolatedCommand(marker: string, seq: number, script: string, stdin?: Uint8Array, batchEnd?: number): string {
  const start = `${batchEnd !== undefined ? `q_mk ${seq} ${batchEnd}; ` : ''}q_beg ${seq}; `;
  const body = `( eval ${quote(script)} ) >&3 2>&4 3>&- 4>&-`;
  const trailer = `; q_end ${seq} "$?"\n`;
  if (stdin === undefined) return `${start}${body} </dev/null${trailer}`;
  const eof = `${marker}IN`;
  const data = Buffer.from(stdin).toString('base64').replace(/.{1,76}/g, '$&\n');
  return `${start}base64 -d 2>/dev/null 3>&- 4>&- <<'${eof}' | ${body}${trailer}${data}${eof}\n`;
}

/** One record cut from a stream: the bytes before a marker and the text after it up to "\n". */
interface Record_ {
  body: Buffer;
  /** Bytes of the body that were not kept. */
  dropped: number;
  trailer: string;
}

/**
 * Cuts one byte stream at a marker. Chunks may split anywhere, even inside the marker; scanning
 * only looks at new bytes plus a short carried-over window, so large outputs stay linear.
 */
export class MarkerSplitter {
  readonly #marker: Buffer;
  #keep = OUTPUT_KEEP_BYTES;
  #body = new CappedOutput(this.#keep);
  #window: Buffer = Buffer.alloc(0);
  readonly records: Record_[] = [];

  constructor(marker: string) {
    this.#marker = Buffer.from(marker, 'latin1');
  }

  /** Bytes kept of the record being read and of the next ones (ExecOptions.keepOutput). */
  setKeep(keep: number): void {
    this.#keep = keep;
    this.#body.setLimit(keep);
  }

  /** Feed the next chunk of the stream. */
  push(chunk: Buffer): void {
    let win = this.#window.length > 0 ? Buffer.concat([this.#window, chunk]) : chunk;
    for (;;) {
      const at = win.indexOf(this.#marker);
      if (at < 0) {
        // Keep a tail that could be the start of a marker split across chunks.
        const carry = Math.min(win.length, this.#marker.length - 1);
        if (win.length > carry) this.#body.push(win.subarray(0, win.length - carry));
        this.#window = win.subarray(win.length - carry);
        return;
      }
      const nl = win.indexOf(0x0a, at + this.#marker.length);
      if (nl < 0) {
        if (at > 0) this.#body.push(win.subarray(0, at));
        this.#window = win.subarray(at);
        return;
      }
      this.#body.push(win.subarray(0, at));
      this.records.push({ body: this.#body.bytes(), dropped: this.#body.dropped, trailer: win.subarray(at + this.#marker.length, nl).toString('latin1') });
      this.#body = new CappedOutput(this.#keep);
      win = win.subarray(nl + 1);
    }
  }

  /** Bytes received since the last record (what a timed-out command printed so far). */
  partial(): Buffer {
    return Buffer.concat([this.#body.bytes(), this.#window]);
  }

  /** Bytes received since the last record and not kept. */
  get partialDropped(): number {
    return this.#body.dropped;
  }
}

/** Pairs the stdout and stderr records of each command into frames. */
export class FrameParser {
  readonly #out: MarkerSplitter;
  readonly #err: MarkerSplitter;

  constructor(marker: string) {
    this.#out = new MarkerSplitter(marker);
    this.#err = new MarkerSplitter(marker);
  }

  pushStdout(chunk: Buffer): void {
    this.#out.push(chunk);
  }

  pushStderr(chunk: Buffer): void {
    this.#err.push(chunk);
  }

  /**
   * The next complete frame (both streams have reached its marker), else undefined.
   * Throws when the trailers are not what this protocol writes: the session is out of sync.
   */
  takeFrame(): Frame | undefined {
    if (this.#out.records.length === 0 || this.#err.records.length === 0) return undefined;
    const out = this.#out.records.shift()!;
    const err = this.#err.records.shift()!;
    const m = /^(\d+):(\d+)$/.exec(out.trailer);
    if (!m || err.trailer !== m[1]) {
      throw new Error(`shell framing out of sync (stdout trailer ${JSON.stringify(out.trailer)}, stderr trailer ${JSON.stringify(err.trailer)})`);
    }
    return { seq: Number(m[1]), exitCode: Number(m[2]), stdout: out.body, stderr: err.body, ...droppedOf(out, err) };
  }

  /** Bytes kept of each stream of the command about to run (ExecOptions.keepOutput). */
  setKeep(keep: number): void {
    this.#out.setKeep(keep);
    this.#err.setKeep(keep);
  }

  /** Output received so far for the command in progress. */
  partial(): { stdout: Buffer; stderr: Buffer; dropped?: { stdout: number; stderr: number } } {
    return { stdout: this.#out.partial(), stderr: this.#err.partial(), ...droppedOf({ dropped: this.#out.partialDropped }, { dropped: this.#err.partialDropped }) };
  }
}
