/**
 * `delegate_to` written as a literal host name must name a host of the inventory (or the
 * controller: localhost, 127.0.0.1). Checked before any host is touched; a templated name is
 * checked when the task runs, where a wrong one fails the task (runner/executor/connect-host.ts).
 */
import type { ConfigProblem } from '../errors.js';
import type { Playbook, TaskItem } from '../playbook.js';
import { formatSuggestion } from '../util/suggest.js';
import { getPlaybookSources } from './playbook.js';

const CONTROLLER_NAMES = new Set(['localhost', '127.0.0.1']);

export function checkDelegateTargets(playbook: Playbook, hostNames: ReadonlySet<string>): ConfigProblem[] {
  const sources = getPlaybookSources(playbook);
  const problems: ConfigProblem[] = [];
  const visit = (items: TaskItem[]): void => {
    for (const item of items) {
      const target = item.keywords.delegate_to;
      if (typeof target === 'string' && !target.includes('{{') && !hostNames.has(target) && !CONTROLLER_NAMES.has(target)) {
        const pointer = `${item.pointer}/delegate_to`;
        const source = sources?.files.get(item.location.file);
        problems.push({
          location: source ? source.locate(pointer) : item.location,
          pointer,
          message: `delegate_to: no host named '${target}' in the inventory: name one of its hosts, or localhost${formatSuggestion(target, [...hostNames])}`,
        });
      }
      if (item.kind === 'block') {
        visit(item.block);
        visit(item.rescue);
        visit(item.always);
      }
    }
  };
  for (const play of playbook.plays) {
    visit(play.tasks);
    visit(play.handlers);
  }
  return problems;
}
