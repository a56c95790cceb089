/**
 * Writes on the controller are durable (issue 13 item 7): the file is fsync'ed before it gets
 * its name (rename or link) and its directory after, so a power cut after "changed" cannot leave
 * an empty ca.key or backup under the final name. Observed for real with strace (-y names the
 * file behind each descriptor): fetch's writer (atomic-write.ts), the CA store (ca-store.ts) and
 * the local connection's put (the controller as a host), and the put script hosts run (SSH, and
 * sudo on the controller; over the lab's real sshd: test/lab/durable-put.test.ts).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_DIR } from '../helpers/quorum.js';
import { buildPutScript, type PutSource } from '../../runner/connection/ssh.js';

const hasStrace = spawnSync('strace', ['-V']).status === 0;

/** The system calls `code` (a TS module body run by tsx) makes on files, with paths. */
function traceFileCalls(code: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-strace-'));
  const script = join(dir, 'script.mts');
  writeFileSync(script, code);
  const log = join(dir, 'trace.txt');
  const r = spawnSync('strace', ['-f', '-y', '-qq', '-o', log, '-e', 'trace=fsync,fdatasync,link,linkat,rename,renameat,renameat2', process.execPath, '--import=tsx', script], {
    cwd: PROJECT_DIR,
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`traced script failed (${r.status}): ${r.stderr}`);
  return readFileSync(log, 'utf8').split('\n').filter((l) => l.trim() !== '');
}

/** Index of the first line matching, or -1. */
function indexOf(lines: string[], re: RegExp): number {
  return lines.findIndex((l) => re.test(l));
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('fetch\'s writer: fsync of the temp file, then rename, then fsync of the directory', async (t) => {
  if (!hasStrace) return t.fail('strace is not installed: scripts/install-lab-deps.sh installs it');
  const dir = mkdtempSync(join(tmpdir(), 'quorum-durable-'));
  const dest = join(dir, 'snapshot.db');
  const lines = traceFileCalls(`
import { writeFileAtomically } from ${JSON.stringify(join(PROJECT_DIR, 'runner/files/atomic-write.ts'))};
await writeFileAtomically(${JSON.stringify(dest)}, Buffer.from('backup bytes'), { mode: 0o600 });
`);
  const syncTemp = indexOf(lines, new RegExp(`fsync\\(\\d+<${esc(dir)}/\\.snapshot\\.db\\.quorum-[0-9a-f]+>\\)`));
  const rename = indexOf(lines, new RegExp(`rename\\w*\\(.*${esc(dir)}/\\.snapshot\\.db\\.quorum-[0-9a-f]+.*snapshot\\.db"`));
  const syncDir = indexOf(lines, new RegExp(`fsync\\(\\d+<${esc(dir)}>\\)`));
  t.true(syncTemp >= 0, `the temp file is fsync'ed:\n${lines.join('\n')}`);
  t.true(rename > syncTemp, 'before the rename');
  t.true(syncDir > rename, 'and the directory after it');
  t.is(readFileSync(dest, 'utf8'), 'backup bytes');
});

test('the CA store: ca.key and ca.crt fsync\'ed before they are linked into place, the directory after', async (t) => {
  if (!hasStrace) return t.fail('strace is not installed: scripts/install-lab-deps.sh installs it');
  const dir = join(mkdtempSync(join(tmpdir(), 'quorum-durable-ca-')), 'ca');
  const lines = traceFileCalls(`
import { ensureCa } from ${JSON.stringify(join(PROJECT_DIR, 'runner/pki/ca-store.ts'))};
await ensureCa(${JSON.stringify(dir)}, { keySize: 2048, validityDays: 365 });
`);
  for (const name of ['ca.key', 'ca.crt']) {
    const syncTemp = indexOf(lines, new RegExp(`fsync\\(\\d+<${esc(dir)}/${esc(name)}\\.tmp-[0-9a-f]+>\\)`));
    const placed = indexOf(lines, new RegExp(`link\\w*\\(.*${esc(dir)}/${esc(name)}\\.tmp-[0-9a-f]+.*${esc(dir)}/${esc(name)}"`));
    const syncDir = lines.findIndex((l, i) => i > placed && new RegExp(`fsync\\(\\d+<${esc(dir)}>\\)`).test(l));
    t.true(syncTemp >= 0, `${name} is fsync'ed:\n${lines.join('\n')}`);
    t.true(placed > syncTemp, `${name}: before it is linked into place`);
    t.true(syncDir > placed, `${name}: the directory after`);
  }
  t.is(readFileSync(join(dir, 'ca.key'), 'utf8').slice(0, 11), '-----BEGIN ');
});

test('the local connection\'s put: the temp file with its mode fsync\'ed, renamed, then the directory fsync\'ed', async (t) => {
  if (!hasStrace) return t.fail('strace is not installed: scripts/install-lab-deps.sh installs it');
  const dir = mkdtempSync(join(tmpdir(), 'quorum-durable-put-'));
  const dest = join(dir, 'app.conf');
  const lines = traceFileCalls(`
import { LocalConnection } from ${JSON.stringify(join(PROJECT_DIR, 'runner/connection/local.ts'))};
await new LocalConnection().put(${JSON.stringify(dest)}, Buffer.from('key = value\\n'), { mode: '0640', owner: 'root' });
`);
  const syncTemp = indexOf(lines, new RegExp(`fsync\\(\\d+<${esc(dir)}/\\.app\\.conf\\.quorum-[0-9a-f]+>\\)`));
  const rename = indexOf(lines, new RegExp(`rename\\w*\\(.*${esc(dir)}/\\.app\\.conf\\.quorum-[0-9a-f]+.*app\\.conf"`));
  const syncDir = indexOf(lines, new RegExp(`fsync\\(\\d+<${esc(dir)}>\\)`));
  t.true(syncTemp >= 0, `the temp file is fsync'ed:\n${lines.join('\n')}`);
  t.true(rename > syncTemp, 'before the rename');
  t.true(syncDir > rename, 'and the directory after it');
  t.is(readFileSync(dest, 'utf8'), 'key = value\n');
  t.is(statSync(dest).mode & 0o7777, 0o640);
});

/** The system calls the real dash makes running `script` (with `stdin`), with paths (-y). */
function traceDash(script: string, stdin?: Uint8Array): { code: number; lines: string[] } {
  const log = join(mkdtempSync(join(tmpdir(), 'quorum-strace-')), 'trace.txt');
  const r = spawnSync('strace', ['-f', '-y', '-qq', '-o', log, '-e', 'trace=fsync,fdatasync,rename,renameat,renameat2', 'dash', '-c', script], { input: stdin ?? Buffer.alloc(0), timeout: 60_000 });
  return { code: r.status ?? 1, lines: readFileSync(log, 'utf8').split('\n').filter((l) => l.trim() !== '') };
}

test('the put script (hosts over SSH, sudo on the controller): each way the bytes arrive, fsync of the temp file, rename, fsync of the directory', async (t) => {
  if (!hasStrace) return t.fail('strace is not installed: scripts/install-lab-deps.sh installs it');
  const dir = mkdtempSync(join(tmpdir(), 'quorum-durable-script-'));
  const content = Buffer.from('key = value\n');
  const sha = createHash('sha256').update(content).digest('hex');
  const upload = join(dir, 'upload');
  writeFileSync(upload, content, { mode: 0o600 });
  const cases: { name: string; source: PutSource; stdin?: Buffer; sha?: string; before?: () => void }[] = [
    { name: 'text in the command', source: { text: content.toString() } },
    { name: 'stdin', source: '-', stdin: content, sha },
    { name: 'an upload copied as root', source: upload, sha },
    { name: 'a temp file SFTP wrote', source: undefined, sha, before: () => writeFileSync(join(dir, '.sftp.conf.tmp'), content, { mode: 0o600 }) },
  ];
  for (const [i, c] of cases.entries()) {
    const name = `f${i}.conf`;
    const tmp = c.source === undefined ? join(dir, '.sftp.conf.tmp') : join(dir, `.${name}.tmp`);
    c.before?.();
    const { code, lines } = traceDash(buildPutScript(c.source, tmp, join(dir, name), { mode: '0640' }, c.sha), c.stdin);
    t.is(code, 0, c.name);
    const syncTemp = indexOf(lines, new RegExp(`f(data)?sync\\(\\d+<${esc(tmp)}>\\)`));
    const rename = indexOf(lines, new RegExp(`rename\\w*\\(.*"${esc(tmp)}".*"${esc(join(dir, name))}"`));
    const syncDir = lines.findIndex((l, at) => at > rename && new RegExp(`f(data)?sync\\(\\d+<${esc(dir)}>\\)`).test(l));
    t.true(syncTemp >= 0, `${c.name}: the temp file is fsync'ed:\n${lines.join('\n')}`);
    t.true(rename > syncTemp, `${c.name}: before the rename`);
    t.true(syncDir > rename, `${c.name}: and the directory after it`);
    t.deepEqual(readFileSync(join(dir, name)), content, c.name);
    t.is(statSync(join(dir, name)).mode & 0o7777, 0o640, c.name);
  }
});
