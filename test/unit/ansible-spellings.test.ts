/**
 * Ansible's spellings read as Ansible means them: FQCN module names, key=value arguments and
 * `args:`, YAML 1.1 booleans and unquoted octal modes, with_items/with_list/with_dict/
 * with_fileglob, `when` lists, environment, remote_user. The loader on files, the engine on
 * the local connection.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_DIR, runEngine, total } from '../helpers/quorum.js';
import { loadPlaybook } from '../../runner/load/playbook.js';
import { parseYamlText } from '../../runner/load/yaml.js';
import { splitArgs } from '../../runner/load/ansible-spellings.js';
import { connectionSpec } from '../../runner/inventory/connection-spec.js';
import { expandFileglob } from '../../runner/files/fileglob.js';
import type { TaskNode } from '../../runner/playbook.js';
import type { ModuleContext } from '../../runner/types.js';
import { applyPlan } from '../../runner/plan/apply.js';
import { FakeConnection, type FakeCall } from '../helpers/fake-connection.js';

const inventoryFile = join(PROJECT_DIR, 'examples/inventory.local.yaml');

function writePlaybook(text: string, dir = mkdtempSync(join(tmpdir(), 'quorum-spellings-'))): string {
  const file = join(dir, 'play.yaml');
  writeFileSync(file, text);
  return file;
}

function tasksOf(text: string): TaskNode[] {
  return loadPlaybook(writePlaybook(text)).plays[0]!.tasks as TaskNode[];
}

test('FQCN names resolve through the registry: ansible.builtin, ansible.legacy, ansible.posix', (t) => {
  const tasks = tasksOf(`
- hosts: all
  tasks:
    - ansible.builtin.file: { path: /tmp/x, state: directory }
    - ansible.legacy.command: ls
    - ansible.posix.debug: { msg: hi }
    - ansible.builtin.set_fact: { a: 1 }
`);
  t.deepEqual(tasks.map((x) => x.module), ['file', 'command', 'debug', 'set_fact']);
  t.deepEqual(tasks[0]!.args, { path: '/tmp/x', state: 'directory' });
});

test('key=value arguments: a mapping for ordinary modules, typed by the schema', (t) => {
  const [file, systemd, debug] = tasksOf(`
- hosts: all
  tasks:
    - file: path=/tmp/x state=directory mode=0755 owner="web user"
    - systemd: name=etcd enabled=yes daemon_reload=no no_block=true
    - debug: msg="{{ a }} and {{ b | default('x') }}"
`);
  t.deepEqual(file!.args, { path: '/tmp/x', state: 'directory', mode: '0755', owner: 'web user' });
  t.deepEqual(systemd!.args, { name: 'etcd', enabled: true, daemon_reload: false, no_block: true });
  t.deepEqual(debug!.args, { msg: "{{ a }} and {{ b | default('x') }}" }, 'a template is one word, spaces and all');
});

test('key=value in a command line: creates/removes/chdir/stdin come out, the rest is the command', (t) => {
  const [plain, guarded, withArgs, onlyArgs] = tasksOf(`
- hosts: all
  tasks:
    - command: ls -l /tmp
    - command: chdir=/opt creates=/opt/etcd tar xzf "/tmp/etcd 3.tgz"
    - command: make install
      args: { chdir: /src, creates: /usr/local/bin/x }
    - ansible.builtin.file:
      args: { path: /tmp/y, state: absent }
`);
  t.is(plain!.args, 'ls -l /tmp', 'a line without parameters is unchanged');
  t.deepEqual(guarded!.args, { cmd: 'tar xzf "/tmp/etcd 3.tgz"', chdir: '/opt', creates: '/opt/etcd' });
  t.deepEqual(withArgs!.args, { cmd: 'make install', chdir: '/src', creates: '/usr/local/bin/x' });
  t.deepEqual(onlyArgs!.args, { path: '/tmp/y', state: 'absent' });
});

test('splitArgs keeps quotes and templates together', (t) => {
  t.deepEqual(splitArgs(`a=1 b='x y' c="q \\"z\\"" {{ f | g('h i') }} d={{ e }}`).map((x) => [x.key, x.value ?? x.text]), [
    ['a', '1'],
    ['b', 'x y'],
    ['c', 'q "z"'],
    [undefined, "{{ f | g('h i') }}"],
    ['d', '{{ e }}'],
  ]);
});

test('YAML 1.1 as Ansible reads it: yes/no/on/off booleans and 0755 modes, quoted strings untouched', (t) => {
  const value = parseYamlText('x.yaml', 'a: yes\nb: "yes"\nc: Off\nd: 0755\ne: "0755"\nf: 0\ng: 089\nh: !!str no\nyes: key\n').value;
  t.deepEqual(value, { a: true, b: 'yes', c: false, d: '0755', e: '0755', f: 0, g: 89, h: 'no', yes: 'key' });
  const play = loadPlaybook(writePlaybook(`
- hosts: all
  gather_facts: no
  become: yes
  tasks:
    - file: { path: /tmp/x, state: directory, mode: 0750 }
      ignore_errors: yes
    - debug: { msg: "no" }
`)).plays[0]!;
  t.false(play.gather_facts);
  t.true(play.become);
  const [file, debug] = play.tasks as TaskNode[];
  t.deepEqual(file!.args, { path: '/tmp/x', state: 'directory', mode: '0750' });
  t.true(file!.keywords.ignore_errors);
  t.deepEqual(debug!.args, { msg: 'no' });
});

test('with_items, with_list, with_dict, with_fileglob and when lists run as loops on the engine', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-spellings-loops-'));
  mkdirSync(join(dir, 'files'));
  for (const name of ['b.conf', 'a.conf', 'skip.txt', '.hidden.conf']) writeFileSync(join(dir, 'files', name), name);
  mkdirSync(join(dir, 'files', 'dir.conf'));
  const playbookFile = writePlaybook(
    `
- hosts: node-a
  gather_facts: false
  vars:
    users: { alice: 1000, bob: 1001 }
    flag: yes
  tasks:
    - name: items
      debug: { msg: "{{ item }}" }
      with_items: [a, [b, c], d]
    - name: list
      debug: { msg: "{{ to_json item }}" }
      with_list: [[1, 2], [3]]
    - name: dict
      debug: { msg: "{{ item.key }}={{ item.value }}" }
      with_dict: "{{ users }}"
    - name: glob
      debug: { msg: "{{ basename item }}" }
      with_fileglob: "*.conf"
    - name: all conditions
      debug: { msg: ran }
      when: [flag, "inventory_hostname == 'node-a'"]
    - name: one false
      debug: { msg: ran }
      when: [flag, "inventory_hostname == 'node-b'"]
`,
    dir,
  );
  const run = await runEngine({ playbookFile, inventoryFile });
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().map((r) => r.msg)));
  const msgs = (task: string) => run.results(task).map((r) => r.msg);
  t.deepEqual(msgs('items'), ['a', 'b', 'c', 'd'], 'with_items flattens one level');
  t.deepEqual(msgs('list'), ['[1,2]', '[3]'], 'with_list does not');
  t.deepEqual(msgs('dict'), ['alice=1000', 'bob=1001']);
  t.deepEqual(msgs('glob'), ['a.conf', 'b.conf'], 'files only, sorted, no dot files, from files/');
  t.is(run.results('all conditions')[0]?.status, 'ok');
  t.is(run.results('one false')[0]?.status, 'skipped');
});

test('with_fileglob looks in files/ of the role or playbook above a tasks file, and globs only the name', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'quorum-glob-'));
  mkdirSync(join(root, 'roles/web/tasks'), { recursive: true });
  mkdirSync(join(root, 'roles/web/files/conf.d'), { recursive: true });
  writeFileSync(join(root, 'roles/web/files/conf.d/x.conf'), '');
  t.deepEqual(expandFileglob('conf.d/*.conf', join(root, 'roles/web/tasks'), root), [join(root, 'roles/web/files/conf.d/x.conf')]);
  t.deepEqual(expandFileglob('nothing/*.conf', join(root, 'roles/web/tasks'), root), []);
  t.throws(() => expandFileglob('*/x.conf', root, root), { message: /only the file name/ });
});

