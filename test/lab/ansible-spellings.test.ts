/**
 * A playbook in Ansible's spellings (test/fixtures/playbooks/lab/ansible-spellings/site.yml:
 * FQCN names, key=value, yes/no, unquoted 0755, remote_user, become_user, environment,
 * with_items/with_dict/with_fileglob, when lists, hostvars in a condition) on the lab's real
 * hosts through the built CLI: the first run does the work, the second changes nothing, and
 * `--check` after it reports nothing pending. The inventory names no ansible_user, so the
 * play's remote_user is what logs in. What is on the hosts is read with the system ssh client.
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { labHosts, rootSh } from '../helpers/lab.js';
import { createTempInventoryDir } from '../helpers/inventory.js';
import { runBuiltCli, PROJECT_DIR } from '../helpers/quorum.js';
import type { RunEvent } from '../../runner/report/events.js';

type TaskHostEvent = Extract<RunEvent, { kind: 'task:host' }>;

const PLAYBOOK = join(PROJECT_DIR, 'test/fixtures/playbooks/lab/ansible-spellings/site.yml');
const ROOT = '/opt/quorum-spellings';
const hosts = labHosts('etcd');
const temp = createTempInventoryDir('quorum-spellings-');

/** The lab hosts without ansible_user (and without ansible_become): the play says both. */
function writeInventory(): string {
  const entries = Object.fromEntries(
    hosts.map((h) => [h.name, { ansible_host: h.address, ansible_ssh_private_key_file: h.keyFile, quorum_known_hosts: h.knownHostsFile }]),
  );
  const file = join(temp.dir, 'inventory.yaml');
  writeFileSync(file, stringify({ all: { children: { etcd: { hosts: entries } } } }));
  return file;
}

async function run(inventory: string, ...args: string[]) {
  const r = await runBuiltCli(['run', PLAYBOOK, '-i', inventory, '-o', 'json', ...args]);
  const events = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as RunEvent);
  const results = events.filter((e): e is TaskHostEvent => e.kind === 'task:host');
  const changed = results.filter((e) => e.status === 'changed').map((e) => `${e.host}: ${e.task}${e.item ? ` (${e.item})` : ''}`);
  const failed = results.filter((e) => e.status === 'failed').map((e) => `${e.host}: ${e.task}: ${e.msg}`);
  return { ...r, results, changed, failed };
}

test.before(async () => {
  await Promise.all(hosts.map((h) => rootSh(h, `rm -rf ${ROOT}`)));
});

test.after.always(async () => {
  await Promise.all(hosts.map((h) => rootSh(h, `rm -rf ${ROOT}`).catch(() => undefined)));
  temp.remove();
});

test.serial('first run does the work, second changes nothing, --check after reports nothing pending', async (t) => {
  const inventory = writeInventory();
  const first = await run(inventory);
  t.is(first.code, 0, `${first.failed.join('\n')}\n${first.stderr}`);
  t.deepEqual(first.failed, []);
  t.true(first.changed.length >= 3 * 9, first.changed.join('\n'));

  for (const h of hosts) {
    const modes = await rootSh(h, `cd ${ROOT} && stat -c '%n %a %U' . conf logs cache data conf/alice.uid conf/app.conf conf/log.conf`);
    t.deepEqual(modes.trim().split('\n'), [
      '. 755 root', 'conf 750 root', 'logs 750 root', 'cache 750 root', 'data 700 ubuntu',
      'conf/alice.uid 640 root', 'conf/app.conf 644 root', 'conf/log.conf 644 root',
    ], `${h.name}: unquoted 0755/0750/0640 are those modes; key=value owner`);
    t.is(await rootSh(h, `cat ${ROOT}/conf/bob.uid`), 'uid 2002\n', 'with_dict: item.key, item.value');
    t.is(await rootSh(h, `cat ${ROOT}/conf/app.conf`), 'listen = 8080\n', 'with_fileglob: from files/ beside the playbook');
    t.is(await rootSh(h, `ls ${ROOT}/conf | grep -c README || true`), '0\n', 'only *.conf');
    // become_user ran it as the lab user; the environment arrived as values, $(...) not run.
    t.is(await rootSh(h, `cat ${ROOT}/data/stamp; stat -c ' %U' ${ROOT}/data/stamp`), `ubuntu|from the play|it's ${h.name} $(hostname) ubuntu\n`);
    const first_host = (await rootSh(h, `test -e ${ROOT}/conf/first-host && echo yes || echo no`)).trim();
    t.is(first_host, h.name === hosts[0]!.name ? 'yes' : 'no', `${h.name}: when list, all must hold`);
  }

  const second = await run(inventory);
  t.is(second.code, 0, second.failed.join('\n'));
  t.deepEqual(second.changed, [], 'second run: changed=0');

  const check = await run(inventory, '--check', '--detailed-exitcode');
  t.deepEqual(check.failed, [], 'the read of the stamp is skipped in check mode and registers rc 0: the when list still holds');
  t.deepEqual(check.changed, []);
  t.is(check.code, 0, '--detailed-exitcode: nothing pending');
});
