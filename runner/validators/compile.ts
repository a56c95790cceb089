/**
 * The validator of a schema: precompiled at build time when one matches, compiled by ajv
 * otherwise. Compiling our schemas with ajv cost about 100 ms of every run (inventory and
 * playbook schemas alone), so `npm run generate` writes their validators as code
 * (precompiled.js, ajv's standalone output). A validator is looked up by a hash of its schema's
 * content, so a schema changed since the last generation is never checked by stale code: it is
 * compiled at run time instead (correct, only slower), and test/unit/validators.test.ts fails
 * until the file is regenerated.
 */
import { createHash } from 'node:crypto';
import { Ajv2020, type Options, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';
import * as generated from './precompiled.js';
import { REGISTERED_SCHEMAS } from './schemas.js';

/**
 * allErrors: every problem at once. verbose: errors carry the schema, which the messages read
 * (descriptions, known keys). strict: false because module schemas may carry annotations
 * (examples, x-* keys) that strict mode would reject in the middle of a run. validateSchema:
 * false because checking our own schemas against the meta-schema compiled the meta-schema on
 * every run; test/unit/schemas-meta.test.ts does it once, at test time.
 */
export const AJV_OPTIONS: Options = { allErrors: true, verbose: true, strict: false, validateSchema: false };

// ajv-formats is CommonJS: under NodeNext its default import is the module namespace.
type FormatsPlugin = (instance: Ajv2020) => unknown;
const addFormats = (addFormatsPlugin as unknown as { default?: FormatsPlugin }).default ?? (addFormatsPlugin as unknown as FormatsPlugin);

/** A new ajv instance with quorum's options, formats and registered schemas. */
export function createAjv(extra: Options = {}): Ajv2020 {
  const ajv = new Ajv2020({ ...AJV_OPTIONS, ...extra });
  addFormats(ajv);
  for (const schema of REGISTERED_SCHEMAS) ajv.addSchema(schema);
  return ajv;
}

let runtimeAjv: Ajv2020 | undefined;
const compiled = new WeakMap<object, ValidateFunction>();
const precompiled = generated as unknown as Record<string, ValidateFunction | undefined>;

/** The validator of `schema`: precompiled if the build has it, else compiled once by ajv. */
export function compileSchema(schema: object): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = findPrecompiled(schema) ?? (runtimeAjv ??= createAjv()).compile(schema);
    compiled.set(schema, validate);
  }
  return validate;
}

/** The generated validator for exactly this schema, if there is one. */
export function findPrecompiled(schema: object): ValidateFunction | undefined {
  return precompiled[exportName(schema)];
}

/**
 * The name a schema's validator is exported under in precompiled.js: a hash of the schema and
 * of every registered schema it refers to, so a change to either one misses.
 */
export function exportName(schema: object): string {
  const json = JSON.stringify(schema);
  const hash = createHash('sha256').update(json);
  for (const registered of REGISTERED_SCHEMAS) {
    if (registered !== schema && json.includes(`"${registered.$id}`)) hash.update('\n').update(JSON.stringify(registered));
  }
  return `v_${hash.digest('hex').slice(0, 24)}`;
}
