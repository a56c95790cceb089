/** Parameters of the `assert` module. */
export const assertSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['that'],
  properties: {
    that: {
      description: 'One CEL expression or a list of them; every one must evaluate to true.',
      anyOf: [
        { type: 'string', minLength: 1, description: 'A CEL expression.' },
        { type: 'array', minItems: 1, items: { type: 'string', minLength: 1, description: 'A CEL expression.' }, description: 'CEL expressions, all must hold.' },
      ],
    },
    fail_msg: { type: 'string', description: 'Message of the failure when an expression is false (default names the expression).' },
    success_msg: { type: 'string', description: 'Message when every expression holds (default "All assertions passed").' },
  },
} as const;
