/**
 * service: Ansible's `service` for hosts that run systemd, as a thin mapping onto the systemd
 * module (modules/systemd.ts): the same gather, plan, refusals and failure messages. What only
 * SysV init scripts can do (pattern, runlevel, arguments, sleep, another `use`) is refused
 * before any host is touched, with what to write instead.
 *
 * ```yaml
 * - service: { name: ssh, state: started, enabled: true }
 * ```
 */
import type { FromSchema } from 'json-schema-to-ts';
import { serviceSchema } from '../schemas/modules/service.js';
import type { ArgProblem, ModuleDefinition } from '../runner/types.js';
import { systemd, type SystemdFacts } from './systemd.js';

type ServiceParams = FromSchema<typeof serviceSchema>;
type SystemdParams = Parameters<typeof systemd.plan>[0];

/** Arguments systemd has no meaning for, with what to do instead. */
const REFUSED: Record<string, string> = {
  pattern: '`pattern` (find the process in ps) is for init scripts without status; systemd knows whether the unit runs: remove `pattern`',
  runlevel: '`runlevel` is for SysV/OpenRC init: with systemd use `enabled: true` (starts at boot), or a `systemd` unit with its own WantedBy=',
  arguments: '`arguments` are passed to init scripts only: give a systemd unit its options in a drop-in (`systemd: { name: ..., dropins: { 10-args.conf: "[Service]\\nEnvironment=..." } }`)',
  args: '`args` are passed to init scripts only: give a systemd unit its options in a drop-in (`systemd: { name: ..., dropins: { 10-args.conf: "[Service]\\nEnvironment=..." } }`)',
  sleep: '`sleep` (between stop and start of an init script) does not apply: systemd restarts in one job; remove `sleep`',
};

/** The `service` module definition (registered in modules/index.ts). */
export const service: ModuleDefinition<ServiceParams, SystemdFacts> = {
  name: 'service',
  summary: 'Start, stop, restart, reload or enable a service (the common subset, on systemd).',
  schema: serviceSchema,
  docs: {
    examples: [
      '- service: { name: ssh, state: started, enabled: true }',
      '- service: { name: nginx, state: reloaded }',
      '- service: { name: etcd, state: restarted, daemon_reload: true }',
      '',
    ].join('\n'),
    returns: systemd.docs.returns!,
    notes: [
      'The same as `systemd` with name, state, enabled and daemon_reload (`quorum doc systemd` for unit files, drop-ins, masking, no_block).',
      'Hosts must run systemd: `use` may only be `auto` or `systemd`; pattern, runlevel, arguments/args and sleep are refused before any host is touched, with what to write instead.',
      'A unit that does not exist fails the task (LoadState=not-found), naming it.',
    ],
  },
  checkArgs: (params) => findRefusals(params),
  gather: (ctx, params) => systemd.gather(ctx, toSystemdParams(params)),
  plan(params, facts, ctx) {
    // A value known only at run time (templated `use`) is refused here, as checkArgs would.
    const refusal = findRefusals(params)[0];
    if (refusal) return { changes: [], failed: refusal.message };
    return systemd.plan(toSystemdParams(params), facts, ctx);
  },
};

/** Every argument given that systemd cannot honour (exported for the unit tests). */
export function findRefusals(params: ServiceParams): ArgProblem[] {
  const problems: ArgProblem[] = Object.keys(REFUSED)
    .filter((key) => (params as Record<string, unknown>)[key] !== undefined)
    .map((key) => ({ param: key, message: REFUSED[key]! }));
  if (params.use !== undefined && params.use !== 'auto' && params.use !== 'systemd') {
    problems.push({ param: 'use', message: `use: ${params.use} is not supported: quorum manages services through systemd only; remove \`use\` or write \`use: systemd\``, suggestion: 'systemd' });
  }
  return problems;
}

function toSystemdParams(params: ServiceParams): SystemdParams {
  const { name, state, enabled, daemon_reload } = params;
  return { name, ...(state !== undefined ? { state } : {}), ...(enabled !== undefined ? { enabled } : {}), ...(daemon_reload !== undefined ? { daemon_reload } : {}) };
}
