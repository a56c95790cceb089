/** Parameters of the `package` module: the subset every package manager shares. */
import { packageNameProperty, packageStateProperty } from './apt.js';

export const packageSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: packageNameProperty,
    state: packageStateProperty,
    use: {
      enum: ['auto', 'apt'],
      description: 'The package manager: `auto` (default) picks it from the host (`ansible_pkg_mgr`, else the facts\' OS, else apt-get on the PATH); quorum drives apt only and refuses other hosts, saying which manager they have.',
    },
  },
} as const;
