/**
 * file: a file (content, controller src or handlebars template), a directory, a symbolic link,
 * an empty file (touch) or nothing (absent), with mode/owner/group. Ansible's file + copy +
 * template in one module. Content is compared by sha256, so an unchanged file is a noop.
 *
 * ```yaml
 * - file: { path: /etc/etcd/etcd.env, template: templates/etcd.env.hbs, mode: "0644" }
 * - file: { path: /var/lib/etcd, state: directory, mode: "0700", owner: etcd }
 * ```
 *
 * Choices (documented in `docs.notes`): a missing parent directory is an error, as with
 * Ansible's copy (create it first with `state: directory`); quorum never writes through a
 * symbolic link; `touch` leaves an existing file's times alone, so it stays idempotent.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, posix } from 'node:path';
import type { FromSchema } from 'json-schema-to-ts';
import { fileSchema } from '../schemas/modules/file.js';
import type { Change, Diff, ModuleContext, ModuleDefinition, Plan } from '../runner/types.js';
import { pathState, type PathState } from '../runner/facts/path-state.js';
import { buildAttributeDiff, buildContentDiff, decodeDiffText, type FileAttributes } from '../runner/plan/diff.js';
import { chmodNoFollow, chownNoFollow, mkdirNoFollow } from '../runner/connection/no-follow.js';
import { quote } from '../runner/connection/quote.js';
import type { Requirement } from '../runner/connection/preconditions.js';
import { ModuleError } from '../runner/errors.js';
import { describeCandidates, resolveControllerFile } from '../runner/files/controller-files.js';

type FileParams = FromSchema<typeof fileSchema>;
type FileState = NonNullable<FileParams['state']>;

/** What gather returns: the path's state, the wanted content and, for the diff, the old one. */
export interface FileFacts {
  current: PathState;
  /** Wanted content (state file with content, src or template). */
  content?: string | Uint8Array;
  /** Current content as text, read only when it differs, is small, is text and is not secret. */
  before?: string;
}

// Larger files are compared by hash only: a diff of megabytes helps nobody.
const MAX_DIFF_BYTES = 256 * 1024;

/** The `file` module definition (registered in modules/index.ts). */
export const file: ModuleDefinition<FileParams, FileFacts> = {
  name: 'file',
  summary: 'Manage a file (content, src, template), directory, symbolic link or absence, with mode and owner.',
  schema: fileSchema,
  flags: { checkMode: 'supported' },
  docs: {
    examples: [
      '- file: { path: /etc/etcd/etcd.env, content: "ETCD_NAME=infra0\\n", mode: "0644" }',
      '- file: { path: /etc/kubernetes/kubeadmcfg.yaml, template: templates/kubeadmcfg.yaml.hbs }',
      '- file: { path: /usr/local/bin/tool, src: files/tool, mode: "0755", owner: root, group: root }',
      '- file: { path: /var/lib/etcd, state: directory, mode: "0700" }',
      '- file: { path: /etc/etcd/current, state: link, target: /etc/etcd/v3 }',
      '- file: { path: /tmp/old, state: absent }',
      '- file: { path: /var/run/ready, state: touch }',
      '- file: { path: /etc/kubernetes/pki/etcd/ca.key, src: pki/ca.key, mode: "0600", secret: true }',
      '',
    ].join('\n'),
    returns: { path: 'The managed path.', state: 'The state that was enforced (file, directory, link, touch, absent).' },
    notes: [
      'state defaults to link when target is given, else file; state file without content/src/template only manages attributes of an existing file.',
      'A missing parent directory fails the task (as Ansible copy does): create it first with state: directory.',
      'A symbolic link is never written through; replacing a file or directory by a link (or the reverse) fails: remove it first with state: absent.',
      'touch creates an empty file when missing and otherwise only manages attributes (times are not updated, unlike Ansible).',
      'Existing files keep their mode and owner unless mode/owner/group are given; new files get 0644, new directories 0755 (umask).',
      'mode is an octal string; symbolic modes (u+x) are not supported.',
    ],
  },
  // gather reads pathState of `path`, whatever the state: read ahead for the whole play.
  inspectsPaths: (args) => [args['path']],
  async gather(ctx, params) {
    const content = resolveState(params) === 'file' ? await loadWantedContent(ctx, params) : undefined;
    const current = await ctx.facts.get(pathState, { path: params.path });
    const facts: FileFacts = { current };
    if (content === undefined) return facts;
    facts.content = content;
    const differs = current.type === 'file' && current.sha256 !== hashContent(content);
    if (differs && !params.secret && (current.size ?? 0) <= MAX_DIFF_BYTES) {
      const before = decodeDiffText(await ctx.conn.get(params.path, { sudo: ctx.become }));
      if (before !== undefined) facts.before = before;
    }
    return facts;
  },
  plan(params, facts) {
    const state = resolveState(params);
    const plan = planState(state, params, facts);
    return { ...plan, result: { path: params.path, state } };
  },
};

