/**
 * The runtime ajv instance skips meta-schema validation (it cost ~90 ms per run), so this is
 * where a malformed schema is caught: every schema quorum validates with, against draft 2020-12.
 */
import test from 'ava';
import playbookSchema from '../../schemas/playbook.schema.json' with { type: 'json' };
import inventorySchema from '../../schemas/inventory.schema.json' with { type: 'json' };
import { modules } from '../../modules/index.js';
import { createAjv } from '../../runner/validators/compile.js';

/** quorum's ajv configuration with the meta-schema check it skips at run time turned back on. */
const metaValidator = () => createAjv({ validateSchema: true });

const schemas: [string, object][] = [
  ['schemas/playbook.schema.json', playbookSchema],
  ['schemas/inventory.schema.json', inventorySchema],
  ...[...modules.values()].map((m): [string, object] => [`module ${m.name}`, m.schema]),
];

for (const [name, schema] of schemas) {
  test(`${name} is a valid draft 2020-12 schema`, (t) => {
    const ajv = metaValidator();
    const valid = ajv.validateSchema(schema);
    t.true(valid, `${name}: ${ajv.errorsText(ajv.errors)}`);
  });
}

test('a malformed schema is caught: the check can fail', (t) => {
  const ajv = metaValidator();
  t.false(ajv.validateSchema({ type: 'strnig', properties: { a: { minLength: -1 } } }));
});
