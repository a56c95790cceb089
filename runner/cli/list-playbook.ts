/** `--list-hosts`, `--list-tasks`, `--list-tags`: what a run would touch, without touching it. */
import type { PreparedRun } from '../engine/engine.js';
import type { TaskItem } from '../playbook.js';
import { formatLocation } from '../errors.js';

export function listPlaybook(prepared: PreparedRun, what: { hosts: boolean; tasks: boolean; tags: boolean }): string {
  const lines: string[] = [`playbook: ${prepared.playbook.file}`, ''];
  prepared.playbook.plays.forEach((play, i) => {
    lines.push(`  play #${i + 1} (${play.hosts}): ${play.name ?? ''}`);
    if (what.hosts) {
      const hosts = prepared.playHosts[i] ?? [];
      lines.push(`    hosts (${hosts.length}):`, ...hosts.map((h) => `      ${h}`));
    }
    if (what.tasks) {
      lines.push('    tasks:');
      walk(play.tasks, (t, depth) => lines.push(`${'  '.repeat(depth + 3)}${t.name ?? (t.kind === 'task' ? t.module : t.include ? `${t.include.what === 'tasks' ? 'include_tasks' : 'include_role'}: ${t.include.file}` : 'block')}\tTAGS: [${(t.keywords.tags ?? []).join(', ')}]\t${formatLocation(t.location)}`));
    }
    if (what.tags) {
      const tags = new Set<string>(play.tags ?? []);
      walk(play.tasks, (t) => (t.keywords.tags ?? []).forEach((tag) => tags.add(tag)));
      lines.push(`    TASK TAGS: [${[...tags].sort().join(', ')}]`);
    }
    lines.push('');
  });
  return lines.join('\n');
}

function walk(items: TaskItem[], visit: (item: TaskItem, depth: number) => void, depth = 0): void {
  for (const item of items) {
    visit(item, depth);
    if (item.kind === 'block') for (const part of [item.block, item.rescue, item.always]) walk(part, visit, depth + 1);
  }
}
