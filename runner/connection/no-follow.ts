/**
 * chmod and chown that never act through a symbolic link planted between the read and the
 * change (issue 13: a link put in place after gather made chmod open a root-only file to all).
 * chown -h changes a link itself; chmod has no such option on Linux, so the command refuses a
 * path that is a link now. A window between the test and chmod remains; it is microseconds
 * inside one shell instead of the whole run.
 */
import { quote, quoteArgv } from './quote.js';

/** Shell script: chmod MODE PATH, refused when PATH is a symbolic link now. */
export function chmodNoFollow(mode: string, path: string): string {
  const p = quote(path);
  return `if [ -L ${p} ]; then echo ${quote(`${path} became a symbolic link after it was read: not following it`)} >&2; exit 1; fi; chmod ${quote(mode)} -- ${p}`;
}

/** argv: chown SPEC PATH on the path itself, never on what a link there points to. */
export function chownNoFollow(spec: string, path: string): string[] {
  return ['chown', '-h', spec, '--', path];
}

/**
 * Shell script: create the directories `names` one below the other under `base`, never through a
 * symbolic link planted after the path was read (issue 13: `mkdir -p` followed a link planted
 * as a parent and made, chown'ed and chmod'ed a directory elsewhere).
 *
 * The rule: links in `base`, the part of the path that existed when quorum read it, are
 * followed as the playbook named them (as Ansible does: /var/run -> /run); below it, quorum
 * creates each component itself with `mkdir` (never -p), refuses one that is a link, enters each
 * with `cd -P` and checks that the physical directory it is in is the one it named. Mode and
 * owner are set on `.`, the directory it is in, so no path is resolved again after the check.
 * One mkdir per component, as `mkdir -p` had; `set`, `cd`, `[` and `$PWD` are shell builtins, run
 * by the command's own shell (no `sh -c`).
 */
export function mkdirNoFollow(base: string, names: readonly string[], attrs: { mode?: string; owner?: string } = {}): string {
  for (const n of names) if (n === '' || n === '.' || n === '..' || n.includes('/')) throw new Error(`mkdirNoFollow: not a single path component: ${JSON.stringify(n)}`);
  if (attrs.mode !== undefined && !/^[0-7]{3,4}$/.test(attrs.mode)) throw new Error(`mkdirNoFollow: mode must be octal, got ${JSON.stringify(attrs.mode)}`);
  return [
    `set -- ${quoteArgv([base, attrs.mode ?? '', attrs.owner ?? '', ...names])}`,
    'b=$1 m=$2 o=$3; shift 3; n=$# i=0 made=',
    'cd -P -- "$b" || exit 1',
    'for c; do',
    '  i=$((i + 1)) h=${PWD%/}',
    '  if [ -L "$c" ]; then printf \'%s\\n\' "$h/$c is a symbolic link that appeared after quorum read the path: not following it" >&2; exit 1; fi',
    '  if [ ! -d "$c" ]; then',
    '    if [ $i -eq $n ] && [ -n "$m" ]; then mkdir -m "$m" -- "$c" || exit 1; made=mode; else mkdir -- "$c" || exit 1; fi',
    '  fi',
    '  cd -P -- "$c" || exit 1',
    '  if [ "$PWD" != "$h/$c" ]; then printf \'%s\\n\' "$h/$c became a symbolic link (to $PWD) while quorum created it: not following it" >&2; exit 1; fi',
    'done',
    'if [ -n "$m" ] && [ -z "$made" ]; then chmod -- "$m" . || exit 1; fi',
    'if [ -n "$o" ]; then chown -- "$o" . || exit 1; fi',
  ].join('\n');
}
