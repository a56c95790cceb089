/**
 * apt-get as quorum runs it: never interactive (DEBIAN_FRONTEND=noninteractive, `-y`), keeping a
 * changed configuration file the administrator edited (dpkg's --force-confdef/--force-confold, as
 * Ansible's apt module does), never waiting on the dpkg lock itself (DPkg::Lock::Timeout=0: quorum
 * waits, and says so as it waits, runner/apt/run-apt-get.ts), with C-locale output it can read.
 */
import { quoteArgv } from '../connection/quote.js';

/** What one apt-get invocation does. */
export interface AptGetRequest {
  verb: 'update' | 'install' | 'remove' | 'purge' | 'autoremove';
  /** Package specs (`name`, `name=version`, `name:arch`) or paths of .deb files. */
  packages?: readonly string[];
  /** undefined: apt's own default (APT::Install-Recommends). */
  installRecommends?: boolean;
  /** Also remove the packages nothing needs any more (`--autoremove`). */
  autoremove?: boolean;
  allowDowngrade?: boolean;
  /** `-s`: print what would happen (Inst/Remv/Purg lines), change nothing, take no lock. */
  simulate?: boolean;
}

const ENV = 'DEBIAN_FRONTEND=noninteractive LC_ALL=C';

/** The argv of apt-get for a request (without the environment). */
export function aptGetArgv(req: AptGetRequest): string[] {
  const argv = ['apt-get', '-q', '-y'];
  if (req.simulate) argv.push('-s');
  else argv.push('-o', 'DPkg::Lock::Timeout=0', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold');
  if (req.installRecommends === true) argv.push('--install-recommends');
  if (req.installRecommends === false) argv.push('--no-install-recommends');
  if (req.autoremove && req.verb !== 'autoremove' && req.verb !== 'update') argv.push('--autoremove');
  if (req.allowDowngrade) argv.push('--allow-downgrades');
  argv.push(req.verb, ...(req.packages ?? []));
  return argv;
}

/** The shell command line: apt-get with its environment, every word quoted. */
export function aptGetCommand(req: AptGetRequest): string {
  return `${ENV} ${quoteArgv(aptGetArgv(req))}`;
}
