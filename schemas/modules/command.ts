/**
 * Parameters of the `command` module: a plain string (a command line run by sh) or an object
 * with exactly one of `argv` and `cmd`.
 */
export const commandSchema = {
  description: 'A command line run by sh (shorthand for `cmd`), or an object with `argv` or `cmd`.',
  anyOf: [
    { type: 'string', minLength: 1, description: 'A command line run by sh, like `cmd`.' },
    {
      type: 'object',
      additionalProperties: false,
      properties: {
        argv: {
          type: 'array',
          minItems: 1,
          items: { type: 'string' },
          description: 'Program and arguments, run without a shell (nothing is expanded). Preferred when words come from variables.',
        },
        cmd: { type: 'string', minLength: 1, description: 'A command line run by sh: pipes, redirections and $VARS work.' },
        chdir: { type: 'string', minLength: 1, description: 'Directory to run in (and where relative creates/removes are resolved).' },
        stdin: { type: 'string', description: 'Text written to the command\'s standard input.' },
        env: {
          type: 'object',
          propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' },
          additionalProperties: { type: 'string', description: 'Value of the variable.' },
          description: 'Extra environment variables for this command only.',
        },
        creates: { type: 'string', minLength: 1, description: 'Do not run when this path exists (the command creates it).' },
        removes: { type: 'string', minLength: 1, description: 'Run only when this path exists (the command removes it).' },
      },
      oneOf: [{ required: ['argv'] }, { required: ['cmd'] }],
    },
  ],
} as const;
