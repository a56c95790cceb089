/**
 * The host facts under Ansible's names: `ansible_hostname`, `ansible_default_ipv4.address`,
 * `ansible_os_family`, `ansible_date_time.date`... and the same without the prefix under
 * `ansible_facts` (`ansible_facts.os_family`, `ansible_facts['distribution']`), as Ansible
 * injects them. Computed from what host-facts.ts gathered in its one round trip: nothing more
 * is asked of the host. Pure, and defensive: `hostFacts` is host data held as a plain record
 * (a fact cache, a test) and a field that is missing or odd gives a missing fact, never a throw.
 *
 * The values follow Ansible's own fact code (module_utils/facts/system/distribution.py,
 * network/linux.py, system/date_time.py, system/service_mgr.py) for the hosts quorum supports
 * (Linux); docs/from-ansible.md says which of Ansible's facts are not gathered.
 */
import type { HostFacts } from './host-facts.js';

/** The facts quorum gathers under Ansible's names (without the `ansible_` prefix). */
export const ANSIBLE_FACT_NAMES = [
  'hostname', 'nodename', 'fqdn', 'domain', 'default_ipv4', 'default_ipv6', 'all_ipv4_addresses', 'all_ipv6_addresses',
  'interfaces', 'os_family', 'distribution', 'distribution_version', 'distribution_major_version', 'distribution_release',
  'architecture', 'machine', 'kernel', 'memtotal_mb', 'processor_vcpus', 'service_mgr', 'date_time', 'system',
] as const;

/** Ansible's distribution names and families by os-release ID (distribution.py's tables, the common part). */
const DISTRIBUTIONS: Record<string, { name: string; family: string }> = {
  debian: { name: 'Debian', family: 'Debian' },
  ubuntu: { name: 'Ubuntu', family: 'Debian' },
  linuxmint: { name: 'Linux Mint', family: 'Debian' },
  raspbian: { name: 'Debian', family: 'Debian' },
  kali: { name: 'Kali', family: 'Debian' },
  pop: { name: 'Pop!_OS', family: 'Debian' },
  devuan: { name: 'Devuan', family: 'Debian' },
  rhel: { name: 'RedHat', family: 'RedHat' },
  centos: { name: 'CentOS', family: 'RedHat' },
  fedora: { name: 'Fedora', family: 'RedHat' },
  rocky: { name: 'Rocky', family: 'RedHat' },
  almalinux: { name: 'AlmaLinux', family: 'RedHat' },
  ol: { name: 'OracleLinux', family: 'RedHat' },
  amzn: { name: 'Amazon', family: 'RedHat' },
  sles: { name: 'SLES', family: 'Suse' },
  'opensuse-leap': { name: 'openSUSE Leap', family: 'Suse' },
  'opensuse-tumbleweed': { name: 'openSUSE Tumbleweed', family: 'Suse' },
  arch: { name: 'Archlinux', family: 'Archlinux' },
  alpine: { name: 'Alpine', family: 'Alpine' },
  gentoo: { name: 'Gentoo', family: 'Gentoo' },
};

/** Families an unknown distribution joins through its os-release ID_LIKE. */
const FAMILY_OF_LIKE: Record<string, string> = { debian: 'Debian', ubuntu: 'Debian', rhel: 'RedHat', fedora: 'RedHat', centos: 'RedHat', suse: 'Suse', arch: 'Archlinux' };

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const computed = new WeakMap<object, Record<string, unknown>>();

/**
 * `ansible_facts` of a host: Ansible's fact names without the prefix, plus one entry per
 * interface (`eth0`, dashes as underscores as Ansible writes them). Cached per facts object,
 * since every task's variables are built from it.
 */
export function ansibleFactsOf(hostFacts: Readonly<Record<string, unknown>>): Record<string, unknown> {
  let facts = computed.get(hostFacts);
  if (!facts) computed.set(hostFacts, (facts = computeAnsibleFacts(hostFacts as Partial<HostFacts>)));
  return facts;
}

