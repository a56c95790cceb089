/**
 * Ansible's `with_fileglob` / `lookup('fileglob')`, on the controller: the files (not
 * directories) whose name matches the last part of the pattern, sorted. A relative pattern is
 * looked for as Ansible's search path does: in `files/` beside the tasks file, in `files/` of
 * the role or playbook above it (`roles/x/tasks/main.yml` -> `roles/x/files`), then beside the
 * tasks file, then the playbook's `files/` and directory; the first directory that exists wins.
 * Only the file name may hold wildcards (`*`, `?`, `[...]`), as Ansible's fileglob.
 */
import { readdirSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { isDirectory, isFile } from './path-kind.js';

/** Absolute paths of the files matching `pattern`; none is not an error (Ansible's neither). */
export function expandFileglob(pattern: string, tasksFileDir: string, playbookDir: string): string[] {
  const dirPart = dirname(pattern);
  const namePart = basename(pattern);
  if (/[*?[]/.test(dirPart)) throw new Error(`with_fileglob: '${pattern}': only the file name may hold wildcards`);
  const candidates = isAbsolute(pattern)
    ? [dirPart]
    : [join(tasksFileDir, 'files'), join(tasksFileDir, '..', 'files'), tasksFileDir, join(playbookDir, 'files'), playbookDir].map((base) => resolve(base, dirPart));
  const dir = candidates.find(isDirectory);
  if (!dir) return [];
  const matcher = globToRegExp(namePart);
  return readdirSync(dir)
    .filter((name) => matcher.test(name) && isFile(join(dir, name)))
    .sort()
    .map((name) => join(dir, name));
}

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else re += ch.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  // As Python's glob: a leading dot is matched only by a pattern that starts with one.
  return new RegExp(`^${glob.startsWith('.') ? '' : '(?!\\.)'}${re}$`);
}
