/**
 * One inventory file in Ansible's YAML format, read into the run's InventoryDraft as Ansible's
 * yaml plugin reads it: groups, their keys in the order written (`vars`, `hosts`, `children`),
 * `host:port` keys and host ranges, any top-level key a group. The shape is checked first
 * against schemas/inventory.schema.json, every problem with file:line:col.
 */
import type { ConfigProblem, SourceLocation } from '../errors.js';
import { holdsVaulted, markVaulted } from './vault.js';
import { encodePointer, type YamlSource } from '../load/yaml.js';
import { validateAgainst } from '../validators/validate.js';
import { INVENTORY_SCHEMA } from '../validators/schemas.js';
import { parseHostEntry } from './host-pattern.js';
import { checkGroupName, checkHostName } from './names.js';
import type { InventoryDraft } from './draft.js';

/** @param decrypted pointers of values decrypted from !vault (their origins are marked); every value when the whole file was a vault */
export function readYamlInventory(draft: InventoryDraft, src: YamlSource, decrypted: ReadonlySet<string> | 'all' = new Set()): void {
  const origin = (pointer: string) => {
    const at = src.locate(pointer);
    return decrypted === 'all' || holdsVaulted(pointer, decrypted) ? markVaulted(at) : at;
  };
  // Shape problems and name problems are reported together: the walk below tolerates bad shapes.
  draft.problems.push(...validateInventoryShape(src));
  const top = src.value;
  if (!isRecord(top)) return;
  for (const [name, body] of Object.entries(top)) walkGroup(draft, src, name, body, encodePointer([name]), origin);
}

type Origin = (pointer: string) => SourceLocation;

/** Returns the group's name when it was added (for the parent's children list). */
function walkGroup(draft: InventoryDraft, src: YamlSource, name: string, body: unknown, pointer: string, origin: Origin): boolean {
  const bad = checkGroupName(name);
  if (bad) {
    draft.problems.push({ location: src.locateKey(pointer), pointer, message: bad });
    return false;
  }
  draft.group(name);
  if (!isRecord(body)) return true;
  for (const [key, section] of Object.entries(body)) {
    if (!isRecord(section)) continue;
    if (key === 'vars') {
      for (const [varName, value] of Object.entries(section)) {
        const at = `${pointer}/vars${encodePointer([varName])}`;
        const wrong = draft.setGroupVar(name, varName, value, origin(at));
        if (wrong) draft.problems.push({ location: src.locate(at), pointer: at, message: wrong });
      }
    } else if (key === 'hosts') {
      for (const [entry, hostVars] of Object.entries(section)) addHosts(draft, src, name, entry, hostVars, `${pointer}/hosts${encodePointer([entry])}`, origin);
    } else if (key === 'children') {
      for (const [child, childBody] of Object.entries(section)) {
        const at = `${pointer}/children${encodePointer([child])}`;
        if (!walkGroup(draft, src, child, childBody, at, origin)) continue;
        const cycle = draft.addChild(name, child);
        if (cycle) draft.problems.push({ location: src.locateKey(at), pointer: at, message: `group '${child}' is its own ancestor (${cycle}): remove one of these children entries` });
      }
    }
  }
  return true;
}

function addHosts(draft: InventoryDraft, src: YamlSource, group: string, entry: string, hostVars: unknown, pointer: string, origin: Origin): void {
  const location = src.locateKey(pointer);
  const parsed = parseHostEntry(entry);
  if ('error' in parsed) {
    draft.problems.push({ location, pointer, message: parsed.error });
    return;
  }
  for (const host of parsed.names) {
    const bad = checkHostName(host);
    if (bad) {
      draft.problems.push({ location, pointer, message: bad });
      return;
    }
    draft.addHost(host, group, location, parsed.port);
    if (!isRecord(hostVars)) continue;
    for (const [varName, value] of Object.entries(hostVars)) draft.setHostVar(host, varName, value, origin(`${pointer}${encodePointer([varName])}`));
  }
}

/**
 * Check the document against schemas/inventory.schema.json (its precompiled validator), then
 * add the hints inventory authors need (Ansible habits that do not carry over).
 */
function validateInventoryShape(src: YamlSource): ConfigProblem[] {
  return validateAgainst(INVENTORY_SCHEMA, src.value, src, '').map((problem) => {
    const unknown = /^unknown key '([^']*)'(.*)$/.exec(problem.message);
    if (unknown) return { ...problem, message: `unknown key '${unknown[1]}': a group has only hosts, vars and children${unknown[2]}` };
    if (problem.pointer.endsWith('/hosts') && problem.message.startsWith('must be a mapping')) {
      return { ...problem, message: `${problem.message}: hosts maps each host name to its variables, e.g. \`hosts: { infra0: { ansible_host: 10.0.0.6 } }\`` };
    }
    if (problem.pointer === '' && problem.message.startsWith('must be a mapping')) {
      return { ...problem, message: `${problem.message}: an inventory maps group names to groups, starting with \`all:\`` };
    }
    if (/must be a boolean, got a string/.test(problem.message)) return { ...problem, message: `${problem.message} (write true or false: YAML 1.2 reads yes/no as strings)` };
    return problem;
  });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
