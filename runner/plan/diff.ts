/**
 * Diffs for `--diff`: content diffs and attribute diffs (mode 0600 -> 0644). Modules build `Diff`
 * values in `plan`; reporters print them (runner/report/render-diff.ts). A secret diff never
 * carries its text: only the fact that it changed.
 */
import type { Diff } from '../types.js';

/** File attributes shown in an attribute diff; absent keys are not shown. */
export interface FileAttributes {
  type?: string;
  mode?: string;
  owner?: string;
  group?: string;
  target?: string;
}

const ATTRIBUTE_ORDER: ReadonlyArray<keyof FileAttributes> = ['type', 'mode', 'owner', 'group', 'target'];

/**
 * A content diff of `label` (usually the path). `before` undefined means the file does not
 * exist yet. Secret content is replaced before it is stored, so the Diff itself is safe to log.
 */
export function buildContentDiff(label: string, before: string | undefined, after: string, secret = false): Diff {
  if (secret) return { label, before: '', after: '', secret: true };
  return { label, before: before ?? '', after };
}

/**
 * An attribute diff ("attributes of /x"), listing only the attributes that differ; undefined
 * when none does. `before` values that are undefined show as "(none)".
 */
export function buildAttributeDiff(path: string, before: FileAttributes, after: FileAttributes): Diff | undefined {
  const keys = ATTRIBUTE_ORDER.filter((k) => after[k] !== undefined && after[k] !== before[k]);
  if (keys.length === 0) return undefined;
  return {
    label: `attributes of ${path}`,
    before: keys.map((k) => `${k}: ${before[k] ?? '(none)'}\n`).join(''),
    after: keys.map((k) => `${k}: ${after[k]}\n`).join(''),
  };
}

/** A one-line summary of attribute changes: "mode 0600 -> 0644, owner root -> etcd". */
export function summarizeAttributeChanges(before: FileAttributes, after: FileAttributes): string {
  return ATTRIBUTE_ORDER.filter((k) => after[k] !== undefined && after[k] !== before[k])
    .map((k) => `${k} ${before[k] ?? '(none)'} -> ${after[k]}`)
    .join(', ');
}

/** One decoder for every call: decode() without `stream` starts afresh each time. */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Bytes as diffable text, or undefined for binary content (a NUL byte or invalid UTF-8): a
 * unified diff of binary data is noise, so callers show a placeholder instead.
 */
export function decodeDiffText(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}
