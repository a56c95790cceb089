/**
 * SSH connection over ssh2: one Client per host for the whole run and, on it, one persistent
 * framed shell (`sh`) plus one lazily opened root shell (`sudo -n sh`, or `sudo -S` fed the become
 * password once). A new exec channel per command costs 5 ms here (14 ms with sudo; 48 ms before
 * TCP_NODELAY); a framed command on a live shell 0.65 ms (architecture.md decision 9, bench/
 * results.md). Commands on one shell are serialized by a queue. A dropped connection makes
 * pending and later calls throw UnreachableError.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import type { Connection, ConnectionSpec, ExecOptions, ExecResult, PutOptions } from './types.js';
import { buildScript, quote } from './quote.js';
import { ShellClosedError, ShellSession, type PasswordStart, type ShellPipes } from './shell-session.js';
import { CommandError, StaleStateError, UnreachableError } from '../errors.js';
import { stoppedStale, withPreconditions } from './preconditions.js';
import { ignoreHostKeysAnnouncement, installFastHostSignatureCheck, poolPacketPadding, watchKeyExchange } from './ssh2-patches.js';
import { randomHex } from './random-pool.js';

/** Files above this size go over SFTP instead of a base64 here-document through the shell. */
export const SFTP_THRESHOLD = 64 * 1024;
/** Text up to this size travels inside the command itself (see {@link textForScript}). */
export const INLINE_TEXT_MAX = 16 * 1024;

/** One shell and the queue of commands waiting for it. */
interface Lane {
  root: boolean;
  session?: Promise<ShellSession>;
  tail: Promise<unknown>;
}

/** A live ssh2 connection to one host, implementing Connection with persistent shells. */
export class SshConnection implements Connection {
  readonly host: string;
  readonly endpoint: string;
  readonly checksPreconditions = true;
  readonly #spec: ConnectionSpec;
  readonly #client: Client;
  readonly #user: Lane = { root: false, tail: Promise.resolve() };
  readonly #root: Lane = { root: true, tail: Promise.resolve() };
  #sftp?: Promise<SFTPWrapper>;
  /** Set once the transport is gone: the reason every later call throws. */
  #lost?: UnreachableError;

  /** Connections to the jump hosts this one goes through, closed with it. */
  readonly #hops: Client[];

  constructor(spec: ConnectionSpec, client: Client, hops: Client[] = []) {
    this.host = spec.name;
    this.endpoint = describeEndpoint(spec);
    this.#spec = spec;
    this.#client = client;
    this.#hops = hops;
    client.on('error', (err) => this.#markLost(`connection error: ${err.message}`, err));
    client.on('close', () => this.#markLost('connection closed by the host or the network'));
  }

  #markLost(message: string, cause?: unknown): void {
    this.#lost ??= new UnreachableError(this.host, message, { cause });
  }

  /** The root shell for sudo, unless the login user is root already. */
  #laneFor(sudo: boolean | undefined): Lane {
    return sudo && this.#spec.user !== 'root' ? this.#root : this.#user;
  }

