/**
 * runner/inventory/host-pattern.ts tries an ASCII-only hostname pattern before the Unicode one
 * (whose \p{L}\p{N} classes cost ~10 ms to compile on every run). That must change no answer:
 * here parseAddress is compared with parseAddressWithoutFastPath (the same address split and
 * patterns, the Unicode hostname pattern alone: what parseAddress answered before the fast path)
 * on hand-picked names and on many generated ones, ASCII and not, with ports and ranges.
 */
import test from 'ava';
import { parseAddress, parseAddressWithoutFastPath, parseHostEntry } from '../../runner/inventory/host-pattern.js';

/** Deterministic pseudo-random numbers (mulberry32), so a failure can be reproduced. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HAND_PICKED = [
  'infra0', 'web-01', 'db_1', 'a', '_', '-', 'a-', 'a_', '-a', '_a', 'a--b', 'a__b', 'a.b', 'a..b', '.a', 'a.', 'a.-b', 'a._b',
  'host.example.org', 'HOST.Example.ORG', 'x_y-z.q-1.r_2', '0', '00', '1a', 'a1', '9-9',
  '10.0.0.1', '10.0.0.256', '10.0.0', '255.255.255.255', '10.0.0.1:22', '10.0.0.[1:2]:2222', '10.0.0.[1:2]',
  '::1', '[::1]:22', '2001:db8::1', '[2001:db8::1]:22', 'fe80::[a:f]', '::ffff:10.0.0.1',
  'db1:5309', 'db1:', 'db1:x', ':22', 'db1:5309:1', '[db1]:22', '[db1:22',
  'web[01:20]', 'web[01:20].example.org', 'db-[a:f]', 'mail[:5]', 'n[1:9:2]', 'n[01:10:4]-[a:b]', 'web[1:]', 'web[a:Z]', 'web[]', 'web[',
  'web]', 'x[1:2]_', 'x[1:2]-y', '[1:2]x', 'a b', 'a\tb', '', ' ', 'a/b', 'a@b', 'a+b', 'a,b', 'a*', 'web*.example.org', '~web',
  'é', 'café', 'café.example.org', 'straße', '中文', '中文-01', 'Ⅻ', '٣', 'x٣', 'ı', 'İ', 'K', 'k', 'ſ', 'ǅ', 'ŉ', 'a\u0301', 'ａ', '①', '²', 'e\u200b',
  'x_é', 'é_', 'é-', '-é', 'é[1:2]', 'é:22', '[é]:22', 'Ωmega.example', 'ⅰⅱ',
];

/** Characters the generator draws from: every class the patterns treat apart, ASCII and not. */
const ALPHABET = [...'aZk09_-.:[]  /@*', ...'éßİıſKǅ中٣Ⅻ①²ａ\u0301\u200b'];

function generatedNames(count: number): string[] {
  const next = random(17);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const shape = next();
    if (shape < 0.4) {
      // Free text over the alphabet.
      const length = 1 + Math.floor(next() * 10);
      names.push(Array.from({ length }, () => pick(ALPHABET)).join(''));
    } else if (shape < 0.8) {
      // Dotted names of plausible labels, now and then a range, a port or a stray character.
      const labels = Array.from({ length: 1 + Math.floor(next() * 3) }, () => {
        const body = Array.from({ length: 1 + Math.floor(next() * 6) }, () => pick([...'abcxyzAB019_-', 'é', '中', '٣'])).join('');
        return next() < 0.15 ? `${body}[${pick(['01:20', 'a:f', ':5', '1:9:2', '1:', 'a:Z', '3:1'])}]` : body;
      });
      let name = labels.join('.');
      if (next() < 0.2) name += `:${Math.floor(next() * 70000)}`;
      names.push(name);
    } else {
      // Addresses, right and wrong.
      const octet = () => pick(['0', '1', '10', '99', '255', '256', '300', '[1:3]', '01', '007']);
      const v6 = () => pick(['0', 'db8', 'ffff', 'fe80', '[a:f]', 'g1', '12345']);
      const address =
        next() < 0.5
          ? Array.from({ length: 3 + Math.floor(next() * 2) }, octet).join('.')
          : Array.from({ length: 2 + Math.floor(next() * 6) }, v6).join(next() < 0.3 ? '::' : ':');
      names.push(next() < 0.3 ? `[${address}]:${Math.floor(next() * 100)}` : address);
    }
  }
  return names;
}

test('parseAddress with the ASCII fast path answers exactly as before, on hand-picked and on 50,000 generated names', (t) => {
  const names = [...HAND_PICKED, ...generatedNames(50_000)];
  let accepted = 0;
  let nonAscii = 0;
  let acceptedNonAscii = 0;
  for (const name of names) {
    const expected = parseAddressWithoutFastPath(name);
    const actual = parseAddress(name);
    if (JSON.stringify(actual) !== JSON.stringify(expected)) {
      t.fail(`${JSON.stringify(name)}: ${JSON.stringify(actual)}, before ${JSON.stringify(expected)}`);
      return;
    }
    const ascii = /^[\x00-\x7f]*$/.test(name);
    if (expected) accepted++;
    if (!ascii) nonAscii++;
    if (expected && !ascii) acceptedNonAscii++;
  }
  // The comparison means something only when both answers, and both kinds of text, occur often.
  t.true(accepted > 5_000, `accepted ${accepted}`);
  t.true(names.length - accepted > 5_000, `refused ${names.length - accepted}`);
  t.true(nonAscii > 5_000, `non-ASCII ${nonAscii}`);
  t.true(acceptedNonAscii > 500, `accepted non-ASCII ${acceptedNonAscii}`);
});

test('Unicode names and ranges still read as before through parseHostEntry', (t) => {
  t.deepEqual(parseHostEntry('café.example.org:2222'), { names: ['café.example.org'], port: 2222 });
  t.deepEqual(parseHostEntry('中文-[1:2]'), { names: ['中文-1', '中文-2'] });
  t.deepEqual(parseHostEntry('web[01:02].example.org:22'), { names: ['web01.example.org', 'web02.example.org'], port: 22 });
  // Not an address (a label may not end with '_'): the text is kept whole, port included.
  t.deepEqual(parseHostEntry('web_:22'), { names: ['web_:22'] });
  t.deepEqual(parseHostEntry('é_:22'), { names: ['é_:22'] });
});
