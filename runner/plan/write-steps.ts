/**
 * The steps Ansible's copy, template, lineinfile and blockinfile take around a write, as plan
 * changes: `validate` (the new content must pass a command before it replaces the file) and
 * `backup` (a copy of the old file beside it). The write itself is file.ts's `put`: atomic,
 * verified, durable, never through a link.
 */
import type { Change, Plan } from '../types.js';
import type { Secret } from '../secret.js';

/** Ansible's backup name: `PATH.YYYY-MM-DD@HH:MM:SS~` (controller clock, UTC). */
export function backupName(path: string, now = new Date()): string {
  const iso = now.toISOString();
  return `${path}.${iso.slice(0, 10)}@${iso.slice(11, 19)}~`;
}

/** Copy the current file to `backup` keeping mode, owner and times; never follows a link at path (cp -P). */
export function backupChange(path: string, backup: string): Change {
  return { kind: 'exec', command: ['cp', '-pP', '--', path, backup], describe: `back up ${path} to ${backup}` };
}

/**
 * Write the new content to a temporary file on the host and run the user's validate command on
 * it (`%s` = that file); the temporary file is removed whatever the outcome. The command comes
 * from the playbook (the controller's, trusted); only the path is substituted.
 */
export function validateChange(command: string, content: Uint8Array | Secret): Change {
  const script = ['t=$(mktemp) || exit 1', 'trap \'rm -f "$t"\' EXIT', 'cat > "$t" || exit 1', command.split('%s').join('"$t"')].join('\n');
  return { kind: 'exec', command: script, stdin: content, describe: `validate the new content with: ${command}` };
}

/**
 * Add validate and backup before a file plan's `put` (nothing when the plan writes no content:
 * attributes only, or nothing to do). Returns the plan and the backup path, when one is made.
 */
export function withWriteSteps(plan: Plan, opts: { path: string; existed: boolean; validate?: string; backup?: boolean }): { plan: Plan; backupFile?: string } {
  const at = plan.changes.findIndex((c) => c.kind === 'put');
  if (at < 0) return { plan };
  const put = plan.changes[at] as Extract<Change, { kind: 'put' }>;
  const before: Change[] = [];
  if (opts.validate !== undefined) {
    if (typeof put.content === 'function') throw new Error('validate needs the content when the plan is made');
    before.push(validateChange(opts.validate, put.content));
  }
  const backupFile = opts.backup && opts.existed ? backupName(opts.path) : undefined;
  if (backupFile !== undefined) before.push(backupChange(opts.path, backupFile));
  const changes = [...plan.changes.slice(0, at), ...before, ...plan.changes.slice(at)];
  return { plan: { ...plan, changes }, ...(backupFile !== undefined ? { backupFile } : {}) };
}

