/**
 * `npm run docs`: regenerate docs/modules/*.md and docs/schemas/*.json from the modules.
 * Run with tsx from the project root; commit the result (the docs test fails when stale).
 */
import { fileURLToPath } from 'node:url';
import { modules } from '../../modules/index.js';
import { renderDocFiles, writeFiles } from './generate.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const written = writeFiles(root, renderDocFiles([...modules.values()]));
process.stdout.write(`wrote ${written.length} files under docs/\n`);
