/**
 * downloaders: which programs a host can download with, in quorum's order of preference:
 * python3 (urllib: present wherever Ansible ran before, and on the lab's minimal Debian hosts,
 * which have neither curl nor wget), then curl. wget is not used: it cannot read a password
 * or headers from standard input, so they would show on its command line.
 */
import type { Fact } from '../types.js';

export type Downloader = 'python3' | 'curl';

export const DOWNLOADERS: readonly Downloader[] = ['python3', 'curl'];

/** The first downloader the host has, or undefined. */
export const downloader: Fact<Downloader | undefined, void> = {
  name: 'downloader',
  command: () => `for t in ${DOWNLOADERS.join(' ')}; do if command -v $t >/dev/null 2>&1; then echo $t; exit 0; fi; done; echo none`,
  parse(output) {
    const found = output.stdout.trim();
    return (DOWNLOADERS as readonly string[]).includes(found) ? (found as Downloader) : undefined;
  },
};
