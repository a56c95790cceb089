/**
 * The test reporter: keeps every event in memory so a test can assert on what the engine said
 * instead of parsing rendered text.
 */
import type { Reporter, RunEvent } from './events.js';

type TaskHost = Extract<RunEvent, { kind: 'task:host' }>;

/** What `createCollector` returns. */
export interface Collector {
  /** Pass this to the engine. */
  reporter: Reporter;
  /** Every event received, in order (the same array, growing). */
  events: RunEvent[];
  /** The `task:host` results, optionally only those of one task name and/or one host. */
  results(task?: string, host?: string): TaskHost[];
  /** The events of one kind, typed. */
  ofKind<K extends RunEvent['kind']>(kind: K): Extract<RunEvent, { kind: K }>[];
  /** True once the engine called `close()`. */
  readonly closed: boolean;
}

/** Create a collecting reporter for tests. */
export function createCollector(): Collector {
  const events: RunEvent[] = [];
  let closed = false;
  const ofKind = <K extends RunEvent['kind']>(kind: K): Extract<RunEvent, { kind: K }>[] =>
    events.filter((e): e is Extract<RunEvent, { kind: K }> => e.kind === kind);
  return {
    reporter: {
      emit(event) {
        events.push(event);
      },
      close() {
        closed = true;
      },
    },
    events,
    results(task, host) {
      return ofKind('task:host').filter((e) => (task === undefined || e.task === task) && (host === undefined || e.host === host));
    },
    ofKind,
    get closed() {
      return closed;
    },
  };
}
