/**
 * What the controller keeps of one stream of one command: the first and the last bytes, and a
 * count of what was dropped between them (issue 13 item 8). Without a bound, one host printing
 * without end (`head -c 600000000 /dev/zero`) grew the controller past the longest string V8 can
 * make and ended the run for every host. With it, memory per stream is bounded by the limit plus
 * one chunk, whatever the host prints, and the task still ends with what matters most of a long
 * output: how it began and how it ended.
 */

/** Bytes of each stream of a command kept by default: half from the start, half from the end. */
export const OUTPUT_KEEP_BYTES = 2 * 1024 * 1024;

/** The line put where bytes were dropped, so that whoever reads the output sees it is not whole. */
export function droppedNote(dropped: number, head: number, tail: number): string {
  return `\n[quorum: ${dropped} bytes of output dropped here; the first ${head} and the last ${tail} bytes are kept]\n`;
}

/** A bounded collector of one stream's chunks. */
export class CappedOutput {
  #headLimit: number;
  #tailLimit: number;
  readonly #head: Buffer[] = [];
  #headLength = 0;
  /** Chunks after the head; whole chunks are dropped from the front once the rest is enough. */
  readonly #tail: Buffer[] = [];
  #tailLength = 0;
  #dropped = 0;

  /** @param keep bytes kept in all (half head, half tail); Infinity keeps everything */
  constructor(keep: number = OUTPUT_KEEP_BYTES) {
    this.#headLimit = keep === Infinity ? Infinity : Math.floor(keep / 2);
    this.#tailLimit = keep === Infinity ? Infinity : keep - this.#headLimit;
  }

  /** Change the limit of what comes next (a framed shell sets it per command, before it runs). */
  setLimit(keep: number): void {
    this.#headLimit = keep === Infinity ? Infinity : Math.max(this.#headLength, Math.floor(keep / 2));
    this.#tailLimit = keep === Infinity ? Infinity : keep - Math.floor(keep / 2);
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    let rest = chunk;
    if (this.#headLength < this.#headLimit) {
      const take = Math.min(rest.length, this.#headLimit - this.#headLength);
      // A copy when only part is kept: a view would hold the whole chunk's memory.
      this.#head.push(take === rest.length ? rest : Buffer.from(rest.subarray(0, take)));
      this.#headLength += take;
      rest = rest.subarray(take);
      if (rest.length === 0) return;
    }
    this.#tail.push(rest);
    this.#tailLength += rest.length;
    while (this.#tail.length > 1 && this.#tailLength - this.#tail[0]!.length >= this.#tailLimit) {
      const first = this.#tail.shift()!;
      this.#tailLength -= first.length;
      this.#dropped += first.length;
    }
  }

  /** Bytes received but not kept. */
  get dropped(): number {
    return this.#dropped + Math.max(0, this.#tailLength - this.#tailLimit);
  }

  /** What was kept: everything, or the head, the note of what was dropped, and the tail. */
  bytes(): Buffer {
    const dropped = this.dropped;
    if (dropped === 0) return Buffer.concat([...this.#head, ...this.#tail]);
    const tail = Buffer.concat(this.#tail);
    return Buffer.concat([...this.#head, Buffer.from(droppedNote(dropped, this.#headLength, this.#tailLimit)), tail.subarray(tail.length - this.#tailLimit)]);
  }
}

/** The `dropped` field of an ExecResult: present only when a stream lost bytes. */
export function droppedOf(stdout: { dropped: number }, stderr: { dropped: number }): { dropped?: { stdout: number; stderr: number } } {
  return stdout.dropped > 0 || stderr.dropped > 0 ? { dropped: { stdout: stdout.dropped, stderr: stderr.dropped } } : {};
}
