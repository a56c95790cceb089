/**
 * kubeadm's SAN rules for etcd-server and etcd-peer (spec/kubeadm-etcd.md 1.2, from
 * pki_helpers.go getAltNames / appendSANsToAltNames / RemoveDuplicateAltNames).
 */
import { isIP } from 'node:net';

/** Subject alternative names of a certificate: DNS names and IP addresses. */
export interface AltNames {
  dns: string[];
  ip: string[];
}

/** The names a cert gets plus the extra entries that were dropped (kubeadm only warns). */
export interface ResolvedAltNames extends AltNames {
  dropped: string[];
}

// k8s.io/apimachinery IsDNS1123Subdomain: lower case, labels of [a-z0-9-], at most 253 chars.
const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const SUBDOMAIN = new RegExp(`^${LABEL}(\\.${LABEL})*$`);

/** Canonical text of an IP (so `::0001` and `::1` de-duplicate), or undefined if not an IP. */
export function canonicalizeIp(value: string): string | undefined {
  const kind = isIP(value);
  if (kind === 4) return value;
  if (kind !== 6) return undefined;
  // The URL parser compresses IPv6 the way Go's net.IP.String() does (RFC 5952).
  const host = new URL(`http://[${value}]/`).hostname.slice(1, -1);
  // Go treats an IPv4-mapped IPv6 address as IPv4 (4-byte SAN).
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
  if (mapped) {
    const hi = parseInt(mapped[1]!, 16);
    const lo = parseInt(mapped[2]!, 16);
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  }
  return host;
}

/** k8s.io/apimachinery IsDNS1123Subdomain (node names, SANs). */
export function isDns1123Subdomain(value: string): boolean {
  return value.length > 0 && value.length <= 253 && SUBDOMAIN.test(value);
}

/** True when `value` is a DNS name kubeadm accepts as SAN (RFC 1123 subdomain or `*.sub`). */
export function isValidDnsSan(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  const name = value.startsWith('*.') ? value.slice(2) : value;
  return SUBDOMAIN.test(name);
}

/**
 * The SANs of an etcd server or peer cert: DNS [node name, localhost], IP [advertise address,
 * 127.0.0.1, ::1], then the extra entries classified as IP, DNS, or dropped.
 * DNS names are de-duplicated and sorted; IPs de-duplicated in first-seen order.
 * Throws when `advertiseAddress` is not an IP (kubeadm fails the same way).
 */
export function buildEtcdAltNames(nodeName: string, advertiseAddress: string, extra: readonly string[] = []): ResolvedAltNames {
  const advertise = canonicalizeIp(advertiseAddress);
  if (!advertise) throw new Error(`advertise_address "${advertiseAddress}" is not an IP address: set it to the IPv4 or IPv6 address etcd listens on`);
  const dns = new Set<string>([nodeName, 'localhost']);
  const ip: string[] = [advertise, '127.0.0.1', '::1'];
  const dropped: string[] = [];
  for (const entry of extra) {
    const asIp = canonicalizeIp(entry);
    if (asIp) ip.push(asIp);
    else if (isValidDnsSan(entry)) dns.add(entry);
    else dropped.push(entry);
  }
  return { dns: [...dns].sort(), ip: [...new Set(ip)], dropped };
}

/** The SANs in `want` that `have` lacks, as `DNS x` / `IP y` words. Extra SANs are fine. */
export function findMissingSans(want: AltNames, have: AltNames): string[] {
  const haveIps = new Set(have.ip.map((v) => canonicalizeIp(v) ?? v));
  const haveDns = new Set(have.dns);
  const missing = want.dns.filter((d) => !haveDns.has(d)).map((d) => `DNS SAN ${d}`);
  for (const ip of want.ip) if (!haveIps.has(canonicalizeIp(ip) ?? ip)) missing.push(`IP SAN ${ip}`);
  return missing;
}

/** `DNS:a, DNS:b, IP:1.2.3.4` as openssl prints them; DNS first, as in the certificate. */
export function formatAltNames(names: AltNames): string {
  const words = [...names.dns.map((d) => `DNS:${d}`), ...names.ip.map((i) => `IP:${i}`)];
  return words.length ? words.join(', ') : '(none)';
}
