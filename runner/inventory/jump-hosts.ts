/**
 * Jump hosts (bastions) from Ansible's `ansible_ssh_common_args` / `ansible_ssh_extra_args`:
 * the `-J HOP[,HOP...]` and `-o ProxyJump=HOP[,HOP...]` an Ansible inventory passes to ssh. quorum
 * speaks SSH itself (ssh2) and passes no options to an ssh client, so any other option in those
 * variables is refused with what to do, rather than silently ignored: a `ProxyCommand` that was
 * dropped would connect straight to the host, around the bastion.
 */

import type { JumpHost } from '../connection/types.js';

/** The hops named in an ssh argument string, in order; [] when it names none. Throws Error with the reason. */
export function parseJumpHosts(args: string): JumpHost[] {
  const words = splitShellWords(args);
  const hops: JumpHost[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    let value: string | undefined;
    if (word === '-J') value = words[++i];
    else if (word.startsWith('-J')) value = word.slice(2);
    else if (word === '-o' || word.startsWith('-o')) {
      const option = word === '-o' ? words[++i] : word.slice(2);
      const m = /^ProxyJump(?:\s*=\s*|\s+)(.*)$/i.exec(option ?? '');
      if (!m) throw new Error(`quorum understands only ProxyJump among ssh options (it speaks SSH itself and runs no ssh client): remove '-o ${option ?? ''}'`);
      value = m[1];
    } else {
      throw new Error(`quorum understands only -J and -o ProxyJump=... here (it speaks SSH itself and runs no ssh client): remove '${word}'`);
    }
    if (value === undefined || value === '') throw new Error(`'${word}' needs a jump host: [user@]host[:port]`);
    if (value.toLowerCase() === 'none') continue;
    hops.push(...value.split(',').map(parseHop));
  }
  return hops;
}

function parseHop(text: string): JumpHost {
  const m = /^(?:ssh:\/\/)?(?:([^@\s]+)@)?(\[[0-9A-Fa-f:.]+\]|[^\s:@[\]]+)(?::(\d+))?$/.exec(text.trim());
  if (!m) throw new Error(`jump host '${text}' is not [user@]host[:port]`);
  const port = m[3] === undefined ? 22 : Number(m[3]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`jump host '${text}': the port must be 1 to 65535`);
  return { address: m[2]!.replace(/^\[(.*)\]$/, '$1'), port, ...(m[1] ? { user: m[1] } : {}) };
}

/** Words of a shell-like string: whitespace separates, single and double quotes group. */
function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else word = (word ?? '') + ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word ??= '';
    } else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + ch;
  }
  if (quote) throw new Error(`unbalanced ${quote} in '${text}'`);
  if (word !== undefined) words.push(word);
  return words;
}
