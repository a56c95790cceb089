/**
 * A persistent remote shell: one long-lived `sh` (or `sudo sh`) that runs one command at a
 * time, framed by the protocol of frame.ts, with timeouts and the become password handshake.
 */
import { createMarker, encodeIsolatedCommand, FIFO_BATCH, FrameParser, sessionSetup, type Frame } from './frame.js';
import { OUTPUT_KEEP_BYTES } from './capped-output.js';

/** The pipes of a running shell: an ssh2 exec channel or, in tests, a local child process. */
export interface ShellPipes {
  write(data: string | Uint8Array): void;
  onStdout(listener: (chunk: Buffer) => void): void;
  onStderr(listener: (chunk: Buffer) => void): void;
  /** Called once when the shell is gone, with its exit code when known. */
  onClose(listener: (exitCode: number | undefined) => void): void;
  /** Tear the shell down (close the channel, kill the process). */
  destroy(): void;
}

/** The shell ended while a command was running or starting: carries what it printed. */
export class ShellClosedError extends Error {
  constructor(
    readonly exitCode: number | undefined,
    readonly stdout: Buffer,
    readonly stderr: Buffer,
  ) {
    super(`the remote shell ended${exitCode === undefined ? '' : ` (exit ${exitCode})`}${stderr.length ? `: ${stderr.toString('utf8').trim().slice(-500)}` : ''}`);
  }
}
ShellClosedError.prototype.name = 'ShellClosedError';

/** How a shell is started when sudo may ask for a password (`sudo -S -p PROMPT sh -c 'printf READY >&2; exec sh'`). */
export interface PasswordStart {
  prompt: string;
  ready: string;
  /** Sent once, only after the prompt is seen, so it can never reach the shell as a command. */
  password: Uint8Array;
}

/** One command's outcome on a session. */
export interface RunResult extends Frame {
  timedOut?: boolean;
}

/**
 * A persistent shell running one framed command at a time. The caller serializes commands (a
 * queue per session); a session that timed out or closed is dead and must be replaced.
 */
export class ShellSession {
  readonly #pipes: ShellPipes;
  readonly #parser: FrameParser;
  readonly #marker = createMarker();
  #seq = 0;
  /** Last command number of the current batch of FIFOs (sessionSetup). */
  #batchEnd = 0;
  #pending?: { resolve(r: RunResult): void; reject(e: Error): void };
  #dead = false;
  /** Answers sudo's password prompt while the shell starts (only with a become password). */
  #gate?: PasswordGate;
  /** Process group of the remote shell, to kill a timed-out command's processes. */
  pgid?: number;
  /** The shell's FIFO directory (frame.ts sessionSetup): removed by whoever kills the group, as the shell's own trap cannot. */
  fifoDir?: string;

  private constructor(pipes: ShellPipes) {
    this.#pipes = pipes;
    this.#parser = new FrameParser(this.#marker);
  }

