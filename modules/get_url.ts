/**
 * get_url: download a URL on the host into a file, idempotent by checksum (or by the file's
 * existence when no checksum is given). As in Ansible the host downloads, so it needs a route to
 * the URL, not the controller. The download goes to a temporary file in dest's directory, is
 * checked against the checksum, gets its mode and owner, and is renamed over dest: a reader
 * never sees half a file, and a symbolic link at dest is refused (never written through).
 * Headers and the password go to the downloader on standard input as a Secret: never on a
 * command line, in a result, diff or message.
 *
 * ```yaml
 * - get_url:
 *     url: https://github.com/etcd-io/etcd/releases/download/v3.5.17/etcd-v3.5.17-linux-amd64.tar.gz
 *     dest: /opt/etcd-v3.5.17.tar.gz
 *     checksum: sha256:...
 * ```
 */
import type { FromSchema } from 'json-schema-to-ts';
import { getUrlSchema } from '../schemas/modules/get_url.js';
import type { Change, ModuleDefinition, Plan } from '../runner/types.js';
import { pathState, type PathState } from '../runner/facts/path-state.js';
import { downloader, DOWNLOADERS, type Downloader } from '../runner/facts/downloaders.js';
import { planAttributes } from './file.js';
import { Secret } from '../runner/secret.js';
import { ModuleError } from '../runner/errors.js';

type GetUrlParams = FromSchema<typeof getUrlSchema>;

/** What gather read: dest as it is, and the host's downloader (only when one is needed). */
export interface GetUrlFacts {
  current: PathState;
  tool?: Downloader | 'none';
}

/** The `get_url` module definition (registered in modules/index.ts). */
export const getUrl: ModuleDefinition<GetUrlParams, GetUrlFacts> = {
  name: 'get_url',
  summary: 'Download a URL on the host into a file, verified by sha256 checksum, written atomically.',
  schema: getUrlSchema,
  secretParams: ['url_password', 'headers'],
  docs: {
    examples: [
      '- get_url:',
      '    url: https://example.org/etcd-v3.5.17-linux-amd64.tar.gz',
      '    dest: /opt/etcd-v3.5.17-linux-amd64.tar.gz',
      '    checksum: sha256:0000000000000000000000000000000000000000000000000000000000000000',
      '    mode: "0644"',
      '- get_url: { url: "https://example.org/install.sh", dest: /usr/local/bin/install.sh, mode: "0755", force: true }',
      '- get_url: { url: "https://repo.example.org/key.gpg", dest: /etc/apt/keyrings/example.gpg, url_username: ci, url_password: "{{ repo_password }}" }',
      '',
    ].join('\n'),
    returns: {
      dest: 'The file written.',
      url: 'The URL.',
      sha256sum: 'sha256 of the file downloaded (after a download).',
      size: 'Its size in bytes (after a download).',
    },
    notes: [
      'The host downloads, with python3 (urllib) or else curl; a host with neither fails, saying so. wget is not used (it would need the password on its command line).',
      'checksum is `sha256:HEX` only. With it the task is idempotent by content; without it an existing file is kept (force: true downloads again and reports changed each time).',
      'A download that does not match checksum is removed and fails the task; dest is untouched.',
      'dest must be a file path whose directory exists when the download runs (a directory as dest is refused: name the file). A symbolic link at dest is refused, never written through.',
      'Redirects are followed; the basic-auth header is not sent on to another host.',
      'New files get mode 0644 unless mode is given; an existing file keeps its mode and owner.',
    ],
  },
  inspectsPaths: (args) => [args['dest']],
  async gather(ctx, params) {
    const current = await ctx.facts.get(pathState, { path: params.dest });
    if (!needsDownload(params, current)) return { current };
    return { current, tool: (await ctx.facts.get(downloader, undefined)) ?? 'none' };
  },
  plan: (params, facts) => planGetUrl(params, facts),
};

