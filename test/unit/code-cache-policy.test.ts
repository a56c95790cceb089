/**
 * When the launcher writes V8's code cache again (runner/launch/code-cache-policy.ts): pure decisions,
 * played through the sequences of runs they are meant for, with the bytecode figures measured on
 * the lab (etcd-ha re-run ~75 KB once cached, ~400 KB from the files bench's cache; the files
 * bench re-run ~240 KB whatever its cache holds).
 */
import test from 'ava';
import { FIRST_WRITE, MAX_CACHE_WRITES, MIN_NEW_BYTECODE, settleProbe, shouldProbe, type CacheRecord } from '../../runner/launch/code-cache-policy.js';
import { decodeCacheFile, encodeCache } from '../../runner/launch/code-cache.js';

const KB = 1024;

test('a run that compiled little new bytecode is not probed', (t) => {
  t.false(shouldProbe(FIRST_WRITE, 0));
  t.false(shouldProbe(FIRST_WRITE, MIN_NEW_BYTECODE - 1));
  t.true(shouldProbe(FIRST_WRITE, MIN_NEW_BYTECODE));
});

test('a probe that adds nothing raises the bar to its own figure (plus a margin); one that adds keeps it', (t) => {
  const quiet = settleProbe(FIRST_WRITE, 1_867_000, 1_867_500, 240 * KB);
  t.deepEqual(quiet, { useNew: true, record: { writes: 2, quietBytecode: 240 * KB } });
  t.false(shouldProbe(quiet.record, 240 * KB), 'the same workload again');
  t.false(shouldProbe(quiet.record, 290 * KB), 'within the margin');
  t.true(shouldProbe(quiet.record, 400 * KB), 'a run that compiled clearly more');
  const added = settleProbe(quiet.record, 1_867_000, 2_279_000, 400 * KB);
  t.deepEqual(added, { useNew: true, record: { writes: 3, quietBytecode: 240 * KB } });
});

test('new data shorter than the loaded one (V8 dropped unused bytecode) does not replace it', (t) => {
  const shorter = settleProbe({ writes: 2, quietBytecode: 0 }, 2_000_000, 1_500_000, 300 * KB);
  t.false(shorter.useNew);
  t.deepEqual(shorter.record, { writes: 3, quietBytecode: 300 * KB });
});

test('at most MAX_CACHE_WRITES writes, whatever the runs compile', (t) => {
  let record: CacheRecord = FIRST_WRITE;
  let writes = 1;
  // A pathological workload: each run compiles more than any before, and each probe adds.
  for (let run = 1; run < 100; run++) {
    const figure = (100 + run * 1000) * KB;
    if (!shouldProbe(record, figure)) continue;
    record = settleProbe(record, 1_000_000, 1_000_000 + run * 100_000, figure).record;
    writes++;
  }
  t.is(writes, MAX_CACHE_WRITES);
  t.is(record.writes, MAX_CACHE_WRITES);
});

test('the lab sequence: bench re-runs, then etcd-ha re-runs: etcd-ha is cached after one probe, then no more writes', (t) => {
  let record: CacheRecord = FIRST_WRITE; // the first bench run wrote the cache
  let length = 1_867_000;
  const writes: string[] = [];
  const run = (name: string, figure: number, lengthAfter: number): void => {
    if (!shouldProbe(record, figure)) return;
    const settled = settleProbe(record, length, lengthAfter, figure);
    record = settled.record;
    if (settled.useNew) length = lengthAfter;
    writes.push(name);
  };
  run('bench 2', 238 * KB, 1_867_700);
  run('bench 3', 238 * KB, 1_867_700);
  run('etcd-ha 1', 407 * KB, 2_279_700);
  run('etcd-ha 2', 74 * KB, 2_279_700);
  run('bench 4', 238 * KB, 2_279_700);
  run('etcd-ha 3', 74 * KB, 2_279_700);
  t.deepEqual(writes, ['bench 2', 'etcd-ha 1']);
  t.is(length, 2_279_700);
});

test('the record travels in the cache header, covered by its digest', (t) => {
  const digest = Buffer.alloc(32, 7);
  const data = Buffer.from('v8 data');
  const file = encodeCache(digest, data, { writes: 5, quietBytecode: 245_000 });
  t.deepEqual(decodeCacheFile(file, digest), { data, record: { writes: 5, quietBytecode: 245_000 } });
  t.deepEqual(decodeCacheFile(encodeCache(digest, data), digest)?.record, FIRST_WRITE);
  // The record is under the digest: changing it spoils the file like changing the data does.
  const spoiled = Buffer.from(file);
  spoiled[spoiled.length - data.length - 8] ^= 1;
  t.is(decodeCacheFile(spoiled, digest), undefined);
});
