/**
 * The whole engine on the local connection, with a playbook that uses every keyword
 * (examples/local.yaml): apply, apply again (nothing changes), and --check on a fresh
 * directory (reports changes, leaves the tree byte for byte as it was).
 */
import test from 'ava';
import { mkdtempSync, readdirSync, lstatSync, readFileSync, readlinkSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_DIR, runEngine, total } from '../helpers/quorum.js';

const playbookFile = join(PROJECT_DIR, 'examples/local.yaml');
const inventoryFile = join(PROJECT_DIR, 'examples/inventory.local.yaml');

/** Every path under dir with its type, mode and content (or link target). */
function snapshot(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out.push(`${p} link ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.push(`${p} dir ${mode}`);
        walk(p);
      } else out.push(`${p} file ${mode} ${readFileSync(p).toString('base64')}`);
    }
  };
  walk(dir);
  return out;
}

test.serial('apply, then apply again: the second run changes nothing', async (t) => {
  const workdir = mkdtempSync(join(tmpdir(), 'quorum-e2e-'));
  const first = await runEngine({ playbookFile, inventoryFile, extraVars: { workdir } });
  t.is(first.summary.exitCode, 0, JSON.stringify(first.summary.recap));
  t.true(total(first.summary, 'changed') > 0);
  for (const host of ['node-a', 'node-b']) {
    const recap = first.summary.recap[host]!;
    t.is(recap.failed, 0);
    t.is(recap.rescued, 1, `${host}: the block's failure was rescued`);
    t.is(recap.ignored, 1, `${host}: ignore_errors counted`);
    t.true(existsSync(join(workdir, host, 'reloaded')), `${host}: the handler ran`);
    t.regex(readFileSync(join(workdir, host, 'conf/app.conf'), 'utf8'), new RegExp(`on ${host} \\(`));
    t.is((lstatSync(join(workdir, host, 'conf/token')).mode & 0o777).toString(8), '600');
  }
  t.true(existsSync(join(workdir, 'node-a/primary')));
  t.false(existsSync(join(workdir, 'node-b/primary')), 'when: skipped it on the secondary');
  const secretShown = first.events.some((e) => JSON.stringify(e).includes('s3cr3t'));
  t.false(secretShown, 'no_log content never reaches a reporter');

  const before = snapshot(workdir);
  const second = await runEngine({ playbookFile, inventoryFile, extraVars: { workdir } });
  t.is(second.summary.exitCode, 0);
  t.is(total(second.summary, 'changed'), 0, JSON.stringify(second.results().filter((r) => r.status === 'changed')));
  t.deepEqual(snapshot(workdir), before);
});

test.serial('--check on a fresh directory reports changes and touches nothing', async (t) => {
  const workdir = join(mkdtempSync(join(tmpdir(), 'quorum-e2e-check-')), 'fresh');
  const parent = join(workdir, '..');
  const before = snapshot(parent);
  const run = await runEngine({ playbookFile, inventoryFile, extraVars: { workdir }, check: true, detailedExitCode: true });
  t.deepEqual(snapshot(parent), before);
  t.true(run.summary.changesPending);
  t.is(run.summary.exitCode, 10);
  const planned = run.results('the app config, from a template', 'node-a')[0];
  t.is(planned?.status, 'changed');
  t.true((planned?.diffs.length ?? 0) > 0, 'a diff of the content that would be written');
});
