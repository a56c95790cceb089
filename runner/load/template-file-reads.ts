/**
 * Controller files a template reads with a literal path (`{{ lookup_file "ca.pem" }}`,
 * `{{ render_file "unit.tmpl" }}`), so the static check can refuse, before any host is touched,
 * one that exists but cannot be used (a device such as /dev/zero, a FIFO, too big, not UTF-8).
 * A missing file is left to run time: an earlier task (fetch) may create it.
 */
import { isAbsolute, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { InputFileError, MAX_TEMPLATE_FILE_BYTES, readInputText } from './read-input.js';

type HbNode = { type: string; [key: string]: any };

const FILE_HELPERS = new Set(['lookup_file', 'render_file']);

export interface TemplateFileRead {
  helper: string;
  path: string;
  /** Line 1-based, column 0-based, in the template text (as findTemplateRoots). */
  line: number;
  column: number;
}

/** Every lookup_file / render_file call of the template whose path is a string literal. */
export function findTemplateFileReads(program: HbNode): TemplateFileRead[] {
  const found: TemplateFileRead[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    const n = node as HbNode;
    if ((n.type === 'MustacheStatement' || n.type === 'SubExpression' || n.type === 'BlockStatement') && FILE_HELPERS.has(n.path?.original)) {
      const first = (n.params as HbNode[])[0];
      if (first?.type === 'StringLiteral') found.push({ helper: n.path.original, path: first.value as string, line: n.loc?.start.line ?? 1, column: n.loc?.start.column ?? 0 });
    }
    for (const [key, value] of Object.entries(n)) if (key !== 'loc' && typeof value === 'object') visit(value);
  };
  visit(program);
  return found;
}

/** Why the file a template reads cannot be used, or undefined (fine, or missing: see above). */
export function templateFileProblem(read: TemplateFileRead, playbookDir: string): string | undefined {
  const full = isAbsolute(read.path) ? read.path : resolve(playbookDir, read.path);
  try {
    statSync(full);
  } catch {
    return undefined;
  }
  try {
    readInputText(full, MAX_TEMPLATE_FILE_BYTES);
    return undefined;
  } catch (err) {
    if (!(err instanceof InputFileError)) throw err;
    const at = err.problems[0]!.location!;
    return err.wholeFile ? `${read.helper} '${read.path}': ${full} ${err.reason}` : `${read.helper} '${read.path}': ${full}:${at.line}:${at.col}: ${err.reason}`;
  }
}
