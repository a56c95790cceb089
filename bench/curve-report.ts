/**
 * The cost curve's part of bench/results.md and its plot bench/curve.svg, from
 * bench/curve-results.json (written by bench/curve.ts). Re-render without measuring:
 *
 *   node --import=tsx bench/curve-report.ts
 *
 * The section sits between the CURVE markers below, under bench/run.ts's KEEP marker (so a
 * new `npm run bench` keeps it); this file replaces only what is between its markers.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CurveResults, CurveRunKind, CurveSize } from './curve.js';

const PROJECT = join(import.meta.dirname, '..');
const RESULTS_MD = join(PROJECT, 'bench/results.md');
const RESULTS_JSON = join(PROJECT, 'bench/curve-results.json');
const SVG_FILE = join(PROJECT, 'bench/curve.svg');
const BEGIN = '<!-- curve: begin (written by bench/curve-report.ts from bench/curve-results.json) -->';
const END = '<!-- curve: end -->';
const KEEP = '<!-- everything below this line is hand-written and kept by bench/run.ts -->';
/** facts + 20 file tasks (bench/curve.ts TASKS_PER_HOST; repeated to keep this file free of curve.ts's side effects). */
const TASKS = 21;
/** File tasks of the longer workload (bench/curve.ts LONG_FILE_TASKS), against the 20 of the curve's. */
const LONG_FILE_TASKS = 60;

/** Least-squares line y = a + b x. */
export interface Fit {
  intercept: number;
  slope: number;
  r2: number;
}