function resolveState(params: FileParams): FileState {
  return params.state ?? (params.target !== undefined ? 'link' : 'file');
}

/** The bytes the file must hold: content, a controller file, or a rendered template. */
async function loadWantedContent(ctx: ModuleContext, params: FileParams): Promise<string | Uint8Array | undefined> {
  if (params.content !== undefined) return params.content;
  const source = params.src ?? params.template;
  if (source === undefined) return undefined;
  const kind = params.src !== undefined ? 'files' : 'templates';
  const local = resolveControllerFile(source, kind, ctx);
  let bytes: Buffer;
  try {
    bytes = await readFile(local);
  } catch (err) {
    const what = params.src !== undefined ? 'src' : 'template';
    const where = ctx.roleDir ? `${describeCandidates(source, kind, ctx)}` : `${what} is relative to the playbook directory ${ctx.playbookDir}`;
    throw new ModuleError(`${what} ${local} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ${where}`, { cause: err });
  }
  return params.template !== undefined ? ctx.render(bytes.toString('utf8'), local) : bytes;
}

function planState(state: FileState, params: FileParams, facts: FileFacts): Plan {
  switch (state) {
    case 'absent':
      return planAbsent(params.path, facts.current);
    case 'directory':
      return planDirectory(params, facts.current);
    case 'link':
      return planLink(params, facts.current);
    case 'touch':
      return planFile(params, facts.current, facts.current.type === 'absent' ? '' : undefined, undefined);
    case 'file':
      return planFile(params, facts.current, facts.content, facts.before);
  }
}

function planAbsent(path: string, current: PathState): Plan {
  if (current.type === 'absent') return { changes: [], noop: `${path} is already absent` };
  if (path === '/') return { changes: [], failed: 'refusing to remove /' };
  return {
    changes: [{ kind: 'exec', command: ['rm', '-rf', '--', path], describe: `remove ${describeType(current.type)} ${path}` }],
    diffs: [{ label: path, before: `${describeType(current.type)}\n`, after: 'absent\n' }],
  };
}

function planDirectory(params: FileParams, current: PathState): Plan {
  const { path } = params;
  if (current.type === 'directory') return planAttributes(params, current, 'directory exists');
  if (current.type !== 'absent') return refuseReplace(path, current, 'a directory');
  // Like Ansible's state: directory (mkdir -p), but one component at a time and never through a
  // link planted after the read (mkdirNoFollow); new directories get the umask's mode unless
  // asked. The mode goes to mkdir -m, the owner to chown of the directory entered: one command.
  const want = wantedAttributes(params);
  // Links up to the deepest directory that existed when the path was read are followed as
  // named; below it quorum creates each directory itself and follows no link.
  const { base, names } = componentsToCreate(path, current.parentExists ? undefined : current.existingAncestor);
  const owner = want.owner !== undefined || want.group !== undefined ? `${want.owner ?? ''}${want.group !== undefined ? `:${want.group}` : ''}` : undefined;
  const command = mkdirNoFollow(base, names, { ...optional('mode', want.mode), ...optional('owner', owner) });
  const changes: Change[] = [{ kind: 'exec', command, describe: `create directory ${path}${want.mode === undefined ? '' : ` (mode ${want.mode})`}${owner === undefined ? '' : ` (owner ${owner})`}` }];
  return { changes, diffs: [{ label: path, before: 'absent\n', after: 'directory\n' }] };
}