/**
 * Add `ansible_facts` and every `ansible_X` to a task's variables, where the user did not
 * define that name (Ansible's facts rank below play vars; an inventory may set its own).
 */
export function addAnsibleFactVars(vars: Record<string, unknown>, hostFacts: Readonly<Record<string, unknown>> | undefined): void {
  if (hostFacts === undefined) return;
  const prefixed = prefixedFactsOf(hostFacts);
  // Usually no variable of the task has a fact's name: then all are copied at once, in the
  // same order. Looking up the task's few names is cheaper than each fact's name in the vars.
  if (!Object.keys(vars).some((name) => prefixed.names.has(name))) {
    Object.assign(vars, prefixed.values);
    return;
  }
  for (const [name, value] of Object.entries(prefixed.values)) {
    if (!(name in vars)) vars[name] = value;
  }
}

interface PrefixedFacts {
  /** `ansible_facts`, then every `ansible_X`. */
  values: Readonly<Record<string, unknown>>;
  names: ReadonlySet<string>;
}

const prefixedFacts = new WeakMap<object, PrefixedFacts>();

/** The facts under the names tasks read them by: made once per facts object, since every task of every host adds them. */
function prefixedFactsOf(hostFacts: Readonly<Record<string, unknown>>): PrefixedFacts {
  let prefixed = prefixedFacts.get(hostFacts);
  if (!prefixed) {
    const facts = ansibleFactsOf(hostFacts);
    // The first of a name wins, as when they are added one by one: an interface called
    // `facts` (names come from the host) does not replace ansible_facts.
    const entries = new Map<string, unknown>([['ansible_facts', facts]]);
    for (const [name, value] of Object.entries(facts)) if (!entries.has(`ansible_${name}`)) entries.set(`ansible_${name}`, value);
    prefixed = { values: Object.fromEntries(entries), names: new Set(entries.keys()) };
    prefixedFacts.set(hostFacts, prefixed);
  }
  return prefixed;
}

function computeAnsibleFacts(f: Partial<HostFacts>): Record<string, unknown> {
  // Object.fromEntries below: interface names come from the host and may be anything.
  const out = new Map<string, unknown>();
  const set = (name: string, value: unknown) => {
    if (value !== undefined) out.set(name, value);
  };
  const nodename = str(f.hostname);
  const fqdn = str(f.fqdn) ?? nodename;
  set('nodename', nodename);
  // Ansible: hostname is the node name up to its first dot; fqdn as the resolver says.
  set('hostname', nodename?.split('.')[0]);
  set('fqdn', fqdn);
  set('domain', fqdn && fqdn.includes('.') ? fqdn.slice(fqdn.indexOf('.') + 1) : fqdn === undefined ? undefined : '');
  set('kernel', str(f.kernel));
  set('machine', str(f.architecture));
  set('architecture', architectureOf(str(f.architecture)));
  // The facts script reads /proc and /sys: the host runs Linux.
  if (nodename !== undefined) set('system', 'Linux');
  if (typeof f.memoryTotalBytes === 'number' && f.memoryTotalBytes > 0) set('memtotal_mb', Math.floor(f.memoryTotalBytes / 1024 / 1024));
  if (typeof f.cpus === 'number' && f.cpus > 0) set('processor_vcpus', f.cpus);
  set('service_mgr', serviceManagerOf(f));
  for (const [name, value] of Object.entries(distributionFacts(f))) set(name, value);
  const interfaces = isRecord(f.interfaces) ? (f.interfaces as HostFacts['interfaces']) : {};
  const links = isRecord(f.links) ? (f.links as HostFacts['links']) : {};
  const names = Object.keys(interfaces).concat(Object.keys(links).filter((n) => !Object.hasOwn(interfaces, n)));
  set('interfaces', names);
  const addressesOf = (n: string) => (Object.hasOwn(interfaces, n) ? interfaces[n] : undefined);
  const details = new Map(names.map((name) => [name, interfaceFacts(name, addressesOf(name), Object.hasOwn(links, name) ? links[name] : undefined)]));
  const allV4 = names.flatMap((n) => list(addressesOf(n)?.ipv4)).map(withoutPrefix).filter((a) => !a.startsWith('127.'));
  const allV6 = names.flatMap((n) => list(addressesOf(n)?.ipv6)).map(withoutPrefix).filter((a) => a !== '::1' && !a.toLowerCase().startsWith('fe80:'));
  set('all_ipv4_addresses', allV4);
  set('all_ipv6_addresses', allV6);
  set('default_ipv4', defaultIpv4(f, details));
  set('default_ipv6', defaultIpv6(f, details));
  set('date_time', dateTimeOf(f.clock));
  // Ansible names an interface's fact after it with dashes and colons as underscores; a name
  // that would hide one of the facts above is left out rather than allowed to replace it.
  for (const [name, value] of details) {
    const key = name.replace(/[-:.]/g, '_');
    if (!out.has(key)) out.set(key, value);
  }
  return Object.fromEntries(out);
}

