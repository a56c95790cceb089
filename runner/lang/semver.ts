/**
 * Version comparison as kubeadm does it for etcd (k8s.io/apimachinery/pkg/util/version
 * ParseSemantic + AtLeast): MAJOR.MINOR.PATCH, an optional leading `v`, a pre-release after `-`
 * that ranks below the release (3.6.0-rc.1 < 3.6.0), build metadata after `+` ignored.
 * `3.6` is read as 3.6.0, which ParseSemantic would refuse; tool outputs sometimes omit the patch.
 */

export interface Semver {
  major: number;
  minor: number;
  patch: number;
  prerelease: string[];
}

const SEMVER = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** The version, or undefined when the text is not one. */
export function parseSemver(text: string): Semver | undefined {
  const m = SEMVER.exec(text.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), prerelease: m[4] ? m[4].split('.') : [] };
}

/** Negative, zero or positive as `a` is below, equal to or above `b` (semver 2.0 precedence). */
export function compareSemver(a: Semver, b: Semver): number {
  const core = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (core !== 0) return Math.sign(core);
  if (a.prerelease.length === 0 || b.prerelease.length === 0) return Math.sign(b.prerelease.length - a.prerelease.length);
  for (let i = 0; i < Math.max(a.prerelease.length, b.prerelease.length); i++) {
    const x = a.prerelease[i];
    const y = b.prerelease[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    const nx = /^\d+$/.test(x);
    const ny = /^\d+$/.test(y);
    if (nx && ny && Number(x) !== Number(y)) return Math.sign(Number(x) - Number(y));
    if (nx !== ny) return nx ? -1 : 1;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
