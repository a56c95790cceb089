/**
 * package-manager: which package manager a host has, as Ansible's `ansible_pkg_mgr` names it
 * (apt, dnf, yum, zypper, apk, pacman), found by looking for each on the PATH. The package module
 * asks only when neither `ansible_pkg_mgr` nor the facts' OS settle it.
 */
import type { Fact } from '../types.js';

/** Ansible's names, each with the program that betrays it, in the order Ansible prefers them. */
const MANAGERS: ReadonlyArray<[string, string]> = [
  ['apt', 'apt-get'],
  ['dnf', 'dnf'],
  ['yum', 'yum'],
  ['zypper', 'zypper'],
  ['apk', 'apk'],
  ['pacman', 'pacman'],
];

export const packageManager: Fact<string | null, void> = {
  name: 'package-manager',
  command() {
    return MANAGERS.map(([name, program]) => `if command -v ${program} >/dev/null 2>&1; then echo ${name}; exit 0; fi`).join('\n') + '\necho unknown';
  },
  parse(output) {
    const name = output.stdout.trim();
    return MANAGERS.some(([n]) => n === name) ? name : null;
  },
};

/** OS ids (os-release ID) of the Debian family, Ansible's `ansible_os_family: Debian`. */
export const DEBIAN_FAMILY_IDS = new Set(['debian', 'ubuntu', 'raspbian', 'linuxmint', 'pop', 'kali', 'devuan', 'elementary', 'zorin', 'neon', 'pureos', 'deepin', 'parrot']);
