/**
 * copy: Ansible's copy. Content, a controller file (`src`, resolved as file.ts resolves it) or
 * a file already on the host (`remote_src`) written to `dest`, with mode/owner/group, `force`,
 * `backup` and `validate`. The comparison, diff and write are file.ts's own (gather and plan of
 * the file module on the resolved path): one write path, atomic, verified and never through a
 * link; this module adds only Ansible's copy rules around it.
 *
 * ```yaml
 * - copy: { src: files/chrony.conf, dest: /etc/chrony/chrony.conf, mode: "0644", backup: true }
 * - copy: { content: "{{ sudoers }}", dest: /etc/sudoers.d/ops, validate: "visudo -cf %s" }
 * - copy: { src: /etc/kubernetes/admin.conf, dest: /root/.kube/config, remote_src: true }
 * ```
 */
import { posix } from 'node:path';
import type { FromSchema } from 'json-schema-to-ts';
import { copySchema } from '../schemas/modules/copy.js';
import type { ModuleContext, ModuleDefinition, Plan } from '../runner/types.js';
import { pathState, type PathState } from '../runner/facts/path-state.js';
import { ModuleError } from '../runner/errors.js';
import { withWriteSteps } from '../runner/plan/write-steps.js';
import { file, type FileFacts } from './file.js';

type CopyParams = FromSchema<typeof copySchema>;

/** What copy and template need of their arguments (template: `src` is the template). */
export interface WriteParams {
  dest: string;
  src?: string;
  content?: string;
  mode?: string;
  owner?: string;
  group?: string;
  force?: boolean;
  backup?: boolean;
  validate?: string;
  secret?: boolean;
}

/** What gather found: the file module's facts for the resolved destination. */
export interface WriteFacts {
  /** dest, or dest/basename(src) when dest is a directory. */
  path: string;
  /** The path holds something and force is false: nothing is written. */
  keptByForce?: PathState;
  file?: FileFacts;
  /** The file module's parameters for the resolved destination. */
  fileParams: Parameters<typeof file.plan>[0];
}

export const copy: ModuleDefinition<CopyParams, WriteFacts> = {
  name: 'copy',
  summary: "Copy content, a controller file or a host file to a path on the host (Ansible's copy).",
  schema: copySchema,
  flags: { checkMode: 'supported' },
  docs: {
    examples: [
      '- copy: { src: files/chrony.conf, dest: /etc/chrony/chrony.conf, mode: "0644", owner: root, group: root, backup: true }',
      '- copy: { content: "net.ipv4.ip_forward = 1\\n", dest: /etc/sysctl.d/99-forward.conf }',
      '- copy: { content: "ops ALL=(ALL) NOPASSWD: ALL\\n", dest: /etc/sudoers.d/ops, mode: "0440", validate: "visudo -cf %s" }',
      '- copy: { src: /etc/kubernetes/admin.conf, dest: /root/admin.conf, remote_src: true, mode: "0600" }',
      '- copy: { src: files/app.env, dest: /etc/app/ }',
      '',
    ].join('\n'),
    returns: {
      dest: 'The path written (inside dest when dest is a directory).',
      src: 'The source as given.',
      backup_file: 'The copy of the previous file, when backup made one.',
    },
    notes: [
      'A relative src is found as the file module finds it (the role\'s files/, the role, its tasks/, then the playbook\'s files/ and directory: runner/files/controller-files.ts).',
      'A directory as src (recursive copy) is not supported: copy its files one by one, or use unarchive.',
      'dest ending in / or naming an existing directory receives the file under the name of src; with content, dest must be a file path.',
      'A missing parent directory fails the task: create it first (file with state: directory).',
      'remote_src reads the host file through quorum and writes it with the same verified write as any other content.',
      'The diff never shows a private key (PEM "PRIVATE KEY" content is always treated as secret).',
    ],
  },
  inspectsPaths: (args) => [args['dest']],
  async gather(ctx, params) {
    if (params.remote_src) return gatherRemote(ctx, params);
    return gatherWrite(ctx, params, { src: params.src, content: params.content });
  },
  plan(params, facts) {
    return planWrite(params, facts, { src: params.src });
  },
};

