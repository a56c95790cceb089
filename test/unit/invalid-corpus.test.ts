/**
 * The invalid-input corpus: every file in test/fixtures/invalid/*.yaml is a broken playbook whose
 * leading `# expect: FILE:LINE:COL  /pointer  message` lines list, in order, every problem the
 * loader plus the static check must report (FILE relative to the corpus directory).
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPlaybook } from '../../runner/load/playbook.js';
import { staticCheck } from '../../runner/load/static-check.js';
import { ConfigError, formatProblem } from '../../runner/errors.js';

const corpus = fileURLToPath(new URL('../fixtures/invalid', import.meta.url));
/** Stands in for the inventory's variables (the engine passes the real ones). */
const inventoryVars = new Set(['etcd_data_dir']);

/** Every problem for a playbook: load errors, or if it loads, the static check's. */
function collectProblems(file: string): string[] {
  try {
    return staticCheck(loadPlaybook(file), inventoryVars).map(formatProblem);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map(formatProblem);
    throw err;
  }
}

function readExpectations(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('# expect: '))
    .map((line) => line.slice('# expect: '.length));
}

const fixtures = readdirSync(corpus).filter((f) => f.endsWith('.yaml')).sort();

test('the corpus has at least 30 invalid playbooks', (t) => {
  t.true(fixtures.length >= 30, `only ${fixtures.length} fixtures`);
});

for (const name of fixtures) {
  test(`invalid: ${name}`, (t) => {
    const file = join(corpus, name);
    const expected = readExpectations(file);
    t.true(expected.length > 0, 'a fixture must expect at least one problem');
    const actual = collectProblems(file).map((line) => line.split(`${corpus}/`).join(''));
    t.deepEqual(actual, expected);
  });
}
