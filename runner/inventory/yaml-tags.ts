/**
 * Ansible's own YAML tags in an inventory or vars file. `yaml` keeps a `!vault` value as its
 * ciphertext string with only a warning, so without this check an encrypted password would be
 * used as the password. A `!vault` value is decrypted with the vault password when one is given
 * (--vault-password-file), else refused; every other local tag (`!unsafe`, ...) is an error
 * naming the variable and its place, before any host is touched.
 */
import { isMap, isPair, isScalar, isSeq, type Node } from 'yaml';
import type { ConfigProblem } from '../errors.js';
import { encodePointer, type YamlSource } from '../load/yaml.js';
import { decryptVault } from './vault.js';

/**
 * Decrypt `!vault` values in `src.value` (with a password) and report every tag left.
 * `decrypted` receives the pointers of the values decrypted.
 */
export function resolveLocalTags(src: YamlSource, vaultPassword?: string, decrypted?: Set<string>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const visit = (node: unknown, path: Array<string | number>): void => {
    if (!node || typeof node !== 'object') return;
    const tag = (node as Node).tag;
    const pointer = encodePointer(path);
    if (tag && tag.startsWith('!') && !tag.startsWith('!!')) {
      const name = path.length > 0 ? `'${String(path[path.length - 1])}'` : 'the document';
      if (tag === '!vault' && vaultPassword !== undefined && isScalar(node) && typeof node.value === 'string' && path.length > 0) {
        const result = decryptVault(node.value, vaultPassword);
        if (result.ok) {
          setAt(src.value, path, result.plaintext);
          decrypted?.add(pointer);
        }
        else problems.push({ location: src.locateKey(pointer), pointer, message: `${name}: cannot decrypt its !vault value: ${result.error}` });
        return;
      }
      // The key is where the reader looks (the value of a !vault is a block of ciphertext).
      problems.push({ location: path.length > 0 ? src.locateKey(pointer) : src.locate(pointer), pointer, message: tagMessage(tag, name) });
      return;
    }
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isPair(pair) && isScalar(pair.key)) visit(pair.value, [...path, String(pair.key.value)]);
      }
    } else if (isSeq(node)) node.items.forEach((item, i) => visit(item, [...path, i]));
  };
  visit(src.doc.contents, []);
  return problems;
}

/** Replace the value at `path` in a plain JS document. */
function setAt(root: unknown, path: Array<string | number>, value: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (const part of path.slice(0, -1)) node = node[part] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
}

function tagMessage(tag: string, name: string): string {
  if (tag === '!vault') {
    return `${name} is encrypted with ansible-vault (!vault): give the vault password with --vault-password-file FILE, or pass the secret with -e @FILE from a file only you can read`;
  }
  if (tag === '!unsafe') return `${name} is tagged !unsafe: quorum has no unsafe strings; remove the tag, and write the value without '{{'`;
  return `${name} has the YAML tag ${tag}, which quorum does not know: remove the tag`;
}
