/**
 * Ansible for the comparison: ansible-core from PyPI (scripts/install-peers.sh --bench, pinned
 * there), plain or with the Mitogen strategy, and the ansible.cfg the bench writes for each
 * (pipelining, ControlMaster/ControlPersist, forks >= hosts, host key checking ON against the
 * lab's known_hosts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchLab } from './lab.js';

/** Install GNU time with apt when missing (peak RSS and CPU of every run). */
export function ensureGnuTime(log: (line: string) => void): void {
  if (existsSync('/usr/bin/time')) return;
  log('installing time with apt-get');
  execFileSync('apt-get', ['install', '-y', 'time'], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** First line of `ansible-playbook --version` of a venv, e.g. "ansible-playbook [core 2.19.14]". */
export function readAnsibleVersion(venv: string): string {
  return execFileSync(join(venv, 'bin', 'ansible-playbook'), ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]!.trim();
}

/** Mitogen's strategy plugins directory inside a venv (site-packages/ansible_mitogen/plugins/strategy). */
export function findMitogenStrategyDir(venv: string): string {
  const lib = join(venv, 'lib');
  for (const python of readdirSync(lib)) {
    const dir = join(lib, python, 'site-packages', 'ansible_mitogen', 'plugins', 'strategy');
    if (existsSync(dir)) return dir;
  }
  throw new Error(`bench: no ansible_mitogen strategy plugins under ${lib} (scripts/install-peers.sh --bench installs them)`);
}

/**
 * Write `dir`/ansible.cfg for `lab` and return the environment that makes ansible-playbook use
 * it. ControlPersist keeps the masters between rounds, which favours Ansible: on purpose, it is
 * the setting a tuned Ansible user runs with. With `mitogenStrategyDir`, the strategy is
 * mitogen_linear as Mitogen's docs install it (strategy_plugins + strategy in [defaults]);
 * Mitogen then runs its own SSH connection and ignores pipelining.
 */
export function writeAnsibleConfig(dir: string, lab: BenchLab, forks: number, mitogenStrategyDir?: string): Record<string, string> {
  mkdirSync(join(dir, 'cp'), { recursive: true });
  const cfg = join(dir, 'ansible.cfg');
  const sshArgs = [
    '-C',
    '-o ControlMaster=auto',
    '-o ControlPersist=120s',
    '-o IdentitiesOnly=yes',
    `-o UserKnownHostsFile=${lab.knownHostsFile}`,
    '-o GlobalKnownHostsFile=/dev/null',
    '-o StrictHostKeyChecking=yes',
  ].join(' ');
  writeFileSync(
    cfg,
    [
      '# Written by bench/run.ts for one benchmark lab.',
      '[defaults]',
      `forks = ${forks}`,
      'host_key_checking = True',
      'interpreter_python = /usr/bin/python3',
      // The default 10 s (connect and the sudo prompt) fails hosts on a loaded 2-core machine
      // with 30 hosts; quorum is given the same 60 s (-T 60).
      'timeout = 60',
      'retry_files_enabled = False',
      'nocolor = True',
      'deprecation_warnings = False',
      ...(mitogenStrategyDir ? [`strategy_plugins = ${mitogenStrategyDir}`, 'strategy = mitogen_linear'] : []),
      '',
      '[ssh_connection]',
      'pipelining = True',
      `ssh_args = ${sshArgs}`,
      `control_path_dir = ${join(dir, 'cp')}`,
      '',
    ].join('\n'),
  );
  return { ANSIBLE_CONFIG: cfg, ANSIBLE_NOCOLOR: '1' };
}
