/**
 * `npm run bench`: quorum against ansible-core, Ansible + Mitogen and pyinfra on the same lab
 * hosts (bench/README.md).
 *
 *   node --import=tsx bench/run.ts [--hosts 3,30] [--rounds 5] [--only connect,files,check,etcd,startup,ssh]
 *                                  [--peers ansible,mitogen,pyinfra,ansible-full]
 *                                  [--warmup 1] [--lab-id 5] [--keep-lab] [--out bench/results.md]
 *                                  [--work-dir /tmp/quorum-bench]
 *
 * Needs root (the lab) and a built tree (`npm run build`): quorum is timed through dist/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureGnuTime, findMitogenStrategyDir, readAnsibleVersion, writeAnsibleConfig } from './ansible.js';
import { fetchMemberFiles, setUpEtcdCluster } from './etcd-setup.js';
import { checkRecap, makeConnectJob, makeEtcdJob, makeFileJobs, TOOL_LABELS, TOOLS, type Job, type JobContext, type PeerSetup, type Tool } from './jobs.js';
import { bringUpLab, readHostOpenSshVersion, takeDownLab, type BenchLab } from './lab.js';
import { runTimed } from './measure.js';
import { installBenchPeers, type PeerVenvs } from './peers.js';
import { readPyinfraVersion, writePyinfraInventory } from './pyinfra.js';
import { computeRatio, writeResults, type JobResult } from './report.js';
import { measureSshOverhead, measureStartup } from './startup.js';

const ALL = ['connect', 'files', 'check', 'etcd', 'startup', 'ssh'];
const PEERS = TOOLS.filter((t) => t !== 'quorum');
const projectRoot = resolve(import.meta.dirname, '..');
const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '3,30' },
    rounds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    only: { type: 'string', default: ALL.join(',') },
    peers: { type: 'string', default: PEERS.join(',') },
    'lab-id': { type: 'string', default: process.env.QUORUM_LAB_ID && process.env.QUORUM_LAB_ID !== '0' ? process.env.QUORUM_LAB_ID : '5' },
    'keep-lab': { type: 'boolean', default: false },
    out: { type: 'string', default: join(projectRoot, 'bench', 'results.md') },
    'work-dir': { type: 'string', default: '/tmp/quorum-bench' },
  },
});

/** Parse the options into checked values; bad input says which flag and what is allowed. */
function parseOptions() {
  const sizes = values.hosts!.split(',').map((t) => {
    if (!/^\d+$/.test(t) || Number(t) < 3) throw new Error(`bench: --hosts takes sizes of at least 3 separated by commas, e.g. 3,30; got "${values.hosts}"`);
    return Number(t);
  }).sort((a, b) => a - b);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`bench: --rounds takes a whole number >= 1, got "${values.rounds}"`);
  const only = new Set(values.only!.split(','));
  for (const w of only) if (!ALL.includes(w)) throw new Error(`bench: --only takes some of ${ALL.join(',')}; "${w}" is not one`);
  const warmup = Number(values.warmup);
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error(`bench: --warmup takes a whole number >= 0, got "${values.warmup}"`);
  const peers = values.peers === '' ? [] : values.peers!.split(',');
  for (const p of peers) if (!(PEERS as readonly string[]).includes(p)) throw new Error(`bench: --peers takes some of ${PEERS.join(',')} (or "" for quorum alone); "${p}" is not one`);
  const tools: Tool[] = TOOLS.filter((t) => t === 'quorum' || peers.includes(t));
  const labId = Number(values['lab-id']);
  if (!Number.isInteger(labId) || labId < 1 || labId > 250) throw new Error(`bench: --lab-id must be 1..250 (lab 0 belongs to the test suites), got "${values['lab-id']}"`);
  return { sizes, rounds, warmup, only, tools, labId };
}

/**
 * Run one job: `warmup` rounds, then `rounds` measured rounds. Each round runs every tool once,
 * in TOOLS order, reversed every other round, so no tool always runs right after the same one.
 */
async function runJob(job: Job, rounds: number, warmup: number, workDir: string, hostCgroups: string[]): Promise<JobResult> {
  const tools = TOOLS.filter((t) => job.commands[t]);
  const result: JobResult = { job: { workload: job.workload, name: job.name, hosts: job.hosts, expect: job.expect, absent: job.absent }, warmup, samples: {} };
  for (let round = 1 - warmup; round <= rounds; round++) {
    const order = (round + 2) % 2 === 0 ? [...tools].reverse() : tools;
    for (const tool of order) {
      await job.reset?.();
      const logFile = join(workDir, 'logs', `w${job.workload}-${job.hosts}-${tool}.log`);
      rmSync(logFile, { force: true });
      const sample = await runTimed(job.commands[tool]!, workDir, logFile, hostCgroups);
      const problem = checkRecap(tool, readFileSync(logFile, 'utf8'), job.expect, job.hosts);
      if (problem) throw new Error(`bench: ${tool}, workload ${job.workload} (${job.name}), round ${round}: ${problem}; see ${logFile}`);
      if (round > 0) (result.samples[tool] ??= []).push(sample);
    }
    log(`  ${job.name} @${job.hosts}: round ${round <= 0 ? 'warm-up' : round} done`);
  }
  log(`${job.name} @${job.hosts}: ${describeRatios(result)}`);
  return result;
}

