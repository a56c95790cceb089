/**
 * The script behind SshConnection.put (runner/connection/ssh.ts), run by the real dash of this
 * machine in a temp directory: text written by the shell's printf, modes set by the umask or by
 * chmod, failures leave no temp file. Over real SSH: test/lab/ssh-connection.test.ts.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPutScript, INLINE_TEXT_MAX, textForScript } from '../../runner/connection/ssh.js';
import { runDash } from '../helpers/dash.js';

const TRICKY = "quotes ' \" `back` $HOME \\n\\\\ %s %% -e\nline 2\ttab\n\n   trailing spaces   \nno newline at the end: ünïcødé ✓";

const runScript = runDash;

test('text goes through printf byte for byte, and the umask gives mode 0644 without a chmod', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-put-'));
  const dest = join(dir, 'out.conf');
  const script = buildPutScript({ text: TRICKY }, join(dir, '.tmp'), dest, { mode: '0644' });
  t.false(script.includes('chmod'));
  t.is(runScript(script).code, 0);
  t.is(readFileSync(dest, 'utf8'), TRICKY);
  t.is(statSync(dest).mode & 0o7777, 0o644);
  t.deepEqual(readdirSync(dir), ['out.conf']);
});

test('a mode with execute bits, or an owner, still gets chmod; no mode leaves the file 0600', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-put-'));
  const exe = buildPutScript({ text: '#!/bin/sh\necho hi\n' }, join(dir, '.t1'), join(dir, 'run.sh'), { mode: '0755' });
  t.true(exe.includes('chmod 0755'));
  t.is(runScript(exe).code, 0);
  t.is(statSync(join(dir, 'run.sh')).mode & 0o7777, 0o755);
  t.is(execFileSync(join(dir, 'run.sh'), { encoding: 'utf8' }), 'hi\n');

  const owned = buildPutScript({ text: 'x' }, join(dir, '.t2'), join(dir, 'owned'), { mode: '0640', owner: String(process.getuid!()) });
  t.true(owned.includes('chmod 0640'), 'the temp file stays 0600 until chown has run');
  t.is(runScript(owned).code, 0);
  t.is(statSync(join(dir, 'owned')).mode & 0o7777, 0o640);

  t.is(runScript(buildPutScript({ text: 'secret' }, join(dir, '.t3'), join(dir, 'plain'), {})).code, 0);
  t.is(statSync(join(dir, 'plain')).mode & 0o7777, 0o600);
});

test('stdin and an uploaded file still work, with the umask mode; the upload is removed', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-put-'));
  const binary = Buffer.from([0, 1, 2, 255, 254, 10, 0]);
  t.is(runScript(buildPutScript('-', join(dir, '.t1'), join(dir, 'bin'), { mode: '0604' }), binary).code, 0);
  t.true(readFileSync(join(dir, 'bin')).equals(binary));
  t.is(statSync(join(dir, 'bin')).mode & 0o7777, 0o604);

  const upload = join(dir, 'upload');
  writeFileSync(upload, binary, { mode: 0o600 });
  t.is(runScript(buildPutScript(upload, join(dir, '.t2'), join(dir, 'copied'), { mode: '0644' })).code, 0);
  t.true(readFileSync(join(dir, 'copied')).equals(binary));
  t.deepEqual(readdirSync(dir).sort(), ['bin', 'copied']);
});

test('a failed write removes the temp file and reports the exit status', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-put-'));
  const r = runScript(buildPutScript({ text: 'x' }, join(dir, '.tmp'), join(dir, 'missing-dir', 'f'), { mode: '0644' }));
  t.not(r.code, 0);
  t.regex(r.stderr, /No such file or directory/);
  t.deepEqual(readdirSync(dir), []);
});

test('only UTF-8 text without NUL bytes, up to the limit, travels inside the command', (t) => {
  t.is(textForScript(Buffer.from(TRICKY)), TRICKY);
  t.is(textForScript(Buffer.from('')), '');
  t.is(textForScript(Buffer.from([0x61, 0x00, 0x62])), undefined);
  t.is(textForScript(Buffer.from([0xc3, 0x28])), undefined, 'invalid UTF-8');
  t.is(textForScript(Buffer.alloc(INLINE_TEXT_MAX, 'a')), 'a'.repeat(INLINE_TEXT_MAX));
  t.is(textForScript(Buffer.alloc(INLINE_TEXT_MAX + 1, 'a')), undefined);
});
