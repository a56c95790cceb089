/**
 * Merge the raw samples of several bench runs (the .json next to each results.md) into one
 * results.md, e.g. the 3-host and the 30-host runs made separately. A job measured in a later
 * file replaces the same job (workload, name, hosts) of an earlier one; so do versions and the
 * start-up and per-command measurements.
 *
 *   node --import=tsx bench/merge.ts OUT.md RUN1.json RUN2.json ...
 */
import { readFileSync } from 'node:fs';
import type { Sample } from './measure.js';
import { writeResults, type JobResult, type RunInfo, type SavedRun } from './report.js';

/** A job of a results.json written before the peers were added: quorum and Debian's ansible-core only. */
type LegacyJob = SavedRun['results'][number] & { quorum?: Sample[]; ansible?: Sample[] };

const [out, ...inputs] = process.argv.slice(2);
if (!out || inputs.length === 0) throw new Error('usage: node --import=tsx bench/merge.ts OUT.md RUN1.json [RUN2.json ...]');
const byKey = new Map<string, JobResult>();
let info: RunInfo | undefined;
for (const file of inputs) {
  const run = JSON.parse(readFileSync(file, 'utf8')) as SavedRun;
  // Versions and micro-measurements: the last run that has each one, as for jobs.
  info = info
    ? { ...info, versions: { ...info.versions, ...run.info.versions }, startup: run.info.startup ?? info.startup, sshOverhead: run.info.sshOverhead ?? info.sshOverhead }
    : run.info;
  for (const r of run.results as LegacyJob[]) {
    const samples = r.samples ?? { quorum: r.quorum ?? [], ansible: r.ansible ?? [] };
    byKey.set(`${r.job.workload}|${r.job.name}|${r.job.hosts}`, { job: r.job, warmup: r.warmup, samples });
  }
}
const results = [...byKey.values()].sort((a, b) => a.job.hosts - b.job.hosts || a.job.workload - b.job.workload);
writeResults(out, results, { ...info!, date: `${info!.date} (merged from ${inputs.length} runs)` });
