/**
 * `npm run bench:curve`: how the controller's cost grows with the number of hosts (issue 17).
 *
 *   npm run bench:curve                                   # 3, 30, 100, 300 thin hosts, 3 rounds
 *   npm run bench:curve -- --sizes 3,30 --rounds 1 --lab-id 9
 *
 * Root only. One thin lab (`lab up --thin`, runner/lab/thin.ts) of its own under --work-dir,
 * resized up through the sizes. At each size, for the files workload (bench/workloads/
 * files.quorum.yaml: facts + 20 file tasks) it times a first run (after an untimed reset) and a
 * re-run, `--rounds` times each, through the built bundle under GNU time: the controller's
 * user+sys CPU and peak RSS (the quorum process alone: it spawns no child to talk to hosts, and
 * the hosts' sshd are other processes) and the wall time. Every run's recap is checked. The
 * last round of each size also samples the controller's threads (per-thread CPU, is the main
 * thread pinned while a core idles?). Afterwards, untimed, the hosts' memory: PSS and RSS of
 * their processes idle, and at the peak of one more run.
 *
 * What a host costs is then taken apart (unless --no-decompose), in the same rounds: the
 * connect workload (bench/workloads/connect.quorum.yaml: reach the host, open the root shell,
 * one command, no facts) is what merely reaching a host costs, and a longer files workload
 * (facts + LONG_FILE_TASKS file tasks, written into --work-dir) against the 20-task one gives
 * what each further task costs a host, first run and re-run. The longer workload's runs also
 * record the controller's CPU between task starts (bench/task-cpu.cjs): a second reading of
 * the same cost, from inside one run.
 *
 * Writes bench/curve-results.json after every size, then bench/curve-report.ts renders the
 * section of bench/results.md and bench/curve.svg from it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, totalmem } from 'node:os';
import { namespaceInodes, measureNamespaces, sampleThreads, samplePeakNamespaceMemory, type NamespaceMemory, type ThreadProfile } from './curve-sample.js';
import { writeCurveReport } from './curve-report.js';
import { readMachineBusyMs } from './measure.js';

const PROJECT = join(import.meta.dirname, '..');
const BUNDLE = join(PROJECT, 'dist/bundle/quorum.cjs');
const WORKLOAD = join(PROJECT, 'bench/workloads/files.quorum.yaml');
const RESET = join(PROJECT, 'bench/workloads/curve-reset.quorum.yaml');
const CONNECT = join(PROJECT, 'bench/workloads/connect.quorum.yaml');
const TASK_CPU_PRELOAD = join(PROJECT, 'bench/task-cpu.cjs');
export const RESULTS_JSON = join(PROJECT, 'bench/curve-results.json');
/** facts + 20 file tasks: the work per host that "per task" divides by. */
export const TASKS_PER_HOST = 21;
/** File tasks of the longer workload that measures what each further task costs (with facts: 61). */
export const LONG_FILE_TASKS = 60;

/**
 * The kinds of timed run: the files workload's first run and re-run (the curve itself), the
 * connect workload, and the longer files workload's first run and re-run.
 */
export type CurveRunKind = 'first' | 're-run' | 'connect' | 'first-long' | 're-run-long';

/** One timed run. */
export interface CurveSample {
  kind: CurveRunKind;
  round: number;
  userS: number;
  sysS: number;
  cpuS: number;
  peakRssMb: number;
  wallS: number;
  /** The machine's busy CPU (every core, every process) during the run, seconds. */
  machineBusyS: number;
  threads?: ThreadProfile;
  /**
   * Longer workload only: the controller's CPU between consecutive task starts, seconds, each
   * the cost of one task over all hosts (bench/task-cpu.cjs); the first is facts.
   */
  taskCpuS?: number[];
}

/** Everything measured at one size. */
export interface CurveSize {
  hosts: number;
  forks: number;
  samples: CurveSample[];
  memory?: { idle: NamespaceMemory; serving: NamespaceMemory };
}

export interface CurveResults {
  generatedAt: string;
  machine: { cores: number; memoryGiB: number; loadAverageAtStart: string };
  node: string;
  quorum: string;
  rounds: number;
  sizes: CurveSize[];
}

