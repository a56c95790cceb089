/**
 * Planning from answers read before a change, safely (executor/run-module.ts).
 *
 * On a first run every task changes its host, and every change ends what the run had read
 * (facts/cache.ts): without this, each task would read its path again before changing it, two
 * round trips per host and task where one does. Instead a task may plan from the answer read
 * before the change (the play's read-ahead, an earlier task's read) when its fact has a guard:
 * a shell condition that holds while the fact would still give that answer. The task's first
 * change then runs only if every guard holds, checked by the shell in the same command
 * (connection/preconditions.ts `unchanged`); when one does not, nothing ran, and the task reads
 * the host again and plans anew.
 *
 * Only a plan that changes something can carry the guards. A plan that says "nothing to do",
 * fails, or starts with a controller-side step is made again from fresh reads: an answer that is
 * no longer true would otherwise decide it unchecked. The guards run with the privilege of the
 * task's commands, so only answers read with that privilege are used.
 */
import type { Fact, FactCache, Plan } from '../types.js';

export class KeptReads {
  readonly #facts: FactCache;
  readonly #become: boolean;
  readonly #guards: string[] = [];

  /** @param become the privilege the task's changes run with */
  constructor(facts: FactCache, become: boolean) {
    this.#facts = facts;
    this.#become = become;
  }

  /** The cache the task gathers through: kept answers that can be guarded, else fresh reads. */
  readonly cache: FactCache = {
    get: <T, A>(fact: Fact<T, A>, args: A): Promise<T> => {
      const readAs = fact.sudo === true || this.#become;
      const kept = readAs === this.#become ? this.#facts.kept?.(fact, args) : undefined;
      const guard = kept && fact.guard?.(args, kept.value);
      if (!kept || guard === undefined) return this.#facts.get(fact, args);
      this.#guards.push(guard);
      return Promise.resolve(kept.value);
    },
    clear: () => this.#facts.clear(),
  };

  /** Whether the plan used any answer read before a change. */
  get used(): boolean {
    return this.#guards.length > 0;
  }

  /**
   * The condition the plan's first change must check (all the guards), or undefined when the
   * plan cannot carry it and must be made again from fresh reads.
   */
  guardFor(plan: Plan, check: boolean): string | undefined {
    const first = plan.changes[0];
    if (check || plan.failed !== undefined || first === undefined || first.kind === 'call') return undefined;
    // Each in braces: a guard may hold `||`, which would bind looser than the `&&` between them.
    return [...new Set(this.#guards)].map((g) => `{ ${g}\n}`).join(' && ');
  }
}
