/**
 * lineinfile: Ansible's lineinfile. The file is read, edited on the controller by a pure
 * function (runner/text/lineinfile.ts: Ansible's rules, tested case by case) and written back
 * by the file module's plan, so the comparison, diff, attributes and the durable write are the
 * file module's; backup and validate are copy's (runner/plan/write-steps.ts).
 *
 * ```yaml
 * - lineinfile: { path: /etc/ssh/sshd_config, regexp: '^#?PasswordAuthentication', line: 'PasswordAuthentication no', validate: '/usr/sbin/sshd -t -f %s' }
 * ```
 */
import type { FromSchema } from 'json-schema-to-ts';
import { lineinfileSchema } from '../schemas/modules/lineinfile.js';
import type { ModuleContext, ModuleDefinition, Plan } from '../runner/types.js';
import { pathState, type PathState } from '../runner/facts/path-state.js';
import { decodeDiffText } from '../runner/plan/diff.js';
import { ModuleError } from '../runner/errors.js';
import { withWriteSteps } from '../runner/plan/write-steps.js';
import { editLineInFile } from '../runner/text/lineinfile.js';
import { file } from './file.js';

type LineInFileParams = FromSchema<typeof lineinfileSchema>;

/** The arguments every text-editing module has (lineinfile, blockinfile). */
export interface EditParams {
  path?: string;
  dest?: string;
  mode?: string;
  owner?: string;
  group?: string;
  create?: boolean;
  backup?: boolean;
  validate?: string;
  state?: 'present' | 'absent';
}

/** The file as it is, and the text it must hold (when it can be edited). */
export interface EditFacts {
  path: string;
  current: PathState;
  /** Current text; undefined when the file is absent. */
  before?: string;
  /** The edited text, and Ansible's message for it; undefined when there is nothing to edit. */
  after?: { content: string; msg: string; found?: number };
  /** Why the edit cannot be made (invalid regexp, not UTF-8...). */
  problem?: string;
}

export const lineinfile: ModuleDefinition<LineInFileParams, EditFacts> = {
  name: 'lineinfile',
  summary: "Ensure a line is in a file, replace the line a regular expression matches, or remove lines (Ansible's lineinfile).",
  schema: lineinfileSchema,
  flags: { checkMode: 'supported' },
  docs: {
    examples: [
      "- lineinfile: { path: /etc/ssh/sshd_config, regexp: '^#?PasswordAuthentication', line: 'PasswordAuthentication no', validate: '/usr/sbin/sshd -t -f %s' }",
      "- lineinfile: { path: /etc/hosts, line: '10.0.0.10 etcd-0' }",
      "- lineinfile: { path: /etc/fstab, regexp: '\\sswap\\s', state: absent, backup: true }",
      "- lineinfile: { path: /etc/modules-load.d/k8s.conf, line: br_netfilter, create: true, mode: '0644' }",
      "- lineinfile: { path: /etc/default/grub, regexp: '^(GRUB_CMDLINE_LINUX=\"[^\"]*)\"$', line: '\\1 cgroup_enable=memory\"', backrefs: true }",
      '',
    ].join('\n'),
    returns: { path: 'The file.', msg: "What was done: 'line added', 'line replaced', 'N line(s) removed', or ''.", backup_file: 'The copy of the previous file, when backup made one.', found: 'state absent: how many lines were removed.' },
    notes: [
      'Regular expressions are Python\'s as in Ansible; (?P<name>...) and \\g<name> are translated, other Python-only syntax is refused with the argument named.',
      'Lines are matched without their line ending; a CRLF file stays CRLF (Ansible writes \\n).',
      'The file is edited on the controller: it must be UTF-8 text.',
    ],
  },
  inspectsPaths: (args) => [args['path'] ?? args['dest']],
  gather(ctx, params) {
    return gatherEdit(ctx, params, (text) => editLineInFile(text, params));
  },
  plan(params, facts, ctx) {
    return planEdit(params, facts, ctx.checkMode);
  },
};

/** Read the file (when it is one) and compute its edited text. */
export async function gatherEdit(ctx: ModuleContext, params: EditParams, edit: (text: string) => { content: string; msg: string; found?: number }): Promise<EditFacts> {
  const path = (params.path ?? params.dest)!;
  const current = await ctx.facts.get(pathState, { path });
  const facts: EditFacts = { path, current };
  if (current.type !== 'file' && current.type !== 'absent') return facts;
  if (current.type === 'absent' && (params.state === 'absent' || !params.create)) return facts;
  let before = '';
  if (current.type === 'file') {
    const text = decodeDiffText(await ctx.conn.get(path, { sudo: ctx.become }));
    if (text === undefined) return { ...facts, problem: `${path} is not UTF-8 text (or holds a NUL byte): it cannot be edited line by line` };
    before = text;
    facts.before = text;
  }
  try {
    facts.after = edit(before);
  } catch (err) {
    if (err instanceof ModuleError) throw err;
    facts.problem = (err as Error).message;
  }
  return facts;
}

/** The file module's plan for the edited text, with backup and validate before its write. */
export function planEdit(params: EditParams, facts: EditFacts, checkMode = false): Plan {
  const { path, current } = facts;
  const result: Record<string, unknown> = { path };
  if (facts.problem) return { changes: [], failed: facts.problem, result };
  if (current.type === 'absent') {
    if (params.state === 'absent') return { changes: [], noop: `${path} does not exist`, result: { ...result, msg: '', found: 0 } };
    // In --check an earlier task that would create the file has not run: say so instead of failing.
    if (!params.create && checkMode) return { changes: [], unpredictable: `${path} does not exist yet (an earlier task may create it)`, result };
    if (!params.create) return { changes: [], failed: `${path} does not exist: add create: true to create it`, result };
  }
  const fileParams = { path, ...(params.mode !== undefined ? { mode: params.mode } : {}), ...(params.owner !== undefined ? { owner: params.owner } : {}), ...(params.group !== undefined ? { group: params.group } : {}) };
  // Not a file (a directory, a link): the file module refuses it with its own words.
  const content = facts.after?.content;
  const filePlan = file.plan(fileParams, { current, ...(content !== undefined ? { content } : {}), ...(facts.before !== undefined ? { before: facts.before } : {}) }, { host: '', inventoryHost: '', checkMode: false });
  const { plan, backupFile } = withWriteSteps(filePlan, { path, existed: current.type === 'file', ...(params.validate !== undefined ? { validate: params.validate } : {}), ...(params.backup ? { backup: true } : {}) });
  const msg = facts.after?.msg ?? '';
  return {
    ...plan,
    ...(plan.changes.length === 0 && plan.noop ? { noop: `${path}: ${msg || 'nothing to change'}; ${plan.noop.replace(`${path}: `, '')}` } : {}),
    result: { ...result, msg, ...(facts.after?.found !== undefined ? { found: facts.after.found } : {}), ...(backupFile !== undefined ? { backup_file: backupFile } : {}) },
  };
}
