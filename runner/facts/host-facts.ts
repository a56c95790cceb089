/**
 * Host facts in one round trip: a POSIX sh script prints sections (`::quorum:: NAME` then raw
 * command output) and pure functions parse them into `HostFacts`. Raw output is sent rather than
 * shell-side parsing so the script stays small and portable, and parsing is testable on
 * captured fixtures (test/fixtures/facts/).
 */
import type { Connection } from '../connection/types.js';
import { CommandError } from '../errors.js';
import { buildProbeStart, PROBE_PRINT, resolveToolProbes, type KnownProbes, type VersionTool } from './tool-versions.js';
import type { ToolVersionCache } from './version-cache.js';

/** Addresses of one network interface, in CIDR form ("10.0.0.5/24"). */
export interface InterfaceAddresses {
  ipv4: string[];
  ipv6: string[];
}

/** What quorum knows about a host before any task runs. */
export interface HostFacts {
  /** Kernel host name (`uname -n`). */
  hostname: string;
  /** `hostname -f`, or the host name when it cannot be resolved. */
  fqdn: string;
  /** /etc/os-release: ID, VERSION_ID ("12"), PRETTY_NAME; null when missing. */
  os: { id: string | null; versionId: string | null; prettyName: string | null };
  /** More of /etc/os-release, for Ansible's distribution facts (ansible-facts.ts). */
  osRelease: { name: string | null; idLike: string[]; codename: string | null };
  /** /etc/debian_version ("12.7", "trixie/sid"), or null: Ansible's distribution_version on Debian. */
  debianVersion: string | null;
  /** `uname -r`. */
  kernel: string;
  /** `uname -m` (x86_64, aarch64). */
  architecture: string;
  /** CPUs this host may use (`nproc`). */
  cpus: number;
  /** MemTotal of /proc/meminfo, in bytes. */
  memoryTotalBytes: number;
  /** Addresses per interface, loopback included. */
  interfaces: Record<string, InterfaceAddresses>;
  /** Link layer of each interface (`ip -o link show`): MAC address, MTU, type (ether, loopback...). */
  links: Record<string, { macaddress: string | null; mtu: number | null; type: string | null }>;
  /** Interface of the IPv4 default route, or null (lab hosts have none). */
  defaultInterface: string | null;
  /** Gateway (`via`) of the IPv4 default route, or null (a device route, or none). */
  defaultGateway4: string | null;
  /** First IPv4 address (no prefix) of the default route's interface, or null. */
  defaultIpv4: string | null;
  /** First global IPv6 address (no prefix) of the IPv6 default route's interface, or null. */
  defaultIpv6: string | null;
  /** Name of pid 1's program (`systemd`, `init`, `sh`...). */
  initName: string;
  /** systemd runs as init (/run/systemd/system exists). */
  systemd: boolean;
  /** Installed systemd version (`systemctl --version`: 252), even when not init; null when absent. */
  systemdVersion: number | null;
  /** 2 when /sys/fs/cgroup is cgroup2 (unified), 1 for legacy or hybrid, null when unknown. */
  cgroupVersion: 1 | 2 | null;
  /** Container runtime sockets present, by runtime; the path found. */
  containerRuntimes: { containerd: string | null; crio: string | null; docker: string | null };
  /** The host's clock as facts were gathered (`date +'%s %z %Z'`), or null when unreadable. */
  clock: { epoch: number; utcOffset: string; timezone: string } | null;
  /** Versions as the tools print them ("v1.31.2", "3.4.23"); null when the tool is absent. */
  versions: { kubeadm: string | null; kubelet: string | null; etcd: string | null; etcdctl: string | null };
}

const MARK = '::quorum::';

/** Candidate socket paths per runtime (the defaults of each, /var/run being /run on modern systems). */
const SOCKETS = {
  containerd: ['/run/containerd/containerd.sock', '/var/run/containerd/containerd.sock'],
  crio: ['/run/crio/crio.sock', '/var/run/crio/crio.sock'],
  docker: ['/run/docker.sock', '/var/run/docker.sock'],
} as const;