interface Options {
  sizes: number[];
  rounds: number;
  labId: number;
  workDir: string;
  keepLab: boolean;
  decompose: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { sizes: [3, 30, 100, 300], rounds: 3, labId: Number(process.env.QUORUM_LAB_ID || 5), workDir: '/tmp/quorum-curve', keepLab: false, decompose: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`bench:curve: ${a} needs a value`);
      return v;
    };
    if (a === '--sizes') o.sizes = value().split(',').map(Number);
    else if (a === '--rounds') o.rounds = Number(value());
    else if (a === '--lab-id') o.labId = Number(value());
    else if (a === '--work-dir') o.workDir = value();
    else if (a === '--keep-lab') o.keepLab = true;
    else if (a === '--no-decompose') o.decompose = false;
    else throw new Error(`bench:curve: unknown option ${a} (--sizes 3,30,100,300 --rounds N --lab-id N --work-dir DIR --keep-lab --no-decompose)`);
  }
  if (!o.sizes.every((n) => Number.isInteger(n) && n >= 1 && n <= 1000)) throw new Error('bench:curve: --sizes takes whole numbers from 1 to 1000, comma-separated');
  if (!(Number.isInteger(o.rounds) && o.rounds >= 1)) throw new Error('bench:curve: --rounds takes a whole number from 1');
  if (!(Number.isInteger(o.labId) && o.labId >= 1 && o.labId <= 250)) throw new Error('bench:curve: --lab-id takes 1 to 250 (never 0, the test suites\' lab)');
  o.sizes.sort((a, b) => a - b);
  return o;
}

const log = (line: string) => process.stderr.write(`bench:curve: ${line}\n`);

