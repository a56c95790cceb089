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