/**
 * The facts script: POSIX sh, no bashisms, tolerant of missing tools (a section is then empty).
 * LC_ALL=C so that tool output does not change with the host's locale. The version probes
 * (tool-versions.ts) start first, in the background, and only for tools whose file changed
 * since `known` was seen; they are printed last. Without mktemp they run in turn at the end.
 * Files are printed with `read` (a builtin), not `cat`: a process costs about 1 ms on a host.
 */
export function buildHostFactsScript(known: KnownProbes = {}): string {
  return `LC_ALL=C; export LC_ALL
s() { printf '\\n${MARK} %s\\n' "$1"; }
out() { while IFS= read -r l || [ -n "$l" ]; do printf '%s\\n' "$l"; done < "$1"; }
have() { command -v "$1" >/dev/null 2>&1; }
q_nl='
'
probe() {
  case $1 in
    kubeadm) have kubeadm && kubeadm version -o short 2>&1 | head -n 3 ;;
    kubelet) have kubelet && kubelet --version 2>&1 | head -n 3 ;;
    etcd) have etcd && etcd --version 2>&1 | head -n 3 ;;
    etcdctl) have etcdctl && etcdctl version 2>&1 | head -n 3 ;;
    systemctl) have systemctl && q_sv=$(systemctl --version 2>/dev/null) && printf '%s\\n' "\${q_sv%%\"$q_nl\"*}" ;;
  esac
}
${buildProbeStart(known)}
s uname; if { read -r q_n </proc/sys/kernel/hostname && read -r q_r </proc/sys/kernel/osrelease && read -r q_m </proc/sys/kernel/arch; } 2>/dev/null; then echo "$q_n $q_r $q_m"; else uname -nrm; fi
s fqdn; hostname -f 2>/dev/null || uname -n
s os-release; if [ -r /etc/os-release ]; then out /etc/os-release; elif [ -r /usr/lib/os-release ]; then out /usr/lib/os-release; fi
s debian-version; [ -r /etc/debian_version ] && out /etc/debian_version
s cpus; q_c=; [ -n "$OMP_NUM_THREADS$OMP_THREAD_LIMIT" ] || while read -r k l; do if [ "$k" = Cpus_allowed_list: ]; then q_c=0 IFS=,; for r in $l; do case $r in *-*) q_c=$((q_c + \${r#*-} - \${r%-*} + 1)) ;; *) q_c=$((q_c + 1)) ;; esac; done; unset IFS; break; fi; done </proc/self/status 2>/dev/null
if [ "$q_c" -gt 0 ] 2>/dev/null; then echo "$q_c"; else nproc 2>/dev/null || grep -c '^processor' /proc/cpuinfo; fi
s meminfo; while read -r k n u; do if [ "$k" = MemTotal: ]; then echo "$k $n $u"; break; fi; done < /proc/meminfo
s ip; if have ip; then ip -o -batch - 2>/dev/null <<'IPCMDS' || { ip -o addr show; ip -o link show; ip -4 route show default; }
addr show
link show
route show default
IPCMDS
fi
s route6; have ip && ip -6 route show default
s clock; date +'%s %z %Z'
s init; [ -r /proc/1/comm ] && out /proc/1/comm
s systemd-booted; test -d /run/systemd/system && echo yes
s cgroup; if [ -f /sys/fs/cgroup/cgroup.controllers ]; then echo cgroup2fs; else stat -fc %T /sys/fs/cgroup 2>/dev/null; fi
s sockets; for p in ${Object.values(SOCKETS).flat().join(' ')}; do test -S "$p" && echo "$p"; done
wait
${PROBE_PRINT}
s end
exit 0
`;
}

/** Split the script's output into sections by name. Throws when the output was cut short. */
export function splitSections(stdout: string): Map<string, string> {
  const sections = new Map<string, string>();
  let name: string | undefined;
  let lines: string[] = [];
  for (const line of stdout.split('\n')) {
    if (line.startsWith(`${MARK} `)) {
      if (name !== undefined) sections.set(name, lines.join('\n').trim());
      name = line.slice(MARK.length + 1).trim();
      lines = [];
    } else if (name !== undefined) lines.push(line);
  }
  if (name !== undefined) sections.set(name, lines.join('\n').trim());
  if (!sections.has('end')) throw new Error('host facts: the output has no end marker (the facts script was cut short or is not quorum\'s); got:\n' + stdout.slice(0, 400));
  return sections;
}

