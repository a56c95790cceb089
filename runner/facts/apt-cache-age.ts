/**
 * apt-cache-age: when apt's package lists were last updated, as Ansible's apt module reads it
 * for `cache_valid_time`: the mtime of /var/lib/apt/periodic/update-success-stamp when it exists
 * (Ubuntu's apt hook touches it after every successful update, and so does quorum's apt module),
 * else of /var/lib/apt/lists. The host's own clock is read in the same command, so a controller
 * whose clock differs from the host's cannot make a fresh cache look stale.
 */
import type { Fact } from '../types.js';

export const UPDATE_STAMP = '/var/lib/apt/periodic/update-success-stamp';
export const LISTS_DIR = '/var/lib/apt/lists';

export interface AptCacheAge {
  /** The host's clock, in seconds since the epoch. */
  now: number;
  /** Last update, in seconds since the epoch; 0 when neither file exists (never updated). */
  updatedAt: number;
}

export const aptCacheAge: Fact<AptCacheAge, void> = {
  name: 'apt-cache-age',
  command() {
    return `date +%s; if [ -e ${UPDATE_STAMP} ]; then stat -c %Y ${UPDATE_STAMP}; elif [ -e ${LISTS_DIR} ]; then stat -c %Y ${LISTS_DIR}; else echo 0; fi`;
  },
  parse(output) {
    const [now, updatedAt] = output.stdout.trim().split('\n').map((l) => Number(l.trim()));
    if (output.exitCode !== 0 || !Number.isInteger(now) || !Number.isInteger(updatedAt)) {
      throw new Error(`cannot read the age of apt's lists (exit ${output.exitCode}): ${JSON.stringify(output.stdout.slice(0, 200))} ${output.stderr.trim()}`);
    }
    return { now: now!, updatedAt: updatedAt! };
  },
};
