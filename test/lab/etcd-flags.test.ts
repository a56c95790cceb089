/**
 * The etcd flag spellings follow the etcd version the facts find on each host, as kubeadm's
 * getEtcdCommand follows the etcd image tag (>= 3.6.0: --feature-gates=InitialCorruptCheck=true
 * and --watch-progress-notify-interval; below: --experimental-*). Two spare hosts form group
 * `etcd` of a throw-away inventory; on one, a wrapper /usr/local/bin/etcd (ahead of the real
 * /usr/bin/etcd 3.4 on PATH) answers `etcd --version` with 3.6.5. The flagship in --check --diff
 * renders each host's unit from the real facts; nothing is applied (the 3.6 flags would stop the
 * real 3.4 binary), and the wrapper is removed after.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { PROJECT_DIR, runBuiltCli, runEngine, total } from '../helpers/quorum.js';
import { labHosts, labInventoryPath, rootSh as sh } from '../helpers/lab.js';

const [newer, older] = labHosts('spare');
const work = mkdtempSync(join(tmpdir(), 'quorum-etcd-flags-'));
const WRAPPER = '/usr/local/bin/etcd';
const playbookFile = join(PROJECT_DIR, 'playbooks/etcd-ha.yaml');

/** The lab inventory with group `etcd` made of the two spare hosts (connection vars kept). */
function writeInventory(): string {
  const lab = parse(readFileSync(labInventoryPath(), 'utf8')) as { all: { vars?: object; children?: Record<string, { hosts?: Record<string, object> }>; hosts?: Record<string, object> } };
  const hostVars = (name: string): object => {
    for (const group of Object.values(lab.all.children ?? {})) if (group.hosts?.[name]) return group.hosts[name]!;
    return lab.all.hosts?.[name] ?? {};
  };
  const file = join(work, 'inventory.yaml');
  writeFileSync(file, stringify({ all: { ...(lab.all.vars ? { vars: lab.all.vars } : {}), children: { etcd: { hosts: { [newer!.name]: hostVars(newer!.name), [older!.name]: hostVars(older!.name) } } } } }));
  return file;
}

test.before(async () => {
  // Refuse to shadow an etcd that is not ours.
  await sh(newer!, `test ! -e ${WRAPPER} || grep -q quorum-lab-wrapper ${WRAPPER}`);
  const wrapper = ['#!/bin/sh', '# quorum-lab-wrapper: etcd 3.6 as far as `etcd --version` is concerned (test/lab/etcd-flags.test.ts)', 'if [ "$1" = --version ]; then', '  echo "etcd Version: 3.6.5"; echo "Git SHA: quorum-lab-wrapper"; echo "Go Version: go1.23.0"; echo "Go OS/Arch: linux/amd64"', '  exit 0', 'fi', 'exec /usr/bin/etcd "$@"', ''].join('\n');
  // base64: the script's quotes and $ signs pass through two shells untouched.
  await sh(newer!, `echo ${Buffer.from(wrapper).toString('base64')} | base64 -d > ${WRAPPER} && chmod 0755 ${WRAPPER}`);
});

test.after.always(async () => {
  if (newer) await sh(newer, `if grep -q quorum-lab-wrapper ${WRAPPER} 2>/dev/null; then rm -f ${WRAPPER}; fi`);
  rmSync(work, { recursive: true, force: true });
});

test.serial('the real etcd --version on each host picks the flag spellings of the rendered unit (--check --diff)', async (t) => {
  t.is((await sh(newer!, 'etcd --version | head -n 1')).trim(), 'etcd Version: 3.6.5');
  t.regex((await sh(older!, 'etcd --version | head -n 1')).trim(), /^etcd Version: 3\.4\.\d+$/);
  const inventoryFile = writeInventory();
  const caDir = join(work, 'ca');
  const run = await runEngine({ playbookFile, inventoryFile, check: true, diff: true, extraVars: { etcd_runtime: 'systemd', etcd_ca_dir: caDir } });
  t.is(total(run.summary, 'failed'), 0, JSON.stringify(run.events.filter((e) => e.kind === 'task:host' && e.status === 'failed')));
  const unitOf = (host: string): string => {
    const [result] = run.results('etcd as a systemd service', host);
    t.truthy(result, `no result for ${host}`);
    return (result!.diffs ?? []).map((d) => d.after).join('\n');
  };

  const v36 = unitOf(newer!.name);
  t.regex(v36, /--feature-gates=InitialCorruptCheck=true \\\n/);
  t.regex(v36, /--trusted-ca-file=\/etc\/kubernetes\/pki\/etcd\/ca\.crt \\\n  --watch-progress-notify-interval=5s\n/);
  t.notRegex(v36, /^  --experimental-/m);

  const v34 = unitOf(older!.name);
  t.regex(v34, /--experimental-initial-corrupt-check=true \\\n  --experimental-watch-progress-notify-interval=5s \\\n/);
  t.notRegex(v34, /^  --(feature-gates|watch-progress-notify-interval)=/m);
  for (const unit of [v34, v36]) t.regex(unit, /--listen-metrics-urls=http:\/\/127\.0\.0\.1:2381 \\\n/);

  // The same through the shipped CLI's --diff output. Both hosts: with --limit to one, etcd-cluster
  // could not tell whether the other trusts a CA, and refuses to plan a new one.
  const cli = await runBuiltCli(['run', playbookFile, '-i', inventoryFile, '-e', `etcd_runtime=systemd etcd_ca_dir=${caDir}`, '--check', '--diff']);
  t.is(cli.code, 0, cli.stdout + cli.stderr);
  t.regex(cli.stdout, /\+\s*--feature-gates=InitialCorruptCheck=true/);
  t.regex(cli.stdout, /\+\s*--watch-progress-notify-interval=5s/);
});
