/**
 * NODE_EXTRA_CA_CERTS, deferred. Node 20 with OpenSSL 3 reads and parses the file that variable
 * names while the process starts, before any JavaScript runs (nodejs/node#40524): with Debian's
 * whole bundle (/etc/ssl/certs/ca-certificates.crt, ~140 certificates) that is about 70 ms of
 * CPU on every `quorum` start, and quorum makes no TLS connection in most runs.
 *
 * So the executable's `#!/bin/sh` header (scripts/bundle.mjs) moves the variable aside before it
 * starts Node, and the launcher puts it back here: commands quorum starts (local tasks, ssh)
 * inherit it exactly as the user set it, and quorum's own TLS client (etcd's gateway, the only
 * one) adds the file to Node's root certificates itself, which is what Node would have done.
 * `node dist/bundle/quorum.cjs` skips the header: Node then loads the file as usual.
 */
const DEFERRED_VARIABLE = 'QUORUM_DEFERRED_EXTRA_CA_CERTS';
const DEFERRED_FILE = Symbol.for('quorum.deferredExtraCaCerts');

/** Restore NODE_EXTRA_CA_CERTS from where the header put it, and remember that Node never read it. */
export function restoreDeferredExtraCaCerts(env: NodeJS.ProcessEnv = process.env): void {
  const file = env[DEFERRED_VARIABLE];
  if (file === undefined) return;
  delete env[DEFERRED_VARIABLE];
  env['NODE_EXTRA_CA_CERTS'] = file;
  if (file !== '') (globalThis as Record<symbol, unknown>)[DEFERRED_FILE] = file;
}

/** The extra CA file Node did not load at start-up (the header deferred it), if any. */
export function deferredExtraCaCertsFile(): string | undefined {
  return (globalThis as Record<symbol, unknown>)[DEFERRED_FILE] as string | undefined;
}