/**
 * Resolve dest (a directory receives the file under src's name), honour force: false, then let
 * the file module gather the rest. `source` is what the file module writes from.
 */
export async function gatherWrite(ctx: ModuleContext, params: WriteParams, source: { src?: string; content?: string; template?: string } | { bytes: Uint8Array }): Promise<WriteFacts> {
  const path = await resolveDest(ctx, params);
  const attrs = { ...optional('mode', params.mode), ...optional('owner', params.owner), ...optional('group', params.group), ...(params.secret ? { secret: true } : {}) };
  const fileParams = { path, ...attrs, ...('bytes' in source ? {} : source) } as WriteFacts['fileParams'];
  if (params.force === false) {
    const current = await ctx.facts.get(pathState, { path });
    if (current.type !== 'absent') return { path, keptByForce: current, fileParams };
  }
  if ('bytes' in source) return { path, fileParams, file: await gatherBytes(ctx, path, fileParams, source.bytes) };
  return { path, fileParams, file: await file.gather(ctx, fileParams) };
}

/** The file module's plan for the resolved path, with backup and validate before its write. */
export function planWrite(params: WriteParams, facts: WriteFacts, shown: { src?: string }): Plan {
  const result: Record<string, unknown> = { dest: facts.path, ...(shown.src !== undefined ? { src: shown.src } : {}) };
  if (facts.keptByForce) return { changes: [], noop: `${facts.path} exists and force is false`, result };
  const filePlan = file.plan(facts.fileParams, facts.file!, { host: '', inventoryHost: '', checkMode: false });
  const existed = facts.file!.current.type === 'file';
  const { plan, backupFile } = withWriteSteps(filePlan, { path: facts.path, existed, ...optional('validate', params.validate), ...(params.backup ? { backup: true } : {}) });
  return { ...plan, result: { ...result, ...(backupFile !== undefined ? { backup_file: backupFile } : {}) } };
}

async function gatherRemote(ctx: ModuleContext, params: CopyParams): Promise<WriteFacts> {
  const src = params.src!;
  const from = await ctx.facts.get(pathState, { path: src });
  // A link is followed (as Ansible's copy does): its target's bytes are read below.
  if (from.type !== 'file' && from.type !== 'link') throw new ModuleError(`remote_src ${src} is ${from.type === 'absent' ? 'missing on the host' : `not a regular file (${from.type})`}: copy reads a single file`);
  const path = await resolveDest(ctx, params);
  const to = await ctx.facts.get(pathState, { path });
  // Same content: no need to bring the bytes over; the file module then manages attributes only.
  if (to.type === 'file' && to.sha256 === from.sha256 && params.force !== false) return gatherWrite(ctx, params, {});
  const bytes = params.force === false && to.type !== 'absent' ? new Uint8Array() : await ctx.conn.get(src, { sudo: ctx.become });
  return gatherWrite(ctx, params, { bytes });
}

/** The file module's gather, with content known as bytes (the file module takes text or a controller file). */
async function gatherBytes(ctx: ModuleContext, path: string, fileParams: WriteFacts['fileParams'], bytes: Uint8Array): Promise<FileFacts> {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  // Valid UTF-8 round-trips: hand it over as content; anything else as the bytes themselves.
  const exact = Buffer.from(text).equals(Buffer.from(bytes));
  const facts = await file.gather(ctx, { ...fileParams, ...(exact ? { content: text } : {}) });
  return exact ? facts : { ...facts, content: bytes, ...(facts.before !== undefined ? { before: facts.before } : {}) };
}

/** dest as Ansible reads it: ending in `/` or an existing directory means "inside, under src's name". */
async function resolveDest(ctx: ModuleContext, params: WriteParams): Promise<string> {
  const intoDir = params.dest.endsWith('/') || (await ctx.facts.get(pathState, { path: params.dest })).type === 'directory';
  if (!intoDir) return params.dest;
  if (params.src === undefined) throw new ModuleError(`dest ${params.dest} is a directory: with content, give the path of the file to write`);
  return posix.join(params.dest, posix.basename(params.src));
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
