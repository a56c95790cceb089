/**
 * The `quorum` executable (dist/bundle/quorum.cjs, runner/launch.ts): the bundle runs, V8's
 * code cache is written once, reused, replaced when V8 rejects it, and never in the way: off by
 * QUORUM_NO_COMPILE_CACHE=1, and a cache directory that cannot be written costs nothing but speed.
 * Needs `npm run build` (npm test builds before the unit suite).
 */
import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { PROJECT_DIR, runBuiltCli } from '../helpers/quorum.js';

const PLAYBOOK = join(PROJECT_DIR, 'examples/local.yaml');
/** A full load and static check of the richest example, touching no host. */
const SYNTAX_CHECK = ['run', PLAYBOOK, '-i', join(PROJECT_DIR, 'examples/inventory.local.yaml'), '-e', 'workdir=/tmp/quorum-launcher-test', '--syntax-check'];

/** `node dist/bundle/quorum.cjs ARGS`: Node runs the file itself, without the sh header. */
function runNodeDirectly(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(PROJECT_DIR, 'dist/bundle/quorum.cjs'), ...args], { env: { ...process.env, ...env } }, (err, _stdout, stderr) => {
      resolve({ code: err ? Number(err.code ?? 1) : 0, stderr });
    });
  });
}

function cacheHome(): string {
  return mkdtempSync(join(tmpdir(), 'quorum-cache-'));
}

function cacheFiles(home: string): string[] {
  try {
    return readdirSync(join(home, 'quorum')).sort();
  } catch {
    return [];
  }
}

test('the built executable runs; --version writes a cache, a run writes the run cache once, later runs reuse it', async (t) => {
  const home = cacheHome();
  const env = { XDG_CACHE_HOME: home };
  const pkg = JSON.parse(readFileSync(join(PROJECT_DIR, 'package.json'), 'utf8')) as { version: string };
  const version = await runBuiltCli(['--version'], { env });
  t.is(version.code, 0, version.stderr);
  t.is(version.stdout.trim(), pkg.version);
  t.deepEqual(cacheFiles(home).map((f) => f.replace(/^.*\.(\w+)\.v8cache$/, '$1')), ['other']);

  const first = await runBuiltCli(SYNTAX_CHECK, { env });
  t.is(first.code, 0, first.stderr);
  const runCache = cacheFiles(home).find((f) => f.endsWith('.run.v8cache'));
  t.truthy(runCache, 'a run writes its own cache');
  const file = join(home, 'quorum', runCache!);
  t.is(statSync(file).mode & 0o777, 0o600);
  const written = statSync(file).mtimeMs;

  const second = await runBuiltCli(SYNTAX_CHECK, { env });
  t.is(second.code, 0, second.stderr);
  t.is(second.stdout, first.stdout);
  t.is(statSync(file).mtimeMs, written, 'an accepted cache is not rewritten');
});

test('a cache V8 rejects is replaced, and the run is unaffected', async (t) => {
  const home = cacheHome();
  const env = { XDG_CACHE_HOME: home };
  t.is((await runBuiltCli(SYNTAX_CHECK, { env })).code, 0);
  const file = join(home, 'quorum', cacheFiles(home).find((f) => f.endsWith('.run.v8cache'))!);
  writeFileSync(file, 'not a V8 code cache');
  const r = await runBuiltCli(SYNTAX_CHECK, { env });
  t.is(r.code, 0, r.stderr);
  t.not(readFileSync(file, 'utf8').slice(0, 19), 'not a V8 code cache');
  t.true(statSync(file).size > 100_000, 'a real cache again');
});

test('QUORUM_NO_COMPILE_CACHE=1 writes nothing; an unwritable cache directory does not fail the run', async (t) => {
  const home = cacheHome();
  const off = await runBuiltCli(SYNTAX_CHECK, { env: { XDG_CACHE_HOME: home, QUORUM_NO_COMPILE_CACHE: '1' } });
  t.is(off.code, 0, off.stderr);
  t.deepEqual(cacheFiles(home), []);
  // A file where the directory should be: mkdir fails, the run does not.
  const blocked = join(cacheHome(), 'file');
  writeFileSync(blocked, '');
  const r = await runBuiltCli(SYNTAX_CHECK, { env: { XDG_CACHE_HOME: blocked } });
  t.is(r.code, 0, r.stderr);
  t.is(r.stderr, '');
});

test('NODE_EXTRA_CA_CERTS is deferred by the #!/bin/sh header: Node does not parse it at start-up, commands quorum runs get it back unchanged', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-extra-ca-'));
  // A file Node cannot load: Node warns on start-up when it reads it, so silence proves deferral.
  const missing = join(dir, 'no such bundle.pem');
  const playbook = join(dir, 'env.yaml');
  writeFileSync(
    playbook,
    [
      '- hosts: localhost',
      '  gather_facts: false',
      '  tasks:',
      '    - name: environment of a command',
      '      command: sh -c \'printf "[%s][%s]" "$NODE_EXTRA_CA_CERTS" "${QUORUM_DEFERRED_EXTRA_CA_CERTS-unset}"\'',
      '      register: seen',
      '    - debug: { var: seen.stdout }',
      '',
    ].join('\n'),
  );
  const r = await runBuiltCli(['run', playbook, '-o', 'plain', '--no-color'], { env: { NODE_EXTRA_CA_CERTS: missing } });
  t.is(r.code, 0, r.stderr + r.stdout);
  t.notRegex(r.stderr, /Ignoring extra certs/);
  t.true(r.stdout.includes(`[${missing}][unset]`), r.stdout);

  // Started by Node directly, the header is a comment and Node reads the variable as usual.
  const direct = await runNodeDirectly(['--version'], { NODE_EXTRA_CA_CERTS: missing });
  t.regex(direct.stderr, /Ignoring extra certs from `.*no such bundle\.pem`/);
});
