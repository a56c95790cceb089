/**
 * file-content: the content of a small text file (unit files, manifests), for comparisons and
 * diffs. What a path is (type, mode, sha256) is path-state.ts's job.
 */
import type { Fact } from '../types.js';
import { quote } from '../connection/quote.js';

/** Content of a small text file, or `undefined` when it does not exist. */
export interface FileContent {
  path: string;
  content?: string;
}

/**
 * The content of a small text file (unit files, manifests) for diffs and comparisons. Do not
 * use it for secrets: the content ends up in diffs.
 */
export const fileContent: Fact<FileContent, string> = {
  name: 'file-content',
  sudo: true,
  command(path) {
    const p = quote(path);
    // The marker line tells "absent" from "empty" without a second round trip.
    return `if [ -f ${p} ]; then echo present; cat -- ${p} || exit 3; else echo absent; fi`;
  },
  parse(output, path) {
    if (output.exitCode !== 0) throw new Error(`cannot read ${path} (exit ${output.exitCode}): ${output.stderr.trim()}`);
    const nl = output.stdout.indexOf('\n');
    const marker = output.stdout.slice(0, nl);
    if (marker === 'absent') return { path };
    if (marker !== 'present') throw new Error(`unexpected output reading ${path}`);
    return { path, content: output.stdout.slice(nl + 1) };
  },
};
