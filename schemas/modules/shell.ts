/**
 * Parameters of the `shell` module: a command line run by `sh -c` (or `executable -c`), as a
 * plain string or an object with `cmd`.
 */
export const shellSchema = {
  description: 'A command line run by sh (shorthand for `cmd`), or an object with `cmd`.',
  anyOf: [
    { type: 'string', minLength: 1, description: 'A command line run by sh -c, like `cmd`.' },
    {
      type: 'object',
      additionalProperties: false,
      required: ['cmd'],
      properties: {
        cmd: { type: 'string', minLength: 1, description: 'The command line: pipes, redirections, globs and $VARS work.' },
        executable: {
          type: 'string',
          pattern: '^/',
          description: 'Absolute path of the shell that runs the line as `EXECUTABLE -c CMD` (default: the host\'s sh). Use /bin/bash for bash-only syntax.',
        },
        chdir: { type: 'string', minLength: 1, description: 'Directory to run in (and where relative creates/removes are resolved).' },
        stdin: { type: 'string', description: 'Text written to the command\'s standard input.' },
        creates: { type: 'string', minLength: 1, description: 'Do not run when this path exists (the command creates it).' },
        removes: { type: 'string', minLength: 1, description: 'Run only when this path exists (the command removes it).' },
      },
    },
  ],
} as const;
