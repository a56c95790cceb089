/**
 * Run apt-get on a host, waiting while another process holds apt's or dpkg's lock (an unattended
 * upgrade, a colleague's apt-get): every try that finds the lock held is said as it happens, with
 * the process that holds it (ModuleContext.reportWait, shown as a retry), never a silent hang.
 * apt-get is told not to wait itself (DPkg::Lock::Timeout=0, command-line.ts), so quorum sees each
 * try; Ansible's apt module waits the same way (its `lock_timeout`, 60 s by default).
 */
import type { ModuleContext } from '../types.js';
import type { ExecResult } from '../connection/types.js';
import { aptGetCommand, type AptGetRequest } from './command-line.js';

/** Seconds between two tries while the lock is held. */
export const LOCK_RETRY_SECONDS = 2;

/** apt's words when a lock is held; apt 1.9+ adds "It is held by process N (NAME)", older apt "- open (11: ...)". */
const LOCK_HELD = /Could not get lock (\S+?)(?:\.(?=\s|$)|\s|$)/m;
const HOLDER = /It is held by process (\d+)(?: \(([^)]*)\))?/;

/** The lock and its holder, when apt-get's stderr says a lock is held; else undefined. */
export function lockHeld(stderr: string): { lock: string; pid?: number; program?: string } | undefined {
  const m = LOCK_HELD.exec(stderr);
  if (!m) return undefined;
  const holder = HOLDER.exec(stderr);
  return { lock: m[1]!, ...(holder ? { pid: Number(holder[1]) } : {}), ...(holder?.[2] ? { program: holder[2] } : {}) };
}

/** apt-get update's warnings that mean some lists could not be fetched: a failed update, as Ansible counts it. */
export function updateFailures(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /^(W: Failed to fetch|E: )/.test(l) || /^W: Some index files failed to download/.test(l));
}

/**
 * Run the request, trying again every LOCK_RETRY_SECONDS while a lock is held, for at most `lockTimeoutSeconds`. Throws with
 * apt's own last lines when it fails for any other reason, or the lock stays held.
 */
export async function runAptGet(ctx: ModuleContext, req: AptGetRequest, opts: { lockTimeoutSeconds: number }): Promise<ExecResult> {
  const command = aptGetCommand(req);
  const tries = Math.max(1, Math.ceil(opts.lockTimeoutSeconds / LOCK_RETRY_SECONDS) + 1);
  for (let attempt = 1; ; attempt++) {
    const r = await ctx.conn.exec(command, { sudo: ctx.become });
    const stderr = r.stderr.toString('utf8');
    const held = r.exitCode !== 0 ? lockHeld(stderr) : undefined;
    if (held && attempt < tries && !ctx.signal?.aborted) {
      const holder = held.pid !== undefined ? ` by process ${held.pid}${held.program ? ` (${held.program})` : ''}` : '';
      ctx.reportWait?.({ attempt, retriesLeft: tries - attempt, delaySeconds: LOCK_RETRY_SECONDS, msg: `apt-get ${req.verb}: ${held.lock} is held${holder}; waiting for it` });
      await sleep(LOCK_RETRY_SECONDS * 1000, ctx.signal);
      continue;
    }
    if (r.exitCode !== 0) {
      // Run as the login user, apt cannot even open its lock files: say what fixes it.
      const why = held
        ? `${held.lock} still held after ${opts.lockTimeoutSeconds} s (lock_timeout)`
        : /Could not open lock file .*Permission denied|are you root\?/.test(stderr) && !ctx.become
          ? `exit ${r.exitCode} (apt-get needs root: add \`become: true\` to the task or play)`
          : `exit ${r.exitCode}`;
      throw new Error(`apt-get ${req.verb} failed: ${why}: ${lastLines(stderr.trim() || r.stdout.toString('utf8').trim(), 15)}`);
    }
    if (req.verb === 'update') {
      const failures = updateFailures(stderr);
      if (failures.length > 0) throw new Error(`apt-get update could not fetch every list: ${failures.join('\n')}`);
    }
    return r;
  }
}

function lastLines(text: string, n: number): string {
  return text.split('\n').slice(-n).join('\n');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
