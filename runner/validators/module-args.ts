/**
 * Runtime validation of a module's arguments after templates are rendered. The loader checks
 * what it can before any host is touched; values that were templates can only be checked here.
 * Same validators as the loader (runner/validators/compile.ts).
 */
import type { ErrorObject } from 'ajv';
import type { ModuleDefinition } from '../types.js';
import { compileSchema } from './compile.js';

/** A one-line description of what is wrong, or undefined when the arguments are valid. */
export function validateModuleArgs(module: ModuleDefinition, args: unknown): string | undefined {
  const validate = compileSchema(module.schema);
  if (validate(args)) return undefined;
  return (validate.errors ?? []).map(describeError).join('; ');
}

function describeError(e: ErrorObject): string {
  const where = e.instancePath || '/';
  if (e.keyword === 'additionalProperties') return `${where}: unknown argument '${String(e.params.additionalProperty)}'`;
  if (e.keyword === 'enum') return `${where}: must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  return `${where}: ${e.message ?? e.keyword}`;
}
