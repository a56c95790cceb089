/**
 * deb-file: the package a .deb file on the host holds (`dpkg-deb -f`: Package, Version,
 * Architecture), so the apt module's `deb:` installs it only when that version is not installed.
 */
import type { Fact } from '../types.js';
import { quote } from '../connection/quote.js';

export interface DebFile {
  path: string;
  name: string;
  version: string;
  architecture: string;
}

export const debFile: Fact<DebFile, string> = {
  name: 'deb-file',
  command(path) {
    return `LC_ALL=C dpkg-deb -f ${quote(path)} Package Version Architecture`;
  },
  parse(output, path) {
    if (output.exitCode !== 0) throw new Error(`cannot read the package ${path}: dpkg-deb -f exited ${output.exitCode}: ${output.stderr.trim().slice(-300)}`);
    const fields = new Map<string, string>();
    for (const line of output.stdout.split('\n')) {
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m) fields.set(m[1]!, m[2]!.trim());
    }
    const name = fields.get('Package');
    const version = fields.get('Version');
    if (!name || !version) throw new Error(`${path} is not a Debian package (dpkg-deb printed no Package and Version)`);
    return { path, name, version, architecture: fields.get('Architecture') ?? '' };
  },
};
