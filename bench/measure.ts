/**
 * Timing one command: wall time measured here around the child, peak RSS as GNU time reports
 * it (`%M`, the largest resident set of the child or any of its descendants, in KiB), the CPU
 * the controller used (GNU time's `%U + %S`, waited-for descendants included) and the CPU the
 * whole machine used meanwhile (busy time of every core in /proc/stat): on this machine the lab
 * hosts share the cores, so the second, divided by the cores, is a floor under the wall time.
 * And the CPU of the lab hosts alone, from each host's own cgroup (cgroup v2 `cpu.stat`): unlike
 * the machine's busy time it does not count other work on a shared machine.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** One timed run. */
export interface Sample {
  wallMs: number;
  peakRssKb: number;
  /** CPU of the controller and its children (user + system); absent in runs before it was measured. */
  cpuMs?: number;
  /** Busy CPU of the whole machine (every core, hosts included) during the run. */
  machineCpuMs?: number;
  /** CPU of the lab hosts (their cgroups) during the run; absent where cgroup v2 cpu.stat is not there. */
  hostsCpuMs?: number;
}

/** min / median / max of a list of numbers. */
export interface Spread {
  min: number;
  median: number;
  max: number;
}

/** A command to time: argv plus extra environment. */
export interface TimedCommand {
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
}

/** Read the `usage_usec` of cgroup v2 directories, summed, in ms; undefined when one lacks cpu.stat. */
export function readCgroupsCpuMs(dirs: string[]): number | undefined {
  let sum = 0;
  for (const dir of dirs) {
    const file = `${dir}/cpu.stat`;
    if (!existsSync(file)) return undefined;
    const m = /^usage_usec (\d+)$/m.exec(readFileSync(file, 'utf8'));
    if (!m) return undefined;
    sum += Number(m[1]) / 1000;
  }
  return dirs.length > 0 ? sum : undefined;
}

/**
 * Run `cmd` under /usr/bin/time and return its wall time and peak RSS. Output goes to `logFile`
 * (never to the terminal: it is only needed when the command fails, and then its tail is shown).
 * Throws when the command exits non-zero, so a broken workload cannot pass as a fast one.
 */
export async function runTimed(cmd: TimedCommand, workDir: string, logFile: string, hostCgroups: string[] = []): Promise<Sample> {
  const rssFile = join(workDir, 'rss.txt');
  rmSync(rssFile, { force: true });
  const argv = ['/usr/bin/time', '-f', '%M %U %S', '-o', rssFile, ...cmd.argv];
  const busyBefore = readMachineBusyMs();
  const hostsBefore = readCgroupsCpuMs(hostCgroups);
  const started = performance.now();
  const code = await spawnToLog(argv, logFile, { ...process.env, ...cmd.env }, cmd.cwd);
  const wallMs = performance.now() - started;
  const machineCpuMs = readMachineBusyMs() - busyBefore;
  const hostsAfter = readCgroupsCpuMs(hostCgroups);
  if (code !== 0) throw new Error(`bench: \`${cmd.argv.join(' ')}\` exited ${code}; last output:\n${readTail(logFile, 25)}`);
  const [rss, user, system] = readFileSync(rssFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  const hostsCpuMs = hostsBefore !== undefined && hostsAfter !== undefined ? hostsAfter - hostsBefore : undefined;
  return { wallMs, peakRssKb: rss!, cpuMs: (user! + system!) * 1000, machineCpuMs, ...(hostsCpuMs === undefined ? {} : { hostsCpuMs }) };
}

/**
 * Busy time of all cores since boot, in ms. Precise where the kernel keeps it: cgroup v1's root
 * `cpuacct.usage` (ns, charged by the scheduler on every switch). Else the `cpu` line of
 * /proc/stat without idle and iowait, in USER_HZ ticks (100 per second on Linux, whatever the
 * kernel's own HZ): sampled at timer ticks, it misses work done between ticks by processes that
 * wake and sleep in step with the timer, while the controller's CPU (rusage) and the hosts'
 * (cgroup usage_usec) are exact. That mismatch can make "the rest of the machine" negative.
 */
export function readMachineBusyMs(): number {
  const precise = readRootCpuacctMs();
  if (precise !== undefined) return precise;
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) * 10;
}

const ROOT_CPUACCT = '/sys/fs/cgroup/cpuacct/cpuacct.usage';

/** The root cpuacct cgroup's CPU time in ms (every process on the machine), or undefined without cgroup v1's cpuacct. */
export function readRootCpuacctMs(): number | undefined {
  try {
    const ns = Number(readFileSync(ROOT_CPUACCT, 'utf8').trim());
    return Number.isFinite(ns) && ns > 0 ? ns / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

/** Run argv with stdout and stderr appended to `logFile`; resolves to the exit code. */
export function spawnToLog(argv: string[], logFile: string, env: NodeJS.ProcessEnv = process.env, cwd?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const fd = openSync(logFile, 'a');
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', fd, fd], env, cwd });
    child.once('error', (err) => {
      closeSync(fd);
      reject(err);
    });
    child.once('close', (code, signal) => {
      closeSync(fd);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

/** The last `lines` lines of a file, for error messages. */
export function readTail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

/** min, median (middle value, mean of the two middle ones for an even count) and max. */
export function computeSpread(values: number[]): Spread {
  if (values.length === 0) throw new Error('bench: no samples');
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { min: s[0]!, median, max: s[s.length - 1]! };
}