function distributionFacts(f: Partial<HostFacts>): Record<string, string | undefined> {
  const id = str(f.os?.id)?.toLowerCase();
  if (id === undefined) return {};
  const like = list(f.osRelease?.idLike);
  const known = DISTRIBUTIONS[id];
  const name = known?.name ?? str(f.osRelease?.name)?.split(' ')[0] ?? capitalize(id);
  const family = known?.family ?? like.map((l) => FAMILY_OF_LIKE[l]).find(Boolean) ?? name;
  // Debian's point release is in /etc/debian_version ("12.7"); os-release says only "12".
  const debian = str(f.debianVersion);
  const version = id === 'debian' && debian !== undefined && /^\d+(\.\d+)*$/.test(debian) ? debian : str(f.os?.versionId) ?? '';
  return {
    distribution: name,
    os_family: family,
    distribution_version: version,
    distribution_major_version: version.split('.')[0] ?? '',
    distribution_release: str(f.osRelease?.codename) ?? '',
  };
}

/** An interface as Ansible describes it: device, ipv4 (the first address), secondaries, ipv6 list, link layer. */
function interfaceFacts(name: string, addresses: { ipv4?: unknown; ipv6?: unknown } | undefined, link: HostFacts['links'][string] | undefined): Record<string, unknown> {
  const v4 = list(addresses?.ipv4).map(ipv4Details).filter((d): d is Record<string, string> => d !== undefined);
  const v6 = list(addresses?.ipv6).map((cidr) => {
    const [address = '', prefix = ''] = cidr.split('/');
    return { address, prefix, scope: address === '::1' ? 'host' : address.toLowerCase().startsWith('fe80:') ? 'link' : 'global' };
  });
  const out: Record<string, unknown> = { device: name, active: true, type: linkType(link?.type ?? null, name) };
  if (link?.macaddress) out['macaddress'] = link.macaddress;
  if (link?.mtu !== null && link?.mtu !== undefined) out['mtu'] = link.mtu;
  if (v4.length > 0) out['ipv4'] = v4[0];
  if (v4.length > 1) out['ipv4_secondaries'] = v4.slice(1);
  if (v6.length > 0) out['ipv6'] = v6;
  return out;
}

/** Address, netmask, network, broadcast and prefix of "10.0.0.5/24"; undefined when it is not IPv4 CIDR. */
export function ipv4Details(cidr: string): Record<string, string> | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(cidr);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = m[5] === undefined ? 32 : Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const ip = octets.reduce((acc, o) => acc * 256 + o, 0);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const network = (ip & mask) >>> 0;
  const broadcast = (network | (~mask >>> 0)) >>> 0;
  return { address: m.slice(1, 5).join('.'), broadcast: prefix >= 31 ? '' : dotted(broadcast), netmask: dotted(mask), network: dotted(network), prefix: String(prefix) };
}

