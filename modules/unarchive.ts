/**
 * unarchive: extract a tar (gz, xz, bz2, plain) or zip archive into a directory on the host,
 * from a controller file (uploaded) or one on the host (remote_src). Idempotent by a marker:
 * after a successful extraction quorum records the archive's sha256 for (dest, archive name)
 * under /var/lib/quorum/unarchive (~/.cache/quorum/unarchive without root), and extracts again
 * only when the archive changed, or when `creates` is given and missing. Before extracting, the
 * listing is read and an archive with a member that has an absolute path or a `..` component is
 * refused (a hostile archive must not write outside dest).
 *
 * Hosts without xz, bzip2 or unzip (the lab's minimal Debian has none) decompress with python3's
 * lzma, bz2 and zipfile instead; a host with neither says which package to install.
 *
 * ```yaml
 * - unarchive: { src: files/etcd-v3.5.17-linux-amd64.tar.gz, dest: /opt, creates: /opt/etcd-v3.5.17-linux-amd64/etcd }
 * ```
 */
import { resolveControllerFile } from '../runner/files/controller-files.js';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { FromSchema } from 'json-schema-to-ts';
import { unarchiveSchema } from '../schemas/modules/unarchive.js';
import type { Change, ModuleContext, ModuleDefinition, Plan } from '../runner/types.js';
import { quote } from '../runner/connection/quote.js';
import { ModuleError } from '../runner/errors.js';

type UnarchiveParams = FromSchema<typeof unarchiveSchema>;
type Format = 'gz' | 'xz' | 'bz2' | 'tar' | 'zip';

/** What gather read on the host (one command) and, for a controller archive, on the controller. */
export interface UnarchiveFacts {
  format: Format;
  /** The archive's sha256 (hex), or undefined when a remote archive does not exist. */
  sha256?: string;
  /** The controller file to upload (not remote_src). */
  localPath?: string;
  /** Where the archive is read from on the host (remote_src), or will be uploaded to. */
  archivePath: string;
  destIsDirectory: boolean;
  createsExists?: boolean;
  /** The sha256 the marker recorded at the last extraction, if any. */
  markerSha256?: string;
  markerPath: string;
  stateDir: string;
  /** Programs found on the host among those the format can use. */
  tools: string[];
}

const TOOLS = ['tar', 'gzip', 'xz', 'bzip2', 'unzip', 'python3'];

/** For each format: the programs that can read it, in order (python3 is the fallback). */
const DECOMPRESSORS: Record<Format, { tools: string[]; pkg: string }> = {
  gz: { tools: ['gzip', 'python3'], pkg: 'gzip' },
  xz: { tools: ['xz', 'python3'], pkg: 'xz-utils' },
  bz2: { tools: ['bzip2', 'python3'], pkg: 'bzip2' },
  tar: { tools: [], pkg: '' },
  zip: { tools: ['unzip', 'python3'], pkg: 'unzip' },
};

/** The `unarchive` module definition (registered in modules/index.ts). */
export const unarchive: ModuleDefinition<UnarchiveParams, UnarchiveFacts> = {
  name: 'unarchive',
  summary: 'Extract a tar/zip archive (from the controller or the host) into a directory, once per archive content.',
  schema: unarchiveSchema,
  docs: {
    examples: [
      '- unarchive: { src: files/node_exporter-1.8.2.linux-amd64.tar.gz, dest: /opt }',
      '- unarchive: { src: /tmp/etcd.tar.gz, remote_src: true, dest: /usr/local/bin, extra_opts: [--strip-components=1], creates: /usr/local/bin/etcd }',
      '- unarchive: { src: files/site.zip, dest: /var/www/html }',
      '',
    ].join('\n'),
    returns: { dest: 'The directory extracted into.', src: 'The archive.', sha256: 'sha256 of the archive.' },
    notes: [
      'The format comes from the name: .tar.gz/.tgz, .tar.xz/.txz, .tar.bz2/.tbz2, .tar, .zip.',
      'Idempotent by a marker, not by comparing files: after an extraction the archive\'s sha256 is recorded under /var/lib/quorum/unarchive (~/.cache/quorum/unarchive without root); the same archive into the same dest is not extracted again, even if files were deleted since. Use creates to name a file whose absence must re-extract.',
      'An archive with a member whose path is absolute or has a `..` component is refused before anything is extracted. Symbolic links inside the archive that point outside dest are left to GNU tar\'s own protection (it extracts them last, and never writes through them).',
      'dest must exist (create it with `file: { state: directory }`). Files are extracted as tar does as root: with the owners and modes recorded in the archive.',
      'Without xz/bzip2/unzip on the host, python3 decompresses (a zip extracted by python3 keeps no file modes, and extra_opts then need unzip).',
    ],
  },
  async gather(ctx, params) {
    const format = formatOf(params.src);
    const key = createHash('sha256').update(`${params.dest}\0${basename(params.src)}`).digest('hex').slice(0, 32);
    const local = params.remote_src ? undefined : resolveControllerFile(params.src, 'files', ctx);
    const localSum = local !== undefined ? await hashLocal(local) : undefined;
    const r = await ctx.conn.exec(buildGatherScript(params, key), { sudo: ctx.become });
    if (r.exitCode !== 0) throw new ModuleError(`cannot inspect ${params.dest} for unarchive (exit ${r.exitCode}): ${r.stderr.toString('utf8').trim()}`);
    const seen = parseGatherOutput(r.stdout.toString('utf8'));
    const stateDir = seen.get('statedir') ?? '';
    return {
      format,
      ...(local !== undefined ? { localPath: local } : {}),
      ...(localSum !== undefined ? { sha256: localSum } : seen.get('srcsum') ? { sha256: seen.get('srcsum')! } : {}),
      archivePath: params.remote_src ? params.src : `${stateDir}/upload-${key}${extensionOf(params.src)}`,
      destIsDirectory: seen.get('dest') === 'directory',
      ...(params.creates !== undefined ? { createsExists: seen.get('creates') === 'yes' } : {}),
      ...(seen.get('marker') ? { markerSha256: seen.get('marker')! } : {}),
      markerPath: `${stateDir}/${key}`,
      stateDir,
      tools: (seen.get('tools') ?? '').split(' ').filter(Boolean),
    };
  },
  plan: (params, facts, ctx) => planUnarchive(params, facts, ctx.checkMode),
};

