/** Read a password from the terminal without echoing it (for --ask-become-pass). */
import { createInterface } from 'node:readline';

export async function askPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) throw new Error('--ask-become-pass needs a terminal to ask in');
  process.stderr.write(prompt);
  const rl = createInterface({ input: process.stdin, terminal: true });
  // Muting the echo: readline writes typed characters through _writeToOutput.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}
