/** Run a script with this machine's real dash, as hosts' /bin/sh runs it: exit status and stderr. */
import { spawnSync } from 'node:child_process';

export function runDash(script: string, stdin?: Uint8Array): { code: number; stderr: string } {
  const r = spawnSync('dash', ['-c', script], { input: stdin ?? Buffer.alloc(0) });
  return { code: r.status ?? 1, stderr: r.stderr.toString() };
}