/** The pure plan (exported for the unit tests). */
export function planUnarchive(params: UnarchiveParams, facts: UnarchiveFacts, checkMode: boolean): Plan {
  const { src, dest } = params;
  const result = { dest, src, ...(facts.sha256 ? { sha256: facts.sha256 } : {}) };
  if (params.creates !== undefined && facts.createsExists) return { changes: [], noop: `${params.creates} exists`, result };
  // In check mode an earlier task may only have been predicted to create dest.
  if (!facts.destIsDirectory && !checkMode) return { changes: [], failed: `dest ${dest} is not a directory on the host: create it first (file: { path: ${dest}, state: directory })`, result };
  if (facts.sha256 === undefined) {
    // In check mode an earlier task (get_url) may only have been predicted to put it there.
    if (checkMode) return { changes: [], unpredictable: `the archive ${src} is not on the host yet`, result };
    return { changes: [], failed: `the archive ${src} does not exist on the host (remote_src: true reads it there; without remote_src it is a controller file)`, result };
  }
  if (facts.markerSha256 === facts.sha256 && params.creates === undefined) {
    return { changes: [], noop: `${src} (sha256 ${facts.sha256.slice(0, 12)}…) was already extracted into ${dest}`, result };
  }
  const missing = missingTools(facts.format, facts.tools, (params.extra_opts ?? []).length > 0);
  if (missing) return { changes: [], failed: missing, result };
  const changes: Change[] = [{ kind: 'exec', command: ['mkdir', '-p', '-m', '0700', '--', facts.stateDir], describe: `create ${facts.stateDir}` }];
  if (facts.localPath !== undefined) {
    const local = facts.localPath;
    changes.push({ kind: 'put', dest: facts.archivePath, content: () => readLocal(local), mode: '0600', describe: `upload ${src} to ${facts.archivePath}` });
  }
  const argv = ['sh', '-c', EXTRACT_SCRIPT, 'sh', facts.archivePath, dest, facts.format, facts.markerPath, facts.sha256, params.remote_src ? '0' : '1', ...(params.extra_opts ?? [])];
  changes.push({ kind: 'exec', command: argv, describe: `extract ${src} into ${dest}${params.extra_opts?.length ? ` (${params.extra_opts.join(' ')})` : ''}` });
  const before = facts.markerSha256 ? `extracted: archive sha256 ${facts.markerSha256}\n` : 'not extracted by quorum\n';
  return { changes, diffs: [{ label: dest, before, after: `extracted: archive sha256 ${facts.sha256} (${src})\n` }], result };
}

/** Which program is missing for this format on this host, with what to install; else undefined. */
function missingTools(format: Format, tools: string[], extraOpts: boolean): string | undefined {
  if (format !== 'zip' && !tools.includes('tar')) return 'tar is not installed on the host: install it (apt-get install tar)';
  const { tools: usable, pkg } = DECOMPRESSORS[format];
  if (format === 'zip' && extraOpts && !tools.includes('unzip')) return 'extra_opts for a zip archive need unzip, which is not installed on the host: install it (apt-get install unzip)';
  if (usable.length > 0 && !usable.some((t) => tools.includes(t))) {
    return `${usable[0]} is not installed on the host, nor python3 to do its work: install ${pkg} (apt-get install ${pkg})`;
  }
  return undefined;
}

export function formatOf(src: string): Format {
  if (/\.(tar\.gz|tgz)$/.test(src)) return 'gz';
  if (/\.(tar\.xz|txz)$/.test(src)) return 'xz';
  if (/\.(tar\.bz2|tbz2)$/.test(src)) return 'bz2';
  if (/\.zip$/.test(src)) return 'zip';
  return 'tar';
}

