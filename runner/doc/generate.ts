/**
 * Every generated documentation file, in memory: `npm run docs` writes them and
 * test/unit/docs.test.ts compares them with the committed ones, so stale docs fail the tests.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ModuleDefinition } from '../types.js';
import { renderModuleDoc, renderModuleIndex } from './render.js';
import { buildInventorySchema, buildPlaybookSchema } from './schema.js';

/** Where the editor schemas are committed (playbooks point their modeline here). */
export const SCHEMA_DIR = 'docs/schemas';

/** Generated files by path relative to the project root, sorted by module name. */
export function renderDocFiles(modules: readonly ModuleDefinition[]): Map<string, string> {
  const sorted = [...modules].sort((a, b) => a.name.localeCompare(b.name));
  const files = new Map<string, string>();
  files.set('docs/modules/README.md', renderModuleIndex(sorted));
  for (const m of sorted) files.set(`docs/modules/${m.name}.md`, renderModuleDoc(m));
  for (const [name, content] of renderSchemaFiles(sorted)) files.set(`${SCHEMA_DIR}/${name}`, content);
  return files;
}

/** playbook.schema.json (with module arguments) and inventory.schema.json, as written. */
export function renderSchemaFiles(modules: readonly ModuleDefinition[]): Map<string, string> {
  return new Map([
    ['playbook.schema.json', `${JSON.stringify(buildPlaybookSchema(modules), null, 2)}\n`],
    ['inventory.schema.json', `${JSON.stringify(buildInventorySchema(), null, 2)}\n`],
  ]);
}

/** Write files (relative paths) under `root`, creating directories. */
export function writeFiles(root: string, files: Map<string, string>): string[] {
  const written: string[] = [];
  for (const [path, content] of files) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    written.push(full);
  }
  return written;
}
