/**
 * assert: fail the task unless every CEL expression holds. Read-only and controller-only, so
 * it runs in check mode too. The expressions are evaluated in gather (which sees the task's
 * variables); plan, which is pure, turns the outcome into `failed` naming the first false one.
 *
 * ```yaml
 * - assert:
 *     that: ['size(groups.etcd) == 3', 'facts.os.id == "debian"']
 *     fail_msg: the etcd group needs exactly three hosts
 * ```
 */
import type { FromSchema } from 'json-schema-to-ts';
import { assertSchema } from '../schemas/modules/assert.js';
import type { ModuleDefinition } from '../runner/types.js';
import { evaluate } from '../runner/lang/expr.js';

type AssertParams = FromSchema<typeof assertSchema>;

/** The outcome of one expression: its value when it evaluated, else the error text. */
export interface AssertionOutcome {
  expr: string;
  value?: unknown;
  error?: string;
}

/** What gather returns: one outcome per expression, in order. */
export interface AssertFacts {
  outcomes: AssertionOutcome[];
}

/** The `assert` module definition (registered in modules/index.ts). */
export const assert: ModuleDefinition<AssertParams, AssertFacts> = {
  name: 'assert',
  summary: 'Fail unless every CEL expression holds.',
  schema: assertSchema,
  flags: { readOnly: true, controllerOnly: true },
  docs: {
    examples: [
      '- assert: { that: "size(groups.etcd) == 3" }',
      '- assert:',
      '    that: ["facts.os.id == \\"debian\\"", "inventory_hostname in groups.etcd"]',
      '    fail_msg: this play runs only on the Debian etcd hosts',
      '    success_msg: hosts look right',
      '',
    ].join('\n'),
    returns: {
      assertion: 'The first expression that did not hold (on failure).',
      evaluated_to: 'What that expression evaluated to (false, or a non-boolean value); absent when it could not be evaluated.',
      msg: 'fail_msg or success_msg (or the default message).',
    },
    notes: ['An expression that cannot be evaluated (unknown variable, syntax error) fails the task with the evaluator\'s message.'],
  },
  async gather(ctx, params) {
    const exprs = typeof params.that === 'string' ? [params.that] : [...params.that];
    return { outcomes: exprs.map((expr) => evaluateAssertion(expr, ctx.vars)) };
  },
  plan(params, facts) {
    const bad = facts.outcomes.find((o) => o.error !== undefined || o.value !== true);
    if (bad === undefined) {
      const msg = params.success_msg ?? 'All assertions passed';
      return { changes: [], noop: 'assert changes nothing', msg, result: { msg } };
    }
    // An evaluator error already quotes the expression; a false or non-boolean one is named here.
    const detail = bad.error ?? `${bad.expr} ${describeValue(bad.value)}`;
    const prefix = bad.error !== undefined ? 'assertion could not be evaluated' : 'assertion failed';
    const failed = params.fail_msg !== undefined ? `${params.fail_msg} (${detail})` : `${prefix}: ${detail}`;
    const result: Record<string, unknown> = { assertion: bad.expr, msg: failed };
    if (bad.error === undefined) result.evaluated_to = bad.value;
    return { changes: [], failed, result };
  },
};

// evaluate, not evaluateBool: a non-boolean result is reported with its value by plan.
// Errors are data here, so that plan (pure) can name the expression that could not run.
function evaluateAssertion(expr: string, vars: Readonly<Record<string, unknown>>): AssertionOutcome {
  try {
    return { expr, value: evaluate(expr, vars) };
  } catch (err) {
    return { expr, error: (err as Error).message };
  }
}

function describeValue(value: unknown): string {
  if (value === false) return 'evaluated to false';
  return `evaluated to ${typeof value === 'bigint' ? `${value}` : JSON.stringify(value)}, not a boolean`;
}
