/**
 * One cgroup per host. systemd-nspawn without a systemd on the controller (--register=no,
 * --keep-unit) creates its `payload`/`supervisor` cgroups inside the cgroup it was started in;
 * started from one shell, every host then shared `payload/system.slice/ssh.service` and the
 * like. Measured here: one host's systemd-sysusers failed with 219/CGROUP at boot because another
 * host removed the shared cgroup meanwhile. So each nspawn is moved into a cgroup of its own first.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LAB_ID } from './paths.js';

/**
 * The hierarchies systemd manages, as directories of this process's cgroup: the unified one
 * (pure v2 at /sys/fs/cgroup, or hybrid's /sys/fs/cgroup/unified) and v1's name=systemd.
 */
async function findSystemdHierarchies(): Promise<string[]> {
  const dirs: string[] = [];
  for (const line of (await readFile('/proc/self/cgroup', 'utf8')).split('\n')) {
    const m = line.match(/^\d+:([^:]*):(.*)$/);
    if (!m) continue;
    if (m[1] === '') {
      const mount = existsSync('/sys/fs/cgroup/cgroup.controllers') ? '/sys/fs/cgroup' : '/sys/fs/cgroup/unified';
      if (existsSync(join(mount, 'cgroup.procs'))) dirs.push(join(mount, m[2]!));
    } else if (m[1] === 'name=systemd' && existsSync('/sys/fs/cgroup/systemd/cgroup.procs')) {
      dirs.push(join('/sys/fs/cgroup/systemd', m[2]!));
    }
  }
  return dirs;
}

/** The host's own cgroup directories (one per systemd hierarchy), created when missing. */
export async function createHostCgroups(name: string): Promise<string[]> {
  const dirs = (await findSystemdHierarchies()).map((base) => join(base, cgroupName(name)));
  for (const dir of dirs) await mkdir(dir, { recursive: true });
  return dirs;
}

/** Remove the host's cgroups, deepest first (a cgroup directory goes only when empty of children). */
export async function removeHostCgroups(name: string): Promise<void> {
  for (const base of await findSystemdHierarchies()) await removeTree(join(base, cgroupName(name)));
}

async function removeTree(dir: string): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) await removeTree(join(dir, e.name));
  // EBUSY when processes remain (a host that would not stop): leave it for the next `lab down`.
  await rmdir(dir).catch(() => {});
}

function cgroupName(name: string): string {
  return `quorum-lab${LAB_ID}-${name}`;
}
