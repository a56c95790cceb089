/**
 * dpkg-packages: every package dpkg knows on the host, with its version and state, from one
 * `dpkg-query -W` (a read of /var/lib/dpkg/status; no lock, no root needed). The apt and package
 * modules read it ahead with the play's paths (ModuleDefinition.readsAhead, strategy/prefetch.ts),
 * so a play of apt tasks with nothing to do costs the host this one query.
 */
import type { Fact } from '../types.js';

/** One package as dpkg records it. */
export interface DpkgPackage {
  name: string;
  /** amd64, all, ... */
  architecture: string;
  version: string;
  /** dpkg's current status (`${db:Status-Status}`): installed, config-files, half-installed, unpacked... */
  status: string;
}

/** Packages by name; a name installed for several architectures (multiarch) lists each. */
export type DpkgPackages = Map<string, DpkgPackage[]>;

// Tab-separated: no field holds a tab (Debian policy forbids it in names and versions).
const FORMAT = '${Package}\\t${Architecture}\\t${Version}\\t${db:Status-Status}\\n';

export const dpkgPackages: Fact<DpkgPackages, void> = {
  name: 'dpkg-packages',
  command() {
    // A host without dpkg prints the marker: the module then says so rather than failing on exit 127.
    return `if command -v dpkg-query >/dev/null 2>&1; then LC_ALL=C dpkg-query -W -f '${FORMAT}'; else echo 'quorum: no dpkg-query'; fi`;
  },
  parse(output) {
    if (output.stdout.startsWith('quorum: no dpkg-query')) throw new Error('this host has no dpkg-query: the apt module needs a Debian-family host (dpkg and apt-get)');
    if (output.exitCode !== 0) throw new Error(`dpkg-query -W failed (exit ${output.exitCode}): ${output.stderr.trim()}`);
    return parseDpkgQuery(output.stdout);
  },
};

/** Parse the `dpkg-query -W -f` lines of {@link dpkgPackages} (pure; exported for tests). */
export function parseDpkgQuery(stdout: string): DpkgPackages {
  const packages: DpkgPackages = new Map();
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const [name, architecture, version, status] = line.split('\t');
    if (!name || architecture === undefined || version === undefined || status === undefined) throw new Error(`dpkg-query printed a line quorum cannot read: ${JSON.stringify(line.slice(0, 200))}`);
    const entry: DpkgPackage = { name, architecture, version, status };
    const list = packages.get(name);
    if (list) list.push(entry);
    else packages.set(name, [entry]);
  }
  return packages;
}

/** The installed entry of `name` (`name:arch` picks the architecture), or undefined. */
export function installedPackage(packages: DpkgPackages, spec: string): DpkgPackage | undefined {
  const [name, arch] = splitArch(spec);
  return packages.get(name)?.find((p) => p.status === 'installed' && (arch === undefined || p.architecture === arch));
}

/** The entry of `name` whatever its state (installed, config-files left after a remove...). */
export function knownPackage(packages: DpkgPackages, spec: string): DpkgPackage | undefined {
  const [name, arch] = splitArch(spec);
  return packages.get(name)?.find((p) => p.status !== 'not-installed' && (arch === undefined || p.architecture === arch));
}

function splitArch(spec: string): [string, string | undefined] {
  const colon = spec.indexOf(':');
  return colon < 0 ? [spec, undefined] : [spec.slice(0, colon), spec.slice(colon + 1)];
}
