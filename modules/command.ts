// Placeholder until the module lands: it refuses to run, so nothing can mistake it for done.
import type { ModuleDefinition } from '../runner/types.js';
import { ModuleError } from '../runner/errors.js';

export const command: ModuleDefinition = {
  name: 'command',
  summary: 'not implemented yet',
  schema: { type: 'object' },
  docs: { examples: '' },
  async gather() {
    throw new ModuleError('module command is not implemented yet');
  },
  plan() {
    return { changes: [], failed: 'module command is not implemented yet' };
  },
};
