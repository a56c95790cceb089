/**
 * debug: print a message or a variable. Read-only, runs on the controller, runs in check mode.
 *
 * ```yaml
 * - debug: { msg: "node {{ inventory_hostname }} has {{ facts.cpus }} CPUs" }
 * - debug: { var: health.members }
 * ```
 */
import type { FromSchema } from 'json-schema-to-ts';
import { debugSchema } from '../schemas/modules/debug.js';
import type { ModuleDefinition } from '../runner/types.js';

type DebugParams = FromSchema<typeof debugSchema>;
interface DebugFacts {
  value: unknown;
}

export const debug: ModuleDefinition<DebugParams, DebugFacts> = {
  name: 'debug',
  summary: 'Print a message or the value of a variable.',
  schema: debugSchema,
  flags: { readOnly: true, controllerOnly: true },
  docs: {
    examples: `- debug: { msg: "hello from {{ inventory_hostname }}" }\n- debug: { var: inventory_hostname }\n`,
    returns: { msg: 'The message, or for `var` the variable under its own name.' },
  },
  async gather(ctx, params) {
    if (params.var === undefined) return { value: params.msg };
    return { value: lookupPath(ctx.vars, params.var) };
  },
  plan(params, facts) {
    if (params.var !== undefined) {
      return { changes: [], noop: 'debug only prints', result: { [params.var]: facts.value }, msg: `${params.var}: ${JSON.stringify(facts.value)}` };
    }
    const msg = typeof facts.value === 'string' ? facts.value : JSON.stringify(facts.value);
    return { changes: [], noop: 'debug only prints', result: { msg: facts.value }, msg };
  },
};

/** `a.b.0.c` over objects and arrays; undefined when any step is missing. */
function lookupPath(root: unknown, path: string): unknown {
  let value: unknown = root;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
