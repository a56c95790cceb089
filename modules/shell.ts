/**
 * shell: a command line run by `sh -c` (or `executable -c`) on the host, Ansible's `shell`.
 * It is `command` with a `cmd`: the same gather and plan (creates/removes, chdir, stdin, the
 * registered rc/stdout/stderr), so a fix to one is a fix to both. Only `executable` is its own.
 *
 * ```yaml
 * - shell: "ls /etc | grep -c conf > /tmp/count"
 * - shell: { cmd: "set -o pipefail; etcdctl member list | wc -l", executable: /bin/bash }
 * ```
 */
import type { FromSchema } from 'json-schema-to-ts';
import { shellSchema } from '../schemas/modules/shell.js';
import type { ModuleDefinition } from '../runner/types.js';
import { command, type CommandFacts } from './command.js';

type ShellParams = FromSchema<typeof shellSchema>;
type CommandParams = Parameters<typeof command.plan>[0];

/** The `shell` module definition (registered in modules/index.ts). */
export const shell: ModuleDefinition<ShellParams, CommandFacts> = {
  name: 'shell',
  summary: 'Run a command line with sh -c (or another shell); creates/removes make it idempotent.',
  schema: shellSchema,
  flags: { notIdempotent: 'a command line runs every time unless creates or removes says its work is done' },
  docs: {
    examples: [
      '- shell: "sysctl -a 2>/dev/null | grep -c net > /tmp/net-count"',
      '- shell: { cmd: "tar xzf /tmp/app.tgz && touch .done", chdir: /opt/app, creates: /opt/app/.done }',
      '- shell: { cmd: "set -o pipefail; journalctl -u etcd | tail -n 5", executable: /bin/bash }',
      '- shell: { cmd: "cat > /etc/motd", stdin: "welcome\\n" }',
      '',
    ].join('\n'),
    returns: command.docs.returns!,
    notes: [
      'The line is run by the host\'s /bin/sh (dash on Debian): bash features (`[[ ]]`, `set -o pipefail`, `/dev/tcp`) need `executable: /bin/bash`.',
      'Without creates/removes it runs and reports changed every time (use changed_when to say otherwise), and is skipped in check mode: its effect cannot be predicted.',
      'A non-zero exit fails the task (use failed_when / ignore_errors to accept it).',
      'Prefer `command` with `argv` when words come from variables: nothing in argv is expanded by a shell.',
    ],
  },
  inspectsPaths: (args) => command.inspectsPaths!(args),
  gather: (ctx, params) => command.gather(ctx, toCommandParams(params)),
  plan(params, facts, ctx) {
    const plan = command.plan(toCommandParams(params), facts, ctx);
    // The registered cmd is the line the user wrote, not the `executable -c` argv around it.
    return { ...plan, result: { ...plan.result, cmd: typeof params === 'string' ? params : params.cmd } };
  },
};

/** shell's arguments as command's: `cmd` (run by sh), or `argv` when another shell is named. */
function toCommandParams(params: ShellParams): CommandParams {
  if (typeof params === 'string') return { cmd: params };
  const { cmd, executable, ...rest } = params;
  return executable !== undefined ? { argv: [executable, '-c', cmd], ...rest } : { cmd, ...rest };
}
