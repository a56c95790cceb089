/**
 * bench/results.md: machine, versions, date, one table row per job and tool (wall time, ratio to
 * quorum, CPU, RSS), the targets of design/architecture.md "Performance budget" and of the peer
 * issue checked against the measured numbers. Text after the KEEP marker (hand-written
 * analysis: profile, honesty notes) survives a new run.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { computeSpread, type Sample } from './measure.js';
import { TOOL_LABELS, TOOLS, type Job, type Tool } from './jobs.js';

/** What results.md says about a job (no commands, no callbacks: also read back from JSON). */
export type JobInfo = Pick<Job, 'workload' | 'name' | 'hosts' | 'expect' | 'absent'>;

/** Measured samples of one job, per tool that took part. */
export interface JobResult {
  job: JobInfo;
  /** Warm-up rounds before the measured ones (default 1). */
  warmup?: number;
  samples: Partial<Record<Tool, Sample[]>>;
}

/** The re-run goals of the peer issue: quorum at least this many times faster than each peer. */
export const RERUN_GOALS: Partial<Record<Tool, number>> = { ansible: 30, mitogen: 10, pyinfra: 10 };

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

const wallsOf = (r: JobResult, tool: Tool) => (r.samples[tool] ?? []).map((s) => s.wallMs);
const quorumSamples = (r: JobResult) => r.samples.quorum ?? [];

/** Ratio of medians, `tool` over quorum (how many times faster quorum is); undefined when either did not run. */
export function computeRatio(r: JobResult, tool: Tool = 'ansible'): number | undefined {
  if (!r.samples[tool]?.length || !r.samples.quorum?.length) return undefined;
  return computeSpread(wallsOf(r, tool)).median / computeSpread(wallsOf(r, 'quorum')).median;
}

/**
 * Ratio of minimums: on a loaded machine the fastest run of each tool is the one least slowed by
 * other processes, so this is shown next to the ratio of medians (which the targets use).
 */
export function computeMinRatio(r: JobResult, tool: Tool): number | undefined {
  if (!r.samples[tool]?.length || !r.samples.quorum?.length) return undefined;
  return computeSpread(wallsOf(r, tool)).min / computeSpread(wallsOf(r, 'quorum')).min;
}

/** "5 after 1 warm-up (every job)" or per job when they differ. */
function describeRounds(results: JobResult[]): string {
  const text = (r: JobResult) => `${quorumSamples(r).length} after ${r.warmup ?? 1} warm-up`;
  const all = new Set(results.map(text));
  return all.size === 1 ? `${[...all][0]} (every job)` : results.map((r) => `${text(r)} (workload ${r.job.workload}, ${r.job.hosts} hosts)`).join('; ');
}

/**
 * Rows of one job: per tool, wall min / median / max (s), the ratio to quorum (medians, then
 * minimums), the medians of the controller's CPU, of the lab hosts' CPU (their cgroups) and of
 * the rest of the machine's busy CPU meanwhile (other work on a shared machine), the ratio of
 * the run's own CPU (controller + hosts) to quorum's, and peak RSS (max over rounds, MB). A tool
 * that could not take part says why.
 */
function formatRows(r: JobResult): string[] {
  const lead = `| ${r.job.workload} | ${r.job.name} | ${r.job.hosts}`;
  const rows: string[] = [];
  const quorumOwn = medianOwnCpu(quorumSamples(r));
  for (const tool of TOOLS) {
    const samples = r.samples[tool];
    if (!samples?.length) {
      const why = r.job.absent?.[tool];
      if (why) rows.push(`${lead} | ${TOOL_LABELS[tool]} | not run: ${why} | | | | | | | |`);
      continue;
    }
    const w = computeSpread(samples.map((s) => s.wallMs));
    const ratio = tool === 'quorum' ? '' : fmtRatio(computeRatio(r, tool), true);
    const minRatio = tool === 'quorum' ? '' : fmtRatio(computeMinRatio(r, tool), false);
    const cpu = medianOf(samples, 'cpuMs');
    const hostsCpu = medianOf(samples, 'hostsCpuMs');
    const rest = computeRest(samples);
    const own = medianOwnCpu(samples);
    const ownRatio = tool === 'quorum' || own === undefined || !quorumOwn ? '' : `${(own / quorumOwn).toFixed(1)}x`;
    const fmt = (x: number | undefined) => (x === undefined ? '' : secs(x));
    rows.push(`${lead} | ${TOOL_LABELS[tool]} | ${secs(w.min)} / **${secs(w.median)}** / ${secs(w.max)} | ${ratio} | ${minRatio} | ${fmt(cpu)} | ${fmt(hostsCpu)} | ${fmt(rest)} | ${ownRatio} | ${mb(Math.max(...samples.map((s) => s.peakRssKb)))} |`);
  }
  return rows;
}

