/**
 * The hosts' root filesystem: Debian bookworm by debootstrap, built once per machine and shared
 * read-only by every host (each boots with --volatile=overlay, so it gets a private tmpfs layer).
 */
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CACHE_DIR, LAB_USER, ROOTFS_DIR } from './paths.js';
import { mustRun } from './run.js';

/**
 * Bump when the configuration below changes: a cached root filesystem with another stamp is
 * rebuilt, so no machine keeps running hosts made by an older recipe.
 */
const ROOTFS_STAMP = 'quorum-lab-rootfs 3';
const STAMP_FILE = 'etc/quorum-lab-rootfs';

const PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'openssh-server', 'iproute2', 'etcd-server', 'etcd-client', 'sudo', 'python3'];

/**
 * The Debian mirror of this machine's apt sources (deb822 `.sources` or one-line `sources.list`),
 * skipping security and updates suites. Undefined when none is found.
 */
export function parseAptMirror(text: string): string | undefined {
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (name: string) => stanza.match(new RegExp(`^${name}:\\s*(.+)$`, 'mi'))?.[1]?.trim();
    const uris = field('URIs');
    const suites = field('Suites') ?? '';
    if (uris && /(^|\s)deb(\s|$)/.test(field('Types') ?? '') && /(^|\s)[a-z]+(\s|$)/.test(suites) && !/security/.test(uris)) {
      return uris.split(/\s+/)[0];
    }
  }
  for (const line of text.split('\n')) {
    const m = line.match(/^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/);
    if (m && !/security/.test(m[1]!) && !/-(security|updates|backports)$/.test(m[2]!)) return m[1];
  }
  return undefined;
}

/** Read the mirror from /etc/apt; throw saying where we looked when there is none. */
export async function readAptMirror(): Promise<string> {
  const files: string[] = [];
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) for (const f of (await readdir(dir)).sort()) if (f.endsWith('.sources') || f.endsWith('.list')) files.push(join(dir, f));
  if (existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  for (const file of files) {
    const mirror = parseAptMirror(await readFile(file, 'utf8'));
    if (mirror) return mirror;
  }
  throw new Error(`lab: no Debian mirror found in ${files.join(', ') || '/etc/apt (no sources files)'}; add a "deb" source for bookworm`);
}

/**
 * One cached root filesystem: where it lives, the stamp that says which recipe made it, the
 * Debian packages beyond debootstrap's minbase and a last step of its own (the node hosts').
 */
export interface RootfsRecipe {
  dir: string;
  stamp: string;
  packages: string[];
  configure?: (root: string) => Promise<void>;
}

/** The plain lab hosts' image. */
export const BASE_ROOTFS: RootfsRecipe = { dir: ROOTFS_DIR, stamp: ROOTFS_STAMP, packages: PACKAGES };

/** Whether the cached root filesystem exists and was made by the current recipe. */
export async function isRootfsCurrent(root = ROOTFS_DIR, stamp = ROOTFS_STAMP): Promise<boolean> {
  try {
    return (await readFile(join(root, STAMP_FILE), 'utf8')).trim() === stamp;
  } catch {
    return false;
  }
}

/**
 * Make sure the cached root filesystem exists; build it when missing or stale. The build goes
 * to a temporary directory renamed into place only when complete, so a killed build is never used.
 * Returns whether a build happened.
 */
export async function ensureRootfs(log: (line: string) => void, recipe: RootfsRecipe = BASE_ROOTFS): Promise<boolean> {
  const dir = recipe.dir;
  if (await isRootfsCurrent(dir, recipe.stamp)) return false;
  await mkdir(CACHE_DIR, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  const mirror = await readAptMirror();
  log(`building the hosts' root filesystem with debootstrap from ${mirror} (once per machine, about a minute)`);
  try {
    await mustRun(['debootstrap', '--variant=minbase', `--include=${recipe.packages.join(',')}`, 'bookworm', tmp, mirror]);
    await configureRootfs(tmp);
    await recipe.configure?.(tmp);
    await writeFile(join(tmp, STAMP_FILE), `${recipe.stamp}\n`);
    const old = `${dir}.old-${process.pid}`;
    if (existsSync(dir)) await rename(dir, old);
    await rename(tmp, dir);
    await rm(old, { recursive: true, force: true });
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  return true;
}

/** Turn a fresh debootstrap tree into a lab host image. */
async function configureRootfs(root: string): Promise<void> {
  // The Debian package enables a single-member etcd on install; the playbooks configure their own.
  // Apt timers would hit the network and the disk at random moments during tests.
  await mustRun(['systemctl', `--root=${root}`, 'mask', 'etcd.service', 'apt-daily.timer', 'apt-daily-upgrade.timer']);
  await mustRun(['chroot', root, 'useradd', '--create-home', '--shell', '/bin/bash', '--groups', 'sudo', LAB_USER]);
  await writeFile(join(root, 'etc/sudoers.d', LAB_USER), `${LAB_USER} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 });
  await prepareAuthorizedKeys(root);
  // No /etc/hostname: each container then takes its machine name (-M) as host name.
  await rm(join(root, 'etc/hostname'), { force: true });
  // An empty machine-id makes systemd generate one per boot, so hosts do not share an identity.
  await writeFile(join(root, 'etc/machine-id'), '');
  await installHostKeyUnit(root);
}

/**
 * The lab key changes with every `lab up`, so the image only holds an empty authorized_keys
 * that the boot bind-mounts the current public key over (the image stays key-independent).
 */
async function prepareAuthorizedKeys(root: string): Promise<void> {
  const sshDir = join(root, 'home', LAB_USER, '.ssh');
  await mkdir(sshDir, { recursive: true });
  await writeFile(join(sshDir, 'authorized_keys'), '', { mode: 0o600 });
  await chmod(sshDir, 0o700);
  await mustRun(['chroot', root, 'chown', '-R', `${LAB_USER}:${LAB_USER}`, `/home/${LAB_USER}/.ssh`]);
}

/**
 * openssh-server's postinst generated host keys into the image, which every host would share.
 * Remove them and generate fresh ones at each boot (into the host's private overlay).
 */
async function installHostKeyUnit(root: string): Promise<void> {
  for (const f of await readdir(join(root, 'etc/ssh'))) if (f.startsWith('ssh_host_')) await rm(join(root, 'etc/ssh', f));
  const unit = [
    '[Unit]',
    'Description=Generate this lab host\'s own SSH host keys',
    'Before=ssh.service',
    '',
    '[Service]',
    'Type=oneshot',
    'ExecStart=/usr/bin/ssh-keygen -A',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
  await writeFile(join(root, 'etc/systemd/system/quorum-ssh-hostkeys.service'), unit);
  await mustRun(['systemctl', `--root=${root}`, 'enable', 'quorum-ssh-hostkeys.service']);
}
