/**
 * Parameters of the `shell` module: a command line run by `sh -c` (or `executable -c`), as a
 * plain string or an object with `cmd`.
 */
import { commandSchema } from './command.js';

// chdir, stdin, creates, removes mean what they mean for command: shell runs through it.
const commandArgs = commandSchema.anyOf[1].properties;

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
        chdir: commandArgs.chdir,
        stdin: commandArgs.stdin,
        creates: commandArgs.creates,
        removes: commandArgs.removes,
      },
    },
  ],
} as const;
