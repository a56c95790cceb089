/**
 * `run --slice K/N` (runner/engine/slice.ts): slices are stable, disjoint and together cover every
 * selected host; a host keeps its slice across plays; bad values are usage errors (exit 5).
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_SLICES, parseSlice, sliceOf, slicePlayHosts } from '../../runner/engine/slice.js';
import { runCli } from '../helpers/quorum.js';
import { writeScenario } from '../fixtures/playbooks/engine/scenario.js';

const hosts = (n: number) => Array.from({ length: n }, (_, i) => `infra${i}`);

test('parseSlice reads K/N with K from 1', (t) => {
  t.deepEqual(parseSlice('1/4'), { index: 1, count: 4 });
  t.deepEqual(parseSlice('4/4'), { index: 4, count: 4 });
  t.deepEqual(parseSlice(' 2/3 '), { index: 2, count: 3 });
});

for (const bad of ['0/3', '4/3', '1/0', '-1/3', '1/', '/3', '1of3', '1/3/5', '', '1.5/3', `1/${MAX_SLICES + 1}`, '0x1/3']) {
  test(`parseSlice refuses "${bad}" saying what to write`, (t) => {
    const err = t.throws(() => parseSlice(bad));
    t.regex(err!.message, /K\/N|K must|N must/);
  });
}

for (const [total, count] of [[0, 3], [1, 3], [2, 3], [3, 3], [10, 3], [300, 7], [301, 10], [5, 1], [17, 17]] as const) {
  test(`${total} hosts in ${count} slices: disjoint, union = all hosts, sizes within one`, (t) => {
    const all = hosts(total);
    const slices = Array.from({ length: count }, (_, k) => sliceOf(all, { index: k + 1, count }));
    const union = slices.flat();
    t.is(union.length, new Set(union).size, 'no host in two slices');
    t.deepEqual([...union].sort(), [...all].sort(), 'every host in one slice');
    const sizes = slices.map((s) => s.length);
    t.true(Math.max(...sizes) - Math.min(...sizes) <= 1, `sizes ${sizes.join(',')}`);
  });
}

test('a slice does not depend on the order the hosts come in (stable across repeats and machines)', (t) => {
  const all = hosts(50);
  const shuffled = [...all].reverse().sort((a, b) => (a.length - b.length) || (b < a ? -1 : 1));
  for (let k = 1; k <= 4; k++) t.deepEqual(sliceOf(shuffled, { index: k, count: 4 }), sliceOf(all, { index: k, count: 4 }));
  // Code-unit order, not the locale's: the same bytes sort the same everywhere.
  t.deepEqual(sliceOf(['b', 'B', 'a', 'A'], { index: 1, count: 2 }), ['A', 'B']);
});

test('slicePlayHosts: a host is in the same slice for every play, and each play keeps its own order', (t) => {
  const plays = [['infra2', 'infra0', 'infra1'], ['infra3', 'infra2', 'infra4', 'infra5'], ['infra0']];
  const sliced = [1, 2].map((k) => slicePlayHosts(plays, { index: k, count: 2 }));
  // All hosts sorted: infra0..infra5, slice 1 = infra0..2, slice 2 = infra3..5.
  t.deepEqual(sliced[0], [['infra2', 'infra0', 'infra1'], ['infra2'], ['infra0']]);
  t.deepEqual(sliced[1], [[], ['infra3', 'infra4', 'infra5'], []]);
});

test('the CLI: --list-hosts shows each slice; the slices of --limit\'s selection cover it', async (t) => {
  const s = writeScenario('- hosts: nodes\n  gather_facts: false\n  tasks: []\n', { hosts: { h1: {}, h2: {}, h3: {}, h4: {}, h5: {} } });
  const listed: string[][] = [];
  for (const k of [1, 2]) {
    const r = await runCli(['run', s.playbookFile, '-i', s.inventoryFile, '--limit', '!h5', '--slice', `${k}/2`, '--list-hosts']);
    t.is(r.code, 0, r.stderr);
    listed.push(r.stdout.split('\n').map((l) => l.trim()).filter((l) => /^h\d$/.test(l)));
  }
  t.deepEqual(listed, [['h1', 'h2'], ['h3', 'h4']]);
});

for (const bad of ['0/2', '3/2', 'x']) {
  test(`the CLI: --slice ${bad} exits 5 naming the option, before any host`, async (t) => {
    const s = writeScenario('- hosts: nodes\n  gather_facts: false\n  tasks:\n    - name: mkdir\n      file: { path: "{{ workdir }}/{{ inventory_hostname }}/made", state: directory }\n');
    const r = await runCli(['run', s.playbookFile, '-i', s.inventoryFile, '--slice', bad]);
    t.is(r.code, 5, r.stdout + r.stderr);
    t.regex(r.stderr, /--slice/);
    t.regex(r.stderr, /K\/N|K must/);
    t.false(existsSync(join(s.workdir, 'a/made')), 'no task ran');
  });
}
