/**
 * Finding lab hosts that no state file knows about (the state was deleted, or `lab up` was
 * killed before writing it): nspawn processes booted from the lab's root filesystem.
 */
import { readFile, readdir } from 'node:fs/promises';
import { netnsName } from './paths.js';

/**
 * nspawn processes of this lab: `-D` is `rootfs` and the namespace is this lab's for the machine
 * name (`-M`); other labs of the machine share the root filesystem but not the namespaces.
 */
export async function findStrayHostProcesses(rootfs: string): Promise<{ name: string; pid: number }[]> {
  const found: { name: string; pid: number }[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = await readFile(`/proc/${entry}/cmdline`, 'utf8').then((t) => t.split('\0'), () => [] as string[]);
    if (!argv[0]?.endsWith('systemd-nspawn')) continue;
    const dir = argv[argv.indexOf('-D') + 1];
    const name = argv[argv.indexOf('-M') + 1];
    const ours = name !== undefined && argv.includes(`--network-namespace-path=/run/netns/${netnsName(name)}`);
    if (argv.includes('-D') && argv.includes('-M') && dir === rootfs && ours) found.push({ name, pid: Number(entry) });
  }
  return found;
}
