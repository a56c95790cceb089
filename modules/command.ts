/**
 * command: run a program (argv, no shell) or a command line (cmd, run by sh) on the host.
 * It always changes, unless `creates` (a path that exists means done) or `removes` (a path
 * that is gone means done) says otherwise; then the check-mode prediction is exact. Without
 * them, check mode cannot predict the effect: the plan says so with `unpredictable`.
 *
 * ```yaml
 * - command: kubeadm init phase certs etcd-ca
 * - command: { argv: [etcdctl, member, list], env: { ETCDCTL_API: "3" } }
 * - command: { cmd: "tar xzf /tmp/etcd.tgz", chdir: /opt, creates: /opt/etcd }
 * ```
 */
import { posix } from 'node:path';
import type { FromSchema } from 'json-schema-to-ts';
import { commandSchema } from '../schemas/modules/command.js';
import type { Change, FactCache, ModuleDefinition, Plan } from '../runner/types.js';
import { pathState } from '../runner/facts/path-state.js';
import { quoteArgv } from '../runner/connection/quote.js';

type CommandParams = FromSchema<typeof commandSchema>;
type CommandObject = Exclude<CommandParams, string>;

/** What gather found about the creates/removes paths (only those given). */
export interface CommandFacts {
  createsExists?: boolean;
  removesExists?: boolean;
}

/** The `command` module definition (registered in modules/index.ts). */
export const command: ModuleDefinition<CommandParams, CommandFacts> = {
  name: 'command',
  summary: 'Run a command (argv without a shell, or a command line run by sh); creates/removes make it idempotent.',
  schema: commandSchema,
  flags: { notIdempotent: 'a command runs every time unless creates or removes says its work is done' },
  docs: {
    examples: [
      '- command: kubeadm init phase certs etcd-ca',
      '- command: { argv: [etcdctl, member, list], env: { ETCDCTL_API: "3" } }',
      '- command: { cmd: "tar xzf /tmp/etcd.tgz", chdir: /opt, creates: /opt/etcd }',
      '- command: { argv: [rm, -f, /var/run/seeded], removes: /var/run/seeded }',
      '- command: { argv: [sh, -c, "cat > /tmp/in"], stdin: "hello\\n" }',
      '',
    ].join('\n'),
    returns: {
      cmd: 'The command as run: the argv list, or the command line.',
      rc: 'Exit code.',
      stdout: 'Standard output, without its trailing newlines (as Ansible registers it), otherwise exact up to the limit of output_dropped.',
      stderr: 'Standard error, the same way.',
      stdout_lines: 'stdout split into lines (without the final empty line).',
      stderr_lines: 'stderr split into lines.',
      output_dropped: 'Only when a stream printed more than quorum keeps (2 MiB each: the first and the last MiB, with a line saying how many bytes were dropped between them): the bytes dropped, as { stdout, stderr }.',
    },
    notes: [
      'A non-zero exit fails the task (use failed_when / ignore_errors to accept it).',
      'Without creates/removes the task is skipped in check mode: its effect cannot be predicted.',
      'creates/removes are plain paths (no globs); a relative one is resolved against chdir.',
      'Ansible\'s key=value form works: `command: chdir=/opt creates=/opt/etcd tar xzf /tmp/etcd.tgz` (creates, removes, chdir and stdin are taken out of the line).',
      'When it does not run (creates/removes say done, or check mode) it registers rc 0 and empty output, as Ansible does.',
    ],
  },
  // creates/removes are read with pathState: read ahead for the whole play (relative ones,
  // resolved against chdir, are not guessed and read by the task).
  inspectsPaths: (args) => [args['creates'], args['removes']],
  async gather(ctx, params) {
    const p = normalizeParams(params);
    const facts: CommandFacts = {};
    if (p.creates !== undefined) facts.createsExists = await pathExists(ctx.facts, resolveGuard(p, p.creates));
    if (p.removes !== undefined) facts.removesExists = await pathExists(ctx.facts, resolveGuard(p, p.removes));
    return facts;
  },
  plan(params, facts) {
    const p = normalizeParams(params);
    // What Ansible's command registers when it does not run (check mode, creates/removes): rc 0
    // and empty output, so `when: r.rc == 0` holds under --check too. A run replaces them.
    const result = { cmd: p.argv ?? p.cmd, ...notRun('') };
    if (p.creates !== undefined && facts.createsExists) {
      return { changes: [], noop: `${resolveGuard(p, p.creates)} exists`, result: { ...result, ...notRun(`skipped, since ${resolveGuard(p, p.creates)} exists`) } };
    }
    if (p.removes !== undefined && !facts.removesExists) {
      return { changes: [], noop: `${resolveGuard(p, p.removes)} does not exist`, result: { ...result, ...notRun(`skipped, since ${resolveGuard(p, p.removes)} does not exist`) } };
    }
    const plan: Plan = { changes: [buildExecChange(p)], result };
    if (p.creates === undefined && p.removes === undefined) plan.unpredictable = 'a command without creates or removes';
    return plan;
  },
};

/** Registered fields of a command that did not run, as Ansible's. */
function notRun(stdout: string): Record<string, unknown> {
  return { rc: 0, stdout, stderr: '', stdout_lines: stdout === '' ? [] : [stdout], stderr_lines: [] };
}

/** The string shorthand is a `cmd`. */
function normalizeParams(params: CommandParams): CommandObject {
  return typeof params === 'string' ? { cmd: params } : params;
}

function buildExecChange(p: CommandObject): Change {
  const command = p.argv ?? p.cmd ?? '';
  return {
    kind: 'exec',
    command,
    describe: `run ${typeof command === 'string' ? command : quoteArgv(command)}${p.chdir ? ` in ${p.chdir}` : ''}`,
    ...(p.stdin !== undefined ? { stdin: p.stdin } : {}),
    ...(p.chdir !== undefined ? { cwd: p.chdir } : {}),
    ...(p.env !== undefined ? { env: { ...p.env } } : {}),
  };
}

/** Ansible resolves a relative creates/removes against chdir; so do we. */
function resolveGuard(p: CommandObject, path: string): string {
  return p.chdir !== undefined ? posix.resolve(p.chdir, path) : path;
}

async function pathExists(facts: FactCache, path: string): Promise<boolean> {
  return (await facts.get(pathState, { path })).type !== 'absent';
}
