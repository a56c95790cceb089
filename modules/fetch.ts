/**
 * fetch: copy a file from the host to the controller (a backup, a generated artefact).
 *
 * gather reads the remote file's sha256 (the shared file-state fact) and the local file;
 * plan compares them; the copy itself is a `call` change, because the applier only knows how
 * to write to hosts: it reads the remote file over the connection, checks that what arrived
 * is what was planned, and writes the local file atomically (runner/files/atomic-write.ts: a temp
 * file with a random name created exclusively, never through a planted link, checked, fsync'ed,
 * renamed), so an interrupted run or a power cut never leaves a half-written backup under the
 * final name.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { FromSchema } from 'json-schema-to-ts';
import { fetchSchema } from '../schemas/modules/fetch.js';
import { pathStateAsRoot, type PathState } from '../runner/facts/path-state.js';
import { ModuleError } from '../runner/errors.js';
import { writeFileAtomically } from '../runner/files/atomic-write.js';
import type { ModuleContext, ModuleDefinition, Plan } from '../runner/types.js';

type FetchParams = FromSchema<typeof fetchSchema>;

/** The local side, as gathered on the controller. */
interface LocalState {
  path: string;
  exists: boolean;
  sha256?: string;
  mode?: string;
}

interface FetchFacts {
  remote: PathState;
  local: LocalState;
}

/** The `fetch` module definition (registered in modules/index.ts). */
export const fetch: ModuleDefinition<FetchParams, FetchFacts> = {
  name: 'fetch',
  summary: 'Copy a file from the host to the controller, unless the local copy already has the same content.',
  schema: fetchSchema,
  flags: { checkMode: 'supported' },
  docs: {
    examples: [
      '- fetch: { src: /var/backups/etcd/snapshot.db, dest: "backups/{{ inventory_hostname }}/snapshot.db" }',
      '- fetch: { src: /etc/kubernetes/pki/etcd/ca.crt, dest: pki/ca.crt, mode: "0644" }',
      '- fetch: { src: /var/log/app.log, dest: "logs/{{ inventory_hostname }}.log", fail_on_missing: false }',
      '',
    ].join('\n'),
    returns: {
      src: 'The path on the host.',
      dest: 'The absolute path on the controller.',
      sha256: 'Hex sha256 of the file (as read on the host; the copy is checked against it).',
      size: 'Size in bytes.',
    },
    notes: [
      'dest is always a file path (Ansible\'s `flat: yes`); there is no HOST/src tree under a directory.',
      'The whole file passes through the controller\'s memory: fine for snapshots and configs, not for disk images.',
      'The local file is compared by sha256 only: same content and mode means ok, nothing is copied.',
      'A file that changes on the host between gather and copy fails the task instead of storing something else than planned.',
    ],
  },
  async gather(ctx, params) {
    const remote = await ctx.facts.get(pathStateAsRoot, { path: params.src });
    const local = await readLocalState(resolve(ctx.playbookDir, params.dest));
    return { remote, local };
  },
  plan(params, facts) {
    return planFetch(params, facts);
  },
};

/** Pure: what fetching would do, given the remote and local state. */
export function planFetch(params: FetchParams, facts: FetchFacts): Plan {
  const { remote, local } = facts;
  const mode = normalizeMode(params.mode ?? '0600');
  const result = { src: params.src, dest: local.path, ...(remote.sha256 ? { sha256: remote.sha256 } : {}), ...(remote.size !== undefined ? { size: remote.size } : {}) };
  if (remote.type === 'absent') {
    if (params.fail_on_missing === false) return { changes: [], noop: `${params.src} does not exist on the host (fail_on_missing: false)`, result };
    return { changes: [], failed: `${params.src} does not exist on the host`, result };
  }
  if (remote.type !== 'file' || remote.sha256 === undefined) {
    return { changes: [], failed: `${params.src} is a ${remote.type === 'other' ? 'special file' : remote.type} on the host, not a regular file: fetch copies files only`, result };
  }
  if (local.exists && local.sha256 === remote.sha256 && local.mode === mode) {
    return { changes: [], noop: `${local.path} already holds ${params.src} (sha256 ${remote.sha256.slice(0, 12)}), mode ${mode}`, result };
  }
  const expected = remote.sha256;
  const why = !local.exists ? 'new' : local.sha256 !== expected ? 'content differs' : `mode ${local.mode} -> ${mode}`;
  return {
    changes: [
      {
        kind: 'call',
        describe: `fetch ${params.src} (${remote.size} bytes) to ${local.path} (${why})`,
        run: (ctx) => copyToController(ctx, params.src, local.path, expected, mode),
      },
    ],
    diffs: [{ label: local.path, before: local.exists ? `sha256 ${local.sha256}, mode ${local.mode}\n` : '', after: `sha256 ${expected}, mode ${mode}\n` }],
    result,
  };
}

/** Read the remote file, check it is what was planned, write it locally via temp + rename. */
async function copyToController(ctx: ModuleContext, src: string, dest: string, expected: string, mode: string): Promise<Record<string, unknown>> {
  const bytes = await ctx.conn.get(src, { sudo: ctx.become });
  const sha256 = hashBytes(bytes);
  if (sha256 !== expected) {
    throw new ModuleError(`${src} changed on the host while it was fetched (sha256 ${sha256} instead of ${expected}); run again once it is stable`);
  }
  // Backups may be secret: the directory is created private, and the temp file gets the mode first.
  await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
  try {
    await writeFileAtomically(dest, bytes, { mode: Number.parseInt(mode, 8), sha256 });
  } catch (err) {
    throw new ModuleError(`cannot write ${dest} on the controller: ${(err as Error).message}`, { cause: err });
  }
  return { sha256, size: bytes.length };
}

async function readLocalState(path: string): Promise<LocalState> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ModuleError(`dest ${path} exists on the controller and is not a regular file`);
    return { path, exists: true, sha256: hashBytes(await readFile(path)), mode: (info.mode & 0o7777).toString(8).padStart(4, '0') };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { path, exists: false };
    throw err;
  }
}

function hashBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function normalizeMode(mode: string): string {
  return mode.padStart(4, '0');
}
