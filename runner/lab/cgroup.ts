/**
 * One cgroup per host. systemd-nspawn without a systemd on the controller (--register=no,
 * --keep-unit) creates its `payload`/`supervisor` cgroups inside the cgroup it was started in;
 * started from one shell, every host then shared `payload/system.slice/ssh.service` and the
 * like. Measured here: one host's systemd-sysusers failed with 219/CGROUP at boot because another
 * host removed the shared cgroup meanwhile. So each nspawn is moved into a cgroup of its own first.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rmdir, writeFile } from 'node:fs/promises';
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

/**
 * The cgroup v1 controller hierarchies (memory, cpu, pids, ...), as directories of this
 * process's cgroup; none on a pure cgroup v2 machine.
 */
async function findControllerHierarchies(): Promise<string[]> {
  const dirs: string[] = [];
  for (const line of (await readFile('/proc/self/cgroup', 'utf8')).split('\n')) {
    const m = line.match(/^\d+:([^:=]+):(.*)$/);
    if (m && existsSync(join('/sys/fs/cgroup', m[1]!, 'cgroup.procs'))) dirs.push(join('/sys/fs/cgroup', m[1]!, m[2]!));
  }
  return dirs;
}

/**
 * The host's own cgroup directories (one per systemd hierarchy), created when missing. With
 * `controllers` (node hosts, see node-tools.ts) also one in every cgroup v1 controller
 * hierarchy, so the cgroups kubelet makes for its pods are each host's own: nspawn gives the
 * container a cgroup namespace rooted at these.
 */
export async function createHostCgroups(name: string, controllers = false): Promise<string[]> {
  const bases = [...(await findSystemdHierarchies()), ...(controllers ? await findControllerHierarchies() : [])];
  const dirs = bases.map((base) => join(base, cgroupName(name)));
  for (const dir of dirs) {
    await mkdir(dir, { recursive: true });
    // A new cpuset cgroup has no CPUs or memory nodes: a process cannot join it until set.
    if (dir.startsWith('/sys/fs/cgroup/cpuset/') || dir.includes('/cpuset,') || dir.includes(',cpuset/')) {
      for (const file of ['cpuset.cpus', 'cpuset.mems']) {
        const current = (await readFile(join(dir, file), 'utf8')).trim();
        if (current === '') await writeFile(join(dir, file), await readFile(join(dir, '..', file), 'utf8'));
      }
    }
  }
  return dirs;
}

/**
 * Remove the host's cgroups, deepest first (a cgroup directory goes only when empty of children):
 * those `lab up` recorded (`recorded`, from the state) and those under this process's cgroups.
 */
export async function removeHostCgroups(name: string, recorded: string[] = []): Promise<void> {
  for (const dir of recorded) if (dir.startsWith('/sys/fs/cgroup/') && dir.endsWith(`/${cgroupName(name)}`)) await removeTree(dir);
  for (const base of [...(await findSystemdHierarchies()), ...(await findControllerHierarchies())]) await removeTree(join(base, cgroupName(name)));
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
