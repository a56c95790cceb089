/**
 * node-forge, loaded on first use. Importing it at the top of a module loaded the whole library
 * (TLS, ciphers, ...) on every run, about 30-40 ms of start-up, although only playbooks that
 * use the certs module need it. Types come from `import type forge from 'node-forge'`.
 */
import { createRequire } from 'node:module';
import type Forge from 'node-forge';

const requireFromHere = createRequire(import.meta.url);
let forge: typeof Forge | undefined;

/** The node-forge module (loaded once, synchronously, the first time it is asked for). */
export function loadForge(): typeof Forge {
  return (forge ??= requireFromHere('node-forge') as typeof Forge);
}
