/**
 * Ansible for the comparison: Debian's ansible-core only, installed on demand, and the
 * ansible.cfg the bench writes (pipelining, ControlMaster/ControlPersist, forks >= hosts,
 * host key checking ON against the lab's known_hosts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchLab } from './lab.js';

/** Install ansible-core and GNU time with apt when missing (the only Ansible the bench allows). */
export function ensureTools(log: (line: string) => void): void {
  const missing = [
    ...(existsSync('/usr/bin/ansible-playbook') ? [] : ['ansible-core']),
    ...(existsSync('/usr/bin/time') ? [] : ['time']),
  ];
  if (missing.length === 0) return;
  log(`installing ${missing.join(', ')} with apt-get`);
  execFileSync('apt-get', ['install', '-y', ...missing], { stdio: ['ignore', 'ignore', 'inherit'] });
}

/** First line of `ansible-playbook --version`, e.g. "ansible-playbook [core 2.14.18]". */
export function readAnsibleVersion(): string {
  return execFileSync('ansible-playbook', ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();
}

/**
 * Write `dir`/ansible.cfg for `lab` and return the environment that makes ansible-playbook use
 * it. ControlPersist keeps the masters between rounds, which favours Ansible: on purpose, it is
 * the setting a tuned Ansible user runs with.
 */
export function writeAnsibleConfig(dir: string, lab: BenchLab, forks: number): Record<string, string> {
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