test('environment (play < task) reaches the command as values, quotes and $(...) included', async (t) => {
  const workdir = mkdtempSync(join(tmpdir(), 'quorum-spellings-env-'));
  const playbookFile = writePlaybook(`
- hosts: node-a
  gather_facts: false
  environment: { LANG_X: play, TRICKY: "it's $(touch {{ workdir }}/pwned) \`id\`" }
  tasks:
    - name: show
      command: chdir={{ workdir }} sh -c 'printf "%s|%s|%s" "$LANG_X" "$TASK_X" "$TRICKY" > out'
      environment: { TASK_X: "{{ inventory_hostname }}", LANG_X: task }
`);
  const run = await runEngine({ playbookFile, inventoryFile, extraVars: { workdir } });
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().map((r) => r.msg)));
  t.is(readFileSync(join(workdir, 'out'), 'utf8'), `task|node-a|it's $(touch ${workdir}/pwned) \`id\``);
  t.throws(() => statSync(join(workdir, 'pwned')), undefined, 'a value is never run');
});

test('a registered value in environment is data: its braces are not rendered', async (t) => {
  const workdir = mkdtempSync(join(tmpdir(), 'quorum-spellings-env-data-'));
  const playbookFile = writePlaybook(`
- hosts: node-a
  gather_facts: false
  vars: { secret_var: s3cr3t }
  tasks:
    - command: printf '\\173\\173 secret_var }}'
      register: printed
      changed_when: false
    - command: chdir={{ workdir }} sh -c 'printf %s "$FROM_HOST" > out'
      environment: { FROM_HOST: "{{ printed.stdout }}" }
`);
  const run = await runEngine({ playbookFile, inventoryFile, extraVars: { workdir } });
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().map((r) => r.msg)));
  t.is(readFileSync(join(workdir, 'out'), 'utf8'), '{{ secret_var }}');
  t.is(total(run.summary, 'failed'), 0);
});