export function leastSquares(points: { x: number; y: number }[]): Fit {
  const n = points.length;
  if (n < 2) return { intercept: points[0]?.y ?? 0, slope: 0, r2: 0 };
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  const sxy = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const intercept = my - slope * mx;
  const ssTot = points.reduce((a, p) => a + (p.y - my) ** 2, 0);
  const ssRes = points.reduce((a, p) => a + (p.y - (intercept + slope * p.x)) ** 2, 0);
  return { intercept, slope, r2: ssTot === 0 ? 1 : 1 - ssRes / ssTot };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** The runs the curve itself is drawn from: the files workload's first run and re-run. */
type Kind = 'first' | 're-run';
const KINDS: Kind[] = ['first', 're-run'];
const medianOf = (size: CurveSize, kind: CurveRunKind, key: 'cpuS' | 'peakRssMb' | 'wallS' | 'machineBusyS') => median(size.samples.filter((s) => s.kind === kind).map((s) => s[key]));

/** Fits over the medians of every size: CPU and RSS against hosts, per kind of run. */
export function fits(results: CurveResults): Record<Kind, { cpu: Fit; rss: Fit }> {
  const of = (kind: Kind, key: 'cpuS' | 'peakRssMb') => leastSquares(results.sizes.map((s) => ({ x: s.hosts, y: medianOf(s, kind, key) })));
  return { first: { cpu: of('first', 'cpuS'), rss: of('first', 'peakRssMb') }, 're-run': { cpu: of('re-run', 'cpuS'), rss: of('re-run', 'peakRssMb') } };
}

/**
 * What a host costs, taken apart (bench/curve.ts, unless --no-decompose): `connect` is the
 * connect workload's CPU against hosts (its slope: reaching one host); `perTask[kind]` fits, per
 * size, (longer workload - files workload) / (LONG_FILE_TASKS - 20) against hosts, so its slope
 * is what one more file task costs per host. Undefined when fewer than two sizes have all three.
 */
export interface Decomposition {
  connect: Fit;
  perTask: Record<Kind, Fit>;
  /**
   * The same cost read inside the longer workload's runs (bench/task-cpu.cjs): per size, the
   * median over rounds of the median CPU between task starts over its file tasks, against
   * hosts. Absent for results recorded before it was measured.
   */
  perTaskInRun?: Record<Kind, Fit>;
}

/** File tasks of the longer workload whose CPU between starts is read: after facts and the 4 directories, before the last (its interval holds the run's end). */
function fileTaskCpu(taskCpuS: readonly number[]): number[] {
  return taskCpuS.slice(5, -1);
}

export function decompose(results: CurveResults): Decomposition | undefined {
  const extra: CurveRunKind[] = ['connect', 'first-long', 're-run-long'];
  const sizes = results.sizes.filter((s) => extra.every((k) => s.samples.some((x) => x.kind === k)));
  if (sizes.length < 2) return undefined;
  const added = LONG_FILE_TASKS - 20;
  const perTask = (kind: Kind) => leastSquares(sizes.map((s) => ({ x: s.hosts, y: (medianOf(s, `${kind}-long`, 'cpuS') - medianOf(s, kind, 'cpuS')) / added })));
  const inRun = (kind: Kind) => {
    const points = sizes.map((s) => ({ x: s.hosts, runs: s.samples.filter((x) => x.kind === `${kind}-long` && x.taskCpuS && fileTaskCpu(x.taskCpuS).length > 0) }));
    if (points.some((p) => p.runs.length === 0)) return undefined;
    return leastSquares(points.map((p) => ({ x: p.x, y: median(p.runs.map((r) => median(fileTaskCpu(r.taskCpuS!)))) })));
  };
  const first = inRun('first');
  const rerun = inRun('re-run');
  return {
    connect: leastSquares(sizes.map((s) => ({ x: s.hosts, y: medianOf(s, 'connect', 'cpuS') }))),
    perTask: { first: perTask('first'), 're-run': perTask('re-run') },
    ...(first && rerun ? { perTaskInRun: { first, 're-run': rerun } } : {}),
  };
}

/** Two panels side by side: controller CPU (s) and peak RSS (MB) against hosts, points and fitted lines. */
export function renderSvg(results: CurveResults): string {
  const f = fits(results);
  const W = 420;
  const H = 300;
  const M = { l: 56, r: 14, t: 30, b: 44 };
  const colors: Record<Kind, string> = { first: '#d62728', 're-run': '#1f77b4' };
  const maxX = Math.max(...results.sizes.map((s) => s.hosts)) * 1.05;
  const panel = (ox: number, title: string, unit: string, key: 'cpuS' | 'peakRssMb', fitKey: 'cpu' | 'rss') => {
    const ys = results.sizes.flatMap((s) => KINDS.map((k) => medianOf(s, k, key)));
    const maxY = niceCeil(Math.max(...ys, ...KINDS.map((k) => f[k][fitKey].intercept + f[k][fitKey].slope * maxX)) * 1.05);
    const px = (x: number) => ox + M.l + (x / maxX) * (W - M.l - M.r);
    const py = (y: number) => M.t + (1 - y / maxY) * (H - M.t - M.b);
    const parts: string[] = [];
    parts.push(`<text x="${ox + W / 2}" y="18" text-anchor="middle" font-weight="bold">${title}</text>`);
    parts.push(`<line x1="${px(0)}" y1="${py(0)}" x2="${px(maxX)}" y2="${py(0)}" stroke="#333"/><line x1="${px(0)}" y1="${py(0)}" x2="${px(0)}" y2="${py(maxY)}" stroke="#333"/>`);
    for (let i = 0; i <= 4; i++) {
      const y = (maxY * i) / 4;
      parts.push(`<line x1="${px(0)}" y1="${py(y)}" x2="${px(maxX)}" y2="${py(y)}" stroke="#ddd"/><text x="${px(0) - 6}" y="${py(y) + 4}" text-anchor="end">${fmtTick(y)}</text>`);
    }
    for (const s of results.sizes) parts.push(`<text x="${px(s.hosts)}" y="${py(0) + 16}" text-anchor="middle">${s.hosts}</text>`);
    parts.push(`<text x="${ox + M.l + (W - M.l - M.r) / 2}" y="${H - 8}" text-anchor="middle">hosts</text>`);
    parts.push(`<text transform="translate(${ox + 14},${M.t + (H - M.t - M.b) / 2}) rotate(-90)" text-anchor="middle">${unit}</text>`);
    for (const k of KINDS) {
      const line = f[k][fitKey];
      parts.push(`<line x1="${px(0)}" y1="${py(line.intercept)}" x2="${px(maxX)}" y2="${py(line.intercept + line.slope * maxX)}" stroke="${colors[k]}" stroke-dasharray="5,4"/>`);
      for (const s of results.sizes) parts.push(`<circle cx="${px(s.hosts)}" cy="${py(medianOf(s, k, key))}" r="4" fill="${colors[k]}"/>`);
    }
    return parts.join('\n');
  };
  const legend = KINDS.map((k, i) => `<circle cx="${M.l + 10 + i * 150}" cy="${H + 14}" r="4" fill="${colors[k]}"/><text x="${M.l + 20 + i * 150}" y="${H + 18}">${k === 'first' ? 'first run' : 're-run'} (median; dashed: least squares)</text>`).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${2 * W}" height="${H + 30}" viewBox="0 0 ${2 * W} ${H + 30}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    panel(0, 'controller CPU (user+sys) per run', 'seconds', 'cpuS', 'cpu'),
    panel(W, 'controller peak RSS', 'MB', 'peakRssMb', 'rss'),
    legend,
    '</svg>',
    '',
  ].join('\n');
}

