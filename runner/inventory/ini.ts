/**
 * One inventory file in Ansible's INI format, read into the run's InventoryDraft line by line as
 * Ansible's ini plugin reads it: hosts before any section are `ungrouped`; `[group]` lists hosts
 * (`host[01:20]:2222 key=value ...`, cut as Python's shlex does), `[group:vars]` lists `key=value`,
 * `[group:children]` lists groups (declared before or after). Every value goes through Python's
 * literal_eval as in Ansible (python-literal.ts). What Ansible refuses is refused here with
 * file:line:col and what to write instead; unlike Ansible, all problems are listed at once.
 */
import type { SourceLocation } from '../errors.js';
import type { InventoryDraft } from './draft.js';
import { parseHostEntry } from './host-pattern.js';
import { checkGroupName, checkHostName } from './names.js';
import { iniValue } from './python-literal.js';
import { shlexSplit } from './shlex-split.js';

const SECTION = /^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$/;
const GROUP_LINE = /^([^:\]\s]+)\s*(?:#.*)?$/;

interface Pending {
  kind: 'vars' | 'children';
  location: SourceLocation;
  /** the [parent:children] sections that named this group, for children */
  parents: string[];
}

export function readIniInventory(draft: InventoryDraft, file: string, text: string): void {
  const pending = new Map<string, Pending>();
  let group = 'ungrouped';
  let state: 'hosts' | 'vars' | 'children' = 'hosts';
  let skipping = false;
  const lines = text.split(/\r\n|\n|\r/);
  for (const [index, raw] of lines.entries()) {
    const lineNo = index + 1;
    const indent = raw.length - raw.trimStart().length;
    const at = (col = 0): SourceLocation => ({ file, line: lineNo, col: indent + col + 1 });
    const problem = (message: string, col = 0) => draft.problems.push({ location: at(col), pointer: '', message });
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;

    const section = SECTION.exec(line);
    if (section) {
      const name = section[1]!;
      const kind = section[2] ?? 'hosts';
      skipping = false;
      if (kind !== 'hosts' && kind !== 'vars' && kind !== 'children') {
        problem(`section [${name}:${kind}] has an unknown type '${kind}': write [${name}], [${name}:vars] or [${name}:children]`);
        skipping = true;
        continue;
      }
      const badName = checkGroupName(name);
      if (badName) {
        problem(badName, 1);
        skipping = true;
        continue;
      }
      group = name;
      state = kind;
      if (!draft.groups.has(name) && kind === 'vars' && !pending.has(name)) pending.set(name, { kind: 'vars', location: at(), parents: [] });
      draft.group(name);
      // [group] or [group:children] declares the group; [group:vars] alone does not (as in Ansible).
      const waiting = pending.get(name);
      if (waiting && kind !== 'vars') {
        if (waiting.kind === 'children') resolvePending(draft, name, pending, problem);
        else pending.delete(name);
      }
      continue;
    }
    if (line.startsWith('[') && line.endsWith(']')) {
      problem(`invalid section '${line}': write [group], [group:vars] or [group:children], with no spaces`);
      skipping = true;
      continue;
    }
    if (skipping) continue;

    if (state === 'hosts') readHostLine(draft, group, line, at, problem);
    else if (state === 'vars') {
      const eq = line.indexOf('=');
      if (eq < 0) {
        problem(`expected key=value in [${group}:vars], got '${line}'`);
        continue;
      }
      const key = line.slice(0, eq).trim();
      const wrong = draft.setGroupVar(group, key, iniValue(line.slice(eq + 1).trim()), at());
      if (wrong) problem(wrong);
    } else {
      const m = GROUP_LINE.exec(line);
      if (!m) {
        problem(`expected a group name in [${group}:children], got '${line}'`);
        continue;
      }
      const child = m[1]!;
      const badName = checkGroupName(child);
      if (badName) {
        problem(badName);
        continue;
      }
      if (draft.groups.has(child)) {
        const cycle = draft.addChild(group, child);
        if (cycle) problem(`group '${child}' is its own ancestor (${cycle}): remove one of these children entries`);
      } else {
        const waiting = pending.get(child);
        if (waiting) waiting.parents.push(group);
        else pending.set(child, { kind: 'children', location: at(), parents: [group] });
      }
    }
  }
  for (const [name, waiting] of pending) {
    const message =
      waiting.kind === 'vars'
        ? `section [${name}:vars] is for a group that is not defined: add a [${name}] or [${name}:children] section (it may be empty)`
        : `[${waiting.parents[waiting.parents.length - 1]}:children] names group '${name}', which is not defined: add a [${name}] section (it may be empty)`;
    draft.problems.push({ location: waiting.location, pointer: '', message });
  }
}

function resolvePending(draft: InventoryDraft, group: string, pending: Map<string, Pending>, problem: (m: string) => void): void {
  const waiting = pending.get(group)!;
  pending.delete(group);
  for (const parent of waiting.parents) {
    const cycle = draft.addChild(parent, group);
    if (cycle) problem(`group '${group}' is its own ancestor (${cycle}): remove one of these children entries`);
    const parentWaiting = pending.get(parent);
    if (parentWaiting?.kind === 'children') resolvePending(draft, parent, pending, problem);
  }
}

function readHostLine(draft: InventoryDraft, group: string, line: string, at: (col?: number) => SourceLocation, problem: (m: string, col?: number) => void): void {
  const tokens = shlexSplit(line);
  if ('error' in tokens) {
    problem(`cannot read the host line: ${tokens.error === 'No closing quotation' ? 'a quote is not closed' : 'it ends with a lone backslash'}`);
    return;
  }
  if (tokens.length === 0) return;
  const [first, ...rest] = tokens as [(typeof tokens)[0], ...typeof tokens];
  if (first.text.trim().endsWith(':') ) {
    problem(`host '${first.text}' ends with ':': a ':' after a host name introduces its port, e.g. ${first.text}22`, first.start);
    return;
  }
  const entry = parseHostEntry(first.text);
  if ('error' in entry) {
    problem(entry.error, first.start);
    return;
  }
  if (entry.names.some((n) => n.trim() === '---')) {
    problem(`host '---' looks like the start of a YAML document: give a YAML inventory a .yaml or .yml extension`, first.start);
    return;
  }
  const vars: Array<[string, unknown, SourceLocation]> = [];
  for (const token of rest) {
    const eq = token.text.indexOf('=');
    if (eq < 0) {
      problem(`expected key=value after the host name, got '${token.text}' (quote a value that holds spaces: key="a b")`, token.start);
      return;
    }
    vars.push([token.text.slice(0, eq), iniValue(token.text.slice(eq + 1)), at(token.start)]);
  }
  for (const name of entry.names) {
    const bad = checkHostName(name);
    if (bad) {
      problem(bad, first.start);
      return;
    }
    draft.addHost(name, group, at(first.start), entry.port);
    for (const [key, value, origin] of vars) draft.setHostVar(name, key, value, origin);
  }
}
