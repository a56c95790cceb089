/**
 * What the cost curve samples from /proc while a run goes on: the controller's threads (is one
 * core pinned while the other idles?) and the memory of the thin hosts (PSS and RSS of every
 * process in the lab's network namespaces).
 */
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of one thread, in seconds. */
function threadCpu(pid: number, tid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Busy and total jiffies of the whole machine (every core), from /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return { busy: total - idle, total };
}

/** Per-thread CPU of a process over its life, sampled every `intervalMs`. */
export interface ThreadProfile {
  intervalMs: number;
  samples: number;
  /** CPU seconds of the main thread (tid = pid) and of all other threads together. */
  mainCpu: number;
  otherCpu: number;
  /** Intervals in which the main thread was at least 90 % busy. */
  mainSaturated: number;
  /** Of those, the ones in which the machine still had at least half a core idle. */
  mainSaturatedWhileIdle: number;
  /** The busiest threads by CPU seconds: name (comm) and seconds. */
  top: { tid: number; name: string; cpu: number }[];
}

/**
 * Sample `pid`'s threads until `stop()` is called; returns the profile. Reading /proc costs the
 * sampler, not the sampled process, so the controller's own CPU figures are untouched.
 */
export function sampleThreads(pid: number, intervalMs = 100): { stop(): ThreadProfile } {
  const last = new Map<number, number>();
  const names = new Map<number, string>();
  const total = new Map<number, number>();
  let prevMachine = machineTicks();
  let prevAt = performance.now();
  let samples = 0;
  let mainSaturated = 0;
  let mainSaturatedWhileIdle = 0;
  const cores = Math.max(1, readFileSync('/proc/stat', 'utf8').split('\n').filter((l) => /^cpu\d/.test(l)).length);
  const tick = () => {
    let tids: number[];
    try {
      tids = readdirSync(`/proc/${pid}/task`).map(Number);
    } catch {
      return;
    }
    const now = performance.now();
    const machine = machineTicks();
    const seconds = (now - prevAt) / 1000;
    let mainDelta = 0;
    for (const tid of tids) {
      const cpu = threadCpu(pid, tid);
      if (cpu === undefined) continue;
      if (!names.has(tid)) names.set(tid, readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim());
      const delta = cpu - (last.get(tid) ?? cpu);
      last.set(tid, cpu);
      total.set(tid, cpu);
      if (tid === pid) mainDelta = delta;
    }
    if (samples > 0 && seconds > 0) {
      const idleCores = ((machine.total - prevMachine.total - (machine.busy - prevMachine.busy)) / Math.max(1, machine.total - prevMachine.total)) * cores;
      if (mainDelta / seconds >= 0.9) {
        mainSaturated++;
        if (idleCores >= 0.5) mainSaturatedWhileIdle++;
      }
    }
    prevMachine = machine;
    prevAt = now;
    samples++;
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      tick();
      const mainCpu = total.get(pid) ?? 0;
      const otherCpu = [...total].filter(([tid]) => tid !== pid).reduce((a, [, c]) => a + c, 0);
      const top = [...total].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([tid, cpu]) => ({ tid, name: names.get(tid) ?? '?', cpu }));
      return { intervalMs, samples, mainCpu, otherCpu, mainSaturated, mainSaturatedWhileIdle, top };
    },
  };
}

/** Memory of the processes in a set of network namespaces, in KiB. */
export interface NamespaceMemory {
  processes: number;
  pssKb: number;
  rssKb: number;
  /** The largest per-namespace PSS sum (the busiest host). */
  maxHostPssKb: number;
}

/** Inode of each namespace file (/run/netns/NAME), to match /proc/PID/ns/net against. */
export function namespaceInodes(names: string[]): Map<string, string> {
  const inodes = new Map<string, string>();
  for (const name of names) {
    try {
      inodes.set(`net:[${statSync(`/run/netns/${name}`).ino}]`, name);
    } catch {
      // not there (yet)
    }
  }
  return inodes;
}

/** Sum PSS and RSS (smaps_rollup) of every process whose network namespace is one of `inodes`. */
export function measureNamespaces(inodes: Map<string, string>): NamespaceMemory {
  const perHost = new Map<string, number>();
  let processes = 0;
  let pssKb = 0;
  let rssKb = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let ns: string;
    try {
      ns = readlinkSync(`/proc/${entry}/ns/net`);
    } catch {
      continue;
    }
    const host = inodes.get(ns);
    if (host === undefined) continue;
    let rollup: string;
    try {
      rollup = readFileSync(`/proc/${entry}/smaps_rollup`, 'utf8');
    } catch {
      continue;
    }
    const pss = Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
    const rss = Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
    processes++;
    pssKb += pss;
    rssKb += rss;
    perHost.set(host, (perHost.get(host) ?? 0) + pss);
  }
  return { processes, pssKb, rssKb, maxHostPssKb: Math.max(0, ...perHost.values()) };
}

/** Sample namespace memory every `intervalMs` until stopped; the sample with the largest PSS. */
export function samplePeakNamespaceMemory(inodes: Map<string, string>, intervalMs = 250): { stop(): NamespaceMemory } {
  let peak: NamespaceMemory = { processes: 0, pssKb: 0, rssKb: 0, maxHostPssKb: 0 };
  const tick = () => {
    const m = measureNamespaces(inodes);
    if (m.pssKb > peak.pssKb) peak = m;
  };
  const timer = setInterval(tick, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}