function niceCeil(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmtTick(v: number): string {
  return v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2);
}

/** The markdown section. */
export function renderSection(results: CurveResults): string {
  const f = fits(results);
  const lines: string[] = [];
  lines.push('## The cost curve: controller CPU and memory from 3 to 300 hosts (`npm run bench:curve`)');
  lines.push('');
  lines.push(`Written by bench/curve.ts on ${results.generatedAt}: quorum ${results.quorum}, node ${results.node}, ${results.machine.cores} cores, ${results.machine.memoryGiB} GiB, load average at start ${results.machine.loadAverageAtStart}. Thin lab hosts (\`lab up --thin\`: an sshd each in its own namespaces, no systemd) on the same machine. Workload: facts + 20 file tasks (bench/workloads/files.quorum.yaml), first run after an untimed reset and re-run, ${results.rounds} round(s) after one warm-up, \`-f max(50, hosts)\` so every host is worked on at once. Controller = the quorum process alone (GNU time: user+sys, peak RSS); the hosts' sshd, sudo and shells are other processes and are not counted. Medians over the rounds.`);
  const load = Number(results.machine.loadAverageAtStart.split(' ')[0]);
  if (load > results.machine.cores) {
    lines.push('');
    lines.push(`**Preliminary**: the machine was shared (load average ${load} on ${results.machine.cores} cores at the start): every process, the controller included, waited for a core, so wall times are the machine's, and CPU figures run high (cache and scheduling losses). Rerun on a quiet machine before quoting them.`);
  }
  lines.push('');
  lines.push('| hosts | run | controller CPU (s) | CPU per host per task (ms) | peak RSS (MB) | wall (s) | machine busy CPU (s) |');
  lines.push('| --- | --- | --- | --- | --- | --- | --- |');
  for (const s of results.sizes) {
    for (const k of KINDS) {
      const cpu = medianOf(s, k, 'cpuS');
      lines.push(`| ${s.hosts} | ${k} | ${cpu.toFixed(2)} | ${((cpu / s.hosts / TASKS) * 1000).toFixed(3)} | ${medianOf(s, k, 'peakRssMb').toFixed(0)} | ${medianOf(s, k, 'wallS').toFixed(2)} | ${medianOf(s, k, 'machineBusyS').toFixed(2)} |`);
    }
  }
  lines.push('');
  lines.push('![controller CPU and peak RSS against hosts](curve.svg)');
  lines.push('');
  lines.push(`Least-squares lines over the ${results.sizes.length} sizes (${TASKS} tasks per host: facts counted as one):`);
  lines.push('');
  const goalCpu = 0.2;
  const goalRss = 1;
  for (const k of KINDS) {
    const perTaskMs = (f[k].cpu.slope / TASKS) * 1000;
    lines.push(`- ${k === 'first' ? 'first run' : 're-run'}: CPU = ${f[k].cpu.intercept.toFixed(3)} s + ${(f[k].cpu.slope * 1000).toFixed(2)} ms x hosts (R² ${f[k].cpu.r2.toFixed(3)}) = **${perTaskMs.toFixed(3)} ms per host per task** (goal under ${goalCpu}: ${perTaskMs < goalCpu ? 'met' : '**missed**'}); RSS = ${f[k].rss.intercept.toFixed(1)} MB + **${(f[k].rss.slope * 1024).toFixed(0)} KB per host** (R² ${f[k].rss.r2.toFixed(3)}; goal under ${goalRss} MB: ${f[k].rss.slope < goalRss ? 'met' : '**missed**'})`);
  }
  const parts = decompose(results);
  if (parts) {
    const ms = (s: number) => (s * 1000).toFixed(2);
    const fixed = (k: Kind) => f[k].cpu.slope - parts.connect.slope - 20 * parts.perTask[k].slope;
    lines.push('');
    lines.push(`What one host costs the controller, taken apart (same rounds; slopes of least-squares lines over the sizes): reaching it is the connect workload (bench/workloads/connect.quorum.yaml: SSH handshake, login, the root shell by sudo, one command, no facts); each further task is a workload of facts + ${LONG_FILE_TASKS} file tasks against the 20-task one, (CPU of ${LONG_FILE_TASKS} - CPU of 20) / ${LONG_FILE_TASKS - 20} per size; the rest is the curve's slope less both.`);
    lines.push('');
    lines.push('| per host | first run (ms) | re-run (ms) | R² (first, re-run) |');
    lines.push('| --- | --- | --- | --- |');
    lines.push(`| reaching the host (connect workload) | ${ms(parts.connect.slope)} | ${ms(parts.connect.slope)} | ${parts.connect.r2.toFixed(3)} |`);
    // The parts are separate fits: on noisy or few sizes they can overshoot the curve's slope.
    const rest = (k: Kind) => (fixed(k) >= 0 ? ms(fixed(k)) : `(${ms(fixed(k))}: the fits do not add up)`);
    lines.push(`| facts, read-ahead and the rest of a host's fixed work | ${rest('first')} | ${rest('re-run')} | |`);
    lines.push(`| each file task | **${ms(parts.perTask.first.slope)}** | **${ms(parts.perTask['re-run'].slope)}** | ${parts.perTask.first.r2.toFixed(3)}, ${parts.perTask['re-run'].r2.toFixed(3)} |`);
    lines.push(`| the whole files workload (facts + 20 tasks: the curve's slope) | ${ms(f.first.cpu.slope)} | ${ms(f['re-run'].cpu.slope)} | ${f.first.cpu.r2.toFixed(3)}, ${f['re-run'].cpu.r2.toFixed(3)} |`);
    const inRun = parts.perTaskInRun;
    if (inRun) lines.push(`| each file task, read inside the ${LONG_FILE_TASKS}-task run (median CPU between task starts) | **${ms(inRun.first.slope)}** | **${ms(inRun['re-run'].slope)}** | ${inRun.first.r2.toFixed(3)}, ${inRun['re-run'].r2.toFixed(3)} |`);
    lines.push('');
    for (const k of KINDS) {
      const each = parts.perTask[k].slope * 1000;
      const inside = parts.perTaskInRun ? parts.perTaskInRun[k].slope * 1000 : undefined;
      const insideText = inside === undefined ? '' : `, **${inside.toFixed(3)} ms** read inside the run (goal: ${inside < goalCpu ? 'met' : '**missed**'})`;
      lines.push(`- ${k === 'first' ? 'first run' : 're-run'}: each task costs a host **${each.toFixed(3)} ms** (goal under ${goalCpu}: ${each < goalCpu ? 'met' : '**missed**'})${insideText}; reaching the host alone is ${ms(parts.connect.slope)} ms, ${((parts.connect.slope / TASKS) * 1000).toFixed(3)} ms of the per host per task figure above over ${TASKS} tasks`);
    }
  }
  const largest = results.sizes.at(-1);
  const profiled = largest?.samples.filter((s) => s.threads);
  if (largest && profiled && profiled.length > 0) {
    lines.push('');
    lines.push(`Controller threads at ${largest.hosts} hosts (sampled every ${profiled[0]!.threads!.intervalMs} ms from /proc, last round):`);
    lines.push('');
    lines.push('| run | main thread CPU (s) | other threads (s) | intervals with the main thread >= 90 % busy | of those, with >= half a core idle | busiest threads |');
    lines.push('| --- | --- | --- | --- | --- | --- |');
    for (const s of profiled) {
      const t = s.threads!;
      lines.push(`| ${s.kind} | ${t.mainCpu.toFixed(2)} | ${t.otherCpu.toFixed(2)} | ${t.mainSaturated} of ${t.samples - 1} | ${t.mainSaturatedWhileIdle} | ${t.top.slice(0, 4).map((x) => `${x.name}:${x.cpu.toFixed(2)}`).join(', ')} |`);
    }
  }
  const withMemory = results.sizes.filter((s) => s.memory);
  if (withMemory.length > 0) {
    lines.push('');
    lines.push('Memory of the thin hosts (every process in the lab\'s network namespaces, /proc/PID/smaps_rollup; PSS shares the pages the hosts have in common):');
    lines.push('');
    lines.push('| hosts | idle: processes | idle PSS per host (MB) | idle RSS per host (MB) | serving peak: processes | PSS per host (MB) | RSS per host (MB) | busiest host PSS (MB) |');
    lines.push('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const s of withMemory) {
      const m = s.memory!;
      const per = (kb: number) => (kb / 1024 / s.hosts).toFixed(2);
      lines.push(`| ${s.hosts} | ${m.idle.processes} | ${per(m.idle.pssKb)} | ${per(m.idle.rssKb)} | ${m.serving.processes} | ${per(m.serving.pssKb)} | ${per(m.serving.rssKb)} | ${(m.serving.maxHostPssKb / 1024).toFixed(2)} |`);
    }
  }
  lines.push('');
  lines.push('Hosts and controller share this machine\'s cores: the wall times include the hosts\' work (the "machine busy" column) and other load on the machine; the controller\'s CPU and RSS are its own.');
  return lines.join('\n');
}

/** Put the section into results.md (replacing its previous one, else at the end) and write the SVG. */
export function writeCurveReport(results: CurveResults): void {
  writeFileSync(SVG_FILE, renderSvg(results));
  const old = existsSync(RESULTS_MD) ? readFileSync(RESULTS_MD, 'utf8') : '';
  const section = `${BEGIN}\n${renderSection(results)}\n${END}`;
  let next: string;
  if (old.includes(BEGIN) && old.includes(END)) next = old.slice(0, old.indexOf(BEGIN)) + section + old.slice(old.indexOf(END) + END.length);
  else if (old.includes(KEEP)) next = `${old.trimEnd()}\n\n${section}\n`;
  else next = `${old.trimEnd()}\n\n${KEEP}\n\n${section}\n`;
  writeFileSync(RESULTS_MD, next);
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  writeCurveReport(JSON.parse(readFileSync(RESULTS_JSON, 'utf8')) as CurveResults);
  process.stderr.write('bench:curve: wrote bench/curve.svg and the curve section of bench/results.md\n');
}