  prepare(options: { sudo: boolean }): void {
    const lane = this.#laneFor(options.sudo);
    if (this.#lost || lane.session) return;
    lane.session = this.#startShell(lane.root);
    // Awaited by the first exec on the lane, which reports a failure; not an unhandled rejection.
    lane.session.catch(() => {});
  }

  async exec(command: string | readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const { script, staleMark } = withPreconditions(buildScript(command, options), options.preconditions);
    const lane = this.#laneFor(options.sudo);
    const run = lane.tail.then(() => this.#runOnLane(lane, script, options));
    lane.tail = run.catch(() => {});
    if (staleMark === undefined) return run;
    const r = await run;
    return stoppedStale(r, staleMark) ? { ...r, stale: true } : r;
  }

  async #runOnLane(lane: Lane, script: string, options: ExecOptions): Promise<ExecResult> {
    const started = performance.now();
    const elapsed = () => performance.now() - started;
    if (this.#lost) throw this.#lost;
    let session: ShellSession;
    try {
      session = await (lane.session ??= this.#startShell(lane.root));
      // A shell that ended between commands (a background job killed it) is replaced, not blamed.
      if (!session.alive) session = await (lane.session = this.#startShell(lane.root));
    } catch (err) {
      lane.session = undefined;
      // sudo refusing to start a shell is the command's failure, as with `sudo -n sh -c` locally.
      if (err instanceof ShellClosedError && !this.#lost) return { exitCode: err.exitCode ?? 1, stdout: err.stdout, stderr: err.stderr, durationMs: elapsed() };
      throw this.#lost ?? err;
    }
    try {
      const r = await session.run(script, {
        ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
        ...(options.keepOutput !== undefined ? { keepOutput: options.keepOutput } : {}),
      });
      const dropped = r.dropped ? { dropped: r.dropped } : {};
      if (r.timedOut) {
        lane.session = undefined;
        await this.#killGroup(session, lane.root);
        return { exitCode: 124, stdout: r.stdout, stderr: r.stderr, durationMs: elapsed(), timedOut: true, ...dropped };
      }
      return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, durationMs: elapsed(), ...dropped };
    } catch (err) {
      lane.session = undefined;
      if (this.#lost) throw this.#lost;
      // The shell itself ended (a command killed it) while the connection lives: report it as the exit.
      if (err instanceof ShellClosedError) return { exitCode: err.exitCode ?? 255, stdout: err.stdout, stderr: err.stderr, durationMs: elapsed() };
      throw err;
    }
  }

  async #startShell(root: boolean): Promise<ShellSession> {
    const password = root ? this.#spec.becomePassword : undefined;
    // A shell (and sudo before it) must answer within the connect timeout: see ShellSession.start.
    const timeout = { timeoutMs: this.#spec.connectTimeoutMs };
    let command = root ? 'sudo -n sh' : 'sh';
    let start: PasswordStart | undefined;
    if (password) {
      const tag = randomHex(8);
      start = { prompt: `[quorum-sudo-${tag}]`, ready: `[quorum-ready-${tag}]`, password: Buffer.from(password) };
      command = `sudo -S -p ${quote(start.prompt)} sh -c ${quote(`printf %s ${quote(start.ready)} >&2; exec sh`)}`;
    }
    const pipes = await this.#openChannel(command);
    const session = await ShellSession.start(pipes, start, timeout);
    // The shell's output relays (frame.ts sessionSetup) hold the channel open after a command
    // killed the shell itself: end its process group, and the channel closes with what it printed.
    pipes.onExit(() => void this.#killGroup(session, root));
    return session;
  }

  #openChannel(command: string): Promise<ShellPipes & { onExit(listener: () => void): void }> {
    return new Promise((resolve, reject) => {
      this.#client.exec(command, (err, channel) => {
        if (err) return reject(this.#lost ?? new UnreachableError(this.host, `cannot open a channel: ${err.message}`, { cause: err }));
        resolve(pipesOf(channel));
      });
    });
  }

  /** Kill what a timed-out command left running: the shell's whole process group, via a fresh channel. */
  async #killGroup(session: ShellSession, root: boolean): Promise<void> {
    if (!session.pgid || this.#lost) return;
    // A killed shell cannot run its EXIT trap: its FIFO directory goes with the group.
    // `kill -9 -PGID`: dash's builtin kill takes no `--` (it now runs inside sh -c as root too).
    const kill = `kill -9 -${session.pgid} 2>/dev/null${session.fifoDir ? `; rm -rf -- ${quote(session.fifoDir)}` : ''}`;
    const password = this.#spec.becomePassword;
    const command = !root ? kill : password ? `sudo -S -p '' sh -c ${quote(kill)}` : `sudo -n sh -c ${quote(kill)}`;
    await this.execOnNewChannel(command, root && password ? `${password}\n` : undefined).catch(() => {});
  }

  /**
   * Run one command on its own exec channel (~5 ms): for killing a stuck shell and for the
   * benchmark that compares it with the persistent shell. Not for normal use.
   */
  execOnNewChannel(command: string, stdin?: string): Promise<ExecResult> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      if (this.#lost) return reject(this.#lost);
      this.#client.exec(command, (err, channel) => {
        if (err) return reject(this.#lost ?? new UnreachableError(this.host, `cannot open a channel: ${err.message}`, { cause: err }));
        const out: Buffer[] = [];
        const errOut: Buffer[] = [];
        let code = 255;
        channel.on('data', (b: Buffer) => out.push(b));
        channel.stderr.on('data', (b: Buffer) => errOut.push(b));
        channel.on('exit', (c: number | null) => (code = c ?? 255));
        channel.on('close', () => {
          if (this.#lost) return reject(this.#lost);
          resolve({ exitCode: code, stdout: Buffer.concat(out), stderr: Buffer.concat(errOut), durationMs: performance.now() - started });
        });
        channel.end(stdin ?? '');
      });
    });
  }

  async put(dest: string, content: Uint8Array, options: PutOptions = {}): Promise<void> {
    const dir = posix.dirname(dest);
    // Unpredictable: the shell's `>` writes tmp as root, where a planted link would lead elsewhere.
    const tmp = posix.join(dir, `.${posix.basename(dest)}.quorum-${randomHex(6)}`);
    const sudo = Boolean(options.sudo);
    const pre = options.preconditions ? { preconditions: options.preconditions } : {};
    let r: ExecResult;
    const text = textForScript(content);
    if (text !== undefined) {
      r = await this.exec(buildPutScript({ text }, tmp, dest, options), { sudo, ...pre });
    } else if (content.length <= SFTP_THRESHOLD) {
      r = await this.exec(buildPutScript('-', tmp, dest, options, sha256Of(content)), { sudo, stdin: content, ...pre });
    } else {
      // SFTP runs as the login user: as root, upload beside nothing we own, then copy in as root.
      const upload = sudo ? `/tmp/.quorum-upload-${randomHex(6)}` : tmp;
      await this.#sftpWrite(upload, content);
      r = await this.exec(buildPutScript(sudo ? upload : undefined, tmp, dest, options, sha256Of(content)), { sudo, ...pre });
      // The preconditions stopped the script before it could remove the upload.
      if (r.stale || (r.exitCode !== 0 && options.preconditions)) await this.exec(['rm', '-f', '--', upload]).catch(() => undefined);
    }
    if (r.stale) throw new StaleStateError(`put ${dest}`);
    if (r.exitCode !== 0) throw new CommandError(`put ${dest}`, r.exitCode, r.stderr.toString('utf8'));
  }

  async #sftpWrite(path: string, content: Uint8Array): Promise<void> {
    const sftp = await (this.#sftp ??= new Promise<SFTPWrapper>((resolve, reject) => {
      this.#client.sftp((err, s) => (err ? reject(this.#lost ?? new UnreachableError(this.host, `cannot start SFTP: ${err.message}`, { cause: err })) : resolve(s)));
    }).catch((err) => {
      this.#sftp = undefined;
      throw err;
    }));
    await new Promise<void>((resolve, reject) => {
      sftp.writeFile(path, Buffer.from(content), { mode: 0o600 }, (err) => {
        if (!err) return resolve();
        reject(this.#lost ?? new CommandError(`sftp write ${path}`, 1, err.message, { cause: err }));
      });
    });
  }

