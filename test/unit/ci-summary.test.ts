/**
 * .ci/run's last line, "N passed, N failed", computed by its `summarize` function from the log of
 * `npm test` (scripts/test-all.sh). Stages that failed without a test result (typecheck, build,
 * a lab that did not start, ava killed before its summary) must count as failures: before, such
 * a log summed to "450 passed, 0 failed".
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_DIR } from '../helpers/quorum.js';

const ciRun = readFileSync(join(PROJECT_DIR, '.ci/run'), 'utf8');
const summarizeFunction = /^summarize\(\) \{[\s\S]*?^\}$/m.exec(ciRun)?.[0];

function summarize(log: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-ci-summary-'));
  try {
    writeFileSync(join(dir, 'log'), log);
    return execFileSync('bash', ['-c', `${summarizeFunction}\nsummarize "$1"`, 'summarize', join(dir, 'log')], { encoding: 'utf8' }).trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The markers scripts/test-all.sh prints around each stage. */
const started = (name: string) => `npm test: stage started: ${name}\n`;
const failed = (name: string) => `npm test: stage failed: ${name}\n`;

test('.ci/run has a summarize function and test-all.sh prints the stage markers it reads', (t) => {
  t.truthy(summarizeFunction);
  const testAll = readFileSync(join(PROJECT_DIR, 'scripts/test-all.sh'), 'utf8');
  t.true(testAll.includes('echo "npm test: stage started: $name"'));
  t.true(testAll.includes('echo "npm test: stage failed: $name"'));
  for (const stage of ['typecheck', 'build', 'test:unit', 'lab:up', 'test:lab']) t.regex(testAll, new RegExp(`stage ${stage} npm run ${stage}`));
});

test('a typecheck error, a failed build and a lab that did not start are failures', (t) => {
  const log = started('typecheck') + 'runner/x.ts(1,1): error TS2322\n' + failed('typecheck') + started('build') + failed('build')
    + started('test:unit') + '  ✔ a\n  450 tests passed\n' + started('lab:up') + failed('lab:up');
  t.is(summarize(log), '450 passed, 3 failed (stages that failed without a test result: typecheck build lab:up)');
});

test('an ava run that failed is counted once, by its own result line', (t) => {
  const log = started('test:unit') + '  ✔ a\n  ✔ b\n  ✘ c\n  1 test failed\n' + failed('test:unit') + started('lab:up') + started('test:lab') + '  ✔ x\n  3 tests passed\n';
  t.is(summarize(log), '5 passed, 1 failed');
});

test('a test file that crashed on load is a failure', (t) => {
  t.is(summarize(started('test:unit') + '  ✔ a\n  51 tests passed\n  1 uncaught exception\n' + failed('test:unit')), '51 passed, 1 failed');
});

test('an ava run that ended without its summary (killed, crashed) is a failure', (t) => {
  t.is(summarize(started('test:unit') + '  ✔ a\n  ✔ b\n' + failed('test:unit')), '2 passed, 1 failed (stages that failed without a test result: test:unit)');
});

test('all stages passing: no failure', (t) => {
  t.is(summarize(started('typecheck') + started('test:unit') + '  ✔ a\n  2 tests passed\n' + started('test:lab') + '  1 test passed\n'), '3 passed, 0 failed');
});
