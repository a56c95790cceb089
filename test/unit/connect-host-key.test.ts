/**
 * The host key check is wired into the connection: openConnection (runner/connection/connect.ts)
 * against a real SSH server (ssh2's Server, in this process, on 127.0.0.1 with a host key made
 * here). A known_hosts entry with another key must stop the connection before authentication,
 * so the password is never sent; the matching entry connects (the control that shows the
 * server and the spec work, so the refusal is the host key's doing).
 */
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { openConnection } from '../../runner/connection/connect.js';
import type { ConnectionSpec } from '../../runner/connection/types.js';
import { UnreachableError } from '../../runner/errors.js';
import { sshKeyPair } from '../helpers/ssh-key-pair.js';

const PASSWORD = 'not-a-real-password-7f3a';

interface TestServer {
  port: number;
  /** Authentication attempts the server received (method names), and the passwords sent. */
  authAttempts: string[];
  passwordsSeen: string[];
  close(): Promise<void>;
}

async function startServer(hostKey: string): Promise<TestServer> {
  const authAttempts: string[] = [];
  const passwordsSeen: string[] = [];
  const clients = new Set<ssh2.Connection>();
  const server = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('authentication', (ctx) => {
      authAttempts.push(ctx.method);
      if (ctx.method === 'password') {
        passwordsSeen.push(ctx.password);
        return ctx.password === PASSWORD ? ctx.accept() : ctx.reject();
      }
      ctx.reject(['password']);
    });
    client.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const close = () =>
    new Promise<void>((resolve) => {
      // Connections still open (a test that failed) would keep close() waiting.
      for (const client of clients) client.end();
      server.close(() => resolve());
    });
  return { port, authAttempts, passwordsSeen, close };
}

/** The error openConnection rejects with; a connection it opened by mistake is closed first. */
async function refusal(connecting: ReturnType<typeof openConnection>): Promise<Error | undefined> {
  try {
    const connection = await connecting;
    await connection.close();
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

/** `[127.0.0.1]:PORT TYPE BASE64`, the known_hosts line OpenSSH writes for a non-22 port. */
function knownHostsLine(port: number, publicKeyOpenSsh: string): string {
  const [type, blob] = publicKeyOpenSsh.trim().split(/\s+/);
  return `[127.0.0.1]:${port} ${type} ${blob}\n`;
}

function spec(port: number, knownHostsFile: string): ConnectionSpec {
  return { name: 'keytest', kind: 'ssh', address: '127.0.0.1', port, user: 'tester', password: PASSWORD, knownHostsFile, hostKeyPolicy: 'strict', connectTimeoutMs: 5000 };
}

test.serial('a host key that does not match known_hosts stops the connection before the password is sent', async (t) => {
  const hostKey = sshKeyPair('ed25519');
  const otherKey = sshKeyPair('ed25519');
  const server = await startServer(hostKey.private);
  const dir = mkdtempSync(join(tmpdir(), 'quorum-hostkey-'));
  try {
    const knownHosts = join(dir, 'known_hosts');

    // Control: the right key connects and authenticates with the password.
    writeFileSync(knownHosts, knownHostsLine(server.port, hostKey.public));
    const good = await openConnection(spec(server.port, knownHosts));
    await good.close();
    t.deepEqual(server.passwordsSeen, [PASSWORD]);

    // Another key for the same host and port: refused, nothing authenticated.
    server.authAttempts.length = 0;
    server.passwordsSeen.length = 0;
    writeFileSync(knownHosts, knownHostsLine(server.port, otherKey.public));
    const error = await refusal(openConnection(spec(server.port, knownHosts)));
    t.true(error instanceof UnreachableError, `expected a refusal, got ${String(error)}`);
    t.regex(error?.message ?? '', /host key/i);
    t.deepEqual(server.authAttempts, []);
    t.deepEqual(server.passwordsSeen, []);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.serial('strict policy: a host missing from known_hosts is refused before authentication', async (t) => {
  const hostKey = sshKeyPair('ed25519');
  const server = await startServer(hostKey.private);
  const dir = mkdtempSync(join(tmpdir(), 'quorum-hostkey-'));
  try {
    const knownHosts = join(dir, 'known_hosts');
    writeFileSync(knownHosts, '');
    const error = await refusal(openConnection(spec(server.port, knownHosts)));
    t.true(error instanceof UnreachableError, `expected a refusal, got ${String(error)}`);
    t.deepEqual(server.passwordsSeen, []);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
