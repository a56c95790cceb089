/**
 * Templates in inventory variables, checked before any host is touched: each must parse as a
 * quorum (handlebars) template and name only variables that exist. Ansible renders them lazily
 * and quorum would too, so without this a Jinja filter left in a group_vars file fails only when
 * a task reads it, possibly after destructive tasks ran. Each problem names the variable and
 * where it was set (inventory file, group_vars or host_vars file, line and column).
 */
import Handlebars from 'handlebars';
import type { ConfigProblem, SourceLocation } from '../errors.js';
import { findTemplateRoots } from '../load/static-roots.js';
import { formatSuggestion } from '../util/suggest.js';
import type { Inventory, InventoryHost } from './types.js';
import { isVaulted } from './vault.js';

/**
 * @param known every name a template may use: magic variables, inventory and extra vars, play
 *   vars and defaults, names tasks register or set
 */
export function checkInventoryTemplates(inventory: Inventory, known: ReadonlySet<string>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  const hosts: InventoryHost[] = [...inventory.hosts.values(), ...(inventory.implicitLocalhost ? [inventory.implicitLocalhost] : [])];
  for (const host of hosts) {
    for (const [name, value] of Object.entries(host.vars)) {
      const origin = host.origins?.[name];
      // A group variable is shared by its hosts: check each definition once.
      const key = `${origin ? `${origin.file}:${origin.line}:${origin.col}` : host.name}\u0000${name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      for (const template of templatesIn(value)) {
        // A value out of a vault is named, never quoted.
        const message = checkOne(name, isVaulted(origin) ? undefined : template, template, known);
        if (message) problems.push({ ...(origin ? { location: origin } : host.location ? { location: host.location } : {}), pointer: '', message: originText(message, origin, host) });
      }
    }
  }
  return problems;
}

function checkOne(name: string, shown: string | undefined, template: string, known: ReadonlySet<string>): string | undefined {
  const quoted = shown === undefined ? '(a vault value, not shown)' : JSON.stringify(clip(shown));
  let roots;
  try {
    roots = findTemplateRoots(Handlebars.parse(template));
  } catch (err) {
    // Handlebars says "Parse error on line 1:", the text, a caret line, then what it expected.
    const lines = (err as Error).message.split('\n');
    const first = lines[3] ?? lines[0] ?? '';
    return `inventory variable '${name}' holds a template that cannot render (${first}): ${quoted}; quorum templates are handlebars, not Jinja (docs/from-ansible.md shows the usual conversions)`;
  }
  for (const root of roots) {
    if (known.has(root.name)) continue;
    return `inventory variable '${name}' holds a template naming '${root.name}', which no inventory, play or -e defines${formatSuggestion(root.name, [...known])}: ${quoted}`;
  }
  return undefined;
}

function originText(message: string, origin: SourceLocation | undefined, host: InventoryHost): string {
  return origin ? message : `${message} (host ${host.name})`;
}

function templatesIn(value: unknown): string[] {
  if (typeof value === 'string') return value.includes('{{') ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(templatesIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(templatesIn);
  return [];
}

function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
