/** Whether a task runs with privilege (sudo) on a host: shared by the executor and the read-ahead (strategy/prefetch.ts). */
import type { RunState } from '../engine/run-state.js';

/**
 * As in Ansible, the inventory's connection variable `ansible_become` wins over the play and
 * task keyword; without it, the task's keyword, then the play's.
 */
export function becomeFor(state: RunState, host: string, keyword: boolean | undefined): boolean {
  const fromInventory = state.inventory.hosts.get(host)?.vars['ansible_become'];
  if (typeof fromInventory === 'boolean') return fromInventory;
  return keyword ?? false;
}
