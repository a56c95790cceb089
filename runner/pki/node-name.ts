/**
 * kubeadm's rules for a node name (nodeRegistration.name), the CN and first DNS SAN of the
 * etcd-server and etcd-peer certificates:
 *
 * - cmd/kubeadm/app/util GetHostname: the name is trimmed and lowercased, even when given
 *   explicitly (SetNodeRegistrationDynamicDefaults runs every name through it);
 * - apis/kubeadm/validation ValidateNodeRegistrationOptions: the result must be a DNS-1123
 *   subdomain (k8s.io/apimachinery IsDNS1123Subdomain: at most 253 characters, labels of
 *   [a-z0-9-] that start and end with a letter or digit, joined by '.').
 *
 * A name such as `etcd_1` would otherwise become a CN with '_' in a PrintableString, which
 * strict X.509 parsers (Go's among them) refuse.
 */
import { isDns1123Subdomain } from './sans.js';

/** What kubeadm's validation says about a name, in words a user can act on. */
export const NODE_NAME_RULE =
  "kubeadm lowercases the node name and requires a DNS-1123 subdomain: lower case letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit, at most 253 characters";

/** The name as kubeadm uses it: trimmed and lowercased (GetHostname). */
export function normalizeNodeName(name: string): string {
  return name.trim().toLowerCase();
}

/** The outcome of checking a node name: the name kubeadm would use, or why it refuses it. */
export type NodeNameCheck = { ok: true; name: string } | { ok: false; problem: string; suggestion?: string };

/** Check a node name as kubeadm would, after lowercasing it. */
export function checkNodeName(raw: string): NodeNameCheck {
  const name = normalizeNodeName(raw);
  if (isDns1123Subdomain(name)) return { ok: true, name };
  const suggestion = suggestNodeName(name);
  const use = suggestion ? `; use '${suggestion}'` : '';
  return { ok: false, problem: `node name '${raw}' is refused: ${NODE_NAME_RULE}${use}`, ...(suggestion ? { suggestion } : {}) };
}

/**
 * The nearest valid name: lowercased, every other character turned into '-', each part
 * trimmed of '-' at its ends, empty parts dropped. Undefined when nothing is left.
 */
export function suggestNodeName(raw: string): string | undefined {
  const labels = normalizeNodeName(raw)
    .replace(/[^a-z0-9.-]/g, '-')
    .split('.')
    .map((label) => label.replace(/^-+|-+$/g, ''))
    .filter((label) => label !== '');
  let name = labels.join('.');
  // A 253-character cut may end a label with '-' or '.': trim again.
  if (name.length > 253) name = name.slice(0, 253).replace(/[-.]+$/, '');
  return name !== '' && isDns1123Subdomain(name) ? name : undefined;
}
