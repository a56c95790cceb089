/**
 * Waiting for booted hosts to answer SSH, then recording their host keys so every later
 * connection checks them (StrictHostKeyChecking stays on).
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HostEntry } from './access.js';
import { probeLogin, scanHostKeys } from './access.js';
import type { LabPaths } from './paths.js';

/** A host that did not answer in time, with the tail of its boot log to say why. */
export class HostTimeoutError extends Error {}
HostTimeoutError.prototype.name = 'HostTimeoutError';

/**
 * ssh-keyscan and ssh probes running at once: a thin lab of 300 hosts would otherwise start 300
 * ssh clients together on the machine that also runs the hosts.
 */
const PROBES_AT_ONCE = 32;

/** `fn` over `items` with at most `limit` calls pending; results in the order of `items`. */
async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Time allowed for the hosts to answer: booting many at once on two cores takes longer. */
export function bootDeadlineMs(hostCount: number): number {
  return 60_000 + 3_000 * hostCount;
}

/** Poll until the host's sshd hands out its keys; undefined when the deadline passes. */
async function waitForHostKeys(host: HostEntry, deadline: number): Promise<string | undefined> {
  while (Date.now() < deadline) {
    const keys = await scanHostKeys(host.address, host.name);
    if (keys) return keys;
    await sleep(500);
  }
  return undefined;
}

/**
 * Wait until every host answers SSH, write known_hosts with all their keys, then log in to
 * each (with sudo) — logins are refused for a moment after sshd starts (pam_nologin), so retry.
 */
export async function waitForHosts(hosts: HostEntry[], paths: LabPaths, deadline: number): Promise<void> {
  const keys = await mapLimited(hosts, PROBES_AT_ONCE, (h) => waitForHostKeys(h, deadline));
  const silent = hosts.filter((_, i) => keys[i] === undefined);
  if (silent.length > 0) throw new HostTimeoutError(await describeSilentHosts(silent, paths, 'did not answer SSH'));
  // Atomically: tests and other engineers read it while `lab up` reuses a running lab.
  await writeFile(`${paths.knownHosts}.tmp`, keys.join(''), { mode: 0o644 });
  await rename(`${paths.knownHosts}.tmp`, paths.knownHosts);
  const failures = await mapLimited(hosts, PROBES_AT_ONCE, (h) => retryLogin(h, paths, deadline));
  const refused = hosts.filter((_, i) => failures[i] !== undefined);
  if (refused.length > 0) {
    const why = refused.map((h) => `${h.name}: ${failures[hosts.indexOf(h)]}`).join('\n');
    throw new HostTimeoutError(`lab: login as the lab user failed:\n${why}`);
  }
}

/** Log in until it works; the last error when the deadline passes, undefined on success. */
async function retryLogin(host: HostEntry, paths: LabPaths, deadline: number): Promise<string | undefined> {
  let last = 'not tried';
  do {
    const r = await probeLogin(paths, host.address);
    if (r.ok) return undefined;
    last = r.error || 'ssh failed without a message';
    await sleep(500);
  } while (Date.now() < deadline);
  return last;
}

/** Which hosts stayed silent, with the last lines of each one's boot log. */
async function describeSilentHosts(hosts: HostEntry[], paths: LabPaths, what: string): Promise<string> {
  const parts = await Promise.all(
    hosts.map(async (h) => {
      const log = await readFile(paths.log(h.name), 'utf8').catch(() => '');
      const tail = log.trim().split('\n').slice(-6).map((l) => `    ${l}`).join('\n');
      return `  ${h.name} (${h.address}) ${what}; last lines of ${paths.log(h.name)}:\n${tail}`;
    }),
  );
  return `lab: hosts did not come up in time:\n${parts.join('\n')}`;
}