  async get(path: string, options: { sudo?: boolean } = {}): Promise<Buffer> {
    // base64 keeps the file's bytes from ever resembling the framing marker.
    // The whole file was asked for: its output is not capped (fetch documents the memory it takes).
    const r = await this.exec(['base64', '--', path], { sudo: Boolean(options.sudo), keepOutput: Infinity });
    if (r.exitCode !== 0) throw new CommandError(`read ${path}`, r.exitCode, r.stderr.toString('utf8'));
    return Buffer.from(r.stdout.toString('latin1'), 'base64');
  }

  async close(): Promise<void> {
    if (this.#lost?.message.endsWith('connection closed by quorum')) return;
    this.#lost = new UnreachableError(this.host, 'connection closed by quorum');
    for (const lane of [this.#user, this.#root]) {
      lane.session?.then((s) => s.destroy(), () => {});
      lane.session = undefined;
    }
    this.#client.end();
    for (const hop of this.#hops) hop.end();
  }
}

/**
 * Where put's bytes come from: text written by the shell's own `printf` (a builtin), the
 * command's stdin (`-`), a file already uploaded (its path, removed afterwards), or nowhere when
 * the temp file is already in place.
 */
export type PutSource = { text: string } | '-' | string | undefined;

/**
 * The put script: write the temp file, set mode and owner, then rename over dest; the temp file
 * is removed on any failure. The temp file starts unreadable to others (umask 077) unless the
 * wanted mode has no execute or special bits and no owner or group is asked: then the umask
 * alone gives it that mode when it is created, which saves a chmod process; it never holds more
 * permissions than the file will have.
 *
 * Durable (issue 13 item 7): the temp file's bytes are fsync'ed before the rename, so a power
 * cut can never leave an empty file under the final name, and the directory after it, so a
 * "changed" file stays changed. Bytes that arrive by stdin or an upload are written by
 * `dd conv=fsync`, which takes the place of the `cat` that copied them (no extra process);
 * text written by the shell's printf and a temp file SFTP wrote are fsync'ed by `sync FILE`
 * (GNU coreutils since 8.24, BusyBox: fsync per file). chmod and chown after the write change
 * only the inode, which the filesystem's journal orders before the rename. The directory is
 * fsync'ed by `sync DIR` after the rename: one process per put (two for text). Measured on a
 * busy lab (docs/security.md): median +3.8 ms for text and +2.0 ms for stdin per sudo put (100
 * puts, load average 5), +7.1 and +5.0 ms at load average 8.4 (300 puts): process starts.
 */
export function buildPutScript(source: PutSource, tmp: string, dest: string, options: PutOptions, expectSha256?: string): string {
  if (expectSha256 !== undefined && !/^[0-9a-f]{64}$/.test(expectSha256)) throw new Error(`put ${dest}: bad sha256 ${JSON.stringify(expectSha256)}`);
  if (options.mode !== undefined && !/^[0-7]{3,4}$/.test(options.mode)) throw new Error(`put ${dest}: mode must be an octal string such as "0644", got ${JSON.stringify(options.mode)}`);
  const steps: string[] = [];
  const createsTmp = source !== undefined;
  // bs: a 64 KiB stdin in one read and write instead of 128 of dd's default 512 bytes.
  const ddTo = `dd bs=65536 conv=fsync status=none ${quote(`of=${tmp}`)}`;
  if (typeof source === 'object') steps.push(`printf %s ${quote(source.text)} > ${quote(tmp)}`);
  else if (source === '-') steps.push(ddTo);
  else if (source !== undefined) steps.push(`${ddTo} ${quote(`if=${source}`)}`);
  const mode = options.mode === undefined ? undefined : parseInt(options.mode, 8);
  const modeByUmask = createsTmp && mode !== undefined && (mode & ~0o666) === 0 && !options.owner && !options.group;
  if (options.mode && !modeByUmask) steps.push(`chmod ${options.mode} ${quote(tmp)}`);
  if (options.owner || options.group) steps.push(`chown -- ${quote(`${options.owner ?? ''}${options.group ? `:${options.group}` : ''}`)} ${quote(tmp)}`);
  // What a here-document cut by a dropped connection left must never replace the file: the
  // bytes are checked against the controller's hash before the rename.
  if (expectSha256 !== undefined) steps.push(`h=$(sha256sum < ${quote(tmp)})`, `[ "\${h%% *}" = ${expectSha256} ]`);
  // dd fsync'ed what it wrote; printf's text and SFTP's file are fsync'ed here, before the rename.
  if (typeof source === 'object' || source === undefined) steps.push(`sync -- ${quote(tmp)}`);
  // -T: a link to a directory planted at dest is replaced, never written through.
  steps.push(`mv -fT -- ${quote(tmp)} ${quote(dest)}`, `sync -- ${quote(posix.dirname(dest))}`);
  const uploaded = typeof source === 'string' && source !== '-';
  const cleanup = uploaded ? `rm -f -- ${quote(source)}; ` : '';
  const umask = modeByUmask ? (0o777 & ~mode!).toString(8).padStart(3, '0') : '077';
  return `umask ${umask}; if ${steps.join(' && ')}; then ${cleanup}exit 0; else s=$?; ${cleanup}rm -f -- ${quote(tmp)}; exit $s; fi`;
}

/**
 * Content that can travel as the text of the command, or undefined: UTF-8 without NUL bytes (a
 * shell string holds neither NUL nor invalid UTF-8 through our UTF-8 channel), up to
 * {@link INLINE_TEXT_MAX}. Writing it with the shell's printf spares the base64 decoder and cat
 * that stdin needs (two processes, about 2 ms of host CPU per file). The command text is as
 * private as stdin: both reach only the remote shell, never a process list or a log.
 */
export function textForScript(content: Uint8Array): string | undefined {
  if (content.length > INLINE_TEXT_MAX || content.includes(0)) return undefined;
  const text = Buffer.from(content).toString('utf8');
  return Buffer.from(text, 'utf8').equals(content) ? text : undefined;
}

function sha256Of(content: Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/** Adapt an ssh2 channel to what ShellSession needs. */
function pipesOf(channel: ClientChannel): ShellPipes & { onExit(listener: () => void): void } {
  let exitCode: number | undefined;
  channel.on('exit', (code: number | null) => (exitCode = code ?? undefined));
  channel.on('error', () => {}); // surfaced through 'close' and the client's own events
  return {
    write: (data) => void channel.write(data),
    onStdout: (listener) => void channel.on('data', listener),
    onStderr: (listener) => void channel.stderr.on('data', listener),
    onClose: (listener) => void channel.once('close', () => listener(exitCode)),
    onExit: (listener) => void channel.once('exit', () => listener()),
    destroy: () => void channel.close(),
  };
}

/** `user@address:port`, then `via user@address:port` per jump host (Connection.endpoint). */
export function describeEndpoint(spec: Pick<ConnectionSpec, 'user' | 'address' | 'port' | 'jumpHosts'>): string {
  const at = (user: string | undefined, address: string, port: number) => `${user ?? ''}@${address}:${port}`;
  const hops = (spec.jumpHosts ?? []).map((j) => `via ${at(j.user ?? spec.user, j.address, j.port)}`);
  return [at(spec.user, spec.address, spec.port), ...hops].join(' ');
}

/** Connect a Client with a ready ssh2 config; the caller builds auth and host key checks. */
export async function connectClient(spec: ConnectionSpec, config: ConnectConfig, hostKeyFailure: () => Error | undefined, hops: Client[] = []): Promise<SshConnection> {
  return new SshConnection(spec, await connectRawClient(spec, config, hostKeyFailure), hops);
}

/** An authenticated ssh2 Client (a host or a jump host); rejects with UnreachableError or the host key refusal. */
export function connectRawClient(spec: ConnectionSpec, config: ConnectConfig, hostKeyFailure: () => Error | undefined): Promise<Client> {
  const client = new Client();
  return new Promise((resolve, reject) => {
    const onError = (err: Error & { level?: string }) => {
      client.removeListener('ready', onReady);
      // A failed handshake can emit more errors (a reset after "verification failed"): swallow them.
      client.on('error', () => {});
      client.end();
      reject(hostKeyFailure() ?? new UnreachableError(spec.name, describeConnectError(err, spec), { cause: err }));
    };
    const onReady = () => {
      client.removeListener('error', onError);
      poolPacketPadding(client);
      resolve(client);
    };
    client.once('ready', onReady);
    client.once('error', onError);
    installFastHostSignatureCheck();
    client.connect(config);
    ignoreHostKeysAnnouncement(client);
    watchKeyExchange(client);
    // Nagle's algorithm held back small packets written right after another (the service
    // request after NEWKEYS, a command after its predecessor) until the host's delayed ACK,
    // up to 40 ms each. SSH sends whole messages: send them at once.
    client.setNoDelay(true);
  });
}

function describeConnectError(err: Error & { level?: string }, spec: ConnectionSpec): string {
  const where = `${spec.user ?? ''}${spec.user ? '@' : ''}${spec.address}:${spec.port}`;
  if (/timed out/i.test(err.message)) return `no SSH answer from ${where} within the connect timeout (${spec.connectTimeoutMs} ms)`;
  if (err.level === 'client-authentication') return `authentication failed for ${where} (tried key file, ssh-agent, password as configured): ${err.message}`;
  return `cannot connect to ${where}: ${err.message}`;
}
