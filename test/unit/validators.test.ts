/**
 * Precompiled validators (runner/validators/): the committed code is what the generator makes
 * from today's schemas, every schema finds its validator, a changed schema falls back to ajv,
 * and precompiled and freshly compiled validators report the very same errors.
 */
import test from 'ava';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { modules } from '../../modules/index.js';
import { compileSchema, createAjv, exportName, findPrecompiled } from '../../runner/validators/compile.js';
import { generateValidatorsModule, listPrecompiledSchemas } from '../../runner/validators/generate.js';
import { INVENTORY_SCHEMA, PLAYBOOK_SCHEMA } from '../../runner/validators/schemas.js';
import { PROJECT_DIR } from '../helpers/quorum.js';

const schemas = listPrecompiledSchemas(modules.values());

test('runner/validators/precompiled.js is what `npm run generate` makes from the schemas today', (t) => {
  const committed = readFileSync(join(PROJECT_DIR, 'runner/validators/precompiled.js'), 'utf8');
  t.true(committed === generateValidatorsModule(schemas), 'precompiled.js is stale: run `npm run generate` and commit the result');
});

test('every document and module schema has a precompiled validator', (t) => {
  t.true(schemas.length >= 4 + modules.size);
  for (const schema of schemas) t.truthy(findPrecompiled(schema), `no precompiled validator for ${JSON.stringify(schema).slice(0, 80)}`);
  t.true(compileSchema(PLAYBOOK_SCHEMA) === findPrecompiled(PLAYBOOK_SCHEMA), "the loader uses the precompiled validator");
});

test('a schema that changed since generation misses and is compiled by ajv instead', (t) => {
  const changed = { ...(modules.get('file')!.schema as object), description: 'edited after generation' };
  t.not(exportName(changed), exportName(modules.get('file')!.schema));
  t.is(findPrecompiled(changed), undefined);
  const validate = compileSchema(changed);
  t.false(validate({ path: 'relative', colour: 'red' }));
  t.true((validate.errors ?? []).some((e) => e.keyword === 'additionalProperties'));
  // A registered schema's change reaches the schemas that refer to it.
  const ref = { $ref: `${PLAYBOOK_SCHEMA.$id}#/$defs/vars` };
  t.not(exportName(ref), exportName({ $ref: `${PLAYBOOK_SCHEMA.$id}#/$defs/taskList` }));
});

/** Every file of a fixture directory that is YAML at all, parsed (some are broken on purpose). */
function fixtureValues(dir: string): [string, unknown][] {
  const full = join(PROJECT_DIR, 'test/fixtures', dir);
  const values: [string, unknown][] = [];
  for (const f of readdirSync(full).filter((n) => n.endsWith('.yaml'))) {
    try {
      values.push([`${dir}/${f}`, parse(readFileSync(join(full, f), 'utf8'))]);
    } catch {
      // A YAML syntax error: the loader reports it before any schema is involved.
    }
  }
  return values;
}

test('precompiled and ajv-compiled validators report the same errors on the invalid corpus', (t) => {
  const fresh = createAjv();
  const cases: [object, [string, unknown][]][] = [
    [PLAYBOOK_SCHEMA, fixtureValues('invalid')],
    [INVENTORY_SCHEMA, fixtureValues('inventories')],
  ];
  let failing = 0;
  for (const [schema, values] of cases) {
    const pre = findPrecompiled(schema)!;
    // The playbook schema is registered (by its $id) in every instance; the inventory's is not.
    const runtime = fresh.getSchema((schema as { $id: string }).$id) ?? fresh.compile(schema);
    for (const [name, value] of values) {
      const ok = pre(value);
      t.is(ok, runtime(value) as boolean, name);
      if (!ok) failing++;
      t.deepEqual(pre.errors ?? null, runtime.errors ?? null, name);
    }
  }
  t.true(failing >= 10, `the corpus should hold documents the schemas reject, ${failing} did`);
});

test('precompiled and ajv-compiled module validators agree on wrong arguments', (t) => {
  const fresh = createAjv();
  for (const m of modules.values()) {
    const pre = findPrecompiled(m.schema)!;
    const runtime = fresh.compile(m.schema);
    for (const args of [{}, { no_such_argument: 1 }, [], 'text', { path: 3, name: [], state: 'bogus' }]) {
      t.is(pre(args), runtime(args), `${m.name} ${JSON.stringify(args)}`);
      t.deepEqual(pre.errors ?? null, runtime.errors ?? null, `${m.name} ${JSON.stringify(args)}`);
    }
  }
});
