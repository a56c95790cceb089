/** Parameters of the `set_fact` module: variable name -> value (any JSON value). */
export const setFactSchema = {
  type: 'object',
  minProperties: 1,
  description: 'Variables to set on the host for later tasks, name -> value.',
  propertyNames: {
    pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
    description: 'A variable name: letters, digits and underscores, not starting with a digit (so CEL and templates can use it).',
  },
  additionalProperties: { description: 'The value (already rendered): string, number, boolean, list or map.' },
} as const;
