/**
 * bench/results.md: machine, versions, date, one table row per job, the targets of
 * design/architecture.md "Performance budget" checked against the measured numbers. Text after
 * the KEEP marker (hand-written analysis: profile, honesty notes) survives a new run.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { computeSpread, type Sample } from './measure.js';
import type { Job } from './jobs.js';

/** Measured samples of one job. */
export interface JobResult {
  job: Pick<Job, 'workload' | 'name' | 'hosts' | 'expect'>;
  /** Warm-up rounds before the measured ones (default 1). */
  warmup?: number;
  quorum: Sample[];
  ansible: Sample[];
}

/** Everything results.md shows besides the table. */
export interface RunInfo {
  date: string;
  rounds: number;
  versions: Record<string, string>;
  startup?: string;
  sshOverhead?: string;
}

const KEEP = '<!-- everything below this line is hand-written and kept by bench/run.ts -->';

const secs = (ms: number) => (ms / 1000).toFixed(3);
const mb = (kb: number) => (kb / 1024).toFixed(0);

/** Ratio of medians, Ansible over quorum (how many times faster quorum is). */
export function computeRatio(r: JobResult): number {
  return computeSpread(r.ansible.map((s) => s.wallMs)).median / computeSpread(r.quorum.map((s) => s.wallMs)).median;
}

/** "5 after 1 warm-up (all jobs)" or per job when they differ. */
function describeRounds(results: JobResult[]): string {
  const text = (r: JobResult) => `${r.quorum.length} after ${r.warmup ?? 1} warm-up`;
  const all = new Set(results.map(text));
  return all.size === 1 ? `${[...all][0]} (every job)` : results.map((r) => `${text(r)} (workload ${r.job.workload}, ${r.job.hosts} hosts)`).join('; ');
}

/**
 * Ratio of minimums: on a loaded machine the fastest run of each tool is the one least slowed by
 * other processes, so this is shown next to the ratio of medians (which the targets use).
 */
export function computeMinRatio(r: JobResult): number {
  return computeSpread(r.ansible.map((s) => s.wallMs)).min / computeSpread(r.quorum.map((s) => s.wallMs)).min;
}

/** One markdown table row: wall min/median/max in s and peak RSS (max over rounds) in MB. */
function formatRow(r: JobResult): string {
  const q = computeSpread(r.quorum.map((s) => s.wallMs));
  const a = computeSpread(r.ansible.map((s) => s.wallMs));
  const qRss = Math.max(...r.quorum.map((s) => s.peakRssKb));
  const aRss = Math.max(...r.ansible.map((s) => s.peakRssKb));
  return `| ${r.job.workload} | ${r.job.name} | ${r.job.hosts} | ${secs(q.min)} / **${secs(q.median)}** / ${secs(q.max)} | ${secs(a.min)} / **${secs(a.median)}** / ${secs(a.max)} | **${computeRatio(r).toFixed(1)}x** | ${computeMinRatio(r).toFixed(1)}x | ${mb(qRss)} | ${mb(aRss)} |`;
}

/** The targets, each with the measured value and a verdict (met / MISSED / not measured). */
export function checkTargets(results: JobResult[]): string[] {
  const lines: string[] = [];
  const verdict = (ok: boolean) => (ok ? 'met' : '**MISSED**');
  // Workload 0 (connecting alone) has no target of its own; it explains the 3 -> 30 line below.
  for (const r of results.filter((x) => x.job.workload !== 3 && x.job.workload !== 0)) {
    lines.push(`- workload ${r.job.workload} (${r.job.name}, ${r.job.hosts} hosts) at least 30x faster than Ansible: ${computeRatio(r).toFixed(1)}x, ${verdict(computeRatio(r) >= 30)}`);
  }
  const etcd = results.find((r) => r.job.workload === 3);
  if (etcd) {
    const m = computeSpread(etcd.quorum.map((s) => s.wallMs)).median;
    lines.push(`- workload 3 (etcd-ha re-run, ${etcd.job.hosts} hosts) under 1 s wall including start-up: median ${secs(m)} s, ${verdict(m < 1000)}`);
  }
  const big = results.filter((r) => r.job.hosts >= 30);
  if (big.length > 0) {
    const rss = Math.max(...big.flatMap((r) => r.quorum.map((s) => s.peakRssKb)));
    lines.push(`- controller peak RSS under 150 MB at ${big[0]!.job.hosts} hosts: ${mb(rss)} MB, ${verdict(rss < 150 * 1024)}`);
  }
  for (const r of big.filter((x) => x.job.workload !== 0)) {
    const small = results.find((s) => s.job.name === r.job.name && s.job.hosts < r.job.hosts);
    if (!small) continue;
    const smallMedian = computeSpread(small.quorum.map((s) => s.wallMs)).median;
    const growth = computeSpread(r.quorum.map((s) => s.wallMs)).median / smallMedian;
    const floor = computeCpuFloorMs(r.quorum);
    const why = floor === undefined ? '' : `; the machine's cores (hosts included) were busy for ${secs(medianOf(r.quorum, 'machineCpuMs')!)} s per run, a floor of ${secs(floor)} s on ${cpus().length} cores = ${(floor / smallMedian).toFixed(2)}x the ${small.job.hosts}-host median`;
    lines.push(`- ${small.job.hosts} -> ${r.job.hosts} hosts grows less than 2x (${r.job.name}): ${growth.toFixed(2)}x, ${verdict(growth < 2)}${why}${describeConnectFloor(results, r.job.hosts, smallMedian)}`);
  }
  return lines;
}

