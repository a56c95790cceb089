/** Parameters of the `debug` module. */
export const debugSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    msg: { description: 'Message to print (templated).' },
    var: { type: 'string', description: 'Name of a variable to print with its value (a dotted path such as `result.stdout`).' },
  },
  oneOf: [{ required: ['msg'] }, { required: ['var'] }],
} as const;
