/**
 * The implicit "Gathering Facts" task at the start of a play: one round trip per host, all
 * hosts in parallel (up to forks). A host that cannot be reached is unreachable from here on.
 */
import pLimit from 'p-limit';
import type { Play } from '../playbook.js';
import type { HostState, RunState } from '../engine/run-state.js';
import type { TaskResult } from '../types.js';
import { connectHost } from '../executor/connect-host.js';
import { gatherHostFacts } from '../facts/host-facts.js';
import { ToolVersionCache } from '../facts/version-cache.js';
import { userCacheDirectory } from '../files/cache-dir.js';
import { UnreachableError } from '../errors.js';
import { buildSharedVars } from '../vars/task-vars.js';
import { readAheadForPlay } from './prefetch.js';

export const GATHER_TASK_NAME = 'Gathering Facts';

export async function gatherFactsTask(
  state: RunState,
  play: Play,
  hosts: HostState[],
  record: (host: HostState, result: TaskResult) => void,
): Promise<void> {
  const live = hosts.filter((h) => !h.failed && !h.unreachable);
  if (live.length === 0) return;
  const { reporter } = state.options;
  const started = performance.now();
  reporter.emit({ kind: 'task:start', play: play.name ?? play.hosts, task: GATHER_TASK_NAME, location: `${play.location.file}:${play.location.line}:${play.location.col}`, hosts: live.map((h) => h.name) });
  const limit = pLimit(Math.max(1, state.options.forks));
  const versions = (state.toolVersions ??= ToolVersionCache.load(userCacheDirectory()));
  const shared = buildSharedVars(state, play, hosts.map((h) => h.name));
  await Promise.all(
    live.map((host) =>
      limit(async () => {
        const t0 = performance.now();
        let result: TaskResult;
        try {
          const target = await connectHost(state, host, play.remote_user);
          // A become play's facts run in its root shell, as Ansible's do: a second shell for the
          // login user would cost each host ~7 processes (bash, sh, mktemp, mkfifo, 2 cats, rm).
          // Meanwhile, the paths the play's file tasks will inspect, in one command (prefetch.ts).
          const readingAhead = readAheadForPlay(state, play, shared, host, target.conn, target.facts);
          host.hostFacts = (await gatherHostFacts(target.conn, { versions, sudo: Boolean(play.become) })) as unknown as Record<string, unknown>;
          await readingAhead;
          result = { status: 'ok', changes: [], diffs: [], result: {}, durationMs: performance.now() - t0 };
        } catch (err) {
          const msg = (err as Error).message;
          const status = err instanceof UnreachableError ? 'unreachable' : 'failed';
          result = { status, changes: [], diffs: [], result: { failed: true, msg }, msg, durationMs: performance.now() - t0 };
        }
        record(host, result);
        reporter.emit({ kind: 'task:host', task: GATHER_TASK_NAME, host: host.name, status: result.status, changes: [], diffs: [], ...(result.msg ? { msg: result.msg } : {}), durationMs: result.durationMs });
      }),
    ),
  );
  versions.save();
  reporter.emit({ kind: 'task:end', task: GATHER_TASK_NAME, durationMs: performance.now() - started });
}
