/**
 * Where a relative controller path of a task (`src:`, `template:`, lookup_file, render_file)
 * is read from: the one place that knows, so every module that reads controller files resolves
 * them alike. As Ansible's lookup of "needles": inside a role, the role's `files/` (or
 * `templates/`) first, then the role itself and its `tasks/`, then the playbook's `files/` (or
 * `templates/`) and the playbook's directory. The first that exists wins; when none does, the
 * first candidate is returned, so the error names where the file was expected.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/** `files` for copied files (src, lookup_file), `templates` for templates (template, render_file). */
export type ControllerFileKind = 'files' | 'templates';

/** The directories a task's relative controller paths start from. */
export interface ControllerDirs {
  playbookDir: string;
  /** The role whose task this is (absent outside roles). */
  roleDir?: string | undefined;
}

/** Every place a relative `path` is looked for, in order. */
export function controllerFileCandidates(path: string, kind: ControllerFileKind, dirs: ControllerDirs): string[] {
  if (isAbsolute(path)) return [path];
  const inRole = dirs.roleDir ? [resolve(dirs.roleDir, kind, path), resolve(dirs.roleDir, path), resolve(dirs.roleDir, 'tasks', path)] : [];
  return [...inRole, resolve(dirs.playbookDir, kind, path), resolve(dirs.playbookDir, path)];
}

/**
 * The controller file a task means by `path`: the first candidate that exists, else the first
 * candidate (for the error message). Copy, template, file and the template helpers all use this.
 */
export function resolveControllerFile(path: string, kind: ControllerFileKind, dirs: ControllerDirs): string {
  const candidates = controllerFileCandidates(path, kind, dirs);
  return candidates.find((c) => existsSync(c)) ?? (dirs.roleDir ? candidates[0]! : candidates[candidates.length - 1]!);
}

/** "looked in A, B" for an error about a file that was not found. */
export function describeCandidates(path: string, kind: ControllerFileKind, dirs: ControllerDirs): string {
  return `looked for ${controllerFileCandidates(path, kind, dirs).join(', ')}`;
}
