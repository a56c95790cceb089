/**
 * The version facts (kubeadm, kubelet, etcd, etcdctl, systemd's), probed only when the binary changed.
 *
 * Each probe starts a Go binary: 12-15 ms of host CPU, 60 % of the whole facts script on the
 * lab's hosts, paid by every host on every run although a binary's version cannot change while
 * the file stays the same. So the script stamps each tool's file first, with one `stat` for all
 * (device, inode, size, mtime, and ctime to the nanosecond as `%z` prints it: a replaced or
 * rewritten file gets a new ctime, which no one can set back), and runs a probe only when the
 * stamp differs from the one the controller remembers with that probe's output
 * (version-cache.ts). The parser sees the same output text whether it was probed now or
 * remembered.
 */
import { quote } from '../connection/quote.js';

// systemctl too: `systemctl --version` costs 5.6 ms of host CPU (lab host), and the major version
// the facts keep is fixed by the binary's file (it links libsystemd-shared-MAJOR.so by name).
export const VERSION_TOOLS = ['kubeadm', 'kubelet', 'etcd', 'etcdctl', 'systemctl'] as const;
export type VersionTool = (typeof VERSION_TOOLS)[number];

/** What a probe printed, and the stamp line of the file it ran (`PATH|dev:ino:size:mtime:ctime`). */
export interface ToolProbe {
  stampLine: string;
  output: string;
}

/** Probes remembered for one host, by tool. */
export type KnownProbes = Partial<Record<VersionTool, ToolProbe>>;

/**
 * Script part that stamps the tools and starts, in the background, the probes whose tool's stamp
 * is not among the known ones. No program but `stat` when nothing changed (the re-run): the paths
 * come from one subshell of `command -v` builtins, the stamps from `stat` into a variable, and
 * the temporary directory for the probes' output (`$v`) is made only when a probe must run.
 * Without mktemp, those probes run in turn when printed ({@link PROBE_PRINT}). A host without
 * `stat -L -c` gets empty stamps, which never match, so every present tool is probed as before.
 */
export function buildProbeStart(known: KnownProbes): string {
  const lines = Object.values(known).filter((p) => isStamped(p.stampLine)).map((p) => quote(p.stampLine));
  const unchanged = lines.length ? `    ${lines.join('|')}) ;;\n` : '';
  return `v= need=
q_p=$(for t in ${VERSION_TOOLS.join(' ')}; do command -v "$t"; done 2>/dev/null)
set --; while IFS= read -r p; do case $p in /*) set -- "$@" "$p" ;; esac; done <<Q_PATHS
$q_p
Q_PATHS
q_st=
if [ $# -gt 0 ] && ! q_st=$(stat -L -c '%n|%d:%i:%s:%Y:%z' -- "$@" 2>/dev/null); then
  q_st=; for p; do q_st="$q_st$p|
"; done
fi
while IFS= read -r l; do
  case $l in
${unchanged}    *'|'*) t=\${l%%|*}; need="$need \${t##*/}" ;;
  esac
done <<Q_STAMPS
$q_st
Q_STAMPS
if [ -n "$need" ] && v=$(mktemp -d 2>/dev/null); then
  for t in $need; do probe "$t" > "$v/$t" & done
else v=; fi`;
}

/** Script part that prints the stamps and each probed tool's output, after `wait`; removes `$v`. */
export const PROBE_PRINT = `s stamps; [ -z "$q_st" ] || printf '%s\\n' "$q_st"
for t in ${VERSION_TOOLS.join(' ')}; do s "$t"; case " $need " in *" $t "*) if [ -z "$v" ]; then probe "$t"; elif [ -f "$v/$t" ]; then out "$v/$t"; fi ;; esac; done
[ -z "$v" ] || rm -rf "$v"`;

/**
 * Each tool's probe output, the remembered one where the stamp is unchanged, and the probes to
 * remember from now on (tools absent from the host are dropped; unstamped probes are not kept).
 */
export function resolveToolProbes(sections: ReadonlyMap<string, string>, known: KnownProbes): { outputs: Record<VersionTool, string>; remember: KnownProbes } {
  const stampLines = (sections.get('stamps') ?? '').split('\n').filter((l) => l.includes('|'));
  const outputs = {} as Record<VersionTool, string>;
  const remember: KnownProbes = {};
  for (const tool of VERSION_TOOLS) {
    const stampLine = stampLines.find((l) => toolOfStampLine(l) === tool);
    const before = known[tool];
    const unchanged = stampLine !== undefined && isStamped(stampLine) && before?.stampLine === stampLine;
    outputs[tool] = unchanged ? before.output : (sections.get(tool) ?? '');
    if (stampLine !== undefined && isStamped(stampLine)) remember[tool] = { stampLine, output: outputs[tool] };
  }
  return { outputs, remember };
}

/** A stamp line with a stamp: `PATH|` alone (stat failed) never stands for an unchanged file. */
export function isStamped(line: string): boolean {
  return !line.endsWith('|') && !line.includes('\n');
}

/** `/usr/bin/etcd|2049:...` -> `etcd`. */
function toolOfStampLine(line: string): string {
  const path = line.slice(0, line.lastIndexOf('|'));
  return path.slice(path.lastIndexOf('/') + 1);
}
