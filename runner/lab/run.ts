/**
 * Running controller commands for the lab, with errors that say what failed and what to do.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** What a finished command printed. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run argv; resolve with the exit code instead of throwing (callers decide what is fatal). */
export function runCommand(argv: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(argv[0]!, argv.slice(1), { maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 0, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') return reject(new Error(`cannot run ${argv[0]}: ${err.message}`, { cause: err }));
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Run argv and throw with its stderr when it fails. */
export async function mustRun(argv: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  const r = await runCommand(argv, opts);
  if (r.code !== 0) {
    const tail = (r.stderr || r.stdout).trim().split('\n').slice(-8).join('\n');
    throw new Error(`lab: \`${argv.join(' ')}\` failed (exit ${r.code})${tail ? `:\n${tail}` : ''}`);
  }
  return r.stdout;
}

/** The lab creates namespaces, bridges and containers: only root may. */
export function assertRoot(): void {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error('lab: must run as root (it creates network namespaces, a bridge and systemd-nspawn containers); try `sudo`');
  }
}

/** Whether an executable is on PATH (also looks in the sbin directories, which a non-login root shell may lack). */
export function hasExecutable(name: string): boolean {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  return dirs.some((dir) => {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Which Debian package provides each tool the lab needs on the controller. */
const REQUIRED_TOOLS: Record<string, string> = {
  debootstrap: 'debootstrap',
  'systemd-nspawn': 'systemd-container',
  ip: 'iproute2',
  ssh: 'openssh-client',
  'ssh-keygen': 'openssh-client',
  'ssh-keyscan': 'openssh-client',
};

/** Fail with the exact apt-get line when a tool is missing. */
export function assertTools(): void {
  const missing = Object.keys(REQUIRED_TOOLS).filter((t) => !hasExecutable(t));
  if (missing.length === 0) return;
  // The two that are never preinstalled always lead the line, so it can be pasted as is.
  const pkgs = [...new Set(['debootstrap', 'systemd-container', ...missing.map((t) => REQUIRED_TOOLS[t]!)])];
  throw new Error(`lab: missing ${missing.join(', ')}. Install with:\n  apt-get install -y ${pkgs.join(' ')}`);
}
