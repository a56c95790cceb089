/**
 * The live terminal view, built on listr2: one line per playbook task, one subtask per host that
 * spins until that host's result arrives, then the PLAY RECAP.
 *
 * listr2 wants to own its task functions, while the engine pushes events. The adapter: every
 * `task:start` creates a view whose host subtasks each await a promise (a "slot") that the
 * `task:host` event for that host settles. Views run one after another on a promise chain, so
 * each task's list is rendered, finished and left on screen before the next one starts. State is
 * updated synchronously in `emit`, only drawing is queued, so no event is lost; `task:end`,
 * `run:end` and `close()` settle every slot still open, so a run that ends early never hangs.
 */
import { Listr, ListrLogger, ProcessOutput, type ListrTask, type ListrTaskWrapper } from 'listr2';
import type { Reporter, RunEvent } from './events.js';
import { createRecapTally, formatRecap, formatRunSummary, paint, SEVERITY } from './recap.js';
import { describeRetry, flush, formatConnectFailure, formatHostResult, formatRetry, formatWarning } from './plain.js';
import { renderDiffs } from './render-diff.js';
import { oneTerminalLine } from './terminal-text.js';

/** listr2's built-in renderers; `default` is the live one, the others are line-based. */
export type ListrRendererName = 'default' | 'simple' | 'verbose' | 'test' | 'silent';

export interface ListrReporterOptions {
  verbosity: number;
  diff: boolean;
  color: boolean;
  /** Where to draw; default process.stdout. */
  out?: NodeJS.WritableStream;
  /** Default `default` (needs a TTY; listr2 falls back to `simple` without one). Tests use `simple`. */
  renderer?: ListrRendererName;
}

type TaskHost = Extract<RunEvent, { kind: 'task:host' }>;
type TaskStart = Extract<RunEvent, { kind: 'task:start' }>;
type TaskRetry = Extract<RunEvent, { kind: 'task:retry' }>;

/** One host's place in a task view: settled by its result, or by the task or run ending. */
interface HostSlot {
  host: string;
  items: TaskHost[];
  final?: TaskHost;
  settled: boolean;
  done: Promise<void>;
  resolve: () => void;
  /** The running listr2 subtask, to show loop items and retries as they arrive. */
  wrapper?: { output: string; title: string };
  /** How many items were already written to the subtask's output. */
  shownItems: number;
  /** Failed attempts that will be retried, in order, and how many of them were shown. */
  retries: TaskRetry[];
  shownRetries: number;
}

interface TaskView {
  start: TaskStart;
  slots: Map<string, HostSlot>;
  /** Results that arrived for hosts the view had no subtask for; printed after it. */
  extras: TaskHost[];
}