test('remote_user is the login user when the inventory sets no ansible_user, and below it when it does', (t) => {
  const defaults = { hostKeyPolicy: 'strict' as const, connectTimeoutMs: 1000, inventoryDir: '/', sshConfigFiles: [] };
  t.is(connectionSpec({ name: 'web1', groups: ['all'], vars: {} }, { ...defaults, remoteUser: 'deploy' }).user, 'deploy');
  t.is(connectionSpec({ name: 'web1', groups: ['all'], vars: { ansible_user: 'admin' } }, { ...defaults, remoteUser: 'deploy' }).user, 'admin');
  const play = loadPlaybook(writePlaybook('- hosts: all\n  remote_user: deploy\n  become_user: postgres\n  become_method: sudo\n  tasks:\n    - command: ls\n      remote_user: deploy\n      become_user: root\n')).plays[0]!;
  t.is(play.remote_user, 'deploy');
  t.is(play.become_user, 'postgres');
  t.is((play.tasks[0] as TaskNode).keywords.become_user, 'root');
});

test('become_user: commands run through runuser from the root shell with the environment; file writes are refused', async (t) => {
  const conn = new FakeConnection('h').otherwise({ exitCode: 0 });
  const ctx = {
    host: 'h', inventoryHost: 'h', conn, become: true, becomeUser: 'postgres', environment: { PGDATA: "/var/lib/it's" },
    facts: { get: async () => { throw new Error('no facts'); }, clear() {} }, vars: {}, checkMode: false, playbookDir: '/', render: (s: string) => s,
  } as unknown as ModuleContext;
  const ran = await applyPlan(ctx, { changes: [{ kind: 'exec', command: 'psql -c "select 1"', describe: 'query', env: { PGPORT: '5433' } }] });
  t.is(ran.failure, undefined);
  const call = conn.calls[0] as Extract<FakeCall, { kind: 'exec' }>;
  t.deepEqual(call.argv, ['runuser', '-u', 'postgres', '--', 'sh', '-c', 'psql -c "select 1"']);
  t.true(call.options.sudo);
  t.deepEqual(call.options.env, { PGDATA: "/var/lib/it's", PGPORT: '5433' }, 'the task environment under the change\'s own');
  const wrote = await applyPlan(ctx, { changes: [{ kind: 'put', dest: '/etc/x', content: Buffer.from('x'), describe: 'write /etc/x' }] });
  t.regex(wrote.failure?.message ?? '', /become_user postgres: quorum writes files as root only/);
  t.false(conn.calls.some((c) => c.kind === 'put'), 'nothing written');
  const asRoot = await applyPlan({ ...ctx, becomeUser: undefined } as unknown as ModuleContext, { changes: [{ kind: 'exec', command: ['id'], describe: 'id' }] });
  t.is(asRoot.failure, undefined);
  t.deepEqual((conn.calls.at(-1) as Extract<FakeCall, { kind: 'exec' }>).argv, ['id'], 'root (no become_user): unchanged');
});

test('plays with different remote_user on hosts whose user the inventory settles (local) both run', async (t) => {
  const playbookFile = writePlaybook(`
- hosts: node-a
  gather_facts: false
  remote_user: alice
  tasks:
    - { name: one, command: "true", changed_when: false }
- hosts: node-a
  gather_facts: false
  remote_user: bob
  tasks:
    - { name: two, command: "true", changed_when: false, remote_user: carol }
`);
  const run = await runEngine({ playbookFile, inventoryFile });
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().map((r) => r.msg)));
  t.deepEqual(run.results().map((r) => r.status), ['ok', 'ok']);
});