/**
 * Where creating `path` starts (`base`, followed as named) and the directories to create below
 * it: the parent and the last component when the parent existed, else everything below the
 * deepest ancestor that existed when the path was read.
 */
function componentsToCreate(path: string, existingAncestor: string | undefined): { base: string; names: string[] } {
  const normal = posix.normalize(path).replace(/(.)\/+$/, '$1');
  const base = existingAncestor ?? posix.dirname(normal);
  const rest = posix.relative(base, normal);
  const names = rest === '' ? [] : rest.split('/');
  if (names.length === 0 || names.includes('..')) throw new ModuleError(`cannot create ${path} below ${base}`);
  return { base, names };
}

function planLink(params: FileParams, current: PathState): Plan {
  const { path } = params;
  const target = params.target ?? '';
  if (params.mode !== undefined) return { changes: [], failed: `mode does not apply to the symbolic link ${path}: remove mode, or set it on the target` };
  if (current.type === 'link' && current.target === target) return planAttributes(params, current, `link points to ${target}`);
  if (current.type !== 'absent' && current.type !== 'link') return refuseReplace(path, current, 'a symbolic link');
  const changes: Change[] = [{ kind: 'exec', command: ['ln', '-sfn', '--', target, path], describe: `link ${path} -> ${target}`, ...parentRequirement(path, current) }];
  changes.push(...attributeChanges(path, {}, { owner: params.owner, group: params.group }, true));
  const before = current.type === 'link' ? `link to ${current.target}\n` : 'absent\n';
  return { changes, diffs: [{ label: path, before, after: `link to ${target}\n` }] };
}

/** state file and touch: `content` undefined means "attributes only". */
function planFile(params: FileParams, current: PathState, content: string | Uint8Array | undefined, before: string | undefined): Plan {
  const { path } = params;
  if (current.type !== 'absent' && current.type !== 'file') {
    if (params.state === 'touch' && current.type === 'directory') return planAttributes(params, current, 'directory exists');
    return refuseReplace(path, current, 'a file');
  }
  if (content === undefined) {
    if (current.type === 'absent') {
      return { changes: [], failed: `${path} does not exist: give content, src or template to create it, or use state: touch` };
    }
    return planAttributes(params, current, 'file exists');
  }
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  // The text itself is hashed (as UTF-8, the same bytes): its hash is remembered, the Buffer's is not.
  if (current.type === 'file' && current.sha256 === hashContent(content)) {
    return planAttributes(params, current, 'content');
  }
  const want = wantedAttributes(params);
  const put: Change = {
    kind: 'put',
    dest: path,
    content: bytes,
    describe: current.type === 'absent' ? `create ${path} (${bytes.length} bytes)` : `update ${path} (${bytes.length} bytes)`,
    // put replaces the inode: carry the current attributes over unless others are wanted.
    mode: want.mode ?? current.mode ?? '0644',
    ...optional('owner', want.owner ?? current.owner),
    ...optional('group', want.group ?? current.group),
    ...parentRequirement(path, current),
  };
  const diffs: Diff[] = [buildContentDiff(path, current.type === 'absent' ? undefined : before ?? placeholder(current), decodeDiffText(bytes) ?? placeholder({ sha256: hashContent(content) }), params.secret === true)];
  const attrDiff = current.type === 'file' ? buildAttributeDiff(path, currentAttributes(current, want), want) : undefined;
  if (attrDiff) diffs.push(attrDiff);
  return { changes: [put], diffs };
}

