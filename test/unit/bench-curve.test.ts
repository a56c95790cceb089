/**
 * The cost curve's decomposition (bench/curve-report.ts decompose): from the connect workload and
 * the longer files workload it must give back what reaching a host and each further task cost,
 * and the longer workload bench/curve.ts writes must be a playbook quorum loads, with one task
 * per file task asked for.
 */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decompose } from '../../bench/curve-report.js';
import { longFilesWorkload, type CurveResults, type CurveRunKind, type CurveSize } from '../../bench/curve.js';
import { loadPlaybook } from '../../runner/load/playbook.js';

/** A size whose runs cost exactly: start-up + hosts x (connect + fixed + tasks x each). */
function sizeOf(hosts: number, cost: { start: number; connect: number; fixed: Record<'first' | 're-run', number>; each: Record<'first' | 're-run', number> }): CurveSize {
  const run = (kind: CurveRunKind, cpuS: number) => ({ kind, round: 1, userS: cpuS, sysS: 0, cpuS, peakRssMb: 80, wallS: 1, machineBusyS: 1 });
  const files = (k: 'first' | 're-run', tasks: number) => cost.start + hosts * (cost.connect + cost.fixed[k] + tasks * cost.each[k]);
  return {
    hosts,
    forks: 50,
    samples: [run('first', files('first', 20)), run('re-run', files('re-run', 20)), run('connect', cost.start + hosts * cost.connect), run('first-long', files('first', 60)), run('re-run-long', files('re-run', 60))],
  };
}

const results = (sizes: CurveSize[]): CurveResults => ({ generatedAt: '', machine: { cores: 2, memoryGiB: 1, loadAverageAtStart: '0 0 0' }, node: '', quorum: '', rounds: 1, sizes });

test('gives back the connection and per-task costs the runs were made of', (t) => {
  const cost = { start: 0.2, connect: 0.0035, fixed: { first: 0.002, 're-run': 0.0015 }, each: { first: 0.0004, 're-run': 0.00008 } };
  const parts = decompose(results([3, 30, 100, 300].map((h) => sizeOf(h, cost))));
  if (!parts) return t.fail('no decomposition');
  t.is(parts.connect.slope.toFixed(6), '0.003500');
  t.is(parts.perTask.first.slope.toFixed(6), '0.000400');
  t.is(parts.perTask['re-run'].slope.toFixed(6), '0.000080');
  t.is(parts.perTaskInRun, undefined, 'no reading inside the runs was recorded');
});

test('the reading inside the run: the median CPU between file task starts, against hosts', (t) => {
  const cost = { start: 0.2, connect: 0.0035, fixed: { first: 0.002, 're-run': 0.0015 }, each: { first: 0.0004, 're-run': 0.00008 } };
  const sizes = [3, 30, 100, 300].map((hosts) => {
    const size = sizeOf(hosts, cost);
    for (const sample of size.samples) {
      const kind = sample.kind === 'first-long' ? 'first' : sample.kind === 're-run-long' ? 're-run' : undefined;
      if (!kind) continue;
      // facts, 4 directories, 55 file tasks (two of them disturbed), and the last with the run's end.
      const files = Array.from({ length: 55 }, (_, i) => 0.001 + hosts * cost.each[kind] * (i === 7 ? 9 : i === 30 ? 0.1 : 1));
      Object.assign(sample, { taskCpuS: [0.5 * hosts, 0.3, 0.3, 0.3, 0.3, ...files, 7] });
    }
    return size;
  });
  const inRun = decompose(results(sizes))?.perTaskInRun;
  if (!inRun) return t.fail('no reading inside the runs');
  t.is(inRun.first.slope.toFixed(6), '0.000400');
  t.is(inRun['re-run'].slope.toFixed(6), '0.000080');
});

test('no decomposition from fewer than two sizes with all three extra runs', (t) => {
  const cost = { start: 0.2, connect: 0.0035, fixed: { first: 0.002, 're-run': 0.0015 }, each: { first: 0.0004, 're-run': 0.00008 } };
  const full = sizeOf(30, cost);
  const curveOnly: CurveSize = { ...sizeOf(100, cost), samples: sizeOf(100, cost).samples.filter((s) => s.kind === 'first' || s.kind === 're-run') };
  t.is(decompose(results([full, curveOnly])), undefined);
});

test('the longer workload is a playbook of facts and the file tasks asked for', (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'bench-curve-')), 'files-long.quorum.yaml');
  writeFileSync(file, longFilesWorkload(60));
  const play = loadPlaybook(file).plays[0]!;
  t.is(play.tasks.length, 60);
  t.true(play.gather_facts);
  const paths = play.tasks.map((task) => (task as { args?: { path?: string } }).args?.path);
  t.is(new Set(paths).size, 60, 'every task its own path');
});
