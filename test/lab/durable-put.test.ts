/**
 * Puts on hosts are durable (issue 13 item 7), seen on a real host: strace, run on the
 * controller and attached to the host's sshd, records every fsync and rename of the commands
 * quorum's SSH connection runs there. For each way a file travels (text inside the command,
 * stdin, SFTP as the login user, SFTP then copied as root): the temp file is fsync'ed before it
 * is renamed over the destination, and the destination's directory after.
 */
import anyTest from 'ava';
import { createHash } from 'node:crypto';
import { openConnection } from '../../runner/connection/connect.js';
import type { Connection } from '../../runner/connection/types.js';
import { labHosts, labState, rootSh } from '../helpers/lab.js';
import { hostSshdPid, traceProcessTree } from '../helpers/host-trace.js';

const test = anyTest.serial;
const host = labHosts('etcd')[0]!;
const DIR = `/etc/quorum-durable-${process.pid}`;
const USER_DIR = `/tmp/quorum-durable-${process.pid}`;

/** A connection opened while the trace runs: strace follows only processes forked after it attached. */
function connect(): Promise<Connection> {
  const lab = labState();
  return openConnection({ name: host.name, kind: 'ssh', address: host.address, port: 22, user: lab.user, privateKeyFile: lab.keyFile, knownHostsFile: lab.knownHostsFile, hostKeyPolicy: 'strict', connectTimeoutMs: 10_000 });
}

test.before(async () => {
  await rootSh(host, `mkdir -p ${DIR} && mkdir -p ${USER_DIR} && chown ${labState().user} ${USER_DIR}`);
});

test.after.always(async () => {
  await rootSh(host, `rm -rf ${DIR} ${USER_DIR}`).catch(() => {});
});

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const cases = [
  { name: 'text inside the command, as root', dir: DIR, content: Buffer.from('key = value\n'), sudo: true },
  { name: 'binary by stdin, as root', dir: DIR, content: Buffer.from([0, 1, 2, 255, 10]), sudo: true },
  { name: 'SFTP then copied as root', dir: DIR, content: Buffer.alloc(100_000, 7), sudo: true },
  { name: 'SFTP as the login user', dir: USER_DIR, content: Buffer.alloc(100_000, 9), sudo: false },
];

for (const c of cases) {
  test(`${c.name}: fsync of the temp file, rename, fsync of the directory`, async (t) => {
    const dest = `${c.dir}/app-${c.content.length}-${c.sudo}.conf`;
    const trace = await traceProcessTree(hostSshdPid(host.name), ['fsync', 'fdatasync', 'rename', 'renameat', 'renameat2']);
    let lines: string[];
    const conn = await connect().catch(async (err) => (await trace.stop(), Promise.reject(err)));
    try {
      await conn.put(dest, c.content, { mode: '0640', sudo: c.sudo });
    } finally {
      await conn.close();
      lines = await trace.stop();
    }
    // Paths as the host names them, from the controller: the host's root may show as a prefix.
    const tmp = new RegExp(`f(data)?sync\\(\\d+<(?:/[^>]*)?(${esc(c.dir)}/\\.app-[^>]*\\.quorum-[0-9a-f]+)>\\)`);
    const syncTemp = lines.findIndex((l) => tmp.test(l));
    const tmpName = syncTemp >= 0 ? tmp.exec(lines[syncTemp]!)![2]! : '(none)';
    const rename = lines.findIndex((l) => new RegExp(`rename\\w*\\(.*"${esc(tmpName)}".*"${esc(dest)}"`).test(l));
    const syncDir = lines.findIndex((l, at) => at > rename && new RegExp(`f(data)?sync\\(\\d+<(?:/[^>]*)?${esc(c.dir)}>\\)`).test(l));
    t.true(syncTemp >= 0, `the temp file is fsync'ed:\n${lines.join('\n')}`);
    t.true(rename > syncTemp, `before the rename:\n${lines.join('\n')}`);
    t.true(syncDir > rename, `and the directory after it:\n${lines.join('\n')}`);
    t.is(await rootSh(host, `stat -c %a ${dest} && sha256sum < ${dest} | cut -c1-64`), `640\n${createHash('sha256').update(c.content).digest('hex')}\n`);
  });
}