/** Attributes only: chmod/chown changes, or a noop saying what already matched (get_url uses it too). */
export function planAttributes(params: FileParams, current: PathState, matched: string): Plan {
  const isLink = current.type === 'link';
  const want = isLink ? { owner: params.owner, group: params.group } : wantedAttributes(params);
  const have = currentAttributes(current, want);
  const changes = attributeChanges(params.path, have, want, isLink);
  if (changes.length === 0) return { changes: [], noop: `${params.path}: ${joinWords([matched, ...attributeNames(want)])} already as wanted` };
  const diff = buildAttributeDiff(params.path, have, want);
  return { changes, ...(diff ? { diffs: [diff] } : {}) };
}

/** chmod and chown changes for the attributes that differ (`have` is empty for new paths). */
function attributeChanges(path: string, have: FileAttributes, want: FileAttributes, isLink: boolean): Change[] {
  const changes: Change[] = [];
  if (want.mode !== undefined && want.mode !== have.mode) {
    changes.push({ kind: 'exec', command: chmodNoFollow(want.mode, path), describe: `chmod ${want.mode} ${path}` });
  }
  const owner = want.owner !== undefined && want.owner !== have.owner ? want.owner : undefined;
  const group = want.group !== undefined && want.group !== have.group ? want.group : undefined;
  if (owner !== undefined || group !== undefined) {
    const spec = `${owner ?? ''}${group !== undefined ? `:${group}` : ''}`;
    changes.push({ kind: 'exec', command: chownNoFollow(spec, path), describe: `chown ${spec} ${path}` });
  }
  return changes;
}

function wantedAttributes(params: FileParams): FileAttributes {
  return { mode: params.mode?.padStart(4, '0'), owner: params.owner, group: params.group };
}

/** The current attributes, with owner/group as ids when the wanted ones are numeric ids. */
function currentAttributes(current: PathState, want: FileAttributes): FileAttributes {
  const numeric = (v: string | undefined) => v !== undefined && /^\d+$/.test(v);
  return {
    mode: current.mode,
    owner: numeric(want.owner) && current.uid !== undefined ? String(current.uid) : current.owner,
    group: numeric(want.group) && current.gid !== undefined ? String(current.gid) : current.group,
  };
}

/**
 * When the parent directory was missing at the read: the change checks it is there before it
 * runs, in the same command, and fails with what to do when it is not (the task before may
 * have created it since: facts/kept-reads.ts plans from such a read).
 */
function parentRequirement(path: string, current: PathState): { requires?: Requirement[] } {
  if (current.parentExists) return {};
  const dir = dirname(path);
  return { requires: [{ test: `[ -d ${quote(dir)} ]`, message: `parent directory ${dir} does not exist: create it first (file with state: directory)` }] };
}

function refuseReplace(path: string, current: PathState, wanted: string): Plan {
  return { changes: [], failed: `${path} is ${describeType(current.type)}, not ${wanted}: remove it first with state: absent` };
}

function describeType(type: PathState['type']): string {
  return { absent: 'absent', file: 'a file', directory: 'a directory', link: 'a symbolic link', other: 'a special file' }[type];
}

/**
 * sha256 of the content, hex. Text is remembered: every host of a task has the same content,
 * and a file task hashes it twice per host (gather, plan). Bounded, as a run may write many files.
 */
function hashContent(content: string | Uint8Array): string {
  if (typeof content !== 'string' || content.length > HASHED_TEXT_MAX) return createHash('sha256').update(content).digest('hex');
  let hex = hashedTexts.get(content);
  if (hex === undefined) {
    hex = createHash('sha256').update(content).digest('hex');
    if (hashedTexts.size >= HASHED_TEXTS_MAX) hashedTexts.clear();
    hashedTexts.set(content, hex);
  }
  return hex;
}

const hashedTexts = new Map<string, string>();
const HASHED_TEXTS_MAX = 1024;
const HASHED_TEXT_MAX = 64 * 1024;

function placeholder(state: { sha256?: string }): string {
  return `(binary or large content, sha256 ${state.sha256 ?? 'unknown'})\n`;
}

function attributeNames(want: FileAttributes): string[] {
  return (['mode', 'owner', 'group'] as const).filter((k) => want[k] !== undefined).map((k) => `${k} ${want[k]}`);
}

function joinWords(words: string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}
