/**
 * modified-time: when a file's content last changed (mtime, to the nanosecond), to tell whether
 * one file changed after another was written from it (kubeadm-phase: the config after the
 * static pod manifest), as make does. Read as root: /etc/kubernetes/manifests is 0700.
 */
import type { Fact } from '../types.js';
import { quote } from '../connection/quote.js';

/** `mtime` is `YYYY-MM-DD HH:MM:SS.NNNNNNNNN +0000` (UTC, so text order is time order); absent file: undefined. */
export interface ModifiedTime {
  path: string;
  mtime?: string;
}

export const modifiedTime: Fact<ModifiedTime, string> = {
  name: 'modified-time',
  sudo: true,
  command(path) {
    const p = quote(path);
    return `if [ -e ${p} ]; then TZ=UTC LC_ALL=C stat -L -c %y -- ${p} || exit 3; fi`;
  },
  parse(output, path) {
    if (output.exitCode !== 0) throw new Error(`cannot stat ${path} (exit ${output.exitCode}): ${output.stderr.trim()}`);
    const text = output.stdout.trim();
    if (text === '') return { path };
    if (!/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000$/.test(text)) throw new Error(`unexpected modification time of ${path}: ${text}`);
    return { path, mtime: text };
  },
};

/** True when `a` was modified strictly after `b` (both from {@link modifiedTime}). */
export function isNewer(a: string, b: string): boolean {
  // Same width once the fraction is padded: GNU stat prints 9 digits, others may print none.
  const pad = (t: string) => t.replace(/^(\S+ \d\d:\d\d:\d\d)(?:\.(\d+))? /, (_m, s: string, f: string | undefined) => `${s}.${(f ?? '').padEnd(9, '0')} `);
  return pad(a) > pad(b);
}