/** "ansible-core/quorum = 40.1x, pyinfra/quorum = 20.3x" for the tools that ran. */
function describeRatios(r: JobResult): string {
  return TOOLS.filter((t) => t !== 'quorum' && computeRatio(r, t) !== undefined)
    .map((t) => `${TOOL_LABELS[t]}/quorum = ${computeRatio(r, t)!.toFixed(1)}x`)
    .join(', ');
}

/** Configuration of every peer for one lab size: ansible.cfg (plain and Mitogen), pyinfra's inventory. */
function setUpPeers(venvs: PeerVenvs, workDir: string, lab: BenchLab, size: number): PeerSetup {
  const forks = Math.max(50, size);
  return {
    ansibleVenv: venvs.ansible,
    mitogenVenv: venvs.mitogen,
    pyinfraVenv: venvs.pyinfra,
    ansibleEnv: writeAnsibleConfig(join(workDir, 'ansible'), lab, forks),
    mitogenEnv: writeAnsibleConfig(join(workDir, 'mitogen'), lab, forks, findMitogenStrategyDir(venvs.mitogen)),
    pyinfraInventory: writePyinfraInventory(join(workDir, 'pyinfra'), lab),
  };
}

async function main(): Promise<void> {
  const { sizes, rounds, warmup, only, tools, labId } = parseOptions();
  ensureGnuTime(log);
  const venvs = installBenchPeers(projectRoot, log);
  const workDir = values['work-dir']!;
  mkdirSync(join(workDir, 'logs'), { recursive: true, mode: 0o700 });
  const labRoot = join(workDir, 'lab');
  const results: JobResult[] = [];
  const versions: Record<string, string> = {
    node: process.version,
    quorum: JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')).version + ` (git ${execFileSync('git', ['-C', projectRoot, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()})`,
    ...(tools.includes('ansible') || tools.includes('ansible-full') ? { 'ansible-core': readAnsibleVersion(venvs.ansible) } : {}),
    ...(tools.includes('mitogen') ? { 'Ansible + Mitogen': `${venvs.mitogenVersion} on ${readAnsibleVersion(venvs.mitogen)}` } : {}),
    ...(tools.includes('pyinfra') ? { pyinfra: readPyinfraVersion(venvs.pyinfra) } : {}),
    python: venvs.python,
  };
  let startup: string | undefined;
  let sshOverhead: string | undefined;
  if (only.has('startup')) startup = await measureStartup(projectRoot, workDir, log);
  try {
    for (const [i, size] of sizes.entries()) {
      log(`lab ${labId}: ${size} hosts`);
      const lab = await bringUpLab(labId, size, labRoot, log);
      versions['OpenSSH on the hosts'] ??= await readHostOpenSshVersion(lab, join(workDir, 'logs', 'misc.log'));
      const ctx: JobContext = { projectRoot, workDir, lab, tools, peers: setUpPeers(venvs, workDir, lab, size) };
      const jobs: Job[] = [];
      if (only.has('connect')) jobs.push(makeConnectJob(ctx));
      if (only.has('files')) jobs.push(...makeFileJobs(ctx, false).filter((j) => j.workload !== 4));
      if (only.has('check') && i === 0) jobs.push(...makeFileJobs(ctx, true).filter((j) => j.workload === 4));
      if (only.has('etcd') && i === 0) {
        log('setting the etcd cluster up once with quorum (not timed)');
        await setUpEtcdCluster(ctx, join(workDir, 'logs', 'etcd-setup.log'));
        const filesDir = join(workDir, 'etcd-files');
        await fetchMemberFiles(ctx, filesDir, join(workDir, 'logs', 'misc.log'));
        jobs.push(makeEtcdJob(ctx, filesDir));
      }
      for (const job of jobs) {
        results.push(await runJob(job, rounds, warmup, workDir, lab.hostCgroups));
        // Written after every job: a long run stopped half-way still leaves its numbers.
        writeResults(values.out!, results, { date: new Date().toISOString(), rounds, versions, startup, sshOverhead });
      }
      if (only.has('ssh') && i === sizes.length - 1) sshOverhead = await measureSshOverhead(projectRoot, lab, workDir, log);
    }
  } finally {
    if (!values['keep-lab']) await takeDownLab(labId, labRoot, log);
  }
  writeResults(values.out!, results, { date: new Date().toISOString(), rounds, versions, startup, sshOverhead });
  for (const r of results) process.stdout.write(`workload ${r.job.workload} ${r.job.name} @${r.job.hosts} (medians): ${describeRatios(r)}\n`);
  process.stdout.write(`results: ${values.out}\n`);
}

try {
  await main();
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