/**
 * What connecting alone (workload 0) costs at the larger size, next to the smaller size's
 * workload: when reaching the hosts already takes more than 2x, no task work can be made to fit.
 */
function describeConnectFloor(results: JobResult[], hosts: number, smallMedian: number): string {
  const connect = results.find((c) => c.job.workload === 0 && c.job.hosts === hosts);
  if (!connect) return '';
  const median = computeSpread(connect.quorum.map((s) => s.wallMs)).median;
  return `; connecting alone (workload 0, no facts, one command) takes ${secs(median)} s at ${hosts} hosts = ${(median / smallMedian).toFixed(2)}x`;
}

/** Median of a CPU field over samples, or undefined when a sample lacks it (older runs). */
function medianOf(samples: Sample[], field: 'cpuMs' | 'machineCpuMs'): number | undefined {
  const values = samples.map((s) => s[field]);
  return values.every((v): v is number => v !== undefined) ? computeSpread(values).median : undefined;
}

/** The least wall time the machine's busy CPU allows: that CPU spread over every core. */
function computeCpuFloorMs(samples: Sample[]): number | undefined {
  const machine = medianOf(samples, 'machineCpuMs');
  return machine === undefined ? undefined : machine / cpus().length;
}

/** Rows of the CPU table, for the jobs whose samples carry CPU figures. */
function formatCpuRows(results: JobResult[]): string[] {
  return results.flatMap((r) => {
    const [qc, qm, ac, am] = [medianOf(r.quorum, 'cpuMs'), medianOf(r.quorum, 'machineCpuMs'), medianOf(r.ansible, 'cpuMs'), medianOf(r.ansible, 'machineCpuMs')];
    if ([qc, qm, ac, am].some((v) => v === undefined)) return [];
    const wall = computeSpread(r.quorum.map((s) => s.wallMs)).median;
    return [`| ${r.job.workload} | ${r.job.name} | ${r.job.hosts} | ${secs(qc!)} | ${secs(qm! - qc!)} | ${secs(qm! / cpus().length)} / ${secs(wall)} | ${secs(ac!)} | ${secs(am! - ac!)} |`];
  });
}

/** The CPU table, when the run measured CPU (medians over the rounds, in s). */
function cpuSection(results: JobResult[]): string[] {
  const rows = formatCpuRows(results);
  if (rows.length === 0) return [];
  return [
    '## CPU per run (s, medians): the controller, and everything else on the machine meanwhile (the lab hosts)',
    '',
    `The hosts run on the controller's ${cpus().length} cores, so all the CPU of a run divided by the cores is a floor under its wall time.`,
    '',
    '| # | workload | hosts | quorum controller | hosts and rest, during quorum | floor / quorum wall | Ansible controller | hosts and rest, during Ansible |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ];
}

/** Raw samples of a run, next to results.md (`.json`), so runs can be merged (bench/merge.ts). */
export interface SavedRun {
  info: RunInfo;
  results: { job: Pick<Job, 'workload' | 'name' | 'hosts' | 'expect'>; quorum: Sample[]; ansible: Sample[]; rounds: number; warmup: number }[];
}

/** Write `file` (markdown) and `file`.json (raw samples), keeping the hand-written part of the old markdown. */
export function writeResults(file: string, results: JobResult[], info: RunInfo): void {
  const saved: SavedRun = {
    info,
    results: results.map((r) => ({ job: { workload: r.job.workload, name: r.job.name, hosts: r.job.hosts, expect: r.job.expect }, quorum: r.quorum, ansible: r.ansible, rounds: r.quorum.length, warmup: r.warmup ?? 1 })),
  };
  writeFileSync(file.replace(/\.md$/, '') + '.json', JSON.stringify(saved, null, 2) + '\n');
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const kept = old.includes(KEEP) ? old.slice(old.indexOf(KEEP) + KEEP.length) : '\n';
  const text = [
    '# quorum vs Ansible: benchmark results',
    '',
    `Written by \`npm run bench\` (bench/run.ts) on ${info.date}. Measured rounds per job after warm-up rounds: ${describeRounds(results)}; quorum and Ansible alternate which goes first (A/B, then B/A). Wall time from spawn to exit of the controller; peak RSS is GNU time's \`%M\` (largest resident set of the controller or any child it waited for), max over the rounds.`,
    '',
    '## Machine and versions',
    '',
    `- machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory; the lab hosts (systemd-nspawn) run on the same machine`,
    ...Object.entries(info.versions).map(([k, v]) => `- ${k}: ${v}`),
    '',
    '## Wall time (s, min / **median** / max) and controller peak RSS (MB)',
    '',
    '| # | workload | hosts | quorum | Ansible | Ansible / quorum (medians) | (minimums) | quorum RSS | Ansible RSS |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.map(formatRow),
    '',
    '## Targets (design/architecture.md "Performance budget", the bench issue)',
    '',
    ...checkTargets(results),
    '',
    ...cpuSection(results),
    ...(info.startup ? ['## `quorum --version` start-up', '', '```', info.startup.trim(), '```', ''] : []),
    ...(info.sshOverhead ? ['## Per-command overhead over the persistent shell (bench/ssh-overhead.ts)', '', '```', info.sshOverhead.trim(), '```', ''] : []),
    KEEP,
  ].join('\n');
  writeFileSync(file, text + kept);
}
