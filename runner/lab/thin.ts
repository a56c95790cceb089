/**
 * Thin lab hosts, a benchmark aid (`lab up --thin`): no systemd, no container manager, only an
 * sshd in the host's own network namespace, chrooted into a private overlay of the shared root
 * filesystem. The full hosts (boot.ts) stay the default and the test hosts; a thin host costs
 * its sshd (1.2-1.35 MB PSS idle, about 4 MB while serving a run: bench/results.md) instead of a
 * whole systemd, so a 2-core machine can hold hundreds.
 *
 * Per host, in a new mount and UTS namespace entered from the host's network namespace:
 *   - a tmpfs on `.lab-N/thin-mount` holding the overlay's upper layer: every write of a play
 *     lands there and the cached image is never written;
 *   - the overlay as `/` (chroot), with /proc, the namespace's /sys, a minimal /dev, the lab's
 *     public key as the user's authorized_keys and the lab's /etc/hosts (both read-only);
 *   - a fresh ed25519 host key, and sshd listening on the host's address only.
 * The user `ubuntu` with passwordless sudo comes from the image, as on full hosts. The mounts
 * live only in that mount namespace: they vanish with its last process, so stopping a host is
 * killing the processes of its network namespace (network.ts killProcessesInHostNetwork).
 *
 * The host's sshd, and so every process of its sessions, runs under SCHED_BATCH: woken by the
 * controller's command, it waits for the controller to block or use up its time slice instead
 * of preempting it inside the write that woke it. A remote host never preempts the controller;
 * a co-located one at the default policy does so at every command, and the controller's CPU
 * then counts the cost of being switched out and back (measured: bench/results.md, session 11).
 * The hosts' own work is unchanged and still competes for the same cores.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile, readlink, stat } from 'node:fs/promises';
import { LAB_USER, ROOTFS_DIR, netnsName, type LabPaths } from './paths.js';

/** Inside the host: where sshd reads the configuration this file writes. */
export const THIN_SSHD_CONFIG = '/etc/ssh/sshd_config.quorum-thin';

/** Cap on the upper layer (tmpfs pages are only used when written). */
const UPPER_SIZE = '256m';

/**
 * The shell script that makes the host's filesystem and becomes its sshd (same pid, by exec).
 * Positional parameters: $1 mount directory, $2 image, $3 public key, $4 /etc/hosts, $5 address,
 * $6 host name. Devices are bound one by one: the host gets no view of the controller's disks.
 */
export function thinHostScript(): string {
  return [
    'set -eu',
    'base=$1 image=$2 pubkey=$3 etchosts=$4 address=$5 name=$6',
    'hostname "$name"',
    `mount -t tmpfs -o mode=0755,size=${UPPER_SIZE} quorum-thin "$base"`,
    'mkdir "$base/upper" "$base/work" "$base/root"',
    'mount -t overlay overlay -o "lowerdir=$image,upperdir=$base/upper,workdir=$base/work" "$base/root"',
    'r=$base/root',
    'mount -t proc proc "$r/proc"',
    // `ip netns exec` mounted a /sys showing this namespace's interfaces.
    'mount --rbind /sys "$r/sys"',
    'mount -t tmpfs -o mode=0755,size=1m dev "$r/dev"',
    'for d in null zero full random urandom tty; do : > "$r/dev/$d"; mount --bind "/dev/$d" "$r/dev/$d"; done',
    'mkdir "$r/dev/pts" "$r/dev/shm"',
    'mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$r/dev/pts"',
    'ln -s pts/ptmx "$r/dev/ptmx"',
    'mount -t tmpfs -o mode=1777,size=64m shm "$r/dev/shm"',
    'ln -s /proc/self/fd "$r/dev/fd"; ln -s /proc/self/fd/0 "$r/dev/stdin"; ln -s /proc/self/fd/1 "$r/dev/stdout"; ln -s /proc/self/fd/2 "$r/dev/stderr"',
    `mount --bind -o ro "$pubkey" "$r/home/${LAB_USER}/.ssh/authorized_keys"`,
    ': > "$r/etc/hosts"; mount --bind -o ro "$etchosts" "$r/etc/hosts"',
    'echo "$name" > "$r/etc/hostname"',
    'mkdir -p "$r/run/sshd"',
    'rm -f "$r"/etc/ssh/ssh_host_*',
    'ssh-keygen -q -t ed25519 -N "" -C "$name" -f "$r/etc/ssh/ssh_host_ed25519_key"',
    `cat > "$r${THIN_SSHD_CONFIG}" <<EOF`,
    '# Written by quorum lab up --thin for this host only.',
    'ListenAddress $address',
    'HostKey /etc/ssh/ssh_host_ed25519_key',
    'PidFile none',
    'UsePAM yes',
    'KbdInteractiveAuthentication no',
    'PasswordAuthentication no',
    'PrintMotd no',
    'AcceptEnv LANG LC_*',
    'Subsystem sftp /usr/lib/openssh/sftp-server',
    'EOF',
    // SCHED_BATCH (inherited by every session's processes): see the file's comment.
    `exec chrt --batch 0 chroot "$r" /usr/sbin/sshd -D -e -f ${THIN_SSHD_CONFIG}`,
  ].join('\n');
}

/**
 * Start thin host `name` detached (its network must exist, network.ts) and return the pid of
 * its sshd. `ip netns exec` and `unshare` exec rather than fork, so the pid spawned is the sshd.
 */
export function startThinHost(name: string, address: string, paths: LabPaths): number {
  const argv = [
    'netns', 'exec', netnsName(name),
    'unshare', '--mount', '--uts', '--propagation', 'private',
    '/bin/sh', '-c', thinHostScript(), 'sh',
    paths.thinMount, ROOTFS_DIR, paths.publicKey, paths.hosts, address, name,
  ];
  const log = openSync(paths.log(name), 'a');
  try {
    const child = spawn('ip', argv, { detached: true, stdio: ['ignore', log, log] });
    if (child.pid === undefined) throw new Error(`lab: could not start the thin host ${name} (ip netns exec ${netnsName(name)})`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/**
 * Whether pid is the sshd of this lab's thin host `name`: a process called sshd whose network
 * namespace is the host's (guards against pid reuse and against other labs' hosts).
 */
export async function isThinHostProcess(pid: number, name: string): Promise<boolean> {
  if (!(pid > 0)) return false;
  try {
    const comm = (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
    if (comm !== 'sshd') return false;
    const link = await readlink(`/proc/${pid}/ns/net`);
    const ns = await stat(`/run/netns/${netnsName(name)}`);
    return link === `net:[${ns.ino}]`;
  } catch {
    return false;
  }
}
