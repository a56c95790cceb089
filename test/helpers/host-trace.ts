/**
 * Watching what a lab host's processes do, from the controller: a lab host is a container whose
 * processes the controller's root can trace, so `strace -f -p` on the host's sshd sees every
 * system call of every command quorum runs there, without strace on the host.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { labState } from './lab.js';

/** Parent pid of a process, from /proc (undefined when it is gone). */
function parentOf(pid: number): number | undefined {
  try {
    return Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
  } catch {
    return undefined;
  }
}

/** pid of the sshd listening on a lab host (the child of the host's init named sshd). */
export function hostSshdPid(hostName: string): number {
  const host = labState().hosts.find((h) => h.name === hostName);
  if (!host) throw new Error(`no lab host ${hostName}`);
  const pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number);
  const init = pids.find((p) => parentOf(p) === host.pid);
  const sshd = pids.find((p) => parentOf(p) === init && readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'sshd');
  if (!init || !sshd) throw new Error(`${hostName}: no sshd under its init (nspawn pid ${host.pid})`);
  return sshd;
}

/** A running `strace -f -y` of a process tree; `stop()` ends it and returns its lines. */
export interface Trace {
  stop(): Promise<string[]>;
}

/** Trace `syscalls` of `pid` and every process it forks from now on; resolves once attached. */
export async function traceProcessTree(pid: number, syscalls: string[]): Promise<Trace> {
  const log = join(mkdtempSync(join(tmpdir(), 'quorum-host-trace-')), 'trace.txt');
  const child: ChildProcess = spawn('strace', ['-f', '-y', '-qq', '-o', log, '-e', `trace=${syscalls.join(',')}`, '-p', String(pid)], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // Attached when the kernel names a tracer for the process: commands started before would be missed.
  for (let i = 0; ; i++) {
    if (/^TracerPid:\s+[1-9]/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'))) break;
    if (child.exitCode !== null || i > 600) throw new Error(`strace could not attach to ${pid}`);
    await sleep(50);
  }
  return {
    async stop() {
      child.kill('SIGINT');
      await exited;
      return readFileSync(log, 'utf8').split('\n').filter((l) => l.trim() !== '');
    },
  };
}
