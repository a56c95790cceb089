/**
 * wait_for: wait until a TCP port accepts (or refuses, or has no more) connections, or a file
 * exists (with a line matching a regex) or is gone. The polling runs on the controller, one
 * short probe command per check over the host's shell, so every check that fails is reported as
 * it happens (ModuleContext.reportWait -> `task:retry` events) and Ctrl-C stops the wait.
 * Probes use only POSIX sh, grep, python3 (a connect, for any address) or `ss` (iproute2, for a
 * local port without python3): no bash `/dev/tcp`.
 *
 * ```yaml
 * - wait_for: { port: 2379, timeout: 60 }
 * - wait_for: { path: /var/log/app.log, search_regex: "ready" }
 * ```
 */
import { setTimeout as delayFor } from 'node:timers/promises';
import type { FromSchema } from 'json-schema-to-ts';
import { waitForSchema } from '../schemas/modules/wait_for.js';
import type { ModuleContext, ModuleDefinition, Plan } from '../runner/types.js';
import { quote } from '../runner/connection/quote.js';

type WaitForParams = FromSchema<typeof waitForSchema>;

/** What the wait ended with. */
export interface WaitForFacts {
  satisfied: boolean;
  /** Seconds from the start (delay included) to the last check. */
  elapsed: number;
  attempts: number;
  /** What the last check saw (`connection refused`, `no matching line`). */
  detail: string;
  /** The check itself could not run (a tool missing): fail at once. */
  error?: string;
  interrupted?: boolean;
}

// A poll every second would print up to 300 lines: after the first, one report per this long.
const REPORT_EVERY_MS = 5000;
const PROBE_ERROR_EXIT = 3;

/** The `wait_for` module definition (registered in modules/index.ts). */
export const waitFor: ModuleDefinition<WaitForParams, WaitForFacts> = {
  name: 'wait_for',
  summary: 'Wait for a TCP port to be open, closed or drained, or a file to appear (with a matching line) or go.',
  schema: waitForSchema,
  docs: {
    examples: [
      '- wait_for: { port: 2379, timeout: 60 }',
      '- wait_for: { host: 10.0.0.5, port: 6443, delay: 5 }',
      '- wait_for: { port: 8080, state: stopped }',
      '- wait_for: { path: /var/log/app.log, search_regex: "listening on [0-9]+" }',
      '- wait_for: { path: /run/app.lock, state: absent, timeout: 30 }',
      '',
    ].join('\n'),
    returns: {
      elapsed: 'Seconds waited (delay included).',
      attempts: 'Checks made.',
      state: 'The state waited for.',
      port: 'The port, when waiting for one.',
      path: 'The path, when waiting for one.',
    },
    notes: [
      'Each check that fails is shown as it happens (the first at once, then one line every 5 s), like a retried task.',
      'In check mode it checks once: already true is ok; not yet true is skipped (an earlier task that would make it true was only predicted).',
      'A port is checked by connecting from the host with python3; without python3 only a local host (127.0.0.1, ::1, localhost) can be checked, by `ss` listening sockets. drained uses `ss`.',
      'search_regex is a POSIX extended regular expression (grep -E), matched line by line.',
      'Waiting for nothing (Ansible\'s plain `wait_for: timeout=N`) is not supported: give port or path.',
    ],
  },
  gather: (ctx, params) => waitUntil(ctx, params),
  plan: (params, facts, ctx) => planWaitFor(params, facts, ctx.checkMode),
};

/** The pure plan (exported for the unit tests). */
export function planWaitFor(params: WaitForParams, facts: WaitForFacts, checkMode: boolean): Plan {
  const state = wantedState(params);
  const result = {
    elapsed: facts.elapsed,
    attempts: facts.attempts,
    state,
    ...(params.port !== undefined ? { port: params.port } : {}),
    ...(params.path !== undefined ? { path: params.path } : {}),
  };
  if (facts.error !== undefined) return { changes: [], failed: facts.error, result };
  if (facts.satisfied) return { changes: [], noop: `${describeWait(params)}: true after ${facts.elapsed} s`, result };
  if (checkMode) return { changes: [], unpredictable: `${describeWait(params)} is not true yet (${facts.detail})`, result };
  if (facts.interrupted) return { changes: [], failed: `${describeWait(params)}: interrupted after ${facts.elapsed} s`, result };
  const why = params.msg ?? `timed out after ${facts.elapsed} s (${facts.attempts} checks) waiting until ${describeWait(params)}; last check: ${facts.detail}`;
  return { changes: [], failed: why, result };
}

