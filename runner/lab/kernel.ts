/**
 * Kernel limits that many containers on one machine run into. Every systemd in a host (pid 1,
 * journald, logind, ...) takes inotify instances, all counted against root on the controller:
 * with the default of 128, hosts beyond about 25 hang at boot right after
 * systemd-update-utmp (measured here with 30 hosts). Raised only, never lowered.
 */
import { readFile, writeFile } from 'node:fs/promises';

const MINIMUMS: Record<string, number> = {
  '/proc/sys/fs/inotify/max_user_instances': 8192,
  '/proc/sys/fs/inotify/max_user_watches': 524288,
};

/** Raise the limits below their minimum; returns what was changed, for the log. */
export async function raiseKernelLimits(): Promise<string[]> {
  const changed: string[] = [];
  for (const [file, minimum] of Object.entries(MINIMUMS)) {
    const current = Number((await readFile(file, 'utf8')).trim());
    if (current >= minimum) continue;
    try {
      await writeFile(file, `${minimum}\n`);
      changed.push(`${file.replace('/proc/sys/', '').replaceAll('/', '.')} ${current} -> ${minimum}`);
    } catch (err) {
      throw new Error(`lab: cannot raise ${file} from ${current} to ${minimum} (needed for many hosts): ${(err as Error).message}`, { cause: err });
    }
  }
  return changed;
}
