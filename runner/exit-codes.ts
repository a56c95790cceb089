/**
 * Exit codes, one meaning each (Ansible overloads 2 and 4; see its issue #19720):
 *
 *   0   every host ok
 *   1   internal error (a bug in quorum: please report it)
 *   2   at least one host failed a task
 *   4   at least one host was unreachable (and none failed)
 *   5   invalid input: inventory, playbook, arguments or options; nothing was touched
 *   10  --check --detailed-exitcode: no host failed and changes are pending
 *   99  interrupted (Ctrl-C); the recap was still printed
 */
import type { HostRecap } from './report/events.js';

export const EXIT = {
  ok: 0,
  internal: 1,
  failed: 2,
  unreachable: 4,
  invalidInput: 5,
  changesPending: 10,
  interrupted: 99,
} as const;

export function exitCodeOf(run: { recap: Record<string, HostRecap>; interrupted: boolean; changesPending: boolean; detailed: boolean }): number {
  if (run.interrupted) return EXIT.interrupted;
  const hosts = Object.values(run.recap);
  if (hosts.some((h) => h.failed > 0)) return EXIT.failed;
  if (hosts.some((h) => h.unreachable > 0)) return EXIT.unreachable;
  if (run.detailed && run.changesPending) return EXIT.changesPending;
  return EXIT.ok;
}
