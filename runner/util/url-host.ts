/** The one bracket rule of URLs: an IPv6 literal as the host part of a URL goes in brackets. */

/** An address as the host part of a URL (IPv6 literals in brackets, anything else as it is). */
export function urlHost(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}
