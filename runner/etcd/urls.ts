/** etcd URLs from inventory data: one place for the bracket rule of IPv6 literals. */

/** An address as the host part of a URL: IPv6 literals in brackets. */
export function urlHost(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

/** https://ADDR:2379 for an inventory host, ADDR its ansible_host or else its name. */
export function defaultClientUrl(vars: Readonly<Record<string, unknown>>, host: string): string {
  const hostvars = (vars['hostvars'] ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const address = String(hostvars[host]?.['ansible_host'] ?? host);
  return `https://${urlHost(address)}:2379`;
}

/** The client URLs of every host of an inventory group, in the group's order. */
export function groupClientUrls(vars: Readonly<Record<string, unknown>>, group: string): string[] {
  const groups = (vars['groups'] ?? {}) as Record<string, string[] | undefined>;
  return (groups[group] ?? []).map((h) => defaultClientUrl(vars, h));
}
