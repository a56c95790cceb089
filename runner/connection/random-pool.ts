/**
 * Cryptographically random bytes for the many small draws of a run (each sent packet's padding,
 * each put's temporary name), taken from a pool filled by `randomFillSync` 4 KiB at a time
 * instead of one call per draw: a call costs ~2 µs in isolation and several times that inside a
 * busy run, for a few bytes. Every pool byte is handed out once. OpenSSH's client draws its
 * padding from arc4random, which buffers its random stream the same way.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolAt = 0;

/** Fill `length` bytes of `target` from `at` with random bytes. */
export function fillRandom(target: Uint8Array, at: number, length: number): void {
  if (length > POOL_BYTES) {
    randomFillSync(target, at, length);
    return;
  }
  if (poolAt + length > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
    poolAt = 0;
  }
  // A byte loop: Buffer#copy makes a view of both sides first, which costs more than a padding's
  // 4 to 19 bytes.
  for (let i = 0; i < length; i++) target[at + i] = pool[poolAt + i]!;
  poolAt += length;
}

/** `bytes` random bytes as lower-case hex. */
export function randomHex(bytes: number): string {
  const out = Buffer.allocUnsafe(bytes);
  fillRandom(out, 0, bytes);
  return out.toString('hex');
}
