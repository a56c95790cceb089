/**
 * `--output json`: one JSON object per event per line (NDJSON) for CI and other programs.
 * Each line is the event itself plus `ts` (ISO 8601), e.g.
 * `{"ts":"2026-11-26T10:00:00.000Z","kind":"task:host","task":"...","host":"infra0",...}`.
 *
 * Output never holds a secret (Secret masks itself, and the replacer masks it again in case a
 * subclass or copy lost toJSON), Buffers come out as UTF-8 text rather than byte arrays, and
 * an event that cannot be serialised (a cycle) becomes an error line instead of crashing the run.
 */
import type { Reporter, RunEvent } from './events.js';
import { isSecret, SECRET_MASK } from '../secret.js';

export interface JsonReporterOptions {
  /** Clock for `ts`; tests pass a fixed one. */
  now?: () => Date;
}

/** Create the NDJSON reporter writing to `out`. */
export function createJsonReporter(out: NodeJS.WritableStream, opts: JsonReporterOptions = {}): Reporter {
  const now = opts.now ?? (() => new Date());
  return {
    emit(event) {
      out.write(`${serializeEvent(event, now())}\n`);
    },
    close() {
      return new Promise<void>((resolve) => {
        out.write('', () => resolve());
      });
    },
  };
}

/** One event as one line of JSON (no newline), `ts` first. */
export function serializeEvent(event: RunEvent, at: Date): string {
  const ts = at.toISOString();
  try {
    // `ts` first, written before the event's own keys rather than copied with them into a new
    // object: one copy of every event less (the replacer sees the same values either way).
    // Most events are plain data, which JSON.stringify writes alike with or without the
    // replacer: without it, V8 serializes in one pass instead of calling back for every key.
    const json = isPlainData(event) ? JSON.stringify(event) : JSON.stringify(event, replaceForJson);
    return `{"ts":${JSON.stringify(ts)},${escapeC1(json).slice(1)}`;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return JSON.stringify({ ts, kind: event.kind, error: `event could not be serialised: ${message}` });
  }
}

/**
 * JSON.stringify escapes C0 controls (ESC among them) but writes DEL and the C1 controls raw,
 * and some terminals act on U+009B as CSI: a `-o json` stream read in a terminal must be as
 * inert as the text reporters. `\u009b` parses back to the same string.
 */
function escapeC1(json: string): string {
  return json.replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * JSON.stringify replacer for report output. It looks at the holder's raw value, because by the
 * time the replacer sees `value`, Buffer.toJSON has already turned bytes into `{type, data}`.
 */
export function replaceForJson(this: unknown, key: string, value: unknown): unknown {
  const raw = key === '' ? value : (this as Record<string, unknown>)[key];
  if (isSecret(raw)) return SECRET_MASK;
  if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8');
  if (typeof raw === 'bigint') return raw.toString();
  if (raw instanceof Error) return { name: raw.name, message: raw.message };
  if (isSecretDiff(raw)) return { ...raw, before: SECRET_MASK, after: SECRET_MASK };
  return value;
}

/**
 * Arrays and objects {@link isPlainData} looks at before it leaves the event to the replacer
 * path: a large result is written correctly either way, and a cycle (which the replacer path
 * reports as an error line) ends the walk.
 */
const PLAIN_VALUES_MAX = 10_000;

/**
 * True when {@link replaceForJson} would return every value of `value` unchanged: only strings,
 * numbers, booleans, null and undefined, in plain arrays and in objects whose prototype is
 * Object's or null, without toJSON, and no object flagged `secret`. Anything else (a Secret,
 * bytes, an Error, a bigint, a class instance, a secret diff) takes the replacer path.
 */
function isPlainData(value: unknown, budget = { left: PLAIN_VALUES_MAX }): boolean {
  if (typeof value !== 'object') return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value === undefined;
  if (value === null) return true;
  if (--budget.left < 0) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Array.prototype) {
    const items = value as unknown[];
    for (let i = 0; i < items.length; i++) if (!isPlainData(items[i], budget)) return false;
    return true;
  }
  if (proto !== Object.prototype && proto !== null) return false;
  const record = value as Record<string, unknown>;
  if (record['toJSON'] !== undefined || record['secret'] === true) return false;
  // for-in rather than Object.keys: no array per object. Object.prototype has no enumerable
  // keys; were one added, the walk only looks at more than JSON.stringify writes.
  for (const key in record) if (!isPlainData(record[key], budget)) return false;
  return true;
}

/** A Diff flagged secret: its before/after must not reach the output even if the engine left them in. */
function isSecretDiff(value: unknown): value is { before: unknown; after: unknown; secret: true } {
  return typeof value === 'object' && value !== null && (value as { secret?: unknown }).secret === true && 'before' in value && 'after' in value;
}
