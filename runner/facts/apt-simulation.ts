/**
 * apt-simulation: what apt-get would do, from `apt-get -s` (no change, no lock, no root needed):
 * its `Inst`/`Remv`/`Purg` lines parsed as data. It names the dependencies a request pulls in and
 * the packages a removal takes with it, and for `state: latest` it is the only way to know whether
 * a newer version is there. A request apt refuses (an unknown package or version) is a value,
 * `error`, so the module can fail the task with apt's own words, in check mode too.
 */
import type { Fact } from '../types.js';
import { aptGetCommand, type AptGetRequest } from '../apt/command-line.js';

/** One package apt-get would touch. */
export interface SimulatedAction {
  action: 'install' | 'replace' | 'remove' | 'purge';
  name: string;
  /** Version installed now (replace: an upgrade, or a downgrade to a pinned version; removals). */
  from?: string;
  /** Version that would be installed. */
  to?: string;
}

export interface AptSimulation {
  actions: SimulatedAction[];
  /** apt's E: lines when it refused the request. */
  error?: string;
}

export const aptSimulation: Fact<AptSimulation, Omit<AptGetRequest, 'simulate'>> = {
  name: 'apt-simulation',
  command(req) {
    return aptGetCommand({ ...req, simulate: true });
  },
  parse(output) {
    const actions = parseAptSimulation(output.stdout);
    if (output.exitCode === 0) return { actions };
    const errors = output.stderr.split('\n').filter((l) => l.startsWith('E: ')).map((l) => l.slice(3));
    return { actions, error: errors.length > 0 ? errors.join('; ') : `apt-get -s exited ${output.exitCode}: ${output.stderr.trim().slice(-500)}` };
  },
};

const LINE = /^(Inst|Remv|Purg) (\S+)(?: \[([^\]]+)\])?(?: \((\S+)[^)]*\))?/;

/** The Inst/Remv/Purg lines of `apt-get -s` (pure; exported for tests). Conf lines repeat Inst. */
export function parseAptSimulation(stdout: string): SimulatedAction[] {
  const actions: SimulatedAction[] = [];
  for (const line of stdout.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const [, verb, name, from, to] = m;
    const action = verb === 'Inst' ? (from ? 'replace' : 'install') : verb === 'Remv' ? 'remove' : 'purge';
    actions.push({ action, name: name!, ...(from ? { from } : {}), ...(to ? { to } : {}) });
  }
  return actions;
}
