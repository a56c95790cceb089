/**
 * The controller itself as a host (`ansible_connection: local`, `delegate_to: localhost`).
 * Commands run through /bin/sh; `sudo` is honoured with `sudo -n` only when we are not root.
 */
import { spawn } from 'node:child_process';
import { readFile, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import type { Connection, ExecOptions, ExecResult, PutOptions } from './types.js';
import { buildScript } from './quote.js';
import { buildPutScript } from './ssh.js';
import { CappedOutput, droppedOf } from './capped-output.js';
import { trackProcessGroup } from './local-children.js';
import { syncDirectory, writeNewFile } from '../files/atomic-write.js';
import { CommandError, StaleStateError } from '../errors.js';
import { stoppedStale, withPreconditions } from './preconditions.js';

const runningAsRoot = typeof process.getuid === 'function' && process.getuid() === 0;

export class LocalConnection implements Connection {
  readonly host: string;
  /** Every local "host" is this controller. */
  readonly endpoint = 'local';
  readonly checksPreconditions = true;
  /** Whether `sudo` is needed at all: false runs privileged work through `sudo -n`. */
  readonly #isRoot: boolean;
  /** @param options.asRoot whether this process counts as root (tests pass false to take the sudo path) */
  constructor(host = 'localhost', options: { asRoot?: boolean } = {}) {
    this.host = host;
    this.#isRoot = options.asRoot ?? runningAsRoot;
  }

  async exec(command: string | readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const { script, staleMark } = withPreconditions(buildScript(command, options), options.preconditions);
    const r = await this.#run(script, options);
    return stoppedStale(r, staleMark) ? { ...r, stale: true } : r;
  }

  #run(script: string, options: ExecOptions): Promise<ExecResult> {
    const argv = options.sudo && !this.#isRoot ? ['sudo', '-n', 'sh', '-c', script] : ['sh', '-c', script];
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      // Its own group (detached): a second Ctrl-C kills it through this record (local-children.ts).
      const untrack = child.pid !== undefined ? trackProcessGroup(child.pid) : () => {};
      const out = new CappedOutput(options.keepOutput);
      const err = new CappedOutput(options.keepOutput);
      let timedOut = false;
      const timer = options.timeoutMs
        ? setTimeout(() => {
            timedOut = true;
            // Kill the whole process group: a grandchild holding the pipes would keep us waiting.
            try {
              process.kill(-child.pid!, 'SIGKILL');
            } catch {
              child.kill('SIGKILL');
            }
          }, options.timeoutMs)
        : undefined;
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (err) => {
        untrack();
        reject(err);
      });
      child.on('close', (code, signal) => {
        untrack();
        if (timer) clearTimeout(timer);
        resolve({
          exitCode: timedOut ? 124 : code ?? (signal ? 128 : 1),
          stdout: out.bytes(),
          stderr: err.bytes(),
          durationMs: performance.now() - started,
          ...(timedOut ? { timedOut } : {}),
          ...droppedOf(out, err),
        });
      });
      child.stdin.on('error', () => {}); // the command may exit without reading its input
      child.stdin.end(options.stdin ?? '');
    });
  }

  async put(dest: string, content: Uint8Array, options: PutOptions = {}): Promise<void> {
    if (options.sudo && !this.#isRoot) return this.putWithSudo(dest, content, options);
    if (options.preconditions) {
      // Checked by the shell just before the write: on the controller there is no round trip to save.
      const r = await this.exec(':', { preconditions: options.preconditions });
      if (r.stale) throw new StaleStateError(`put ${dest}`);
      if (r.exitCode !== 0) throw new CommandError(`put ${dest}`, r.exitCode, r.stderr.toString());
    }
    const tmp = join(dirname(dest), `.${basename(dest)}.quorum-${randomBytes(6).toString('hex')}`);
    // Created exclusively (never through a link), with its mode and owner, checked and fsync'ed
    // before it gets its name (atomic-write.ts); the directory is fsync'ed after the rename.
    await writeNewFile(tmp, content, {
      mode: options.mode ? parseInt(options.mode, 8) : 0o600,
      ...(options.owner ? { uid: lookupId('-u', options.owner) } : {}),
      ...(options.group ? { gid: lookupId('-g', options.group) } : {}),
    });
    try {
      await rename(tmp, dest);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    await syncDirectory(dirname(dest));
  }

  /**
   * Through `sudo -n sh -c`: the same script as over SSH (ssh.ts buildPutScript), where every
   * word (destination, temp name, owner, group) is quoted and the mode is checked to be octal.
   */
  private async putWithSudo(dest: string, content: Uint8Array, options: PutOptions): Promise<void> {
    const tmp = join(dirname(dest), `.${basename(dest)}.quorum-${randomBytes(6).toString('hex')}`);
    const r = await this.exec(buildPutScript('-', tmp, dest, options, createHash('sha256').update(content).digest('hex')), { sudo: true, stdin: content, ...(options.preconditions ? { preconditions: options.preconditions } : {}) });
    if (r.stale) throw new StaleStateError(`put ${dest}`);
    if (r.exitCode !== 0) throw new CommandError(`put ${dest}`, r.exitCode, r.stderr.toString());
  }

  async get(path: string, options: { sudo?: boolean } = {}): Promise<Buffer> {
    if (!options.sudo || this.#isRoot) return readFile(path);
    const r = await this.exec(['cat', '--', path], { sudo: true, keepOutput: Infinity });
    if (r.exitCode !== 0) throw new CommandError(`cat ${path}`, r.exitCode, r.stderr.toString());
    return r.stdout;
  }

  async close(): Promise<void> {}
}

/** Resolve a user or group name to its id (-1 keeps the current one, as chown(2) does). */
function lookupId(flag: '-u' | '-g', name: string | undefined): number {
  if (name === undefined) return -1;
  if (/^\d+$/.test(name)) return Number(name);
  const db = flag === '-u' ? 'passwd' : 'group';
  const line = execFileSync('getent', [db, name], { encoding: 'utf8' });
  return Number(line.split(':')[2]);
}

