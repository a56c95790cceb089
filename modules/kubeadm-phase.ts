// Placeholder until the module lands: it refuses to run, so nothing can mistake it for done.
import type { ModuleDefinition } from '../runner/types.js';
import { ModuleError } from '../runner/errors.js';

export const kubeadmPhase: ModuleDefinition = {
  name: 'kubeadm-phase',
  summary: 'not implemented yet',
  schema: { type: 'object' },
  docs: { examples: '' },
  async gather() {
    throw new ModuleError('module kubeadm-phase is not implemented yet');
  },
  plan() {
    return { changes: [], failed: 'module kubeadm-phase is not implemented yet' };
  },
};
