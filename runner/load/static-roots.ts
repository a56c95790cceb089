/**
 * Which variables a template or a CEL expression reads: the roots the static check looks up
 * (static-check.ts). Handlebars paths inside `#each`/`#with` name fields of the item, CEL names
 * bound by a macro (`xs.all(x, ...)`) are local: neither is a variable.
 */
import type { ASTNode } from '@marcbachmann/cel-js';
import { listTemplateHelpers } from '../lang/template-helpers.js';

/** Helper names, not variables ({{#if x}}, {{lookup m k}}, {{to_json x}}). */
const HELPERS = new Set([...listTemplateHelpers(), 'if', 'unless', 'each', 'with', 'lookup', 'log']);
/** Block helpers that keep the context: a path inside them still names a root variable. */
const SAME_CONTEXT = new Set(['if', 'unless']);

type HbNode = { type: string; [key: string]: any };

/** A variable a template reads and where: line 1-based, column 0-based, in the template text. */
export interface TemplateRoot {
  name: string;
  line: number;
  column: number;
}

/**
 * Root variables a template reads, first occurrence of each. Inside {{#each}} / {{#with}} a plain path names a field
 * of the current item, not a variable, so only paths that climb back (../x, @root.x) count.
 */
export function findTemplateRoots(program: HbNode): TemplateRoot[] {
  const roots: TemplateRoot[] = [];
  const at = (path: HbNode, name: string): TemplateRoot => ({ name, line: path.loc?.start.line ?? 1, column: path.loc?.start.column ?? 0 });
  const visitPath = (path: HbNode, depth: number, locals: Set<string>): void => {
    if (path.type !== 'PathExpression') return visitExpression(path, depth, locals);
    const parts = path.parts as string[];
    if (path.data) {
      if (parts[0] === 'root' && parts[1]) roots.push(at(path, parts[1]));
      return;
    }
    if (parts.length === 0 || /^(this\b|\.\/)/.test(path.original)) return;
    if (locals.has(parts[0]!)) return;
    if (depth - (path.depth as number) === 0) roots.push(at(path, parts[0]!));
  };
  const visitExpression = (node: HbNode | undefined, depth: number, locals: Set<string>): void => {
    if (!node) return;
    if (node.type === 'PathExpression') visitPath(node, depth, locals);
    else if (node.type === 'SubExpression') visitCall(node, depth, locals);
  };
  const visitCall = (node: HbNode, depth: number, locals: Set<string>): void => {
    const args = [...(node.params as HbNode[]), ...((node.hash?.pairs ?? []) as HbNode[]).map((p) => p.value as HbNode)];
    const isHelper = args.length > 0 || node.type === 'BlockStatement' || HELPERS.has(node.path.original);
    if (!isHelper) visitPath(node.path, depth, locals);
    // {{default x "fallback"}} exists for an x that may be undefined (strict mode lets a lone
    // name through to helpers), like Jinja's `x | default(...)`.
    const optional = node.path.original === 'default' && (args[0]?.parts as string[] | undefined)?.length === 1 ? args[0] : undefined;
    for (const arg of args) if (arg !== optional) visitExpression(arg, depth, locals);
  };
  const visitProgram = (prog: HbNode | undefined, depth: number, locals: Set<string>): void => {
    for (const statement of (prog?.body ?? []) as HbNode[]) {
      if (statement.type === 'MustacheStatement' || statement.type === 'SubExpression') visitCall(statement, depth, locals);
      if (statement.type !== 'BlockStatement') continue;
      visitCall(statement, depth, locals);
      const inner = SAME_CONTEXT.has(statement.path.original) ? depth : depth + 1;
      visitProgram(statement.program, inner, new Set([...locals, ...((statement.program?.blockParams ?? []) as string[])]));
      visitProgram(statement.inverse, depth, locals);
    }
  };
  visitProgram(program, 0, new Set());
  return roots.filter((root, i) => roots.findIndex((r) => r.name === root.name) === i);
}

/** CEL macros whose first argument names a variable bound in the others: xs.all(x, x > 0). */
const BINDING_MACROS = new Set(['all', 'exists', 'exists_one', 'existsOne', 'map', 'filter', 'sortBy']);

/** Root identifiers a CEL expression reads (macro-bound names excluded). */
export function findCelRoots(ast: ASTNode): string[] {
  const roots = new Set<string>();
  const visit = (node: unknown, bound: Set<string>): void => {
    if (Array.isArray(node)) return node.forEach((n) => visit(n, bound));
    if (typeof node !== 'object' || node === null || !('op' in node)) return;
    const n = node as ASTNode;
    if (n.op === 'id') {
      if (!bound.has(n.args)) roots.add(n.args);
    } else if (n.op === 'rcall' && BINDING_MACROS.has(n.args[0]) && (n.args[2][0] as ASTNode | undefined)?.op === 'id') {
      visit(n.args[1], bound);
      const inner = new Set([...bound, (n.args[2][0] as ASTNode & { args: string }).args]);
      visit(n.args[2].slice(1), inner);
    } else if (n.op !== 'value') {
      visit(n.args, bound);
    }
  };
  visit(ast, new Set());
  return [...roots];
}
