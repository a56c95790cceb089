/**
 * chmod and chown that never act through a symbolic link planted between the read and the
 * change (issue 13: a link put in place after gather made chmod open a root-only file to all).
 * chown -h changes a link itself; chmod has no such option on Linux, so the command refuses a
 * path that is a link now. A window between the test and chmod remains; it is microseconds
 * inside one shell instead of the whole run.
 */
import { quote } from './quote.js';

/** Shell script: chmod MODE PATH, refused when PATH is a symbolic link now. */
export function chmodNoFollow(mode: string, path: string): string {
  const p = quote(path);
  return `if [ -L ${p} ]; then echo ${quote(`${path} became a symbolic link after it was read: not following it`)} >&2; exit 1; fi; chmod ${quote(mode)} -- ${p}`;
}

/** argv: chown SPEC PATH on the path itself, never on what a link there points to. */
export function chownNoFollow(spec: string, path: string): string[] {
  return ['chown', '-h', spec, '--', path];
}
