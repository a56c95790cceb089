/**
 * Finding lab hosts that no state file knows about (the state was deleted, or `lab up` was
 * killed before writing it): nspawn processes booted from the lab's root filesystem.
 */
import { readFile, readdir } from 'node:fs/promises';

/** nspawn processes whose `-D` is `rootfs`, with their machine name (`-M`). */
export async function findStrayHostProcesses(rootfs: string): Promise<{ name: string; pid: number }[]> {
  const found: { name: string; pid: number }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = await readFile(`/proc/${entry}/cmdline`, 'utf8').then((t) => t.split('\0'), () => [] as string[]);
    if (!argv[0]?.endsWith('systemd-nspawn')) continue;
    const dir = argv[argv.indexOf('-D') + 1];
    const name = argv[argv.indexOf('-M') + 1];
    if (argv.includes('-D') && argv.includes('-M') && dir === rootfs && name) found.push({ name, pid: Number(entry) });
  }
  return found;
}
