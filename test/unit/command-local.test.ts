/**
 * The command module for real: gather -> plan -> applyPlan over LocalConnection in a temporary
 * directory: creates/removes, stdin, env, chdir, argv without a shell, and a failing command.
 */
import test from 'ava';
import { mkdtemp, readFile, realpath, rm, writeFile, lstat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { command } from '../../modules/command.js';
import { localModuleContext, planModule, runModule } from '../helpers/module-run.js';

async function createTempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'quorum-command-'));
}

test('creates: runs while the path is missing, then is a noop naming the path', async (t) => {
  const dir = await createTempDir();
  const ctx = localModuleContext(dir);
  const params = { cmd: 'echo built > out', chdir: dir, creates: 'out' };
  const first = await runModule(command, params, ctx);
  t.is(first.plan.unpredictable, undefined);
  t.deepEqual(first.outcome.applied, [`run echo built > out in ${dir}`]);
  t.is(await readFile(join(dir, 'out'), 'utf8'), 'built\n');
  const second = await runModule(command, params, ctx);
  t.deepEqual(second.plan.changes, []);
  t.is(second.plan.noop, `${join(dir, 'out')} exists`);
  await rm(dir, { recursive: true });
});

test('removes: runs while the path exists, then is a noop', async (t) => {
  const dir = await createTempDir();
  const marker = join(dir, 'seeded');
  await writeFile(marker, '');
  const ctx = localModuleContext(dir);
  const params = { argv: ['rm', '-f', marker], removes: marker };
  const first = await runModule(command, params, ctx);
  t.deepEqual(first.outcome.applied, [`run rm -f ${marker}`]);
  await t.throwsAsync(lstat(marker), { code: 'ENOENT' });
  const second = await runModule(command, params, ctx);
  t.is(second.plan.noop, `${marker} does not exist`);
  await rm(dir, { recursive: true });
});

test('stdin is written to the command and stdout is returned exactly', async (t) => {
  const dir = await createTempDir();
  const { outcome } = await runModule(command, { argv: ['cat'], stdin: 'line 1\n  line 2  \n' }, localModuleContext(dir));
  t.is(outcome.lastExec?.stdout.toString('utf8'), 'line 1\n  line 2  \n');
  t.is(outcome.lastExec?.exitCode, 0);
  await rm(dir, { recursive: true });
});

test('env reaches the command; chdir sets its working directory', async (t) => {
  const dir = await createTempDir();
  const { outcome } = await runModule(command, { cmd: 'printf "%s|%s" "$GREETING" "$(pwd)"', env: { GREETING: "it's a test" }, chdir: dir }, localModuleContext(dir));
  t.is(outcome.lastExec?.stdout.toString('utf8'), `it's a test|${await realpath(dir)}`);
  await rm(dir, { recursive: true });
});

test('argv runs without a shell: nothing is expanded', async (t) => {
  const dir = await createTempDir();
  const { outcome } = await runModule(command, { argv: ['printf', '%s', '$HOME * `id`'] }, localModuleContext(dir));
  t.is(outcome.lastExec?.stdout.toString('utf8'), '$HOME * `id`');
  await rm(dir, { recursive: true });
});

test('a plain string is a shell command line (pipes work)', async (t) => {
  const dir = await createTempDir();
  const { plan, outcome } = await runModule(command, 'echo abc | tr a-c x-z', localModuleContext(dir));
  t.is(plan.unpredictable, 'a command without creates or removes');
  t.is(outcome.lastExec?.stdout.toString('utf8'), 'xyz\n');
  await rm(dir, { recursive: true });
});

test('non-zero exit: ApplyOutcome.failure with the exit code and stderr', async (t) => {
  const dir = await createTempDir();
  const { outcome } = await runModule(command, { cmd: 'echo oops >&2; exit 3' }, localModuleContext(dir));
  t.deepEqual(outcome.applied, []);
  t.is(outcome.failure?.change, 'run echo oops >&2; exit 3');
  t.is(outcome.failure?.message, 'exit 3: oops');
  t.is(outcome.failure?.exec?.exitCode, 3);
  await rm(dir, { recursive: true });
});

test('check mode: gather + plan run nothing; without creates/removes the plan is unpredictable', async (t) => {
  const dir = await createTempDir();
  const ctx = { ...localModuleContext(dir), checkMode: true };
  const marker = join(dir, 'ran');
  const plan = await planModule(command, { cmd: `touch ${marker}` }, ctx);
  t.is(plan.unpredictable, 'a command without creates or removes');
  t.is(plan.changes.length, 1);
  const guarded = await planModule(command, { cmd: `touch ${marker}`, creates: marker }, ctx);
  t.is(guarded.unpredictable, undefined);
  t.deepEqual(guarded.changes.map((c) => c.describe), [`run touch ${marker}`]);
  await t.throwsAsync(lstat(marker), { code: 'ENOENT' });
  await rm(dir, { recursive: true });
});
