/**
 * The items of a task's loop: `loop`, or Ansible's older `with_items` (nested lists flattened
 * one level, as Ansible's items lookup does), `with_list` (as is), `with_dict` (`item.key`,
 * `item.value`, as dict2items) and `with_fileglob` (controller files, runner/files/fileglob.ts).
 * The loader lets a task have only one of them.
 */
import { dirname } from 'node:path';
import type { TaskKeywords, TaskNode } from '../playbook.js';
import { renderValue } from '../lang/template.js';
import { expandFileglob } from '../files/fileglob.js';

/** The items, or undefined for a task without a loop. @throws Error saying what is wrong */
export function renderLoopItems(kw: TaskKeywords, vars: Record<string, unknown>, task: TaskNode, playbookDir: string): unknown[] | undefined {
  const render = (value: unknown) => renderValue(value, vars, task.location);
  if (kw.loop !== undefined) {
    const rendered = render(kw.loop);
    if (!Array.isArray(rendered)) throw new Error(`loop must be a list, got ${describe(rendered)}`);
    return rendered;
  }
  if (kw.with_items !== undefined) return asList(render(kw.with_items)).flatMap((item) => (Array.isArray(item) ? item : [item]));
  if (kw.with_list !== undefined) return asList(render(kw.with_list));
  if (kw.with_dict !== undefined) {
    const rendered = render(kw.with_dict);
    if (rendered === null || typeof rendered !== 'object' || Array.isArray(rendered)) throw new Error(`with_dict must be a mapping, got ${describe(rendered)}`);
    return Object.entries(rendered as Record<string, unknown>).map(([key, value]) => ({ key, value }));
  }
  if (kw.with_fileglob !== undefined) {
    const patterns = asList(render(kw.with_fileglob));
    return patterns.flatMap((p) => {
      if (typeof p !== 'string') throw new Error(`with_fileglob: a pattern must be a string, got ${describe(p)}`);
      return expandFileglob(p, dirname(task.location.file), playbookDir);
    });
  }
  return undefined;
}

/** Ansible's with_* take one value as a list of one. */
function asList(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [value];
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`;
}