function needsDownload(params: GetUrlParams, current: PathState): boolean {
  if (current.type !== 'file') return current.type === 'absent';
  if (params.checksum !== undefined) return current.sha256 !== wantedSum(params);
  return params.force === true;
}

function wantedSum(params: GetUrlParams): string | undefined {
  return params.checksum?.slice('sha256:'.length).toLowerCase();
}

/** The pure plan (exported for the unit tests). */
export function planGetUrl(params: GetUrlParams, facts: GetUrlFacts): Plan {
  const { dest, url } = params;
  const { current } = facts;
  const result = { dest, url };
  const refusal = refuseDest(dest, current);
  if (refusal) return { changes: [], failed: refusal, result };
  if (!needsDownload(params, current)) {
    const matched = params.checksum !== undefined ? 'sha256 matches checksum' : 'file exists (no checksum: give one, or force, to compare content)';
    const plan = planAttributes({ path: dest, mode: params.mode, owner: params.owner, group: params.group }, current, matched);
    return { ...plan, result };
  }
  if (facts.tool === undefined || facts.tool === 'none') {
    return { changes: [], failed: `cannot download on this host: none of ${DOWNLOADERS.join(', ')} is installed; install curl (apt-get install curl) or python3`, result };
  }
  const mode = params.mode?.padStart(4, '0') ?? current.mode ?? '0644';
  const owner = params.owner ?? (current.type === 'file' ? current.owner : undefined);
  const group = params.group ?? (current.type === 'file' ? current.group : undefined);
  const change = downloadChange(params, facts.tool, { mode, owner, group });
  const sum = wantedSum(params);
  return {
    changes: [change],
    diffs: [{ label: dest, before: current.type === 'absent' ? 'absent\n' : `sha256 ${current.sha256 ?? 'unknown'}\n`, after: sum ? `sha256 ${sum} (downloaded from ${url})\n` : `downloaded from ${url}\n` }],
    result,
  };
}

function refuseDest(dest: string, current: PathState): string | undefined {
  if (current.type === 'link') return `${dest} is a symbolic link: get_url does not write through a link; give the file it points to as dest, or remove the link first (file: { path: ${dest}, state: absent })`;
  if (current.type === 'directory') return `${dest} is a directory: give the full path of the file to write (dest: ${dest}/NAME)`;
  if (current.type === 'other') return `${dest} is a special file, not a regular file: remove it first or choose another dest`;
  // A missing directory is not refused here: an earlier task may create it (in check mode only
  // predicted); the install script says so if it is still missing.
  return undefined;
}

/**
 * Download into a temporary file beside dest, check the sum, set mode/owner, rename over dest.
 * $1 dest, $2 mode, $3 chown spec or "", $4 wanted sha256 or "", $5 the downloader program;
 * the downloader's configuration (URL, headers, credentials) comes on standard input.
 * Prints "SHA256 SIZE" of the installed file.
 */
const INSTALL_SCRIPT = `set -u
dest=$1; dir=\${dest%/*}; [ -n "$dir" ] || dir=/
[ -d "$dir" ] || { echo "the directory $dir does not exist: create it first (file with state: directory)" >&2; exit 1; }
tmp=$(mktemp "$dir/.quorum-get_url.XXXXXX") || exit 1
trap 'rm -f "$tmp"' EXIT
sh -c "$5" sh "$tmp" || exit $?
sum=$(sha256sum < "$tmp") || exit 1
sum=\${sum%% *}
if [ -n "$4" ] && [ "$sum" != "$4" ]; then echo "the download's sha256 is $sum, checksum says $4: not installed" >&2; exit 1; fi
chmod "$2" "$tmp" || exit 1
if [ -n "$3" ]; then chown "$3" "$tmp" || exit 1; fi
if [ -d "$dest" ] && [ ! -L "$dest" ]; then echo "$dest became a directory: not replaced" >&2; exit 1; fi
mv -fT -- "$tmp" "$dest" || exit 1
trap - EXIT
printf '%s %s\\n' "$sum" "$(wc -c < "$dest")"`;

