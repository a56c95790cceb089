/**
 * What the engine tells the world. Reporters (listr2, plain lines, JSON lines, the test
 * collector) subscribe; the engine never imports a reporter.
 */
import type { Diff, TaskStatus } from '../types.js';

/** Per-host counts of the final recap, Ansible's PLAY RECAP columns. */
export interface HostRecap {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

export type RunEvent =
  | { kind: 'run:start'; playbook: string; check: boolean; diff: boolean; hosts: string[] }
  | { kind: 'play:start'; play: string; hosts: string[] }
  | { kind: 'host:connect'; host: string; ok: boolean; durationMs: number; error?: string }
  | { kind: 'task:start'; play: string; task: string; location: string; hosts: string[]; handler?: boolean }
  | {
      kind: 'task:host';
      task: string;
      host: string;
      status: TaskStatus;
      /** Loop item label, when the task loops. */
      item?: string;
      changes: string[];
      diffs: Diff[];
      msg?: string;
      /** Registered result; `no_log` tasks send `{ censored: ... }`. */
      result?: Record<string, unknown>;
      ignored?: boolean;
      durationMs: number;
    }
  | {
      /**
       * One attempt of a task with `retries`/`until` did not succeed and another follows after
       * `delaySeconds`, as Ansible's "FAILED - RETRYING". Sent as it happens, so a long retry is
       * never silent; the final attempt's outcome is the task's `task:host` event.
       */
      kind: 'task:retry';
      task: string;
      host: string;
      /** Loop item label, when the task loops (each item has its own attempts). */
      item?: string;
      /** The attempt that just failed, from 1. */
      attempt: number;
      /** Attempts still to come after this one. */
      retriesLeft: number;
      /** Seconds until the next attempt. */
      delaySeconds: number;
      /** Why the attempt did not count (its message, or the `until` still false); a no_log task's is the no_log notice. */
      msg: string;
      /** The message was hidden by no_log. */
      censored?: boolean;
    }
  | { kind: 'task:end'; task: string; durationMs: number }
  | { kind: 'warning'; message: string; host?: string }
  | {
      kind: 'run:end';
      recap: Record<string, HostRecap>;
      durationMs: number;
      exitCode: number;
      /** In check mode: at least one task would change something. */
      changesPending: boolean;
      interrupted: boolean;
    };

export type RunEventKind = RunEvent['kind'];

/** A reporter receives every event in order; `close` flushes at the end. */
export interface Reporter {
  emit(event: RunEvent): void;
  close?(): Promise<void> | void;
}