/** Ansible's default_ipv4: the default route's interface, its first address, the gateway; {} without a default route. */
function defaultIpv4(f: Partial<HostFacts>, details: Map<string, Record<string, unknown>>): Record<string, unknown> {
  const dev = str(f.defaultInterface);
  const iface = dev === undefined ? undefined : details.get(dev);
  if (!iface) return {};
  const { ipv4, macaddress, mtu, type } = iface as { ipv4?: Record<string, string>; macaddress?: string; mtu?: number; type?: string };
  return { ...(ipv4 ?? {}), interface: dev, alias: dev, gateway: str(f.defaultGateway4) ?? '', ...(macaddress ? { macaddress } : {}), ...(mtu !== undefined ? { mtu } : {}), type };
}

function defaultIpv6(f: Partial<HostFacts>, details: Map<string, Record<string, unknown>>): Record<string, unknown> {
  const address = str(f.defaultIpv6);
  if (address === undefined) return {};
  for (const [name, iface] of details) {
    const found = (iface['ipv6'] as Array<Record<string, string>> | undefined)?.find((a) => a['address'] === address);
    if (found) return { ...found, interface: name };
  }
  return { address };
}

/** Ansible's date_time: strings, local time of the host (its UTC offset), iso8601 in UTC. */
export function dateTimeOf(clock: HostFacts['clock'] | undefined): Record<string, string> | undefined {
  if (!clock || typeof clock.epoch !== 'number' || typeof clock.utcOffset !== 'string') return undefined;
  const m = /^([+-])(\d{2})(\d{2})$/.exec(clock.utcOffset);
  if (!m || !Number.isSafeInteger(clock.epoch)) return undefined;
  const offsetSeconds = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60);
  const local = new Date((clock.epoch + offsetSeconds) * 1000);
  const utc = new Date(clock.epoch * 1000);
  if (Number.isNaN(local.getTime())) return undefined;
  const two = (n: number) => String(n).padStart(2, '0');
  const date = `${local.getUTCFullYear()}-${two(local.getUTCMonth() + 1)}-${two(local.getUTCDate())}`;
  const time = `${two(local.getUTCHours())}:${two(local.getUTCMinutes())}:${two(local.getUTCSeconds())}`;
  const iso = utc.toISOString().replace(/\.\d{3}Z$/, '');
  return {
    year: String(local.getUTCFullYear()),
    month: two(local.getUTCMonth() + 1),
    day: two(local.getUTCDate()),
    hour: two(local.getUTCHours()),
    minute: two(local.getUTCMinutes()),
    second: two(local.getUTCSeconds()),
    weekday: WEEKDAYS[local.getUTCDay()]!,
    weekday_number: String(local.getUTCDay()),
    epoch: String(clock.epoch),
    epoch_int: String(clock.epoch),
    date,
    time,
    iso8601: `${iso}Z`,
    iso8601_basic_short: `${date.replace(/-/g, '')}T${time.replace(/:/g, '')}`,
    tz: typeof clock.timezone === 'string' ? clock.timezone : '',
    tz_offset: clock.utcOffset,
  };
}

/** Ansible's service_mgr, from what pid 1 is (service_mgr.py: systemd when it booted the host). */
function serviceManagerOf(f: Partial<HostFacts>): string | undefined {
  if (f.systemd === true) return 'systemd';
  const init = str(f.initName);
  if (init === undefined) return undefined;
  if (init === 'systemd') return 'systemd';
  if (init === 'openrc-init' || init === 'openrc') return 'openrc';
  if (init === 'runit' || init === 'runit-init') return 'runit';
  if (init === 'init') return 'sysvinit';
  return 'service';
}

function architectureOf(machine: string | undefined): string | undefined {
  return machine !== undefined && /^i[3-6]86$/.test(machine) ? 'i386' : machine;
}

function linkType(type: string | null, name: string): string {
  return type ?? (name === 'lo' ? 'loopback' : 'unknown');
}

function withoutPrefix(cidr: string): string {
  return cidr.split('/')[0] ?? cidr;
}

function dotted(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function list(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
