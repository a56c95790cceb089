/**
 * The names quorum accepts for hosts and groups, whatever the inventory's format. Stricter than
 * Ansible on purpose: host names are what patterns and `hostvars.NAME` match on, so pattern
 * operators are out (an address that needs them goes in ansible_host).
 */

const HOST_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
/** Ansible's rule plus `-` (Ansible only warns on dashes; CEL reaches them as groups["a-b"]). */
const GROUP_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** The error for a bad host name, or undefined. */
export function checkHostName(name: string): string | undefined {
  if (HOST_NAME.test(name)) return undefined;
  return `invalid host name '${name}': use letters, digits, '.', '-' and '_' (put an address that needs other characters in ansible_host)`;
}

export function checkGroupName(name: string): string | undefined {
  if (GROUP_NAME.test(name)) return undefined;
  return `invalid group name '${name}': use letters, digits, '_' and '-', starting with a letter or '_'`;
}
