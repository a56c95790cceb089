/** `npm run generate` (with the docs): writes runner/validators/precompiled.js. */
import { writeFileSync } from 'node:fs';
import { modules } from '../modules/index.js';
import { generateValidatorsModule, listPrecompiledSchemas } from '../runner/validators/generate.js';

const out = new URL('../runner/validators/precompiled.js', import.meta.url);
writeFileSync(out, generateValidatorsModule(listPrecompiledSchemas(modules.values())));
console.log(`wrote ${out.pathname}`);
