/**
 * The `quorum` executable (dist/bundle/quorum.cjs, runner/launch.ts): the bundle runs, V8's
 * code cache is written once, reused, replaced when V8 rejects it, and never in the way: off by
 * QUORUM_NO_COMPILE_CACHE=1, and a cache directory that cannot be written costs nothing but speed.
 * Needs `npm run build` (npm test builds before the unit suite).
 */
import test from 'ava';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile, execFileSync } from 'node:child_process';
import { PROJECT_DIR, runBuiltCli } from '../helpers/quorum.js';
import { cacheKey, decodeCache, decodeCacheFile, encodeCache, sourceDigest } from '../../runner/launch/code-cache.js';
import { FIRST_WRITE } from '../../runner/launch/code-cache-policy.js';
import { LAUNCHER_V8_FLAGS } from '../../runner/launch/v8-flags.js';

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

test('the built executable runs; --version writes a cache, a run writes the run cache, later runs of the same command reuse it without rewriting it', async (t) => {
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
  const record = () => decodeCacheFile(readFileSync(file), sourceDigest(readFileSync(MAIN)))?.record;
  t.deepEqual(record(), FIRST_WRITE);

  // The same command again: at most one probe (code-cache-policy.ts), which finds nothing to add
  // and remembers so; after it, an accepted cache is left alone.
  const second = await runBuiltCli(SYNTAX_CHECK, { env });
  t.is(second.code, 0, second.stderr);
  t.is(second.stdout, first.stdout);
  t.true(record()!.writes <= 2, `writes ${record()!.writes}`);
  const settled = statSync(file).mtimeMs;
  for (let i = 0; i < 2; i++) {
    const again = await runBuiltCli(SYNTAX_CHECK, { env });
    t.is(again.code, 0, again.stderr);
    t.is(again.stdout, first.stdout);
  }
  t.is(statSync(file).mtimeMs, settled, 'an accepted cache is not rewritten once the runs compile nothing new');
});

