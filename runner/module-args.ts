/**
 * Runtime validation of a module's arguments after templates are rendered. The loader checks
 * what it can before any host is touched; values that were templates can only be checked here.
 */
import { Ajv, type ValidateFunction, type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import type { ModuleDefinition } from './types.js';

const ajv = new Ajv({ allErrors: true, strict: false });
(addFormats as unknown as (a: Ajv) => void)(ajv);
const compiled = new WeakMap<ModuleDefinition, ValidateFunction>();

/** A one-line description of what is wrong, or undefined when the arguments are valid. */
export function validateModuleArgs(module: ModuleDefinition, args: unknown): string | undefined {
  let validate = compiled.get(module);
  if (!validate) {
    validate = ajv.compile(module.schema);
    compiled.set(module, validate);
  }
  if (validate(args)) return undefined;
  return (validate.errors ?? []).map(describeError).join('; ');
}

function describeError(e: ErrorObject): string {
  const where = e.instancePath || '/';
  if (e.keyword === 'additionalProperties') return `${where}: unknown argument '${String(e.params.additionalProperty)}'`;
  if (e.keyword === 'enum') return `${where}: must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  return `${where}: ${e.message ?? e.keyword}`;
}