/** Create the listr2 reporter. */
export function createListrReporter(opts: ListrReporterOptions): Reporter {
  const out = opts.out ?? process.stdout;
  // listr2 draws its live view only on a TTY stdout, else falls back to the `simple` lines.
  const live = (opts.renderer ?? 'default') === 'default' && process.stdout.isTTY === true;
  const style = { verbosity: opts.verbosity, diff: false, color: opts.color, live };
  const tally = createRecapTally();
  const open: TaskView[] = [];
  let chain: Promise<void> = Promise.resolve();
  let check = false;
  let taskSeq = 0;
  let end: Extract<RunEvent, { kind: 'run:end' }> | undefined;
  let closed = false;

  const write = (text: string): void => {
    out.write(`${text}\n`);
  };
  // Drawing errors must not break the run or the chain; they are shown, then drawing goes on.
  const enqueue = (step: () => void | Promise<void>): void => {
    chain = chain.then(step).catch((err: unknown) => write(`(live view error: ${err instanceof Error ? err.message : String(err)})`));
  };
  const closeView = (view: TaskView): void => {
    for (const slot of view.slots.values()) settle(slot);
    open.splice(open.indexOf(view), 1);
  };

  return {
    emit(event) {
      if (closed) return;
      switch (event.kind) {
        case 'run:start':
          check = event.check;
          return;
        case 'play:start':
          return enqueue(() => write(`\n${paint('bold', `PLAY [${event.play}]`, opts.color)}`));
        case 'host:connect':
          // The task that needed the connection reports it unreachable with the same message.
          if (!event.ok && opts.verbosity >= 2) enqueue(() => write(formatConnectFailure(event, opts.color)));
          return;
        case 'task:start': {
          taskSeq++;
          const view = createView(event);
          open.push(view);
          return enqueue(() => drawView(view, opts, style, out, write));
        }
        case 'task:host': {
          tally.record(taskSeq, event);
          const view = findOpenView(open, event.task);
          if (!view) return enqueue(() => formatHostResult(event, { ...style, diff: opts.diff }).forEach(write));
          return recordResult(view, event, style);
        }
        case 'task:retry': {
          const slot = findOpenView(open, event.task)?.slots.get(event.host);
          if (!slot || slot.settled) return enqueue(() => write(formatRetry(event, style)));
          slot.retries.push(event);
          return showRetries(slot, style);
        }
        case 'task:end': {
          const view = findOpenView(open, event.task);
          if (view) closeView(view);
          return;
        }
        case 'warning':
          return enqueue(() => write(formatWarning(event, opts.color)));
        case 'run:end':
          end = event;
          [...open].forEach(closeView);
          return;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      [...open].forEach(closeView);
      await chain;
      write('');
      write(formatRecap(end?.recap ?? tally.recap(), opts));
      if (end) write(formatRunSummary(end, check, opts));
      else write('(the run ended without a recap from the engine: counts are from the results shown above)');
      await flush(out);
    },
  };
}

/** The most recent unfinished view of a task name (names, not ids, are what events carry). */
function findOpenView(open: TaskView[], task: string): TaskView | undefined {
  for (let i = open.length - 1; i >= 0; i--) if (open[i]!.start.task === task) return open[i];
  return undefined;
}

function createView(start: TaskStart): TaskView {
  const slots = new Map<string, HostSlot>();
  for (const host of start.hosts) {
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    slots.set(host, { host, items: [], settled: false, done, resolve, shownItems: 0, retries: [], shownRetries: 0 });
  }
  return { start, slots, extras: [] };
}

function settle(slot: HostSlot): void {
  if (slot.settled) return;
  slot.settled = true;
  slot.resolve();
}

/** A result updates its host's slot; a loop item only adds a line, the host result settles it. */
function recordResult(view: TaskView, event: TaskHost, style: RenderStyle): void {
  const slot = view.slots.get(event.host);
  if (!slot || slot.settled) {
    view.extras.push(event);
    return;
  }
  if (event.item === undefined) {
    slot.final = event;
    settle(slot);
    return;
  }
  slot.items.push(event);
  showNewItems(slot, style);
}

interface RenderStyle {
  verbosity: number;
  diff: boolean;
  color: boolean;
  /** listr2's live view (redraws titles) rather than a line renderer (logs output lines). */
  live?: boolean;
}

/** Run one task's listr2 list to completion, then print its diffs and stray results. */
async function drawView(view: TaskView, opts: ListrReporterOptions, style: RenderStyle, out: NodeJS.WritableStream, write: (t: string) => void): Promise<void> {
  const { start } = view;
  const where = opts.verbosity >= 1 ? ` ${paint('dim', `(${start.location})`, opts.color)}` : '';
  const title = `${start.handler ? 'HANDLER' : 'TASK'} [${start.task}]${where}`;
  const hostTasks: ListrTask[] = [...view.slots.values()].map((slot) => ({
    title: `[${slot.host}]`,
    task: (_ctx: unknown, task: ListrTaskWrapper<unknown, any, any>) => runSlot(slot, task, style),
    rendererOptions: { persistentOutput: true, outputBar: Infinity },
  }));
  // A fresh logger per list: listr2 hijacks its output stream while drawing and releases it at end.
  const logger = new ListrLogger({ processOutput: new ProcessOutput(out as NodeJS.WriteStream, process.stderr), useIcons: true, toStderr: [] });
  const list = new Listr(
    [{ title, task: (_ctx: unknown, task: ListrTaskWrapper<unknown, any, any>) => task.newListr(hostTasks, { concurrent: true, exitOnError: false }) }],
    {
      renderer: opts.renderer ?? 'default',
      fallbackRenderer: 'simple',
      // messagesToStderr is for the `test` renderer: everything goes to `out`, in order.
      rendererOptions: { logger, collapseSubtasks: false, showErrorMessage: false, collapseSkips: true, messagesToStderr: [] } as any,
      fallbackRendererOptions: { logger } as any,
      // The engine handles Ctrl-C (it finishes and reports); listr2's handler would exit(127).
      registerSignalListeners: false,
      exitOnError: false,
    },
  );
  await list.run();
  const results = [...view.slots.values()].flatMap((s) => [...s.items, ...(s.final ? [s.final] : [])]);
  if (opts.diff) {
    for (const r of results.filter((e) => e.diffs.length > 0)) {
      const text = renderDiffs(r.diffs, opts);
      if (text) write(`${paint('bold', `[${r.host}]`, opts.color)}${r.item !== undefined ? ` (item=${r.item})` : ''}\n${text}`);
    }
  }
  for (const extra of view.extras) formatHostResult(extra, { ...style, diff: opts.diff }).forEach(write);
}

/** A host subtask: wait for the slot, then end in the listr2 state matching the status. */
async function runSlot(slot: HostSlot, task: ListrTaskWrapper<unknown, any, any>, style: RenderStyle): Promise<void> {
  slot.wrapper = task;
  showNewItems(slot, style);
  showRetries(slot, style);
  await slot.done;
  const event = slot.final ?? summarizeItems(slot);
  if (!event) {
    task.skip(`[${slot.host}]: no result (the task or run ended first)`);
    return;
  }
  const [head = '', ...details] = formatHostResult(event, style);
  task.title = slot.final === undefined && slot.items.length > 0 ? `${head} (${slot.items.length} items)` : head;
  // listr2 indents output itself; the plain reporter's indentation would double it.
  if (details.length > 0) task.output = details.map((line) => line.replace(/^ {4}/, '')).join('\n');
  // The live view shows a skip's message in place of its title; an error's is a short suffix.
  if (event.status === 'skipped') task.skip(head);
  else if (event.status === 'unreachable' || (event.status === 'failed' && !event.ignored)) throw new Error(event.status);
}

/**
 * Loop items, one output line each as they arrive. listr2 keeps every output entry (the live
 * view shows them under the host, line renderers log each), so each item is written once.
 */
function showNewItems(slot: HostSlot, style: RenderStyle): void {
  if (!slot.wrapper) return;
  for (const item of slot.items.slice(slot.shownItems)) slot.wrapper.output = formatHostResult(item, style)[0]!;
  slot.shownItems = slot.items.length;
}

/**
 * Retries as they happen. The live view rewrites the host's line with the latest attempt (60
 * attempts would otherwise stack 60 lines under it), and the final result replaces that line;
 * line renderers only log output, so there each retry is one output line, written once.
 */
export function showRetries(slot: Pick<HostSlot, 'host' | 'wrapper' | 'retries' | 'shownRetries'>, style: RenderStyle): void {
  if (!slot.wrapper || slot.shownRetries === slot.retries.length) return;
  if (style.live) {
    const latest = slot.retries[slot.retries.length - 1]!;
    const item = latest.item !== undefined ? ` (item=${oneTerminalLine(latest.item)})` : '';
    slot.wrapper.title = paint('yellow', `[${slot.host}]${item} ${describeRetry(latest, style.verbosity)}`, style.color);
  } else {
    for (const retry of slot.retries.slice(slot.shownRetries)) {
      const item = retry.item !== undefined ? `(item=${oneTerminalLine(retry.item)}) ` : '';
      slot.wrapper.output = paint('yellow', `${item}${describeRetry(retry, style.verbosity)}`, style.color);
    }
  }
  slot.shownRetries = slot.retries.length;
}

/** Without a host-level result, a loop's host shows its worst item. */
function summarizeItems(slot: HostSlot): TaskHost | undefined {
  if (slot.items.length === 0) return undefined;
  const worst = slot.items.reduce((a, b) => (SEVERITY.indexOf(b.status) > SEVERITY.indexOf(a.status) ? b : a));
  const changes = slot.items.flatMap((e) => e.changes);
  // The items' own msg/result lines were shown as they came; the summary only counts.
  const { item: _item, result: _result, msg: _msg, ...rest } = worst;
  return { ...rest, changes, ignored: slot.items.some((e) => e.ignored) };
}
