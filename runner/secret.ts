/**
 * A value that must never be printed: private keys, tokens, passwords. It prints as a mask in
 * every form (String(), JSON, util.inspect), so a stray log line or diff cannot leak it.
 */
const MASK = '<secret>';

export class Secret {
  readonly #value: Uint8Array;
  constructor(value: Uint8Array | string) {
    this.#value = typeof value === 'string' ? Buffer.from(value) : value;
  }
  /** The real bytes; call only where they go to a host or a file, never to output. */
  reveal(): Uint8Array {
    return this.#value;
  }
  toString(): string {
    return MASK;
  }
  toJSON(): string {
    return MASK;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return MASK;
  }
}

export function isSecret(value: unknown): value is Secret {
  return value instanceof Secret;
}

export { MASK as SECRET_MASK };
