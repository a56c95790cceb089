/**
 * The `environment` keyword (play < block < task): variables exported to the commands a task
 * runs on the host. Values are written in the playbook and rendered like any argument (a
 * registered value inside one is data, never rendered again: runner/vars/task-vars.ts); they reach the
 * host as environment values through the connection's own quoting, never spliced into a
 * command line, so a value with quotes, `$(...)` or newlines is passed as it is.
 */
import type { SourceLocation } from '../errors.js';
import { TemplateError } from '../errors.js';
import { renderValue } from '../lang/template.js';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The merged environment, or undefined when no layer sets one. @throws TemplateError */
export function renderEnvironment(layers: ReadonlyArray<unknown>, vars: Readonly<Record<string, unknown>>, where: SourceLocation): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const layer of layers) {
    if (layer === undefined || layer === null) continue;
    const rendered = renderValue(layer, vars, where);
    if (rendered === null || typeof rendered !== 'object' || Array.isArray(rendered)) {
      throw new TemplateError('environment must be a mapping of variable names to values', where);
    }
    for (const [name, value] of Object.entries(rendered as Record<string, unknown>)) {
      if (!NAME.test(name)) throw new TemplateError(`environment: '${name}' is not a variable name: letters, digits and _, not starting with a digit`, where);
      if (value !== null && typeof value === 'object') throw new TemplateError(`environment: ${name} must be a string, a number or a boolean`, where);
      (out ??= {})[name] = value === null || value === undefined ? '' : String(value);
    }
  }
  return out;
}