test('a run that takes a path its cache did not hold writes the cache again, holding more; the same run again leaves it alone', async (t) => {
  const home = cacheHome();
  const env = { XDG_CACHE_HOME: home };
  const tiny = join(home, 'tiny.yaml');
  writeFileSync(tiny, '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: { msg: hi }\n');
  t.is((await runBuiltCli(['run', tiny, '--syntax-check'], { env })).code, 0);
  const file = join(home, 'quorum', cacheFiles(home).find((f) => f.endsWith('.run.v8cache'))!);
  const read = () => decodeCacheFile(readFileSync(file), sourceDigest(readFileSync(MAIN)))!;
  const first = read();
  t.deepEqual(first.record, FIRST_WRITE);
  // A dry run of the richest example compiles the loader's, the engine's and the modules' code.
  const check = ['run', PLAYBOOK, '-i', join(PROJECT_DIR, 'examples/inventory.local.yaml'), '-e', `workdir=${join(home, 'work')}`, '--check'];
  const r = await runBuiltCli(check, { env });
  t.is(r.code, 0, r.stderr);
  const second = read();
  t.is(second.record.writes, 2);
  t.true(second.data.length > first.data.length * 1.1, `${first.data.length} -> ${second.data.length}`);
  t.is(statSync(file).mode & 0o777, 0o600);
  // Again: at most one probe that finds nothing new, then the cache is left alone.
  t.is((await runBuiltCli(check, { env })).code, 0);
  t.true(read().record.writes <= 3);
  const settled = statSync(file).mtimeMs;
  t.is((await runBuiltCli(check, { env })).code, 0);
  t.is(statSync(file).mtimeMs, settled, 'its paths are cached now: no rewrite');
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

// ---------------------------------------------------------------------------------------------
// The code cache is code (issue 13, item 3): a cache made from any other script of the bundle's
// length would run instead of quorum. These tests forge one (a script that writes a marker file)
// and plant it wherever the launcher could look.

const MAIN = join(PROJECT_DIR, 'dist/bundle/main.cjs');

/**
 * V8 code cache data for a script of exactly the bundle's wrapped length that writes `marker`
 * when the launcher calls it. Made in a child Node, with the launcher's V8 flags (V8 rejects a
 * cache made under other flags); the function is called there once (with a harmless require) so
 * that its code is in the cache.
 */
function forgeCache(marker: string): { data: Buffer; digest: Buffer } {
  const wrapped = Module.wrap(readFileSync(MAIN, 'utf8').replace(/^#!.*/, ''));
  const body = `(function (exports, require) { require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'forged cache ran'); })`;
  const evil = body + `/*${'x'.repeat(wrapped.length - body.length - 4)}*/`;
  if (evil.length !== wrapped.length) throw new Error('forged script has the wrong length');
  const evilFile = join(mkdtempSync(join(tmpdir(), 'quorum-forge-')), 'evil.js');
  writeFileSync(evilFile, evil);
  const generator = [
    `for (const flag of ${JSON.stringify(LAUNCHER_V8_FLAGS)}) require('node:v8').setFlagsFromString(flag);`,
    "const vm = require('node:vm');",
    `const s = new vm.Script(require('node:fs').readFileSync(process.argv[1], 'utf8'), { filename: ${JSON.stringify(MAIN)} });`,
    's.runInThisContext()({}, () => ({ writeFileSync() {} }));',
    'process.stdout.write(s.createCachedData());',
  ].join('\n');
  const data = execFileSync('node', ['-e', generator, evilFile], { maxBuffer: 64 * 1024 * 1024 });
  return { data, digest: sourceDigest(Buffer.from(evil)) };
}

/** The names a launcher, old or new, reads its cache from for this bundle. */
function cacheNames(): { legacy: string[]; current: string[] } {
  const info = statSync(MAIN);
  const legacyKey = `main-${process.version}-${info.size}-${Math.floor(info.mtimeMs)}`;
  const key = cacheKey(sourceDigest(readFileSync(MAIN)));
  return { legacy: [`${legacyKey}.run.v8cache`, `${legacyKey}.other.v8cache`], current: [`${key}.run.v8cache`, `${key}.other.v8cache`] };
}

async function versionRun(home: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return runBuiltCli(['--version'], { env: { XDG_CACHE_HOME: home } });
}

test('a cache compiled from another script of the same length is never run, whatever name it is planted under', async (t) => {
  const home = cacheHome();
  const dir = join(home, 'quorum');
  mkdirSync(dir, { mode: 0o700 });
  const marker = join(home, 'FORGED-RAN');
  const forged = forgeCache(marker);
  const names = cacheNames();
  // Raw V8 data under the size-and-date names, and under the content-keyed names both raw and
  // with a well-formed header that names the script it was really compiled from.
  for (const name of names.legacy) writeFileSync(join(dir, name), forged.data, { mode: 0o600 });
  writeFileSync(join(dir, names.current[0]!), forged.data, { mode: 0o600 });
  writeFileSync(join(dir, names.current[1]!), encodeCache(forged.digest, forged.data), { mode: 0o600 });
  const r = await versionRun(home);
  t.false(existsSync(marker), 'the forged cache ran instead of quorum');
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /^\d+\.\d+\.\d+/);
});

test('a forged cache that passes every content check runs only from a directory and file only this user can write: refused otherwise', async (t) => {
  const names = cacheNames();
  const plant = (home: string): { dir: string; marker: string } => {
    const dir = join(home, 'quorum');
    mkdirSync(dir, { mode: 0o700, recursive: true });
    const marker = join(home, 'FORGED-RAN');
    const forged = forgeCache(marker);
    // Headed with the real bundle's digest: only the place it lives in can tell it apart.
    for (const name of names.current) writeFileSync(join(dir, name), encodeCache(sourceDigest(readFileSync(MAIN)), forged.data), { mode: 0o600 });
    return { dir, marker };
  };

  // The control: in the user's own 0700 directory the forgery runs, so the refusals below mean something.
  const control = cacheHome();
  const planted = plant(control);
  await versionRun(control);
  t.true(existsSync(planted.marker), 'control: a forged cache in a private directory is run (the checks below are what stops it)');

  const cases: Array<[string, (dir: string) => void]> = [
    ['directory owned by another user', (dir) => chownSync(dir, 65534, 65534)],
    ['directory writable by everyone', (dir) => chmodSync(dir, 0o777)],
    ['directory writable by its group', (dir) => chmodSync(dir, 0o770)],
    ['files owned by another user', (dir) => names.current.forEach((n) => chownSync(join(dir, n), 65534, 65534))],
    ['files writable by others', (dir) => names.current.forEach((n) => chmodSync(join(dir, n), 0o666))],
    [
      'files are links to the forgery elsewhere',
      (dir) =>
        names.current.forEach((n) => {
          renameSync(join(dir, n), join(dir, '..', n));
          symlinkSync(join(dir, '..', n), join(dir, n));
        }),
    ],
    [
      'the directory is a link to a private directory',
      (dir) => {
        renameSync(dir, `${dir}.real`);
        symlinkSync(`${dir}.real`, dir);
      },
    ],
  ];
  for (const [what, spoil] of cases) {
    const home = cacheHome();
    const { dir, marker } = plant(home);
    spoil(dir);
    const before = readdirSync(dir).sort();
    const r = await versionRun(home);
    t.false(existsSync(marker), `${what}: the forged cache ran`);
    t.is(r.code, 0, `${what}: ${r.stderr}`);
    t.regex(r.stdout, /^\d+\.\d+\.\d+/, what);
    if (!what.startsWith('files')) t.deepEqual(readdirSync(dir).sort(), before, `${what}: nothing is written into a directory others control`);
  }
});

test('a cache altered or cut short is ignored and rewritten; the header binds it to the bundle\'s bytes', async (t) => {
  const home = cacheHome();
  t.is((await versionRun(home)).code, 0);
  const file = join(home, 'quorum', cacheNames().current[1]!);
  const good = readFileSync(file);
  t.truthy(decodeCache(good, sourceDigest(readFileSync(MAIN))), 'the launcher writes a cache the checks accept');
  t.is(decodeCache(good, sourceDigest(Buffer.concat([readFileSync(MAIN), Buffer.from(' ')]))), undefined, 'another bundle text does not match');
  for (const spoiled of [good.subarray(0, good.length - 1000), Buffer.concat([good.subarray(0, good.length - 1), Buffer.from([good[good.length - 1]! ^ 1])])]) {
    writeFileSync(file, spoiled);
    const r = await versionRun(home);
    t.is(r.code, 0, r.stderr);
    t.truthy(decodeCache(readFileSync(file), sourceDigest(readFileSync(MAIN))), 'rewritten whole');
  }
});
