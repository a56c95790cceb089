/**
 * Roles and includes on real hosts, through the built executable: the playbook of
 * test/fixtures/roles/site, copied alone into a temporary directory so that its two roles are
 * found through --roles-path (webapp depends on base in meta/main.yml; base's default
 * `base_motd_owner` is overridden by the inventory for one host; each role has a handler;
 * webapp runs include_tasks in a loop with loop_control.loop_var and include_role with
 * tasks_from). First run: changes, handlers run; second run: changed=0; --check after it:
 * nothing pending (exit 0 with --detailed-exitcode). Every verdict is read from the hosts
 * with the system ssh client.
 */
import test from 'ava';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { PROJECT_DIR, runBuiltCli } from '../helpers/quorum.js';
import { labHosts, labInventoryPath, rootSh as sh } from '../helpers/lab.js';

const hosts = labHosts('all').slice(0, 3);
const fixture = join(PROJECT_DIR, 'test/fixtures/roles/site');
const work = mkdtempSync(join(tmpdir(), 'quorum-roles-'));
const playbook = join(work, 'site.yaml');
const inventoryFile = join(work, 'inventory.yaml');
const ROOT = '/var/tmp/quorum-roles-lab';
const run = (...extra: string[]) => runBuiltCli(['run', playbook, '-i', inventoryFile, '--roles-path', join(fixture, 'roles'), '-e', `root=${ROOT}`, ...extra]);

/** The PLAY RECAP's `changed=N` of every host, from the plain output. */
function changedCounts(stdout: string): number[] {
  return [...stdout.matchAll(/changed=(\d+)/g)].map((m) => Number(m[1]));
}

test.before(async () => {
  if (hosts.length < 2) throw new Error(`the roles suite needs 2 lab hosts, the lab has ${hosts.length}: \`quorum lab up --hosts 3\``);
  // The playbook alone: no roles/ beside it, so they can only come from --roles-path.
  copyFileSync(join(fixture, 'site.yaml'), playbook);
  const lab = parse(readFileSync(labInventoryPath(), 'utf8'));
  const all = Object.fromEntries(hosts.map((h) => [h.name, { ...lab.all.children[labGroupOf(lab, h.name)].hosts[h.name] }]));
  // The inventory overrides base's role default for the first host only.
  all[hosts[0]!.name]!.base_motd_owner = 'inventory-owner';
  writeFileSync(inventoryFile, stringify({ all: { vars: lab.all.vars, hosts: all } }));
  await Promise.all(hosts.map((h) => sh(h, `rm -rf ${ROOT}`)));
});

test.after.always(async () => {
  await Promise.all(hosts.map((h) => sh(h, `rm -rf ${ROOT}`).catch(() => undefined)));
});

function labGroupOf(lab: { all: { children: Record<string, { hosts: Record<string, unknown> }> } }, host: string): string {
  const group = Object.entries(lab.all.children).find(([, g]) => g.hosts && host in g.hosts)?.[0];
  if (!group) throw new Error(`${host} is in no group of the lab inventory`);
  return group;
}

test.serial('first run: the roles, their dependency, includes and handlers change the hosts', async (t) => {
  const r = await run();
  t.is(r.code, 0, r.stdout + r.stderr);
  t.is(changedCounts(r.stdout).length, hosts.length, r.stdout);
  t.true(changedCounts(r.stdout).every((n) => n > 0), r.stdout);
  // Dependencies first (base), then webapp, then the play's tasks; handlers at the end.
  const order = ['TASK [base directory]', "TASK [the app's directory]", 'TASK [directory conf]', 'TASK [directory logs]', 'TASK [extra tasks of base, included with tasks_from]', "TASK [after the roles, the play's own tasks]", 'RUNNING HANDLER [base changed]', 'RUNNING HANDLER [restart app]'];
  const at = order.map((line) => r.stdout.indexOf(line));
  t.true(at.every((i) => i >= 0), `every step shown:\n${r.stdout}`);
  t.deepEqual([...at].sort((a, b) => a - b), at, 'in Ansible order');
  for (const [i, h] of hosts.entries()) {
    const owner = i === 0 ? 'inventory-owner' : 'default-owner';
    const base = `${ROOT}/${h.name}`;
    t.is(await sh(h, `cat ${base}/base/owner`), `${owner} welcome to ${h.name}\n`, 'role default, inventory override for the first host, templated default');
    t.is(await sh(h, `cat ${base}/base/motd`), readFileSync(join(fixture, 'roles/base/files/motd'), 'utf8'), 'src: found in the role\'s files/');
    t.is(await sh(h, `cat ${base}/web/conf/app.conf`), `# web on ${h.name}\nport = 8080\nowner = ${owner}\n`, "template: found in the role's templates/, role param over role default");
    t.is(await sh(h, `stat -c %a ${base}/web/conf ${base}/web/data ${base}/web/logs`), '750\n750\n750\n', 'include_tasks looped over app_dirs');
    t.is(await sh(h, `cat ${base}/base/extra-from-webapp`), 'role base\n', 'include_role tasks_from with vars');
    t.is(await sh(h, `cat ${base}/base/handled`), `handled by base for ${owner}\n`, "base's handler ran with base's variables");
    t.is(await sh(h, `cat ${base}/web/restarted`), 'restarted on port 8080\n', "webapp's handler ran");
  }
});

test.serial('second run: nothing changes, no handler runs', async (t) => {
  await Promise.all(hosts.map((h) => sh(h, `rm ${ROOT}/${h.name}/base/handled ${ROOT}/${h.name}/web/restarted`)));
  const r = await run();
  t.is(r.code, 0, r.stdout + r.stderr);
  t.deepEqual(changedCounts(r.stdout), hosts.map(() => 0), r.stdout);
  t.false(r.stdout.includes('RUNNING HANDLER'), r.stdout);
  for (const h of hosts) t.is(await sh(h, `ls ${ROOT}/${h.name}/base ${ROOT}/${h.name}/web | grep -c -e handled -e restarted || true`), '0\n');
});

test.serial('--check after it: nothing pending', async (t) => {
  const r = await run('--check', '--detailed-exitcode');
  t.is(r.code, 0, r.stdout + r.stderr);
  t.deepEqual(changedCounts(r.stdout), hosts.map(() => 0), r.stdout);
  t.regex(r.stdout, /no changes pending/);
});

test.serial('a changed role default in the inventory is a pending change, then the handler runs', async (t) => {
  const inv = parse(readFileSync(inventoryFile, 'utf8'));
  inv.all.hosts[hosts[1]!.name].base_motd_owner = 'second-owner';
  writeFileSync(inventoryFile, stringify(inv));
  const check = await run('--check', '--detailed-exitcode');
  t.is(check.code, 10, check.stdout + check.stderr);
  const r = await run();
  t.is(r.code, 0, r.stdout + r.stderr);
  t.is(await sh(hosts[1]!, `cat ${ROOT}/${hosts[1]!.name}/web/conf/app.conf`), `# web on ${hosts[1]!.name}\nport = 8080\nowner = second-owner\n`);
  t.is(await sh(hosts[1]!, `cat ${ROOT}/${hosts[1]!.name}/web/restarted`), 'restarted on port 8080\n', 'the template changed: restart app ran');
});
