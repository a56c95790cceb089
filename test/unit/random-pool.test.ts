/**
 * runner/connection/random-pool.ts: draws are the requested size, never repeat (each pool byte is
 * handed out once, across refills), land exactly where asked, and large draws bypass the pool.
 */
import test from 'ava';
import { fillRandom, randomHex } from '../../runner/connection/random-pool.js';

test('randomHex gives the asked number of bytes, fresh each time across several pool refills', (t) => {
  const seen = new Set<string>();
  // 6 bytes each: 5,000 draws empty the 4 KiB pool seven times over.
  for (let i = 0; i < 5000; i++) {
    const hex = randomHex(6);
    if (!/^[0-9a-f]{12}$/.test(hex)) return t.fail(`draw ${i}: ${hex}`);
    seen.add(hex);
  }
  t.is(seen.size, 5000);
});

test('fillRandom writes only the asked range, and consecutive draws differ', (t) => {
  const a = Buffer.alloc(40);
  const b = Buffer.alloc(40);
  fillRandom(a, 10, 19);
  fillRandom(b, 10, 19);
  t.true(a.subarray(0, 10).every((x) => x === 0) && a.subarray(29).every((x) => x === 0), 'bytes outside the range stay as they were');
  t.false(a.subarray(10, 29).equals(b.subarray(10, 29)));
  t.false(a.subarray(10, 29).every((x) => x === 0));
});

test('a draw larger than the pool is filled directly, all of it', (t) => {
  const big = Buffer.alloc(10_000);
  fillRandom(big, 0, big.length);
  // 10,000 random bytes hold every byte value: a zero-filled tail would not.
  t.true(new Set(big.subarray(5000)).size > 200);
  t.true(new Set(big.subarray(0, 5000)).size > 200);
});
