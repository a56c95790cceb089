/**
 * Tag selection through the linear strategy: --tags, --skip-tags, `always`, `never`, and tags
 * inherited from blocks and plays (Ansible's rules).
 */
import test from 'ava';
import { runEngine } from '../helpers/quorum.js';
import { writeScenario } from '../fixtures/playbooks/engine/scenario.js';

const PLAYBOOK = `
- hosts: nodes
  gather_facts: false
  tasks:
    - name: untagged
      debug: { msg: u }
    - name: setup
      debug: { msg: s }
      tags: [setup]
    - name: always
      debug: { msg: a }
      tags: [always]
    - name: never
      debug: { msg: n }
      tags: [never, debugging]
    - name: blocky
      tags: [config]
      block:
        - name: in block
          debug: { msg: b }
        - name: in block, setup too
          debug: { msg: b2 }
          tags: [setup]
- hosts: nodes
  gather_facts: false
  tags: [second]
  tasks:
    - name: second play task
      debug: { msg: p }
`;

/** Names of the tasks that ran on host a, in order. */
async function ranWith(opts: { tags?: string[]; skipTags?: string[] }): Promise<string[]> {
  const s = writeScenario(PLAYBOOK, { hosts: { a: {} } });
  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile, ...opts });
  return run.results(undefined, 'a').filter((e) => e.status !== 'skipped').map((e) => e.task);
}

test('no tag options: everything but `never`', async (t) => {
  t.deepEqual(await ranWith({}), ['untagged', 'setup', 'always', 'in block', 'in block, setup too', 'second play task']);
});

test('--tags setup: tagged tasks, block children inheriting nothing matching are out, always stays', async (t) => {
  t.deepEqual(await ranWith({ tags: ['setup'] }), ['setup', 'always', 'in block, setup too']);
});

test('--tags config: a block\'s tag is inherited by its tasks', async (t) => {
  t.deepEqual(await ranWith({ tags: ['config'] }), ['always', 'in block', 'in block, setup too']);
});

test('--tags second: a play\'s tag is inherited by its tasks', async (t) => {
  t.deepEqual(await ranWith({ tags: ['second'] }), ['always', 'second play task']);
});

test('--tags debugging: a `never` task runs when one of its other tags is asked for', async (t) => {
  t.deepEqual(await ranWith({ tags: ['debugging'] }), ['always', 'never']);
});

test('--skip-tags wins over --tags and over always', async (t) => {
  t.deepEqual(await ranWith({ tags: ['setup'], skipTags: ['config'] }), ['setup', 'always']);
  t.deepEqual(await ranWith({ skipTags: ['always', 'second'] }), ['untagged', 'setup', 'in block', 'in block, setup too']);
});

test('--tags untagged', async (t) => {
  t.deepEqual(await ranWith({ tags: ['untagged'] }), ['untagged', 'always']);
});

// BUG (runner/strategy/tags.ts selectedByTags): `--tags tagged` also runs `never` tasks;
// Ansible's Taggable.evaluate_tags requires 'never' not in the task's tags for `tagged`.
test('--tags tagged: every tagged task but `never` ones', async (t) => {
  t.deepEqual(await ranWith({ tags: ['tagged'] }), ['setup', 'always', 'in block', 'in block, setup too', 'second play task']);
});
