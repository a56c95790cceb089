/**
 * The bench's lab-hosts CPU figure (bench/measure.ts readCgroupsCpuMs): the sum of each host
 * cgroup's `usage_usec`, or nothing at all when one host has no cgroup v2 cpu.stat (a half sum
 * would pass for a cheap run).
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCgroupsCpuMs } from '../../bench/measure.js';

function makeCgroup(root: string, name: string, stat?: string): string {
  const dir = join(root, name);
  mkdirSync(dir);
  if (stat !== undefined) writeFileSync(join(dir, 'cpu.stat'), stat);
  return dir;
}

test('sums usage_usec of every host, in ms', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'bench-cg-'));
  const a = makeCgroup(root, 'a', 'usage_usec 1500000\nuser_usec 1000000\nsystem_usec 500000\n');
  const b = makeCgroup(root, 'b', 'usage_usec 250000\nuser_usec 200000\nsystem_usec 50000\n');
  t.is(readCgroupsCpuMs([a, b]), 1750);
});

test('no figure when a host lacks cpu.stat or usage_usec, or there are no hosts', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'bench-cg-'));
  const a = makeCgroup(root, 'a', 'usage_usec 1500000\n');
  const missing = makeCgroup(root, 'missing');
  const odd = makeCgroup(root, 'odd', 'user_usec 1\n');
  t.is(readCgroupsCpuMs([a, missing]), undefined);
  t.is(readCgroupsCpuMs([a, odd]), undefined);
  t.is(readCgroupsCpuMs([]), undefined);
});
