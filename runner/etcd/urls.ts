/** etcd URLs from inventory data, and the check of a client URL's shape. */
import { urlHost } from '../util/url-host.js';

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

/**
 * Why `url` is not an etcd client URL (http(s)://HOST[:PORT], as the module schemas' pattern
 * says), or undefined. Used on rendered values, which the schema check cannot see.
 */
export function clientUrlProblem(url: string): string | undefined {
  const shape = /^https?:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~-]+)(:[0-9]{1,5})?\/?$/;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!shape.test(url) || !parsed || (parsed.port !== '' && Number(parsed.port) > 65535)) {
    return `'${url}' is not an etcd client URL: write http(s)://HOST:PORT, e.g. https://10.0.0.6:2379 or https://[fd00::6]:2379`;
  }
  return undefined;
}
