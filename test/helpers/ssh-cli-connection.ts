/**
 * A minimal Connection over the system `ssh` binary, for lab tests written before the ssh2
 * connection (runner/connection/connect.ts) landed. One `ssh` process per command: slow, but
 * the real transport to a real host, with nothing faked.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Connection, ExecOptions, ExecResult, PutOptions } from '../../runner/connection/types.js';
import { buildScript, quote } from '../../runner/connection/quote.js';
import { CommandError } from '../../runner/errors.js';

/** Where and how to reach one lab host. */
export interface SshCliTarget {
  name: string;
  address: string;
  user: string;
  keyFile: string;
  /** The lab's known_hosts; when it does not exist yet, a private file with accept-new. */
  knownHostsFile: string;
}

/** Open a Connection to `target` through the `ssh` command. */
export function openSshCliConnection(target: SshCliTarget): Connection {
  return new SshCliConnection(target);
}

class SshCliConnection implements Connection {
  readonly host: string;
  #closed = false;
  constructor(private readonly target: SshCliTarget) {
    this.host = target.name;
  }

  private sshArgs(): string[] {
    const known = existsSync(this.target.knownHostsFile)
      ? ['-o', `UserKnownHostsFile=${this.target.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes']
      : ['-o', 'UserKnownHostsFile=/tmp/quorum-etcdmods-known_hosts', '-o', 'StrictHostKeyChecking=accept-new'];
    return ['-i', this.target.keyFile, ...known, '-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', '-o', 'LogLevel=ERROR', `${this.target.user}@${this.target.address}`];
  }

  exec(command: string | readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (this.#closed) throw new Error(`connection to ${this.host} is closed`);
    const script = buildScript(command, options);
    const remote = options.sudo ? `sudo -n sh -c ${quote(script)}` : `sh -c ${quote(script)}`;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const child = spawn('ssh', [...this.sshArgs(), remote], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', reject);
      child.on('close', (code) => {
        // ssh itself exits 255 when it cannot reach the host: a transport failure, not data.
        if (code === 255) return reject(new Error(`ssh to ${this.host} failed: ${Buffer.concat(err).toString().trim()}`));
        resolve({ exitCode: code ?? 1, stdout: Buffer.concat(out), stderr: Buffer.concat(err), durationMs: performance.now() - started });
      });
      child.stdin.on('error', () => {});
      child.stdin.end(options.stdin ?? '');
    });
  }

  async put(dest: string, content: Uint8Array, options: PutOptions = {}): Promise<void> {
    const tmp = `${dest}.quorum-${randomBytes(4).toString('hex')}`;
    const steps = [`cat > ${quote(tmp)}`];
    if (options.mode) steps.push(`chmod ${options.mode} ${quote(tmp)}`);
    if (options.owner || options.group) steps.push(`chown ${options.owner ?? ''}${options.group ? ':' + options.group : ''} ${quote(tmp)}`);
    steps.push(`mv -f ${quote(tmp)} ${quote(dest)}`);
    const r = await this.exec(`umask 077 && ${steps.join(' && ')} || { rm -f ${quote(tmp)}; exit 1; }`, { sudo: options.sudo ?? false, stdin: content });
    if (r.exitCode !== 0) throw new CommandError(`put ${dest}`, r.exitCode, r.stderr.toString());
  }

  async get(path: string, options: { sudo?: boolean } = {}): Promise<Buffer> {
    const r = await this.exec(['cat', '--', path], { sudo: options.sudo ?? false });
    if (r.exitCode !== 0) throw new CommandError(`cat ${path}`, r.exitCode, r.stderr.toString());
    return r.stdout;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