function extensionOf(src: string): string {
  return /(\.tar\.gz|\.tgz|\.tar\.xz|\.txz|\.tar\.bz2|\.tbz2|\.tar|\.zip)$/.exec(src)?.[1] ?? '';
}

/** One command: dest's kind, creates, the remote archive's sha256, the marker, the tools. */
function buildGatherScript(params: UnarchiveParams, key: string): string {
  const lines = [
    // Root's markers are the machine's; a user's are their own.
    'if [ "$(id -u)" = 0 ]; then d=/var/lib/quorum/unarchive; else d="$HOME/.cache/quorum/unarchive"; fi',
    'echo "statedir=$d"',
    `if [ -d ${quote(params.dest)} ]; then echo dest=directory; else echo dest=other; fi`,
    `m=$(sed -n 's/^sha256 //p' "$d/${key}" 2>/dev/null); echo "marker=$m"`,
    `t=; for p in ${TOOLS.join(' ')}; do command -v $p >/dev/null 2>&1 && t="$t $p"; done; echo "tools=$t"`,
  ];
  if (params.creates !== undefined) lines.push(`if [ -e ${quote(params.creates)} ] || [ -L ${quote(params.creates)} ]; then echo creates=yes; else echo creates=no; fi`);
  if (params.remote_src) lines.push(`if [ -f ${quote(params.src)} ]; then s=$(sha256sum < ${quote(params.src)}) || exit 1; echo "srcsum=\${s%% *}"; fi`);
  return lines.join('\n');
}

/** key=value lines (values are the host's data: only compared, never interpreted). */
export function parseGatherOutput(stdout: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) map.set(line.slice(0, eq), line.slice(eq + 1).trim());
  }
  return map;
}

async function hashLocal(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (err) {
    throw new ModuleError(`src ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); a relative src is looked for in the role\'s files/, then the playbook\'s files/ and directory, unless remote_src: true`, { cause: err });
  }
  return hash.digest('hex');
}

async function readLocal(path: string): Promise<Uint8Array> {
  return readFile(path);
}

/**
 * $1 archive, $2 dest, $3 format, $4 marker, $5 archive sha256, $6 1 = remove the archive after
 * (an upload), then extra options. Lists first and refuses absolute and `..` member names; then
 * extracts, records the marker (atomically) and removes an uploaded archive. Exit 4 = refused.
 */
export const EXTRACT_SCRIPT = `set -u
archive=$1 dest=$2 fmt=$3 marker=$4 sum=$5 cleanup=$6; shift 6
py() { c=$1; shift; python3 -c "$c" "$archive" "$@"; }
decompress() {
  case $fmt in
    gz) if command -v gzip >/dev/null 2>&1; then gzip -dc -- "$archive"; else py 'import gzip,shutil,sys; shutil.copyfileobj(gzip.open(sys.argv[1]), sys.stdout.buffer)'; fi ;;
    xz) if command -v xz >/dev/null 2>&1; then xz -dc -- "$archive"; else py 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)'; fi ;;
    bz2) if command -v bzip2 >/dev/null 2>&1; then bzip2 -dc -- "$archive"; else py 'import bz2,shutil,sys; shutil.copyfileobj(bz2.open(sys.argv[1]), sys.stdout.buffer)'; fi ;;
    *) cat -- "$archive" ;;
  esac
}
rcfile=$(mktemp) || exit 1
trap 'rm -f "$rcfile"' EXIT
# dash has no pipefail: the decompressor's status goes through a file.
piped() { { decompress; echo $? > "$rcfile"; } | "$@"; r=$?; d=$(cat "$rcfile"); [ "$d" = 0 ] || { echo "cannot decompress $archive (exit $d)" >&2; return 1; }; return $r; }
if [ "$fmt" = zip ]; then
  if command -v unzip >/dev/null 2>&1; then names=$(unzip -Z1 "$archive") || exit 1
  else names=$(py 'import sys,zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))') || exit 1; fi
else
  names=$(piped tar -tf -) || exit 1
fi
bad=$(printf '%s\\n' "$names" | grep -E '^/|(^|/)\\.\\.(/|$)' | head -n 5)
if [ -n "$bad" ]; then
  echo "refusing to extract $archive: members with an absolute path or a .. component would land outside $dest:" >&2
  printf '%s\\n' "$bad" >&2
  [ "$cleanup" = 1 ] && rm -f -- "$archive"
  exit 4
fi
if [ "$fmt" = zip ]; then
  if command -v unzip >/dev/null 2>&1; then unzip -o -q "$@" "$archive" -d "$dest" || exit 1
  else py 'import sys,zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$dest" || exit 1; fi
else
  piped tar -xf - -C "$dest" "$@" || exit 1
fi
printf 'sha256 %s\\ndest %s\\n' "$sum" "$dest" > "$marker.tmp" && mv -f -- "$marker.tmp" "$marker" || exit 1
[ "$cleanup" = 1 ] && rm -f -- "$archive"
exit 0`;
