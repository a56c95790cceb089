/**
 * What gather learns about one host's PKI files, as plain data the pure plan can compare
 * (and tests can build by hand). Certificates are checked against the controller's CA here.
 */
import { summarizeCertPem, summarizeKeyPem, type CertSummary, type KeySummary } from './inspect.js';
import type { RemoteFile } from './remote-files.js';

/** One file on the host: attributes plus the parsed certificate or key (never key bytes). */
export interface HostFile {
  mode: string;
  owner: string;
  group: string;
  cert?: CertSummary | { error: string };
  key?: KeySummary | { error: string };
}

/** Summarize a file read from the host; `.key` files as keys, everything else as certs. */
export function summarizeHostFile(path: string, file: RemoteFile, caPem?: string): HostFile {
  const base = { mode: file.mode, owner: file.owner, group: file.group };
  if (path.endsWith('.key')) {
    try {
      return { ...base, key: summarizeKeyPem(file.content) };
    } catch (err) {
      return { ...base, key: { error: describeParseError(err) } };
    }
  }
  try {
    return { ...base, cert: summarizeCertPem(file.content, caPem) };
  } catch (err) {
    return { ...base, cert: { error: describeParseError(err) } };
  }
}

function describeParseError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // Parser messages could quote the input; keep only the first line, never the content.
  return message.split('\n')[0]!.slice(0, 120);
}
