/**
 * A real local `sh` behind the ShellPipes interface, as the SSH transport's persistent shell is:
 * for unit tests of ShellSession (framing, caps, the become handshake) without a host.
 */
import { spawn } from 'node:child_process';
import type { ShellPipes } from '../../runner/connection/shell-session.js';

/**
 * `sh ARGS...` in a process group of its own. `destroy` ends it as an SSH channel close does:
 * end of input and TERM, so the shell leaves through its EXIT trap and removes its FIFO directory
 * (frame.ts sessionSetup); a shell that never reads its input (`endWith: 'kill'`) gets KILL.
 */
export function localShellPipes(args: string[] = [], endWith: 'term' | 'kill' = 'term'): ShellPipes {
  const child = spawn('sh', args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  child.stdin.on('error', () => {});
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      child.kill(signal);
    }
  };
  return {
    write: (data) => void child.stdin.write(data),
    onStdout: (fn) => void child.stdout.on('data', fn),
    onStderr: (fn) => void child.stderr.on('data', fn),
    onClose: (fn) => {
      // As the SSH connection does: once the shell is gone, end its group (its output relays).
      child.once('exit', () => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {}
      });
      child.once('close', (code) => fn(code ?? undefined));
    },
    destroy: () => {
      if (endWith === 'kill') return signalGroup('SIGKILL');
      child.stdin.end();
      signalGroup('SIGTERM');
    },
  };
}
