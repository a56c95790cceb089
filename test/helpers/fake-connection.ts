/**
 * FakeConnection: a Connection for unit tests of the layers above the transport (executor,
 * strategy, modules' gather). Replies are scripted per command, every call is recorded, and
 * files written by `put` live in an in-memory map that `get` reads back.
 *
 * ```ts
 * const conn = new FakeConnection('web1')
 *   .reply('systemctl is-active etcd', { exitCode: 3, stdout: 'inactive\n' })
 *   .reply(/^etcdctl /, { stdout: 'ok\n' }, { exitCode: 1 })   // first call, then every later one
 *   .file('/etc/hosts', '127.0.0.1 localhost\n');
 * ```
 */
import type { Connection, ExecOptions, ExecResult, PutOptions } from '../../runner/connection/types.js';
import { buildScript } from '../../runner/connection/quote.js';
import { CommandError, UnreachableError } from '../../runner/errors.js';

/** What a scripted command returns; omitted fields are 0 / empty. */
export interface FakeReply {
  exitCode?: number;
  stdout?: string | Buffer;
  stderr?: string | Buffer;
  timedOut?: boolean;
}

/** A reply, or a function computing one from the command line and its options. */
export type FakeResponder = FakeReply | ((command: string, options: ExecOptions) => FakeReply);

/** One recorded call, in call order. */
export type FakeCall =
  | { kind: 'exec'; command: string; argv?: readonly string[]; options: ExecOptions }
  | { kind: 'put'; dest: string; content: Buffer; options: PutOptions }
  | { kind: 'get'; path: string; options: { sudo?: boolean } }
  | { kind: 'close' };

/** A file in the fake host's file map. */
export interface FakeFile {
  content: Buffer;
  mode?: string;
  owner?: string;
  group?: string;
}

interface Script {
  match: string | RegExp;
  replies: FakeResponder[];
  used: number;
}

/** A scripted, recording Connection; see the file comment for an example. */
export class FakeConnection implements Connection {
  readonly host: string;
  /** Every exec/put/get/close, in order. */
  readonly calls: FakeCall[] = [];
  /** The fake host's files, by absolute path. */
  readonly files = new Map<string, FakeFile>();
  readonly #scripts: Script[] = [];
  #unreachable?: string;
  #fallback?: FakeResponder;

  constructor(host = 'fake') {
    this.host = host;
  }

  /**
   * Script the reply to a command. `match` is the exact command line (argv commands are matched
   * in their quoted form, cwd/env applied) or a RegExp tested against it. With several replies,
   * successive calls take them in turn and the last one repeats. The latest matching script wins.
   */
  reply(match: string | RegExp, ...replies: FakeResponder[]): this {
    if (replies.length === 0) throw new Error('FakeConnection.reply needs at least one reply');
    this.#scripts.unshift({ match, replies, used: 0 });
    return this;
  }

  /** Reply for commands no script matches (default: throw, so a missing script is loud). */
  otherwise(reply: FakeResponder): this {
    this.#fallback = reply;
    return this;
  }

  /** Put a file on the fake host. */
  file(path: string, content: string | Buffer, attrs: Omit<FakeFile, 'content'> = {}): this {
    this.files.set(path, { content: Buffer.from(content), ...attrs });
    return this;
  }

  /** Simulate a dropped connection: every later call throws UnreachableError. */
  disconnect(message = 'connection closed by the host or the network'): void {
    this.#unreachable = message;
  }

  /** The commands executed so far (quoted command lines), for concise assertions. */
  get commands(): string[] {
    return this.calls.flatMap((c) => (c.kind === 'exec' ? [c.command] : []));
  }

  async exec(command: string | readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const line = buildScript(command, options);
    this.calls.push({ kind: 'exec', command: line, ...(typeof command === 'string' ? {} : { argv: [...command] }), options });
    this.#assertReachable();
    const responder = this.#findResponder(line);
    const reply = typeof responder === 'function' ? responder(line, options) : responder;
    return {
      exitCode: reply.exitCode ?? 0,
      stdout: Buffer.from(reply.stdout ?? ''),
      stderr: Buffer.from(reply.stderr ?? ''),
      durationMs: 0,
      ...(reply.timedOut ? { timedOut: true } : {}),
    };
  }

  #findResponder(line: string): FakeResponder {
    const script = this.#scripts.find((s) => (typeof s.match === 'string' ? s.match === line : s.match.test(line)));
    if (script) return script.replies[Math.min(script.used++, script.replies.length - 1)]!;
    if (this.#fallback) return this.#fallback;
    throw new Error(`FakeConnection(${this.host}): no reply scripted for command: ${line}`);
  }

  async put(dest: string, content: Uint8Array, options: PutOptions = {}): Promise<void> {
    this.calls.push({ kind: 'put', dest, content: Buffer.from(content), options });
    this.#assertReachable();
    const previous = this.files.get(dest);
    this.files.set(dest, {
      content: Buffer.from(content),
      ...pick(options.mode ?? previous?.mode, 'mode'),
      ...pick(options.owner ?? previous?.owner, 'owner'),
      ...pick(options.group ?? previous?.group, 'group'),
    });
  }

  async get(path: string, options: { sudo?: boolean } = {}): Promise<Buffer> {
    this.calls.push({ kind: 'get', path, options });
    this.#assertReachable();
    const file = this.files.get(path);
    if (!file) throw new CommandError(`read ${path}`, 1, `base64: ${path}: No such file or directory`);
    return Buffer.from(file.content);
  }

  async close(): Promise<void> {
    this.calls.push({ kind: 'close' });
    this.#unreachable ??= 'connection closed by quorum';
  }

  #assertReachable(): void {
    if (this.#unreachable) throw new UnreachableError(this.host, this.#unreachable);
  }
}

function pick<K extends string>(value: string | undefined, key: K): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}