// Reads its configuration (JSON) on stdin; the credentials go in an unredirected header, which
// urllib does not send on to the target of a redirect.
const PYTHON_DOWNLOAD = `import base64, json, shutil, ssl, sys, urllib.error, urllib.request
c = json.load(sys.stdin)
req = urllib.request.Request(c["url"], headers=c["headers"])
if c.get("user") is not None:
    req.add_unredirected_header("Authorization", "Basic " + base64.b64encode((c["user"] + ":" + c["password"]).encode()).decode())
ctx = None if c["validate_certs"] else ssl._create_unverified_context()
try:
    with urllib.request.urlopen(req, timeout=c["timeout"], context=ctx) as r, open(sys.argv[1], "wb") as f:
        shutil.copyfileobj(r, f)
except urllib.error.HTTPError as e:
    sys.stderr.write("HTTP error %d %s\\n" % (e.code, e.reason)); sys.exit(22)
except Exception as e:
    sys.stderr.write("download failed: %s\\n" % (getattr(e, "reason", None) or e)); sys.exit(1)`;

function downloadChange(params: GetUrlParams, tool: Downloader, attrs: { mode: string; owner: string | undefined; group: string | undefined }): Change {
  const spec = attrs.owner !== undefined || attrs.group !== undefined ? `${attrs.owner ?? ''}${attrs.group !== undefined ? `:${attrs.group}` : ''}` : '';
  const program = tool === 'python3' ? `exec python3 -c '${PYTHON_DOWNLOAD.replace(/'/g, `'\\''`)}' "$1"` : 'exec curl --fail --silent --show-error --location --proto =http,https --proto-redir =http,https -o "$1" -K -';
  const argv = ['sh', '-c', INSTALL_SCRIPT, 'sh', params.dest, attrs.mode, spec, wantedSum(params) ?? '', program];
  const config = new Secret(tool === 'python3' ? pythonConfig(params) : curlConfig(params));
  return {
    kind: 'call',
    describe: `download ${params.url} to ${params.dest}${params.checksum ? ' (sha256 checked)' : ''}`,
    async run(ctx) {
      const r = await ctx.conn.exec(argv, { sudo: ctx.become, stdin: config.reveal() });
      if (r.exitCode !== 0) {
        // The downloader's message is about the URL or the network; the configuration it read is not echoed.
        throw new ModuleError(`download of ${params.url} to ${params.dest} failed (exit ${r.exitCode}): ${r.stderr.toString('utf8').trim().split('\n').slice(-5).join('\n') || 'no error output'}`);
      }
      const [sha256sum, size] = r.stdout.toString('utf8').trim().split(' ');
      return { sha256sum, size: Number(size) };
    },
  };
}

function pythonConfig(params: GetUrlParams): string {
  return JSON.stringify({
    url: params.url,
    headers: params.headers ?? {},
    timeout: params.timeout ?? 10,
    validate_certs: params.validate_certs !== false,
    ...(params.url_username !== undefined ? { user: params.url_username, password: params.url_password ?? '' } : {}),
  });
}

/** curl's config file syntax: one option a line, values in double quotes with \\ and " escaped. */
function curlConfig(params: GetUrlParams): string {
  const q = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const timeout = String(params.timeout ?? 10);
  const lines = [`url = ${q(params.url)}`, `connect-timeout = ${timeout}`, `speed-time = ${timeout}`, 'speed-limit = 1'];
  for (const [k, v] of Object.entries(params.headers ?? {})) lines.push(`header = ${q(`${k}: ${v}`)}`);
  if (params.url_username !== undefined) lines.push(`user = ${q(`${params.url_username}:${params.url_password ?? ''}`)}`);
  if (params.validate_certs === false) lines.push('insecure');
  return `${lines.join('\n')}\n`;
}
