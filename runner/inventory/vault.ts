/**
 * Ansible Vault, format 1.1/1.2 AES256, decrypted with node:crypto as Ansible's VaultAES256
 * does: the envelope's hex body holds the hex salt, HMAC and ciphertext; PBKDF2-SHA256 (10000
 * rounds) of the password and salt gives 80 bytes: the AES-256 key, the HMAC-SHA256 key, the
 * CTR counter block. The HMAC of the ciphertext is checked before anything is decrypted.
 * Errors never contain the ciphertext, the password or the plaintext.
 */
import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, type SourceLocation } from '../errors.js';

export const VAULT_HEADER = '$ANSIBLE_VAULT;';

/**
 * The origins (SourceLocation objects, by identity) of variables whose value came out of a
 * vault: `quorum inventory` prints them masked. Origins travel by reference through the merge
 * of precedence levels, so the winning definition's mark is the one seen.
 */
const vaulted = new WeakSet<SourceLocation>();

export function markVaulted(origin: SourceLocation): SourceLocation {
  vaulted.add(origin);
  return origin;
}

export function isVaulted(origin: SourceLocation | undefined): boolean {
  return origin !== undefined && vaulted.has(origin);
}

/** Is the value at `pointer` (or inside it) one that was decrypted? */
export function holdsVaulted(pointer: string, decrypted: ReadonlySet<string>): boolean {
  for (const p of decrypted) if (p === pointer || p.startsWith(`${pointer}/`)) return true;
  return false;
}

export type VaultResult = { ok: true; plaintext: string } | { ok: false; error: string };

export function isVaultText(text: string): boolean {
  return text.trimStart().startsWith(VAULT_HEADER);
}

export function decryptVault(envelope: string, password: string): VaultResult {
  const lines = envelope.trim().split(/\r?\n/).map((l) => l.trim());
  const header = lines[0]!.split(';');
  const [, version, cipher] = header;
  if (version !== '1.1' && version !== '1.2') return { ok: false, error: `vault format ${version ?? '?'} is not known (1.1 and 1.2 are)` };
  if (cipher !== 'AES256') return { ok: false, error: `vault cipher ${cipher ?? '?'} is not supported (AES256 is)` };
  const body = lines.slice(1).join('');
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(body)) return { ok: false, error: 'the vault text is damaged (its body is not hexadecimal)' };
  const parts = Buffer.from(body, 'hex').toString('latin1').split('\n');
  if (parts.length !== 3 || !parts.every((p) => /^(?:[0-9a-fA-F]{2})+$/.test(p))) return { ok: false, error: 'the vault text is damaged (salt, HMAC and ciphertext expected)' };
  const [salt, mac, ciphertext] = parts.map((p) => Buffer.from(p, 'hex')) as [Buffer, Buffer, Buffer];
  const derived = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, 10000, 80, 'sha256');
  const expected = createHmac('sha256', derived.subarray(32, 64)).update(ciphertext).digest();
  if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return { ok: false, error: 'the vault password does not match this value (HMAC check failed)' };
  const decipher = createDecipheriv('aes-256-ctr', derived.subarray(0, 32), derived.subarray(64, 80));
  const padded = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  const pad = padded[padded.length - 1] ?? 0;
  if (pad < 1 || pad > 16 || pad > padded.length) return { ok: false, error: 'the vault text is damaged (bad padding)' };
  return { ok: true, plaintext: padded.subarray(0, padded.length - pad).toString('utf8') };
}

/**
 * The password in a --vault-password-file, stripped as Ansible strips it. An executable file is
 * a script for Ansible; quorum runs none, so it is refused.
 */
export function readVaultPasswordFile(file: string): string {
  const stat = statSync(file);
  if ((stat.mode & 0o111) !== 0) throw new Error(`${file} is executable: Ansible would run it as a password script; quorum runs none (remove the executable bit, or write the password to a file)`);
  const password = readFileSync(file, 'utf8').trim();
  if (password === '') throw new Error(`${file} is empty: it must hold the vault password`);
  return password;
}

/** The password of --vault-password-file FILE, or a ConfigError (exit 5) saying why not. */
export function vaultPasswordOf(file: string): string {
  try {
    return readVaultPasswordFile(resolve(file));
  } catch (err) {
    throw new ConfigError([{ pointer: '', message: `--vault-password-file: ${(err as Error).message}` }], { cause: err });
  }
}
