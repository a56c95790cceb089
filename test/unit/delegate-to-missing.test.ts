/**
 * delegate_to naming no host of the inventory. A literal name is refused before the run (the
 * invalid-input corpus: test/fixtures/invalid/cli/playbook-delegate-to-*.case); a templated one
 * is only known per host at run time, where it must fail that task, with the recap, and never
 * end the run (it ended it with exit 1 and no recap before).
 */
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runEngine, total } from '../helpers/quorum.js';

test('a templated delegate_to that names no host fails the task, not the run', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-delegate-'));
  try {
    const playbookFile = join(dir, 'playbook.yaml');
    writeFileSync(
      playbookFile,
      [
        '- hosts: localhost',
        '  gather_facts: false',
        '  vars: {target: nohost}',
        '  tasks:',
        '    - name: delegated',
        '      command: "true"',
        '      delegate_to: "{{ target }}"',
        '      ignore_errors: true',
        '    - name: after',
        '      command: "true"',
        '',
      ].join('\n'),
    );
    const run = await runEngine({ playbookFile });
    const delegated = run.results('delegated', 'localhost');
    t.is(delegated.length, 1);
    t.is(delegated[0]!.status, 'failed');
    t.regex(delegated[0]!.msg ?? '', /delegate_to: no host named 'nohost'/);
    // The run went on to the next task and ended with a recap.
    t.is(run.results('after', 'localhost')[0]?.status, 'changed');
    t.is(total(run.summary, 'ignored'), 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
