/** POSIX shell quoting: the one place argv becomes a command line. */

const SAFE = /^[A-Za-z0-9_\-+=.,:/@%^]+$/;

/** Quote one word for sh: unchanged when safe, else single-quoted with ' escaped. */
export function quote(word: string): string {
  // sh cannot carry a NUL byte in a word: passed on, it would cut the word and name another path.
  if (word.includes('\0')) throw new Error(`a NUL byte cannot be part of a command word or path: ${JSON.stringify(word.replace(/\0.*/s, ''))}… (remove it)`);
  if (word === '') return "''";
  if (SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Join an argv into a command line sh will split back into the same words. */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map(quote).join(' ');
}

/** The script for a command with its options applied: env assignments and `cd DIR &&`. */
export function buildScript(command: string | readonly string[], options: { cwd?: string; env?: Record<string, string> } = {}): string {
  let script = typeof command === 'string' ? command : quoteArgv(command);
  const env = Object.entries(options.env ?? {});
  if (env.length > 0) {
    for (const [k, _] of env) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`invalid environment variable name: ${k}`);
    script = `export ${env.map(([k, v]) => `${k}=${quote(v)}`).join(' ')}; ${script}`;
  }
  if (options.cwd) script = `cd ${quote(options.cwd)} && ${script}`;
  return script;
}