/** Run argv under GNU time; the controller's figures and the recap from its `-o json` stream. */
async function timedRun(argv: string[], logFile: string, sampleThreadsToo: boolean, perTask = false): Promise<{ sample: Omit<CurveSample, 'kind' | 'round'>; end: { exitCode: number; recap: Record<string, { changed: number; failed: number; unreachable: number }> } }> {
  const timeFile = `${logFile}.time`;
  const taskFile = `${logFile}.tasks.json`;
  const machineBefore = machineBusySeconds();
  const started = performance.now();
  const env = perTask ? { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require=${JSON.stringify(TASK_CPU_PRELOAD)}`.trim(), QUORUM_BENCH_TASK_CPU: taskFile } : process.env;
  const child = spawn('/usr/bin/time', ['-f', '%U %S %M %e', '-o', timeFile, BUNDLE, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let profiler: ReturnType<typeof sampleThreads> | undefined;
  if (sampleThreadsToo && child.pid !== undefined) {
    const pid = await childOf(child.pid);
    if (pid !== undefined) profiler = sampleThreads(pid);
  }
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? 255)));
  const wallS = (performance.now() - started) / 1000;
  const threads = profiler?.stop();
  const machineBusyS = machineBusySeconds() - machineBefore;
  writeFileSync(logFile, `${stderr}\n${stdout}`);
  const [user, sys, rssKb] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
  const end = stdout.trim().split('\n').map((l) => { try { return JSON.parse(l); } catch { return {}; } }).find((e) => e.kind === 'run:end');
  if (!end) throw new Error(`bench:curve: no run:end from quorum (exit ${code}); see ${logFile}`);
  const taskCpuS = perTask ? taskCpuOf(taskFile) : undefined;
  return {
    sample: { userS: user!, sysS: sys!, cpuS: user! + sys!, peakRssMb: rssKb! / 1024, wallS, machineBusyS, ...(threads ? { threads } : {}), ...(taskCpuS ? { taskCpuS } : {}) },
    end,
  };
}

/** Seconds of controller CPU per task, from bench/task-cpu.cjs's marks. */
function taskCpuOf(file: string): number[] {
  const { marks } = JSON.parse(readFileSync(file, 'utf8')) as { marks: number[] };
  return marks.slice(1).map((m, i) => (m - marks[i]!) / 1e6);
}

/** The quorum process: GNU time's child (the executable's #!/bin/sh header execs node, same pid). */
async function childOf(pid: number): Promise<number | undefined> {
  for (let i = 0; i < 200; i++) {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    if (text !== '') return Number(text.split(/\s+/)[0]);
    await new Promise((r) => setTimeout(r, 5));
  }
  return undefined;
}

/** The machine's busy CPU in seconds, by bench/measure.ts's reading (precise where the kernel allows). */
function machineBusySeconds(): number {
  return readMachineBusyMs() / 1000;
}

/**
 * The longer files workload: the same kinds of task as bench/workloads/files.quorum.yaml (its 4
 * directories, then small files with content spread over them), `files` of them after facts.
 */
export function longFilesWorkload(files: number): string {
  const lines = ['# Written by bench/curve.ts: files.quorum.yaml with more file tasks (what each further task costs).', `- name: facts and ${files} file tasks`, '  hosts: all', '  become: true', '  gather_facts: true', '  tasks:'];
  for (let d = 0; d < 4; d++) lines.push(`    - name: directory /var/tmp/qbench/d${d}`, `      file: { path: /var/tmp/qbench/d${d}, state: directory, mode: "0755" }`);
  for (let i = 0; i < files - 4; i++) {
    const path = `/var/tmp/qbench/d${i % 4}/f${String(i).padStart(2, '0')}.conf`;
    lines.push(`    - name: file ${path}`, `      file: { path: ${path}, content: "# bench file ${i}\\nkey${i} = value ${i}\\n", mode: "0644" }`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Every host present, and the changes the kind of run must make: every file task on a first
 * run, none on a re-run or the connect workload (its one command is `changed_when: false`).
 */
function checkRecap(kind: CurveRunKind | 'reset', end: { exitCode: number; recap: Record<string, { changed: number; failed: number; unreachable: number }> }, hosts: number): void {
  const entries = Object.entries(end.recap);
  const expected = kind === 'first' ? 20 : kind === 'first-long' ? LONG_FILE_TASKS : kind === 'reset' ? undefined : 0;
  const bad = entries.filter(([, r]) => r.failed > 0 || r.unreachable > 0 || (expected !== undefined && r.changed !== expected));
  if (end.exitCode !== 0 || entries.length !== hosts || bad.length > 0) {
    throw new Error(`bench:curve: ${kind} run: exit ${end.exitCode}, ${entries.length}/${hosts} hosts, unexpected: ${bad.slice(0, 5).map(([h, r]) => `${h} ${JSON.stringify(r)}`).join('; ')}`);
  }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('bench:curve: run as root (it starts a lab)');
  if (!existsSync(BUNDLE)) throw new Error('bench:curve: no dist/bundle/quorum.cjs: `npm run build` first (npm run bench:curve does)');
  // runner/lab reads QUORUM_LAB_ID once, when it loads: set it first, then check.
  process.env.QUORUM_LAB_ID = String(o.labId);
  const paths = await import('../runner/lab/paths.js');
  if (paths.LAB_ID !== o.labId) throw new Error(`bench:curve: runner/lab was loaded for lab ${paths.LAB_ID}`);
  const { labUp, labDown } = await import('../runner/lab/lab.js');
  mkdirSync(join(o.workDir, 'logs'), { recursive: true });
  const longWorkload = join(o.workDir, 'files-long.quorum.yaml');
  writeFileSync(longWorkload, longFilesWorkload(LONG_FILE_TASKS));
  const results: CurveResults = {
    generatedAt: new Date().toISOString(),
    machine: { cores: cpus().length, memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10, loadAverageAtStart: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') },
    node: process.version,
    quorum: await gitDescribe(),
    rounds: o.rounds,
    sizes: [],
  };
  try {
    for (const hosts of o.sizes) {
      log(`${hosts} thin hosts: lab up`);
      const state = await labUp({ hosts, thin: true, projectRoot: o.workDir, log: (l) => log(`lab ${o.labId}: ${l}`) });
      const inventory = state.inventory;
      const forks = Math.max(50, hosts);
      // -T 300: on a loaded 2-core machine a few of 300 hosts' sshd took over 60 s to answer (measured).
      const common = ['-i', inventory, '-o', 'json', '-f', String(forks), '-T', '300'];
      const size: CurveSize = { hosts, forks, samples: [] };
      const logFile = (name: string) => join(o.workDir, 'logs', `${hosts}-${name}.log`);
      // A warm-up run writes the code cache (runner/launch.ts) and warms the hosts' page cache.
      checkRecap('reset', (await timedRun(['run', RESET, ...common], logFile('warmup-reset'), false)).end, hosts);
      await timedRun(['run', WORKLOAD, ...common], logFile('warmup'), false);
      if (o.decompose) {
        await timedRun(['run', CONNECT, ...common], logFile('warmup-connect'), false);
        await timedRun(['run', longWorkload, ...common], logFile('warmup-long'), false);
      }
      for (let round = 1; round <= o.rounds; round++) {
        const profile = round === o.rounds;
        checkRecap('reset', (await timedRun(['run', RESET, ...common], logFile(`reset-${round}`), false)).end, hosts);
        const first = await timedRun(['run', WORKLOAD, ...common], logFile(`first-${round}`), profile);
        checkRecap('first', first.end, hosts);
        size.samples.push({ kind: 'first', round, ...first.sample });
        const rerun = await timedRun(['run', WORKLOAD, ...common], logFile(`rerun-${round}`), profile);
        checkRecap('re-run', rerun.end, hosts);
        size.samples.push({ kind: 're-run', round, ...rerun.sample });
        log(`${hosts} hosts round ${round}: first ${first.sample.cpuS.toFixed(2)} s CPU ${first.sample.peakRssMb.toFixed(0)} MB ${first.sample.wallS.toFixed(2)} s wall; re-run ${rerun.sample.cpuS.toFixed(2)} s CPU ${rerun.sample.peakRssMb.toFixed(0)} MB ${rerun.sample.wallS.toFixed(2)} s wall`);
        if (!o.decompose) continue;
        const connect = await timedRun(['run', CONNECT, ...common], logFile(`connect-${round}`), false);
        checkRecap('connect', connect.end, hosts);
        size.samples.push({ kind: 'connect', round, ...connect.sample });
        checkRecap('reset', (await timedRun(['run', RESET, ...common], logFile(`reset-long-${round}`), false)).end, hosts);
        const firstLong = await timedRun(['run', longWorkload, ...common], logFile(`first-long-${round}`), false, true);
        checkRecap('first-long', firstLong.end, hosts);
        size.samples.push({ kind: 'first-long', round, ...firstLong.sample });
        const rerunLong = await timedRun(['run', longWorkload, ...common], logFile(`rerun-long-${round}`), false, true);
        checkRecap('re-run-long', rerunLong.end, hosts);
        size.samples.push({ kind: 're-run-long', round, ...rerunLong.sample });
        log(`${hosts} hosts round ${round}: connect ${connect.sample.cpuS.toFixed(2)} s CPU; ${LONG_FILE_TASKS} tasks first ${firstLong.sample.cpuS.toFixed(2)} s CPU, re-run ${rerunLong.sample.cpuS.toFixed(2)} s CPU`);
      }
      // Hosts' memory (untimed): idle, then the peak while serving one more first run.
      const inodes = namespaceInodes(state.hosts.map((h) => paths.netnsName(h.name)));
      const idle = measureNamespaces(inodes);
      checkRecap('reset', (await timedRun(['run', RESET, ...common], logFile('memory-reset'), false)).end, hosts);
      const sampler = samplePeakNamespaceMemory(inodes);
      checkRecap('first', (await timedRun(['run', WORKLOAD, ...common], logFile('memory-first'), false)).end, hosts);
      size.memory = { idle, serving: sampler.stop() };
      log(`${hosts} hosts: idle ${(idle.pssKb / 1024 / hosts).toFixed(2)} MB PSS per host (${idle.processes} processes), serving peak ${(size.memory.serving.pssKb / 1024 / hosts).toFixed(2)} MB PSS per host`);
      results.sizes.push(size);
      writeFileSync(RESULTS_JSON, JSON.stringify(results, null, 2) + '\n');
    }
  } finally {
    if (!o.keepLab) await labDown({ projectRoot: o.workDir, log: (l) => log(`lab ${o.labId}: ${l}`) });
  }
  writeCurveReport(results);
  log(`wrote ${RESULTS_JSON}, bench/curve.svg and the curve section of bench/results.md`);
}

async function gitDescribe(): Promise<string> {
  const version = (JSON.parse(readFileSync(join(PROJECT, 'package.json'), 'utf8')) as { version: string }).version;
  const head = await new Promise<string>((resolve) => {
    const c = spawn('git', ['-C', PROJECT, 'rev-parse', '--short', 'HEAD']);
    let out = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.on('close', () => resolve(out.trim() || 'unknown'));
    c.on('error', () => resolve('unknown'));
  });
  return `${version} (git ${head})`;
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
