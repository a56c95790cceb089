/**
 * The launcher loads Node's built-ins before it sets V8 flags (runner/launch/v8-flags.ts): a
 * built-in first required after the flags change loses Node's embedded code cache and is compiled
 * from source on every run. These tests keep the lists whole as the bundle's imports change.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isBuiltin as nodeIsBuiltin } from 'node:module';
import { join } from 'node:path';
import { PROJECT_DIR } from '../helpers/quorum.js';
import { BUILTINS_OF_A_RUN, BUILTINS_OF_EVERY_COMMAND, LAUNCHER_V8_FLAGS, setLauncherV8Flags } from '../../runner/launch/v8-flags.js';

test('built-ins are loaded before any flag is set, the run-only ones only for `run`', (t) => {
  const calls: string[] = [];
  const load = (id: string) => calls.push(`load ${id}`);
  const setFlag = (flag: string) => calls.push(`flag ${flag}`);
  setLauncherV8Flags('run', load, setFlag);
  const firstFlag = calls.findIndex((c) => c.startsWith('flag '));
  t.is(firstFlag, BUILTINS_OF_EVERY_COMMAND.length + BUILTINS_OF_A_RUN.length);
  t.deepEqual(calls.slice(firstFlag), LAUNCHER_V8_FLAGS.map((f) => `flag ${f}`));
  calls.length = 0;
  setLauncherV8Flags('--version', load, setFlag);
  t.false(calls.some((c) => BUILTINS_OF_A_RUN.some((id) => c === `load node:${id}`)));
  t.is(calls.filter((c) => c.startsWith('load ')).length, BUILTINS_OF_EVERY_COMMAND.length);
});

test('every built-in the bundle requires is in Node start-up already or in a preload list', (t) => {
  const bundle = readFileSync(join(PROJECT_DIR, 'dist', 'bundle', 'main.cjs'), 'utf8');
  const required = new Set([...bundle.matchAll(/require\("(?:node:)?([a-z_/]+)"\)/g)].map((m) => m[1]!));
  // What a bare Node has loaded before any user code runs (its start-up snapshot).
  const atStart = new Set(
    execFileSync(process.execPath, ['-p', "process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)).join(' ')"], { encoding: 'utf8' })
      .trim()
      .split(' '),
  );
  const listed = new Set<string>([...BUILTINS_OF_EVERY_COMMAND, ...BUILTINS_OF_A_RUN]);
  const builtins = [...required].filter((id) => !id.includes('/') || id === 'fs/promises' || id === 'timers/promises' || id === 'stream/promises' || id === 'readline/promises');
  const missing = builtins.filter((id) => isBuiltin(id) && !atStart.has(id) && !listed.has(id));
  t.deepEqual(missing, [], `add these to runner/launch/v8-flags.ts: ${missing.join(', ')}`);
});

function isBuiltin(id: string): boolean {
  return nodeIsBuiltin(id);
}
