/**
 * NODE_EXTRA_CA_CERTS deferred by the launcher (runner/launch/extra-ca-certs.ts): the variable is put
 * back for child processes, and etcd's gateway client (quorum's only TLS client) trusts the
 * deferred file as Node would have, when no `cacert` is given. A real HTTPS server on loopback
 * with a certificate from quorum's own CA code.
 */
import test from 'ava';
import { createServer } from 'node:https';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createCa, issueLeaf } from '../../runner/pki/issue.js';
import { deferredExtraCaCertsFile, restoreDeferredExtraCaCerts } from '../../runner/launch/extra-ca-certs.js';
import { postGateway } from '../../runner/etcd/gateway.js';

test.serial('restoring puts NODE_EXTRA_CA_CERTS back, drops the carrier variable, and leaves an env without it alone', (t) => {
  const untouched: NodeJS.ProcessEnv = { PATH: '/bin' };
  restoreDeferredExtraCaCerts(untouched);
  t.deepEqual(untouched, { PATH: '/bin' });
  // Set by the sh header but empty: nothing for Node to load, so nothing deferred either.
  const empty: NodeJS.ProcessEnv = { QUORUM_DEFERRED_EXTRA_CA_CERTS: '' };
  restoreDeferredExtraCaCerts(empty);
  t.deepEqual(empty, { NODE_EXTRA_CA_CERTS: '' });
  t.is(deferredExtraCaCertsFile(), undefined);
});

test.serial('the gateway trusts a deferred extra CA file when no cacert is given, and only then', async (t) => {
  const ca = await createCa({ keySize: 2048, validityDays: 1 });
  const leaf = await issueLeaf(ca, { commonName: 'gateway', ekus: ['serverAuth'], sans: { dns: ['localhost'], ip: ['127.0.0.1'] }, keySize: 2048, validityDays: 1 });
  const server = createServer({ cert: leaf.certPem, key: Buffer.from(leaf.keyPem.reveal()) }, (_req, res) => res.end('{"ok":true}'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  await t.throwsAsync(postGateway(endpoint, '/v3/maintenance/status', {}, {}, 5000), { message: /self[- ]signed|unable to (get|verify)/i });

  const file = join(mkdtempSync(join(tmpdir(), 'quorum-extra-ca-')), 'extra.pem');
  writeFileSync(file, ca.certPem);
  const env: NodeJS.ProcessEnv = { QUORUM_DEFERRED_EXTRA_CA_CERTS: file };
  restoreDeferredExtraCaCerts(env);
  t.deepEqual(env, { NODE_EXTRA_CA_CERTS: file });
  t.is(deferredExtraCaCertsFile(), file);
  t.deepEqual(await postGateway(endpoint, '/v3/maintenance/status', {}, {}, 5000), { ok: true });
});
