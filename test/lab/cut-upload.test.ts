/**
 * An upload cut by a dropped connection never replaces the file, on a real host over SSH (issue
 * 13 item 4). The put script for 50 KB of binary content travels as a base64 here-document, as
 * SshConnection sends it; the test sends only its first part through a root shell on a raw
 * ssh2 connection, then drops the connection, as a network failure would. The host's shell then
 * reads end-of-file inside the here-document and runs what it has: the SHA-256 check must stop
 * the rename. The control runs the same cut without the hash check and sees the defect.
 */
import anyTest from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'ssh2';
import { buildSshConfig } from '../../runner/connection/connect.js';
import { createMarker, encodeCommand } from '../../runner/connection/frame.js';
import { buildPutScript } from '../../runner/connection/ssh.js';
import { labHosts, labState, rootSh } from '../helpers/lab.js';

const test = anyTest.serial;
const host = labHosts('etcd')[2]!;
const DIR = `/etc/quorum-cut-${process.pid}`;
const GOOD = 'the good file\n';

test.before(async () => {
  await rootSh(host, `rm -rf ${DIR}; mkdir ${DIR}`);
});
test.after.always(async () => {
  await rootSh(host, `rm -rf ${DIR}`).catch(() => {});
});

/** Send the first `fraction` of `text` to `sudo -n sh` on the host, then drop the connection. */
async function sendCut(text: string, fraction: number): Promise<void> {
  const lab = labState();
  const config = await buildSshConfig({ name: host.name, kind: 'ssh', address: host.address, port: 22, user: lab.user, privateKeyFile: lab.keyFile, knownHostsFile: lab.knownHostsFile, hostKeyPolicy: 'strict', connectTimeoutMs: 10_000 }, () => {});
  const client = new Client();
  await new Promise<void>((resolve, reject) => client.once('ready', resolve).once('error', reject).connect(config));
  await new Promise<void>((resolve, reject) => {
    client.exec('sudo -n sh', (err, channel) => {
      if (err) return reject(err);
      channel.on('data', () => {});
      channel.stderr.on('data', () => {});
      channel.write(text.slice(0, Math.floor(text.length * fraction)), () => resolve());
    });
  });
  await sleep(500); // the bytes reach the host's shell before the connection goes
  client.destroy(); // the TCP connection drops: no EOF from us, sshd sees the connection die
}

/** What the directory holds after the host's shell has finished with what it got (polled, 10 s). */
async function settled(dir: string, dest: string): Promise<string> {
  let last = '';
  for (let i = 0; i < 30; i++) {
    const now = await rootSh(host, `ls -A ${dir} && stat -c '%s %a' ${dest}`);
    if (now === last) return now;
    last = now;
    await sleep(300);
  }
  return last;
}

for (const checked of [true, false]) {
  test(checked ? 'a put cut mid-way leaves the good file and no temp file' : 'control: without the hash check the same cut replaces the file (the defect the check stops)', async (t) => {
    const name = checked ? 'checked.bin' : 'unchecked.bin';
    const dir = `${DIR}/${checked ? 'checked' : 'unchecked'}`;
    const dest = `${dir}/${name}`;
    await rootSh(host, `mkdir ${dir} && printf '${GOOD.replace('\n', '\\n')}' > ${dest} && chmod 0644 ${dest}`);
    const content = randomBytes(50_000);
    const sha = checked ? createHash('sha256').update(content).digest('hex') : undefined;
    const script = buildPutScript('-', `${dir}/.${name}.quorum-${randomBytes(6).toString('hex')}`, dest, { mode: '0755' }, sha);
    await sendCut(encodeCommand(createMarker(), 1, script, content), 0.45);
    const after = await settled(dir, dest);
    if (checked) {
      t.is(after, `${name}\n${GOOD.length} 644\n`, 'the good file, unchanged, and nothing else');
      t.is(await rootSh(host, `cat ${dest}`), GOOD);
    } else {
      t.regex(after, new RegExp(`^${name.replace('.', '\\.')}\\n\\d+ 755\\n$`), 'the cut content replaced the file');
      t.not(await rootSh(host, `cat ${dest}`), GOOD);
    }
  });
}
