/**
 * The bench's peers, installed from PyPI by scripts/install-peers.sh --bench (pinned there, one
 * cached venv each; a complete venv is reused, so only the first bench on a machine downloads).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** The venv of each peer and the versions results.md names. */
export interface PeerVenvs {
  ansible: string;
  mitogen: string;
  pyinfra: string;
  /** e.g. "mitogen 0.3.54" */
  mitogenVersion: string;
  /** The venvs' Python (the controller side of every peer), e.g. "Python 3.11.2". */
  python: string;
}

/** Run the installer and read its NAME=VENV lines. */
export function installBenchPeers(projectRoot: string, log: (line: string) => void): PeerVenvs {
  log('peers: scripts/install-peers.sh --bench (cached venvs; the first run downloads from PyPI)');
  const out = execFileSync('bash', [join(projectRoot, 'scripts', 'install-peers.sh'), '--bench'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const venv = new Map(out.trim().split('\n').map((line) => line.split('=', 2) as [string, string]));
  const need = (name: string) => {
    const dir = venv.get(name);
    if (!dir) throw new Error(`bench: scripts/install-peers.sh --bench printed no ${name}=VENV line; it printed:\n${out}`);
    return dir;
  };
  const mitogen = need('mitogen');
  const python = (code: string) => execFileSync(join(mitogen, 'bin', 'python'), ['-c', code], { encoding: 'utf8' }).trim();
  return {
    ansible: need('ansible'),
    mitogen,
    pyinfra: need('pyinfra'),
    mitogenVersion: `mitogen ${python('import importlib.metadata as m; print(m.version("mitogen"))')}`,
    python: `Python ${python('import platform; print(platform.python_version())')} (the peers' venvs); the hosts' python3 is Debian 12's`,
  };
}
