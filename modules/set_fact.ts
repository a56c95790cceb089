/**
 * set_fact: set host variables for the tasks that follow. Controller-only and read-only: the
 * plan has no change; it returns `result.facts`, which the executor stores as variables of the
 * inventory host (visible to later tasks of the run, like Ansible's set_fact).
 *
 * ```yaml
 * - set_fact: { etcd_initial_cluster: "infra0=https://10.0.0.10:2380" }
 * ```
 */
import type { FromSchema } from 'json-schema-to-ts';
import { setFactSchema } from '../schemas/modules/set_fact.js';
import type { ModuleDefinition } from '../runner/types.js';

type SetFactParams = FromSchema<typeof setFactSchema>;

/** The `set_fact` module definition; the executor stores `result.facts` as host variables. */
export const setFact: ModuleDefinition<SetFactParams, Record<string, never>> = {
  name: 'set_fact',
  summary: 'Set host variables for later tasks.',
  schema: setFactSchema,
  flags: { readOnly: true, controllerOnly: true },
  docs: {
    examples: [
      '- set_fact: { etcd_initial_cluster: "infra0=https://10.0.0.10:2380,infra1=https://10.0.0.11:2380" }',
      '- set_fact: { etcd_members: ["infra0", "infra1", "infra2"], etcd_port: 2379 }',
      '',
    ].join('\n'),
    returns: {
      facts: 'The variables set, name -> value. The executor stores them as variables of the host for the rest of the run.',
    },
    notes: [
      'Values are rendered by the executor before the module sees them; a value that is exactly "{{ x }}" keeps its type.',
      'Variables are per inventory host (with delegate_to, the host the task is for) and last for the run.',
    ],
  },
  async gather() {
    return {};
  },
  plan(params) {
    const names = Object.keys(params);
    return { changes: [], noop: `set_fact only sets variables (${names.join(', ')})`, result: { facts: { ...params } } };
  },
};
