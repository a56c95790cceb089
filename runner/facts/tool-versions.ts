/**
 * The version facts (kubeadm, kubelet, etcd, etcdctl), probed only when the binary changed.
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

export const VERSION_TOOLS = ['kubeadm', 'kubelet', 'etcd', 'etcdctl'] as const;
export type VersionTool = (typeof VERSION_TOOLS)[number];

/** What a probe printed, and the stamp line of the file it ran (`PATH|dev:ino:size:mtime:ctime`). */
export interface ToolProbe {
  stampLine: string;
  output: string;
}

/** Probes remembered for one host, by tool. */
export type KnownProbes = Partial<Record<VersionTool, ToolProbe>>;

/**
 * Script part that starts, in the background, the probes whose tool's stamp is not among the
 * known ones; `$v` is the script's temporary directory. A host without `stat -L -c` gets empty
 * stamps, which never match, so every present tool is probed as before.
 */
export function buildProbeStart(known: KnownProbes): string {
  const lines = Object.values(known).filter((p) => isStamped(p.stampLine)).map((p) => quote(p.stampLine));
  const unchanged = lines.length ? `    ${lines.join('|')}) ;;\n` : '';
  return `for t in ${VERSION_TOOLS.join(' ')}; do command -v "$t"; done > "$v/paths" 2>/dev/null
set --; while IFS= read -r p; do case $p in /*) set -- "$@" "$p" ;; esac; done < "$v/paths"
: > "$v/stamps"
if [ $# -gt 0 ] && ! stat -L -c '%n|%d:%i:%s:%Y:%z' -- "$@" > "$v/stamps" 2>/dev/null; then
  : > "$v/stamps"; for p; do printf '%s|\\n' "$p" >> "$v/stamps"; done
fi
while IFS= read -r l; do
  case $l in
${unchanged}    *) t=\${l%%|*}; t=\${t##*/}; probe "$t" > "$v/$t" & ;;
  esac
done < "$v/stamps"`;
}

/** Script part that prints the stamps and each tool's probe output, after `wait`. */
export const PROBE_PRINT = `s stamps; out "$v/stamps"
for t in ${VERSION_TOOLS.join(' ')}; do s "$t"; if [ -f "$v/$t" ]; then out "$v/$t"; fi; done`;

/** Script part for hosts without mktemp: every tool probed in turn, nothing stamped. */
export const PROBE_WITHOUT_STAMPS = `for t in ${VERSION_TOOLS.join(' ')}; do s "$t"; probe "$t"; done`;

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