/** Poll until true, the timeout, or Ctrl-C; a single check in check mode. */
async function waitUntil(ctx: ModuleContext, params: WaitForParams): Promise<WaitForFacts> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) / 100) / 10;
  const timeoutMs = (params.timeout ?? 300) * 1000;
  const sleepMs = (params.sleep ?? 1) * 1000;
  const script = buildProbeScript(params);
  if (params.delay && !ctx.checkMode) await pause(params.delay * 1000, ctx.signal);
  let lastReport = -Infinity;
  for (let attempt = 1; ; attempt++) {
    const r = await ctx.conn.exec(script, { sudo: ctx.become });
    const out = r.stdout.toString('utf8');
    if (r.exitCode !== 0) {
      const why = r.stderr.toString('utf8').trim() || out.trim() || `exit ${r.exitCode}`;
      return { satisfied: false, elapsed: elapsed(), attempts: attempt, detail: why, error: `cannot check ${describeWait(params)}: ${why}` };
    }
    const [verdict, ...rest] = out.split('\n');
    const detail = rest.join(' ').trim() || 'not yet';
    if (verdict === 'yes') return { satisfied: true, elapsed: elapsed(), attempts: attempt, detail };
    const remainingMs = timeoutMs - (performance.now() - started);
    if (ctx.checkMode || remainingMs <= 0) return { satisfied: false, elapsed: elapsed(), attempts: attempt, detail };
    if (ctx.signal?.aborted) return { satisfied: false, elapsed: elapsed(), attempts: attempt, detail, interrupted: true };
    const waitMs = Math.min(sleepMs, remainingMs);
    if (performance.now() - lastReport >= REPORT_EVERY_MS) {
      lastReport = performance.now();
      ctx.reportWait?.({
        attempt,
        retriesLeft: Math.ceil(remainingMs / sleepMs),
        delaySeconds: waitMs / 1000,
        msg: `waiting until ${describeWait(params)} (${elapsed()} s of ${params.timeout ?? 300} s): ${detail}`,
      });
    }
    await pause(waitMs, ctx.signal);
  }
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return delayFor(ms, undefined, signal ? { signal } : {}).catch(() => undefined);
}

type WantedState = 'started' | 'stopped' | 'drained' | 'present' | 'absent';

function wantedState(params: WaitForParams): WantedState {
  const state = params.state ?? (params.port !== undefined ? 'started' : 'present');
  if (params.path !== undefined) return state === 'started' ? 'present' : state === 'stopped' ? 'absent' : state;
  return state;
}

function describeWait(params: WaitForParams): string {
  const state = wantedState(params);
  if (params.path !== undefined) {
    if (state === 'absent') return `${params.path} is gone`;
    return params.search_regex !== undefined ? `${params.path} has a line matching ${JSON.stringify(params.search_regex)}` : `${params.path} exists`;
  }
  const where = `${params.host ?? '127.0.0.1'}:${params.port}`;
  return state === 'drained' ? `port ${params.port} has no established connection` : `${where} ${state === 'stopped' ? 'refuses connections' : 'accepts connections'}`;
}

// One connection attempt: prints "yes", or "no" and why. Code, not data: the address and port
// are arguments.
const CONNECT_PY = [
  'import socket, sys',
  'try:',
  '    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3])).close()',
  '    print("yes")',
  'except OSError as e:',
  '    print("no"); print(e.strerror or e)',
].join('\n');

const LOCAL_HOSTS = new Set(['127.0.0.1', '::1', 'localhost', '0.0.0.0', '::']);

/**
 * The probe: prints `yes`, or `no` and a detail line; exits PROBE_ERROR_EXIT when the check
 * cannot be made at all (a tool missing), with why on stderr. Exported for the unit tests.
 */
export function buildProbeScript(params: WaitForParams): string {
  const state = wantedState(params);
  const [yes, no] = state === 'stopped' || state === 'absent' ? ['no', 'yes'] : ['yes', 'no'];
  if (params.path !== undefined) {
    const p = quote(params.path);
    if (state === 'absent') return `if [ -e ${p} ] || [ -L ${p} ]; then echo no; echo 'it exists'; else echo yes; fi`;
    if (params.search_regex === undefined) return `if [ -e ${p} ]; then echo yes; else echo no; echo 'it does not exist'; fi`;
    return `if [ ! -e ${p} ]; then echo no; echo 'it does not exist'; elif grep -Eq -e ${quote(params.search_regex)} -- ${p}; then echo yes; else rc=$?; [ $rc -eq 1 ] || exit ${PROBE_ERROR_EXIT}; echo no; echo 'no matching line yet'; fi`;
  }
  const port = String(params.port);
  if (state === 'drained') {
    return `command -v ss >/dev/null 2>&1 || { echo 'ss (iproute2) is not installed: it is needed to count connections' >&2; exit ${PROBE_ERROR_EXIT}; }; n=$(ss -Htn state established ${quote(`( sport = :${port} )`)} | wc -l) || exit ${PROBE_ERROR_EXIT}; if [ "$n" -eq 0 ]; then echo yes; else echo no; echo "$n established connection(s)"; fi`;
  }
  const host = params.host ?? '127.0.0.1';
  const timeout = String(params.connect_timeout ?? 5);
  // The connect's own yes/no, turned around for `stopped`.
  const flip = yes === 'yes' ? '' : ` | { read -r v; read -r d; if [ "$v" = yes ]; then echo no; echo 'it accepts connections'; else echo yes; fi; }`;
  const python = `python3 -c ${quote(CONNECT_PY)} ${quote(host)} ${port} ${timeout}${flip}`;
  const fallback = LOCAL_HOSTS.has(host)
    ? `elif command -v ss >/dev/null 2>&1; then if [ -n "$(ss -Htln ${quote(`( sport = :${port} )`)})" ]; then echo ${yes}; else echo ${no}; echo 'nothing listens on port ${port}'; fi;`
    : '';
  return `if command -v python3 >/dev/null 2>&1; then ${python}; ${fallback} else echo ${quote(`neither python3 nor${LOCAL_HOSTS.has(host) ? ' ss' : ' (for a remote address) anything else'} is there to test a TCP connection: install python3`)} >&2; exit ${PROBE_ERROR_EXIT}; fi`;
}