/** KEY=value lines of os-release, with shell quoting removed. */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = line.match(/^([A-Z0-9_]+)=(.*)$/);
    if (!m) continue;
    out[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1').replace(/\\(["$`\\])/g, '$1');
  }
  return out;
}

/** `ip -o addr show` lines into addresses per interface ("eth0@if6" is reported as "eth0"). */
export function parseIpAddr(text: string): Record<string, InterfaceAddresses> {
  // A Map, not an object literal: a host may name an interface `__proto__` (or print that).
  const out = new Map<string, InterfaceAddresses>();
  for (const line of text.split('\n')) {
    const m = line.match(/^\d+:\s+(\S+?)(?:@\S+)?\s+(inet6?)\s+(\S+)/);
    if (!m) continue;
    let entry = out.get(m[1]!);
    if (!entry) out.set(m[1]!, (entry = { ipv4: [], ipv6: [] }));
    (m[2] === 'inet' ? entry.ipv4 : entry.ipv6).push(m[3]!);
  }
  return Object.fromEntries(out);
}

/**
 * `ip -o link show` lines ("2: eth0@if6: <...> mtu 1500 ... \\    link/ether 66:fd:... brd ...")
 * into the link layer per interface; a field that does not parse is null. (Not /sys/class/net:
 * in a container it may show another network namespace's interfaces.)
 */
export function parseLinks(text: string): HostFacts['links'] {
  const out = new Map<string, HostFacts['links'][string]>();
  for (const line of text.split('\n')) {
    const m = line.match(/^\d+:\s+([^\s:@]+)(?:@[^\s:]+)?:/);
    if (!m) continue;
    const link = line.match(/\blink\/(\w+)(?:\s+([0-9a-f]{2}(?::[0-9a-f]{2}){5,19})\b)?/i);
    out.set(m[1]!, {
      macaddress: link?.[2]?.toLowerCase() ?? null,
      mtu: wholeNumber(line.match(/\bmtu (\d+)/)?.[1]),
      type: link?.[1] ?? null,
    });
  }
  return Object.fromEntries(out);
}

/** The gateway (`via X`) of the first default route, or null. */
export function parseDefaultGateway(text: string): string | null {
  return text.match(/^default\b.*?\bvia\s+(\S+)/m)?.[1] ?? null;
}

/** `date +'%s %z %Z'` ("1796615701 +0100 CET"), or null when it is not that. */
export function parseClock(text: string): HostFacts['clock'] {
  const m = text.trim().match(/^(\d{1,12}) ([+-]\d{4}) (\S{1,64})$/);
  return m ? { epoch: Number(m[1]), utcOffset: m[2]!, timezone: m[3]! } : null;
}

function wholeNumber(text: string | undefined): number | null {
  return text !== undefined && /^\d{1,9}$/.test(text) ? Number(text) : null;
}

/** The device of the first `default ... dev X` route, or null. */
export function parseDefaultRoute(text: string): string | null {
  return text.match(/^default\b.*?\bdev\s+(\S+)/m)?.[1] ?? null;
}

/** The first version-looking token ("v1.31.2", "3.4.23") of a tool's output, or null. */
export function parseVersion(text: string): string | null {
  return text.match(/\bv?\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.-]+)?/)?.[0] ?? null;
}

/** Parse the facts script's output, with nothing remembered. Pure; throws on output that is not the script's. */
export function parseHostFacts(stdout: string): HostFacts {
  const sections = splitSections(stdout);
  return factsFromSections(sections, resolveToolProbes(sections, {}).outputs);
}

