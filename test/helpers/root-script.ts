/**
 * Run a shell script as root on a lab host, given on sudo sh's standard input: unlike `rootSh`,
 * whose command goes through the login shell inside double quotes, `$var`, `$@` and quotes in the
 * script reach the root shell as written.
 */
import { sshExec, type LabHost } from './lab.js';

/** The script's stdout, or an error naming the host, the exit code and stderr. */
export async function rootScript(host: LabHost, script: string): Promise<string> {
  const r = await sshExec(host, 'sudo -n sh -s', { stdin: script });
  if (r.code !== 0) throw new Error(`${host.name}: root script exited ${r.code}: ${r.stderr}\n--- script:\n${script}`);
  return r.stdout;
}
