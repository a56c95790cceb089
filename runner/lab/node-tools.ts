/**
 * Kubernetes node hosts (`lab up --node-tools DIR`): hosts that can run kubelet and its static
 * pods, for the flagship's default runtime (etcd_runtime: static-pod). Off by default; the plain
 * lab is unchanged.
 *
 * DIR is what scripts/build-k8s-tools.sh made: bin/ (kubeadm, kubelet, ...), images/*.tar
 * (etcd and pause, docker archives) and node-tools.json (versions and image names).
 *
 * What kubelet needs of a systemd-nspawn container, found by running it here (a machine with
 * hybrid cgroup v1, kernel 6.18, systemd 252); kind's node containers (`--privileged`) were the
 * guide:
 * - every capability (`--capability=all`; runc creates namespaces and mounts) and no seccomp
 *   filter of nspawn's own (SYSTEMD_SECCOMP=0), as a privileged container has;
 * - /dev/kmsg: kubelet's OOM watcher opens it and kubelet stops without it;
 * - cgroup controllers writable: nspawn mounts cgroup v1 controllers read-only; each host gets
 *   its own cgroup in every hierarchy (cgroup.ts) and remounts them read-write at boot, so the
 *   pods' cgroups stay under that host's;
 * - kernel tunables: kubelet writes vm.overcommit_memory, kernel.panic and kernel.panic_on_oops
 *   when they differ from what it wants, and fails when it cannot (/proc/sys is read-only here).
 *   They are not namespaced: writing them would change this machine. Each host bind-mounts
 *   files holding kubelet's values over them instead, so kubelet reads its values and writes
 *   nothing;
 * - containerd's overlayfs snapshotter cannot mount on the hosts' overlay root: the CRI uses the
 *   native snapshotter (plain copies; the images are a few tens of MB);
 * - no CAP_SYS_RESOURCE on this machine (not even in the controller's bounding set), so no
 *   process may lower its oom_score_adj: runc failed every pod sandbox ("can't get final child's
 *   PID from pipe: EOF", its init could not write -998). containerd's CRI is told to keep
 *   containers' oom_score_adj no lower than its own (restrict_oom_score_adj, made for rootless
 *   runtimes). kubelet's own -999 fails with a logged error and kubelet carries on.
 *
 * Measured by hand on such a host: Debian's containerd 1.6.20 and runc 1.1.5 are accepted by
 * kubelet v1.34 (CRI v1; kubelet logs that RuntimeConfig is unimplemented and falls back to its
 * own cgroupDriver setting), and the doc's cgroupDriver systemd works with runc's systemd driver.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostProfile } from './boot.js';
import { CACHE_DIR } from './paths.js';
import { BASE_ROOTFS, type RootfsRecipe } from './rootfs.js';
import { mustRun } from './run.js';

/** node-tools.json, written by scripts/build-k8s-tools.sh. */
export interface NodeTools {
  /** The directory given to `lab up --node-tools`. */
  dir: string;
  kubernetesVersion: string;
  etcdVersion: string;
  /** kubeadm's imageRepository and etcd imageTag for the etcd image in images/. */
  etcdImageRepository: string;
  etcdImageTag: string;
  /** containerd's sandbox_image, in images/. */
  pauseImage: string;
}

/** Read and check DIR/node-tools.json; the error says how to make it. */
export async function readNodeTools(dir: string): Promise<NodeTools> {
  let text: string;
  try {
    text = await readFile(join(dir, 'node-tools.json'), 'utf8');
  } catch {
    throw new Error(`lab: ${dir} holds no node-tools.json; make it with scripts/build-k8s-tools.sh (it prints the directory to pass)`);
  }
  const json = JSON.parse(text) as Partial<NodeTools>;
  for (const key of ['kubernetesVersion', 'etcdVersion', 'etcdImageRepository', 'etcdImageTag', 'pauseImage'] as const) {
    if (typeof json[key] !== 'string' || json[key] === '') throw new Error(`lab: ${join(dir, 'node-tools.json')} has no "${key}"; rebuild it with scripts/build-k8s-tools.sh`);
  }
  return { ...(json as NodeTools), dir };
}

/** The node hosts' root filesystem: the base image's packages plus containerd and what kubelet calls. */
export const NODE_ROOTFS_DIR = join(CACHE_DIR, 'rootfs-bookworm-k8s');
export const NODE_PACKAGES = ['containerd', 'runc', 'conntrack', 'iptables'];
/** Bump when configureNodeRootfs changes. */
export const NODE_ROOTFS_STAMP_SUFFIX = 'k8s-node 2';

/** Where the hosts see DIR (read-only). */
const TOOLS_MOUNT = '/opt/quorum-k8s';

/** kubelet's wanted kernel tunables (pkg/kubelet/cm/container_manager_linux.go setupKernelTunables). */
const KUBELET_SYSCTLS: Record<string, string> = {
  'vm/overcommit_memory': '1',
  'vm/panic_on_oom': '0',
  'kernel/panic': '10',
  'kernel/panic_on_oops': '1',
  'kernel/keys/root_maxkeys': '1000000',
  'kernel/keys/root_maxbytes': '25000000',
};

/** The node image: the plain one's packages and setup, then NODE_PACKAGES and configureNodeRootfs. */
export function nodeRootfsRecipe(tools: NodeTools): RootfsRecipe {
  return {
    dir: NODE_ROOTFS_DIR,
    // The pause image's name is written into containerd's config: another name, another image.
    stamp: `${BASE_ROOTFS.stamp}; ${NODE_ROOTFS_STAMP_SUFFIX}; sandbox ${tools.pauseImage}`,
    packages: [...BASE_ROOTFS.packages, ...NODE_PACKAGES],
    configure: (root) => configureNodeRootfs(root, tools.pauseImage),
  };
}