  /**
   * Wire up a started shell and wait until it answers (after sudo's password, if any). With
   * `timeoutMs`, a shell that has not answered by then is destroyed and the start fails with
   * what it printed: a sudo that asks a question of its own (a one-time code) or hangs must
   * fail the host, not hold it forever.
   */
  static async start(pipes: ShellPipes, password?: PasswordStart, options: { timeoutMs?: number } = {}): Promise<ShellSession> {
    const session = new ShellSession(pipes);
    const ready = session.#wire(password);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      if (!options.timeoutMs) return;
      const ms = options.timeoutMs;
      timer = setTimeout(() => {
        const printed = session.#printedBeforeReady(password);
        session.destroy();
        reject(new ShellClosedError(undefined, Buffer.alloc(0), Buffer.from(`no shell within ${ms} ms${printed ? `; it printed: ${JSON.stringify(printed)}` : ''}`)));
      }, ms);
    });
    try {
      await Promise.race([ready, deadline]);
      // Only now: before the shell is ready, what is written may be read by sudo as the password.
      pipes.write(sessionSetup(session.#marker));
      // `$$` in the subshell is the shell's pid; field 5 of /proc/PID/stat is its process group.
      // Then the directory of the shell's FIFOs (sessionSetup), for whoever kills the group.
      const hello = await Promise.race([session.run('printf "%s\\n" "$q_d"; read -r l </proc/$$/stat && set -- $l && printf %s "$5"'), deadline]);
      const [fifoDir, pgidText] = hello.stdout.toString('latin1').split('\n');
      const pgid = Number(pgidText);
      if (hello.exitCode === 0 && Number.isInteger(pgid) && pgid > 1) session.pgid = pgid;
      if (fifoDir && /^\/tmp\/\.quorum-sh\.[A-Za-z0-9]+$/.test(fifoDir)) session.fifoDir = fifoDir;
      return session;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * What sudo (before the shell is ready) or the shell wrote to stderr so far, without the become
   * password; quoted with JSON.stringify by the caller, so a host's control characters stay inert.
   */
  #printedBeforeReady(password?: PasswordStart): string {
    const text = this.#gate?.waiting ? this.#gate.seen : this.#parser.partial().stderr.toString('utf8');
    const secret = password ? Buffer.from(password.password).toString('utf8') : '';
    return (secret ? text.split(secret).join('<secret>') : text).trim().slice(-300);
  }

  #wire(password?: PasswordStart): Promise<void> {
    const gate = password ? new PasswordGate(password, (bytes) => this.#pipes.write(bytes)) : undefined;
    this.#gate = gate;
    return new Promise<void>((resolve, reject) => {
      if (!gate) resolve();
      this.#pipes.onStdout((chunk) => this.#feed(() => this.#parser.pushStdout(chunk)));
      this.#pipes.onStderr((chunk) => {
        if (!gate?.waiting) return this.#feed(() => this.#parser.pushStderr(chunk));
        const outcome = gate.accept(chunk);
        if (outcome === 'rejected') {
          this.destroy();
          reject(new ShellClosedError(1, Buffer.alloc(0), Buffer.from('sudo rejected the become password')));
        } else if (outcome) {
          resolve();
          if (outcome.length > 0) this.#feed(() => this.#parser.pushStderr(outcome));
        }
      });
      this.#pipes.onClose((code) => {
        this.#dead = true;
        const partial = this.#parser.partial();
        const err = new ShellClosedError(code, partial.stdout, partial.stderr);
        if (gate?.waiting) reject(err);
        this.#pending?.reject(err);
        this.#pending = undefined;
      });
    });
  }

  #feed(push: () => void): void {
    try {
      push();
      const frame = this.#parser.takeFrame();
      if (frame && this.#pending) {
        const pending = this.#pending;
        this.#pending = undefined;
        pending.resolve(frame);
      }
    } catch (err) {
      this.#pending?.reject(err as Error);
      this.#pending = undefined;
      this.destroy();
    }
  }

  /** False once the shell ended, timed out or was destroyed. */
  get alive(): boolean {
    return !this.#dead;
  }

  /**
   * Run one command. Resolves with its frame; on timeout destroys the session and resolves
   * with exit code 124 and what was printed so far. Rejects with ShellClosedError if the shell ends.
   * Of each stream, `keepOutput` bytes are kept (capped-output.ts).
   */
  run(script: string, options: { stdin?: Uint8Array | string; timeoutMs?: number; keepOutput?: number } = {}): Promise<RunResult> {
    if (this.#dead) return Promise.reject(new ShellClosedError(undefined, Buffer.alloc(0), Buffer.alloc(0)));
    if (this.#pending) return Promise.reject(new Error('ShellSession.run called while a command is running: serialize commands per session'));
    const seq = ++this.#seq;
    const stdin = typeof options.stdin === 'string' ? Buffer.from(options.stdin) : options.stdin;
    return new Promise<RunResult>((resolve, reject) => {
      const timer = options.timeoutMs
        ? setTimeout(() => {
            const partial = this.#parser.partial();
            this.#pending = undefined;
            this.destroy();
            resolve({ seq, exitCode: 124, ...partial, timedOut: true });
          }, options.timeoutMs)
        : undefined;
      this.#pending = {
        resolve: (frame) => {
          clearTimeout(timer);
          if (frame.seq !== seq) return reject(new Error(`shell framing out of sync (expected ${seq}, got ${frame.seq})`));
          resolve(frame);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.#parser.setKeep(options.keepOutput ?? OUTPUT_KEEP_BYTES);
      const batchEnd = seq > this.#batchEnd ? (this.#batchEnd = seq + FIFO_BATCH - 1) : undefined;
      this.#pipes.write(encodeIsolatedCommand(this.#marker, seq, script, stdin, batchEnd));
    });
  }

  /** End the shell now; a running command's promise settles through onClose. */
  destroy(): void {
    this.#dead = true;
    this.#pipes.destroy();
  }
}

/**
 * Watches sudo's stderr until the shell is ready: answers the first password prompt, and
 * reports a second prompt as a rejected password (sudo asks again after a wrong one).
 */
class PasswordGate {
  waiting = true;
  #text = '';
  #answered = false;
  readonly #start: PasswordStart;
  readonly #write: (bytes: Uint8Array) => void;

  constructor(start: PasswordStart, write: (bytes: Uint8Array) => void) {
    this.#start = start;
    this.#write = write;
  }

  /** What sudo wrote to stderr before the shell was ready (the last 4 KiB). */
  get seen(): string {
    return Buffer.from(this.#text, 'latin1').toString('utf8');
  }

  /** Feed stderr: the bytes after the ready token once ready, 'rejected', or undefined (still waiting). */
  accept(chunk: Buffer): Buffer | 'rejected' | undefined {
    this.#text = (this.#text + chunk.toString('latin1')).slice(-4096);
    const readyAt = this.#text.indexOf(this.#start.ready);
    if (readyAt >= 0) {
      this.waiting = false;
      return Buffer.from(this.#text.slice(readyAt + this.#start.ready.length), 'latin1');
    }
    const prompts = this.#text.split(this.#start.prompt).length - 1;
    if (prompts > 1) return 'rejected';
    if (prompts === 1 && !this.#answered) {
      this.#answered = true;
      this.#write(Buffer.concat([this.#start.password, Buffer.from('\n')]));
    }
    return undefined;
  }
}
