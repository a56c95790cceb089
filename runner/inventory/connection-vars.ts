/**
 * Connection variables written as text, read as Ansible reads them when it uses them: an INI
 * inventory keeps `ansible_become=true` and `ansible_port='22'` as strings (ansible-inventory
 * prints them so), and Ansible converts them with its boolean() and int() at connection time.
 * quorum converts them once, before any host is touched, so the runner sees true booleans and
 * numbers; a value neither reading accepts is an error naming the variable and where it was set,
 * never a silent "no sudo".
 */
import type { ConfigProblem } from '../errors.js';
import type { Inventory, InventoryHost } from './types.js';

/** Ansible's module_utils boolean(): these strings, case-insensitive, and 1/0. */
const TRUE = new Set(['y', 'yes', 'on', '1', 'true', 't']);
const FALSE = new Set(['n', 'no', 'off', '0', 'false', 'f']);
const BOOLEAN_VARS = ['ansible_become'];
const PORT_VARS = ['ansible_port'];

/** Convert in place the hosts' textual connection booleans and ports; the problems found. */
export function normalizeConnectionVars(inventory: Inventory): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const hosts = [...inventory.hosts.values(), ...(inventory.implicitLocalhost ? [inventory.implicitLocalhost] : [])];
  for (const host of hosts) {
    for (const key of BOOLEAN_VARS) {
      const value = host.vars[key];
      if (typeof value === 'number' && (value === 0 || value === 1)) host.vars[key] = value === 1;
      else if (typeof value === 'string') {
        const word = value.trim().toLowerCase();
        if (TRUE.has(word)) host.vars[key] = true;
        else if (FALSE.has(word)) host.vars[key] = false;
        else problems.push(problem(host, key, `must be true or false (Ansible also reads yes/no, on/off, 1/0), got the string ${JSON.stringify(value)}`));
      }
    }
    for (const key of PORT_VARS) {
      const value = host.vars[key];
      if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) host.vars[key] = Number(value);
    }
  }
  return problems;
}

function problem(host: InventoryHost, key: string, message: string): ConfigProblem {
  const where = host.origins?.[key] ?? host.location;
  return { ...(where ? { location: where } : {}), pointer: '', message: `host '${host.name}': ${key} ${message}` };
}
