/**
 * Reading a play's paths ahead (runner/strategy/prefetch.ts) over real SSH, sudo and the host's
 * own /bin/sh and coreutils: on a re-run, every path of the play is read by one sha256sum on
 * the host, not one per file task. Counted on the host by a sha256sum in /usr/local/bin (first
 * in sudo's secure_path) that logs each run and then runs the real one; it is removed after.
 * A batch that failed on the host would be silent by design (each task reads its own path), so
 * only a count on the host can tell that reading ahead happens there.
 */
import test from 'ava';
import { join } from 'node:path';
import { labHosts, sshExec, type LabHost } from '../helpers/lab.js';
import { runBuiltCli, PROJECT_DIR } from '../helpers/quorum.js';
import { createTempInventoryDir, toInventoryEntry } from '../helpers/inventory.js';

const host = labHosts('spare').at(-1);
const BASE = `/opt/quorum-read-ahead-${process.pid}`;
const WRAPPER = '/usr/local/bin/sha256sum';
const LOG = `/tmp/quorum-read-ahead-${process.pid}.log`;
const temp = createTempInventoryDir('quorum-read-ahead-');

async function sh(h: LabHost, command: string): Promise<string> {
  const r = await sshExec(h, command);
  if (r.code !== 0) throw new Error(`${h.name}: \`${command}\` exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

test.before(() => {
  if (!host) throw new Error('the lab has no spare host: run `node --import=tsx runner/cli.ts lab up --hosts 6`');
});

test.after.always(async () => {
  if (host) await sshExec(host, `sudo -n rm -rf ${BASE} ${WRAPPER} ${LOG}`);
  temp.remove();
});

test('a re-run reads every path of the play with one sha256sum on the host, and changes nothing', async (t) => {
  const inventory = temp.write('inventory.yaml', { nodes: [toInventoryEntry(host!)] });
  const run = () => runBuiltCli(['run', join(PROJECT_DIR, 'test/fixtures/playbooks/lab/read-ahead.yaml'), '-i', inventory, '-e', `base=${BASE}`, '-o', 'plain', '--no-color']);
  const first = await run();
  t.is(first.code, 0, first.stderr);
  t.regex(first.stdout, /changed=4\b/);

  await sh(host!, `printf '#!/bin/sh\\necho run >> ${LOG}\\nexec /usr/bin/sha256sum "$@"\\n' | sudo -n tee ${WRAPPER} >/dev/null && sudo -n chmod 0755 ${WRAPPER}`);
  const second = await run();
  t.is(second.code, 0, second.stderr);
  t.regex(second.stdout, /changed=0\b/);
  const runs = (await sh(host!, `sudo -n cat ${LOG} 2>/dev/null || true`)).split('\n').filter(Boolean).length;
  t.is(runs, 1, 'three files, one sha256sum: the paths were read ahead in one command');
});