/** The facts from the script's sections and each tool's probe output (probed now or remembered). */
function factsFromSections(sec: ReadonlyMap<string, string>, probes: Record<VersionTool, string>): HostFacts {
  const get = (name: string) => sec.get(name) ?? '';
  // `uname -nrm`: node name, kernel release, machine; none of them holds a space.
  const [hostname = '', kernel = '', architecture = ''] = get('uname').split(/\s+/);
  const os = parseOsRelease(get('os-release'));
  // One `ip -batch` prints addresses, links and the IPv4 default route (one process instead of
  // three); captures from before it have them in sections of their own.
  const ip = sec.has('ip') ? get('ip') : undefined;
  const route4 = ip ?? get('route4');
  const interfaces = parseIpAddr(ip ?? get('addresses'));
  const dev4 = parseDefaultRoute(route4);
  const dev6 = parseDefaultRoute(get('route6'));
  const fsType = get('cgroup');
  const sockets = get('sockets').split('\n').filter(Boolean);
  const socketOf = (paths: readonly string[]) => sockets.find((p) => paths.includes(p)) ?? null;
  const versionOf = (tool: VersionTool) => (probes[tool] === '' ? null : parseVersion(probes[tool]));
  return {
    hostname: requireText(hostname, 'uname'),
    fqdn: get('fqdn') || hostname,
    os: { id: os.ID ?? null, versionId: os.VERSION_ID ?? null, prettyName: os.PRETTY_NAME ?? null },
    osRelease: { name: os.NAME ?? null, idLike: (os.ID_LIKE ?? '').split(/\s+/).filter(Boolean), codename: os.VERSION_CODENAME ?? null },
    debianVersion: get('debian-version').split('\n')[0] || null,
    kernel: requireText(kernel, 'uname'),
    architecture: requireText(architecture, 'uname'),
    cpus: Number(get('cpus')) || 0,
    memoryTotalBytes: Number(get('meminfo').match(/(\d+)\s*kB/)?.[1] ?? 0) * 1024,
    interfaces,
    links: parseLinks(ip ?? get('links')),
    defaultInterface: dev4,
    defaultGateway4: parseDefaultGateway(route4),
    defaultIpv4: firstAddress(dev4 ? interfaces[dev4]?.ipv4 : undefined),
    defaultIpv6: firstAddress(dev6 ? interfaces[dev6]?.ipv6.filter((a) => !a.startsWith('fe80:')) : undefined),
    initName: get('init'),
    systemd: get('systemd-booted') === 'yes',
    // A probe since systemctl's version is remembered (tool-versions.ts); a section of its own before.
    systemdVersion: Number((sec.has('systemd-version') ? get('systemd-version') : probes.systemctl).match(/^systemd (\d+)/)?.[1]) || null,
    cgroupVersion: fsType === 'cgroup2fs' ? 2 : fsType === 'tmpfs' ? 1 : null,
    clock: parseClock(get('clock')),
    containerRuntimes: { containerd: socketOf(SOCKETS.containerd), crio: socketOf(SOCKETS.crio), docker: socketOf(SOCKETS.docker) },
    versions: { kubeadm: versionOf('kubeadm'), kubelet: versionOf('kubelet'), etcd: versionOf('etcd'), etcdctl: versionOf('etcdctl') },
  };
}

function firstAddress(cidrs: string[] | undefined): string | null {
  return cidrs?.[0]?.split('/')[0] ?? null;
}

function requireText(value: string, section: string): string {
  if (value === '') throw new Error(`host facts: section "${section}" is empty or short; the host lacks uname or the output is not the facts script's`);
  return value;
}

/**
 * Run the facts script on the host and parse it: one command, one round trip. With `versions`,
 * the tool versions remembered for this machine (the connection's endpoint) are reused where
 * the binary is unchanged, and what was probed now is remembered for the next run.
 */
export async function gatherHostFacts(conn: Connection, opts: { sudo?: boolean; versions?: ToolVersionCache } = {}): Promise<HostFacts> {
  const machine = conn.endpoint ?? conn.host;
  const known = opts.versions?.known(machine) ?? {};
  const r = await conn.exec(buildHostFactsScript(known), { sudo: opts.sudo });
  if (r.exitCode !== 0) throw new CommandError('host facts script', r.exitCode, r.stderr.toString());
  if (r.dropped) throw new Error(`${conn.host}: the host facts script printed more than quorum keeps of a command's output (${r.dropped.stdout} bytes dropped)`);
  try {
    const sections = splitSections(r.stdout.toString());
    const { outputs, remember } = resolveToolProbes(sections, known);
    const facts = factsFromSections(sections, outputs);
    opts.versions?.remember(machine, remember);
    return facts;
  } catch (err) {
    throw new Error(`${conn.host}: ${(err as Error).message}`, { cause: err });
  }
}