/** Median over samples of the run's own CPU: controller + lab hosts (undefined without the hosts' figure). */
function medianOwnCpu(samples: Sample[]): number | undefined {
  const own = samples.map((s) => (s.cpuMs !== undefined && s.hostsCpuMs !== undefined ? s.cpuMs + s.hostsCpuMs : undefined));
  return samples.length > 0 && own.every((v): v is number => v !== undefined) ? computeSpread(own).median : undefined;
}

/** Median over samples of the machine's busy CPU that was neither the controller's nor the hosts'. */
function computeRest(samples: Sample[]): number | undefined {
  const rest = samples.map((s) => (s.cpuMs !== undefined && s.machineCpuMs !== undefined ? s.machineCpuMs - s.cpuMs - (s.hostsCpuMs ?? 0) : undefined));
  return samples.length > 0 && rest.every((v): v is number => v !== undefined) ? computeSpread(rest).median : undefined;
}

const fmtRatio = (x: number | undefined, bold: boolean) => (x === undefined ? '' : bold ? `**${x.toFixed(1)}x**` : `${x.toFixed(1)}x`);

/** The targets, each with the measured value and a verdict (met / MISSED / not measured). */
export function checkTargets(results: JobResult[]): string[] {
  const lines: string[] = [];
  const verdict = (ok: boolean) => (ok ? 'met' : '**MISSED**');
  // Workload 0 (connecting alone) has no target of its own; it explains the 3 -> 30 line below.
  for (const r of results.filter((x) => x.job.workload !== 3 && x.job.workload !== 0)) {
    const ratio = computeRatio(r, 'ansible');
    if (ratio !== undefined) lines.push(`- workload ${r.job.workload} (${r.job.name}, ${r.job.hosts} hosts) at least 30x faster than ansible-core: ${ratio.toFixed(1)}x, ${verdict(ratio >= 30)}`);
    if (!r.job.name.includes('re-run')) continue;
    for (const tool of ['mitogen', 'pyinfra'] as const) {
      const x = computeRatio(r, tool);
      if (x !== undefined) lines.push(`- workload ${r.job.workload} (${r.job.name}, ${r.job.hosts} hosts) at least ${RERUN_GOALS[tool]}x faster than ${TOOL_LABELS[tool]}: ${x.toFixed(1)}x, ${verdict(x >= RERUN_GOALS[tool]!)}`);
    }
  }
  const etcd = results.find((r) => r.job.workload === 3);
  if (etcd && quorumSamples(etcd).length > 0) {
    const m = computeSpread(wallsOf(etcd, 'quorum')).median;
    lines.push(`- workload 3 (etcd-ha re-run, ${etcd.job.hosts} hosts) under 1 s wall including start-up: median ${secs(m)} s, ${verdict(m < 1000)}`);
  }
  const big = results.filter((r) => r.job.hosts >= 30);
  if (big.length > 0) {
    const rss = Math.max(...big.flatMap((r) => quorumSamples(r).map((s) => s.peakRssKb)));
    lines.push(`- controller peak RSS under 150 MB at ${big[0]!.job.hosts} hosts: ${mb(rss)} MB, ${verdict(rss < 150 * 1024)}`);
  }
  for (const r of big.filter((x) => x.job.workload !== 0)) {
    const small = results.find((s) => s.job.name === r.job.name && s.job.hosts < r.job.hosts);
    if (!small) continue;
    const smallMedian = computeSpread(wallsOf(small, 'quorum')).median;
    const growth = computeSpread(wallsOf(r, 'quorum')).median / smallMedian;
    const floor = computeCpuFloorMs(quorumSamples(r));
    const why = floor === undefined ? '' : `; the machine's cores (hosts included) were busy for ${secs(medianOf(quorumSamples(r), 'machineCpuMs')!)} s per run, a floor of ${secs(floor)} s on ${cpus().length} cores = ${(floor / smallMedian).toFixed(2)}x the ${small.job.hosts}-host median`;
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
  const median = computeSpread(wallsOf(connect, 'quorum')).median;
  return `; connecting alone (workload 0, no facts, one command) takes ${secs(median)} s at ${hosts} hosts = ${(median / smallMedian).toFixed(2)}x`;
}

/** Median of a CPU field over samples, or undefined when a sample lacks it (older runs). */
function medianOf(samples: Sample[], field: 'cpuMs' | 'machineCpuMs' | 'hostsCpuMs'): number | undefined {
  const values = samples.map((s) => s[field]);
  return values.every((v): v is number => v !== undefined) ? computeSpread(values).median : undefined;
}

/** The least wall time the machine's busy CPU allows: that CPU spread over every core. */
function computeCpuFloorMs(samples: Sample[]): number | undefined {
  const machine = medianOf(samples, 'machineCpuMs');
  return machine === undefined ? undefined : machine / cpus().length;
}

/** What the quorum rows' CPU says: the least wall time the machine's busy CPU allowed. */
function floorSection(results: JobResult[]): string[] {
  const rows = results.flatMap((r) => {
    const floor = computeCpuFloorMs(quorumSamples(r));
    const own = medianOwnCpu(quorumSamples(r));
    const ownFloor = own === undefined ? '' : secs(own / cpus().length);
    return floor === undefined ? [] : [`| ${r.job.workload} | ${r.job.name} | ${r.job.hosts} | ${secs(floor)} / ${secs(computeSpread(wallsOf(r, 'quorum')).median)} | ${ownFloor} |`];
  });
  if (rows.length === 0) return [];
  return [
    `## quorum's floor: the machine's busy CPU during its runs over ${cpus().length} cores, against its wall time (medians, s)`,
    '',
    "The lab hosts run on the controller's cores, so all the CPU of a run divided by the cores is a floor under its wall time. The last column counts only the run's own CPU (controller + lab hosts): the floor on a machine with nothing else running.",
    '',
    '| # | workload | hosts | floor / quorum wall | own CPU floor |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ];
}

/** Raw samples of a run, next to results.md (`.json`), so runs can be merged (bench/merge.ts). */
export interface SavedRun {
  info: RunInfo;
  results: { job: JobInfo; samples: Partial<Record<Tool, Sample[]>>; rounds: number; warmup: number }[];
}

/** Write `file` (markdown) and `file`.json (raw samples), keeping the hand-written part of the old markdown. */
export function writeResults(file: string, results: JobResult[], info: RunInfo): void {
  const saved: SavedRun = {
    info,
    results: results.map((r) => ({
      job: { workload: r.job.workload, name: r.job.name, hosts: r.job.hosts, expect: r.job.expect, absent: r.job.absent },
      samples: r.samples,
      rounds: quorumSamples(r).length,
      warmup: r.warmup ?? 1,
    })),
  };
  writeFileSync(file.replace(/\.md$/, '') + '.json', JSON.stringify(saved, null, 2) + '\n');
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const kept = old.includes(KEEP) ? old.slice(old.indexOf(KEEP) + KEEP.length) : '\n';
  const text = [
    '# quorum against ansible-core, Ansible + Mitogen and pyinfra: benchmark results',
    '',
    `Written by \`npm run bench\` (bench/run.ts) on ${info.date}. Measured rounds per job after warm-up rounds: ${describeRounds(results)}; in every round each tool runs once, in the order ${TOOLS.filter((t) => results.some((r) => r.samples[t]?.length)).join(', ')}, reversed every other round. Wall time from spawn to exit of the controller; peak RSS is GNU time's \`%M\` (largest resident set of the controller or any child it waited for), max over the rounds.`,
    '',
    '## Machine and versions',
    '',
    `- machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory; the lab hosts (systemd-nspawn) run on the same machine`,
    ...Object.entries(info.versions).map(([k, v]) => `- ${k}: ${v}`),
    '',
    '## Wall time, the ratio to quorum, CPU per run and peak RSS',
    '',
    "Wall time in s (min / **median** / max); ratio = the tool's median (then minimum) over quorum's. CPU in s, medians: the controller's (GNU time `%U + %S`, its children included), the lab hosts' (their cgroups' `cpu.stat`: sshd, sudo, shells, Python, on the controller's own cores), and the rest of the machine's busy CPU meanwhile (work that is neither: on a shared machine, other people's). `own CPU / quorum's` = (controller + hosts) over quorum's: what the run itself cost, which other work on the machine barely changes. Peak RSS in MB, the largest over the rounds.",
    '',
    "| # | workload | hosts | tool | wall (s) | tool / quorum (medians) | (minimums) | controller CPU | lab hosts CPU | rest of the machine | own CPU / quorum's | peak RSS (MB) |",
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...results.flatMap(formatRows),
    '',
    '## Targets (design/architecture.md "Performance budget", the bench issues)',
    '',
    ...checkTargets(results),
    '',
    ...floorSection(results),
    ...(info.startup ? ['## `quorum --version` start-up', '', '```', info.startup.trim(), '```', ''] : []),
    ...(info.sshOverhead ? ['## Per-command overhead over the persistent shell (bench/ssh-overhead.ts)', '', '```', info.sshOverhead.trim(), '```', ''] : []),
    KEEP,
  ].join('\n');
  writeFileSync(file, text + kept);
}