/** How a node host boots: the node image, and nspawn arguments and environment beyond the plain host's. */
export function nodeHostProfile(tools: NodeTools): HostProfile {
  return { rootfs: NODE_ROOTFS_DIR, args: nodeBootArgs(tools), env: NODE_BOOT_ENV };
}

/** systemd-nspawn arguments of a node host (added to the plain host's). */
function nodeBootArgs(tools: NodeTools): string[] {
  return [
    '--capability=all',
    '--bind=/dev/kmsg',
    `--bind-ro=${tools.dir}:${TOOLS_MOUNT}`,
    `--bind-ro=${join(tools.dir, 'bin/kubelet')}:/usr/bin/kubelet`,
    `--bind-ro=${join(tools.dir, 'bin/kubeadm')}:/usr/bin/kubeadm`,
  ];
}

/** Environment of a node host's nspawn: no seccomp filter of nspawn's own. */
const NODE_BOOT_ENV: Record<string, string> = { SYSTEMD_SECCOMP: '0' };

/** Group variables the inventory of a node lab carries: the images built here. */
export function nodeInventoryVars(tools: NodeTools): Record<string, string> {
  return {
    etcd_image_repository: tools.etcdImageRepository,
    etcd_image_tag: tools.etcdImageTag,
  };
}

/**
 * Turn a base lab image (with NODE_PACKAGES installed) into a node image: containerd's config,
 * kubelet's base unit (what the Kubernetes packages install: the playbook adds its drop-in),
 * the boot-time setup and the image import. The image holds no binaries or images of ours:
 * those are bind-mounted from DIR at boot, so a rebuild of the tools needs no new image.
 */
export async function configureNodeRootfs(root: string, pauseImage: string): Promise<void> {
  await writeFile(join(root, 'etc/containerd/config.toml'), containerdConfig(pauseImage));
  await writeFile(join(root, 'usr/lib/systemd/system/kubelet.service'), KUBELET_BASE_UNIT);
  await mkdir(join(root, 'usr/local/lib/quorum-k8s/sysctl'), { recursive: true });
  for (const [key, value] of Object.entries(KUBELET_SYSCTLS)) {
    await writeFile(join(root, 'usr/local/lib/quorum-k8s/sysctl', key.replaceAll('/', '.')), `${value}\n`);
  }
  await writeFile(join(root, 'usr/local/sbin/quorum-k8s-node-setup'), NODE_SETUP_SCRIPT);
  await chmod(join(root, 'usr/local/sbin/quorum-k8s-node-setup'), 0o755);
  await writeFile(join(root, 'etc/systemd/system/quorum-k8s-node-setup.service'), NODE_SETUP_UNIT);
  await writeFile(join(root, 'etc/systemd/system/quorum-k8s-images.service'), IMAGES_UNIT);
  await mustRun(['systemctl', `--root=${root}`, 'enable', 'quorum-k8s-node-setup.service', 'quorum-k8s-images.service', 'containerd.service']);
}

/**
 * containerd 1.6 (Debian's), CRI config version 2: the sandbox image built here, the native
 * snapshotter and restricted OOM scores (see above), runc with the systemd cgroup driver, as the
 * doc's kubelet config (cgroupDriver: systemd) must match.
 */
function containerdConfig(pauseImage: string): string {
  return `# Written by quorum's lab (runner/lab/node-tools.ts).
version = 2
[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "${pauseImage}"
    restrict_oom_score_adj = true
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "native"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = true
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "/etc/cni/net.d"
  [plugins."io.containerd.internal.v1.opt"]
    path = "/var/lib/containerd/opt"
`;
}

/** kubelet.service as the pkgs.k8s.io package ships it. */
const KUBELET_BASE_UNIT = `[Unit]
Description=kubelet: The Kubernetes Node Agent
Documentation=https://kubernetes.io/docs/
Wants=network-online.target
After=network-online.target

[Service]
ExecStart=/usr/bin/kubelet
Restart=always
StartLimitInterval=0
RestartSec=10

[Install]
WantedBy=multi-user.target
`;

const NODE_SETUP_SCRIPT = `#!/bin/sh
# What kubelet needs of this lab host at boot (see runner/lab/node-tools.ts in quorum).
set -eu
# cgroup v1 controllers: nspawn mounts them read-only; they are this host's own cgroups.
for dir in /sys/fs/cgroup/*/; do
  dir=\${dir%/}
  if grep -q " $dir cgroup .*\\bro\\b" /proc/mounts; then mount -o remount,bind,rw "$dir"; fi
done
# Kernel tunables kubelet would set machine-wide: it reads its own values here instead.
for file in /usr/local/lib/quorum-k8s/sysctl/*; do
  key=$(basename "$file" | tr . /)
  mount --bind -o ro "$file" "/proc/sys/$key"
done
`;

const NODE_SETUP_UNIT = `[Unit]
Description=Prepare this lab host for kubelet (cgroups, kernel tunables)
DefaultDependencies=no
After=local-fs.target
Before=containerd.service kubelet.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/quorum-k8s-node-setup

[Install]
WantedBy=multi-user.target
`;

const IMAGES_UNIT = `[Unit]
Description=Import the images built for the lab (no registry is reachable) into containerd
Requires=containerd.service
After=containerd.service
Before=kubelet.service

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/sh -c 'for image in ${TOOLS_MOUNT}/images/*.tar; do ctr -n k8s.io images import --snapshotter native "$image"; done'

[Install]
WantedBy=multi-user.target
`;
