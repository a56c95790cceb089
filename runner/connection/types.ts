/**
 * The one interface every transport implements (local, ssh, fake).
 *
 * `exec` never throws because a command failed: a non-zero exit is data. It throws only when
 * the transport itself fails (UnreachableError), the execa/zx `reject: false` idea.
 */
import type { Preconditions } from './preconditions.js';

/** Options for one command. */
export interface ExecOptions {
  /** Bytes written to the command's standard input, then closed. */
  stdin?: Uint8Array | string;
  /** Run as root (`sudo -n` over SSH; ignored by the local connection when already root). */
  sudo?: boolean;
  /** Working directory, applied as `cd DIR && ...` (never `;`). */
  cwd?: string;
  /** Extra environment variables for this command only. */
  env?: Record<string, string>;
  /** Give up after this long: the result has exitCode 124 and timedOut true. */
  timeoutMs?: number;
  /**
   * Bytes of each of stdout and stderr kept (the first half and the last half, with a note of
   * what was dropped between them: capped-output.ts). Default OUTPUT_KEEP_BYTES; Infinity only
   * where the caller asked for the whole of something (reading a file).
   */
  keepOutput?: number;
  /**
   * Checked on the host before the command, in the same command (preconditions.ts): honoured
   * only by connections whose `checksPreconditions` is true.
   */
  preconditions?: Preconditions;
}

/** What a finished command returned; bytes are exact, never trimmed, unless `dropped` says so. */
export interface ExecResult {
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  durationMs: number;
  timedOut?: boolean;
  /** Present when a stream printed more than ExecOptions.keepOutput: bytes dropped from its middle. */
  dropped?: { stdout: number; stderr: number };
  /** The `unchanged` precondition did not hold: the command did not run (preconditions.ts). */
  stale?: true;
}

/** Attributes of a file written by `put`. */
export interface PutOptions {
  /** Octal string such as "0644"; applied before the file is renamed into place. */
  mode?: string;
  owner?: string;
  group?: string;
  sudo?: boolean;
  /** Checked on the host before anything is written; a stale state throws StaleStateError. */
  preconditions?: Preconditions;
}

/** A live connection to one host. */
export interface Connection {
  /** The inventory name of the host this connection reaches. */
  readonly host: string;
  /**
   * Where the connection lands, whatever the inventory calls it: `user@address:port`, then
   * `via user@address:port` for each jump host; `local` for the controller. It keys what the
   * controller remembers about a machine between runs (tool versions), so two inventories that
   * give different machines the same name never share an entry. Without it, the name is used.
   */
  readonly endpoint?: string;
  /**
   * Run a command. A string is a shell script run by `sh -c`-like semantics; an array is an argv
   * that the connection quotes (use arrays whenever the words come from user data).
   */
  exec(command: string | readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /**
   * Whether `exec` and `put` check ExecOptions.preconditions on the host. A connection without
   * it (a test double) is never given a plan made from answers read before a change.
   */
  readonly checksPreconditions?: boolean;
  /** Write `content` to `dest` atomically (temp file in the same directory, then rename). */
  put(dest: string, content: Uint8Array, options?: PutOptions): Promise<void>;
  /** Read a whole file. Throws CommandError when it cannot be read. */
  get(path: string, options?: { sudo?: boolean }): Promise<Buffer>;
  /** Close the transport; later calls throw. Safe to call twice. */
  close(): Promise<void>;
  /**
   * Start what the first `exec` with these options would start (the root shell for `sudo`)
   * without waiting for it, so it opens while other work goes on. Errors surface at that exec.
   */
  prepare?(options: { sudo: boolean }): void;
}

/** How to reach a host: what the inventory's `ansible_*` variables resolve to. */
export interface ConnectionSpec {
  /** Inventory host name. */
  name: string;
  /** `local` runs commands on the controller; `ssh` over ssh2. */
  kind: 'local' | 'ssh';
  /** Address to connect to (ansible_host, default: name). */
  address: string;
  port: number;
  user?: string;
  privateKeyFile?: string;
  password?: string;
  /** known_hosts file to check host keys against (default ~/.ssh/known_hosts). */
  knownHostsFile?: string;
  hostKeyPolicy: 'strict' | 'accept-new' | 'off';
  /** Pinned host key fingerprints ("SHA256:..."): when present, one must match. */
  hostKeyFingerprints?: string[];
  connectTimeoutMs: number;
  /** Password for sudo when it asks for one (`--ask-become-pass`). */
  becomePassword?: string;
  /**
   * Bastions to go through, in order (ssh's ProxyJump): each is reached through the previous
   * one, the host through the last. Same key file, agent and host key checks as the host.
   */
  jumpHosts?: JumpHost[];
}

/** One jump host (`[user@]host[:port]`); the user defaults to the host's `ansible_user`. */
export interface JumpHost {
  address: string;
  port: number;
  user?: string;
}
