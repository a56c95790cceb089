/**
 * What one etcd host holds, read in one round trip: its data directory, whether the service
 * runs, and the bootstrap flags (`--initial-cluster`, `--initial-cluster-state`) of the unit or
 * static pod manifest that started it. Pure script builder and parser; modules/etcd-member-info.ts
 * runs them. Everything parsed here is host data: kept as strings, bounded, never rendered.
 */
import { quote } from '../connection/quote.js';

/** The bootstrap flags a member was started with (etcd reads them only on its first start). */
export interface BootstrapFlags {
  initialCluster: string;
  initialClusterState: string;
}

/** The local state of one host, as the script reports it. */
export interface LocalMemberState {
  /** `DATA_DIR/member` exists: this host has been a member (etcd ignores bootstrap flags then). */
  hasData: boolean;
  /** `systemctl is-active` of the etcd unit: active, inactive, failed, activating... */
  serviceState: string;
  /** The static pod manifest exists. */
  manifestPresent: boolean;
  /** Flags from the unit (systemd runtime) or the manifest (static-pod), when both are there. */
  bootstrap?: BootstrapFlags;
  /** Every client TLS file etcdctl needs is there (so asking the member itself makes sense). */
  tlsReady: boolean;
}

export interface MemberInfoPaths {
  dataDir: string;
  unitFile: string;
  manifestFile: string;
  unitName: string;
  /** Files etcdctl needs (CA, client cert, key): checked for existence only, never read. */
  tlsFiles: string[];
}

const MARK = '@@quorum-etcd';
/** A flag's value as a unit line or a YAML list item holds it: no blank, no quote, no backslash. */
const FLAG_VALUE = `[^[:space:]"'\\\\]*`;
/** A flag value longer than this is not a real etcd flag: refuse it rather than carry it. */
const MAX_FLAG_LENGTH = 16 * 1024;

/**
 * The script: one `MARK key value` line per fact, flags as the grep finds them, and an end line:
 * run it before anything that prints file contents, since the parser stops at that line.
 */
export function buildMemberInfoScript(paths: MemberInfoPaths): string {
  const data = quote(`${paths.dataDir.replace(/\/+$/, '')}/member`);
  const unit = quote(paths.unitFile);
  const manifest = quote(paths.manifestFile);
  return [
    `if [ -d ${data} ]; then echo '${MARK} data yes'; else echo '${MARK} data no'; fi`,
    // The first line by the shell's own expansion, and the flags' first 4 lines by `read`: no
    // `head` or `sed` (a process costs the host 1-2 ms).
    "q_nl='",
    "'",
    `q_s=$(systemctl is-active -- ${quote(paths.unitName)} 2>/dev/null); printf '${MARK} service %s\\n' "\${q_s%%\"$q_nl\"*}"`,
    `if [ -f ${manifest} ]; then echo '${MARK} manifest yes'; fi`,
    `if ${paths.tlsFiles.map((f) => `[ -f ${quote(f)} ]`).join(' && ') || 'false'}; then echo '${MARK} tls yes'; fi`,
    // -h: no file names; -o: the flag alone, whatever the line looks like (unit or YAML list).
    `for f in ${unit} ${manifest}; do [ -f "$f" ] || continue; printf '${MARK} source %s\\n' "$f";`,
    `  q_g=$(grep -h -o -e ${quote(`--initial-cluster=${FLAG_VALUE}`)} -e ${quote(`--initial-cluster-state=${FLAG_VALUE}`)} -- "$f"); q_i=0`,
    `  while [ $q_i -lt 4 ] && IFS= read -r l; do [ -z "$l" ] || printf '${MARK} flag %s\\n' "$l"; q_i=$((q_i + 1)); done <<Q_FLAGS`,
    '$q_g',
    'Q_FLAGS',
    'done',
    // Whatever a caller prints after this script (file contents) is not this script's output.
    `echo '${MARK} end'`,
  ].join('\n');
}

/**
 * Parse the script's output. The flags of the first file that has both (the unit before the
 * manifest, as the script lists them) are the member's bootstrap flags.
 */
export function parseMemberInfo(stdout: string): LocalMemberState {
  const state: LocalMemberState = { hasData: false, serviceState: 'unknown', manifestPresent: false, tlsReady: false };
  const perSource: Array<Partial<BootstrapFlags>> = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(`${MARK} `)) continue;
    const [key, ...rest] = line.slice(MARK.length + 1).split(' ');
    const value = rest.join(' ');
    if (key === 'end') break;
    if (key === 'data') state.hasData = value === 'yes';
    else if (key === 'service') state.serviceState = value.trim() || 'unknown';
    else if (key === 'manifest') state.manifestPresent = true;
    else if (key === 'tls') state.tlsReady = true;
    else if (key === 'source') perSource.push({});
    else if (key === 'flag' && perSource.length > 0 && value.length <= MAX_FLAG_LENGTH) {
      const current = perSource[perSource.length - 1]!;
      const m = /^--(initial-cluster|initial-cluster-state)=(.*)$/.exec(value);
      if (m?.[1] === 'initial-cluster') current.initialCluster ??= m[2]!;
      else if (m?.[1] === 'initial-cluster-state') current.initialClusterState ??= m[2]!;
    }
  }
  const complete = perSource.find((f) => f.initialCluster !== undefined && f.initialClusterState !== undefined);
  if (complete) state.bootstrap = { initialCluster: complete.initialCluster!, initialClusterState: complete.initialClusterState! };
  return state;
}
