/**
 * The bugs issue 16 found on the way, each on the real engine (local connection) or the pure
 * parts it names: hostvars in CEL and to_json, command's key=value creates, a check-mode
 * command's rc, systemd daemon_reload without a name, and "did you mean 'absent'" for present.
 */
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_DIR, runEngine, total } from '../helpers/quorum.js';
import { loadPlaybook } from '../../runner/load/playbook.js';
import { ConfigError, formatProblem } from '../../runner/errors.js';
import { planSystemd, type SystemdFacts } from '../../modules/systemd.js';
import { systemdPendingReload } from '../../runner/facts/systemd-pending-reload.js';

const inventoryFile = join(PROJECT_DIR, 'examples/inventory.local.yaml');

function writePlaybook(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-issue16-'));
  const file = join(dir, 'play.yaml');
  writeFileSync(file, text);
  return file;
}

test('hostvars in a CEL condition reads another host\'s variable (was: Maximum call stack size exceeded)', async (t) => {
  const playbookFile = writePlaybook(`
- hosts: all
  gather_facts: false
  vars: { x: "{{ node_role }}" }
  tasks:
    - name: primary only
      debug: { msg: hi }
      when: hostvars["node-a"].x == "primary" && hostvars["node-b"].x == "secondary" && inventory_hostname == "node-a"
    - name: whole entry
      debug: { msg: "{{ to_json (get hostvars 'node-b') }}" }
`);
  const run = await runEngine({ playbookFile, inventoryFile });
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().map((r) => r.msg)));
  t.is(run.results('primary only', 'node-a')[0]?.status, 'ok');
  t.is(run.results('primary only', 'node-b')[0]?.status, 'skipped');
  const json = JSON.parse(String(run.results('whole entry', 'node-a')[0]?.msg));
  t.is(json.x, 'secondary', 'the entry of node-b, with its templates rendered for node-b');
  t.is(json.inventory_hostname, 'node-b');
  t.false('hostvars' in json, 'an entry does not list hostvars itself (Ansible\'s neither): no cycle');
});

test('command: chdir=DIR creates=FILE ... honours creates (was: ran every time, the words went to sh)', async (t) => {
  const workdir = mkdtempSync(join(tmpdir(), 'quorum-issue16-creates-'));
  const playbookFile = writePlaybook(`
- hosts: node-a
  gather_facts: false
  tasks:
    - name: count runs
      command: chdir={{ workdir }} creates=made sh -c 'echo run >> runs; touch made'
`);
  const first = await runEngine({ playbookFile, inventoryFile, extraVars: { workdir } });
  t.is(first.summary.exitCode, 0, JSON.stringify(first.results().map((r) => r.msg)));
  t.is(first.results('count runs')[0]?.status, 'changed');
  t.true(existsSync(join(workdir, 'made')), 'ran in chdir');
  const second = await runEngine({ playbookFile, inventoryFile, extraVars: { workdir } });
  t.is(second.results('count runs')[0]?.status, 'ok');
  t.is(total(second.summary, 'changed'), 0);
  t.is(readFileSync(join(workdir, 'runs'), 'utf8'), 'run\n', 'the command ran once');
  t.is(second.results('count runs')[0]?.result?.['rc'], 0, 'not run: rc 0, as Ansible registers it');
});

test('a command skipped in check mode registers rc 0, so when: r.rc == 0 holds under --check (was: the host failed)', async (t) => {
  const playbookFile = writePlaybook(`
- hosts: node-a
  gather_facts: false
  tasks:
    - name: probe
      command: "true"
      register: r
    - name: after
      debug: { msg: "rc {{ r.rc }}" }
      when: r.rc == 0
`);
  const run = await runEngine({ playbookFile, inventoryFile, check: true });
  t.is(run.results('probe')[0]?.status, 'skipped');
  t.is(run.results('after')[0]?.status, 'ok', JSON.stringify(run.results('after')[0]));
  t.is(run.results('after')[0]?.msg, 'rc 0');
  t.is(run.summary.exitCode, 0);
});

test('systemd: { daemon_reload: true } without a name loads, and reloads only when a unit needs it (was: name required)', (t) => {
  const file = writePlaybook(`
- hosts: all
  tasks:
    - systemd: { daemon_reload: true }
    - ansible.builtin.systemd: daemon_reload=yes
`);
  const playbook = loadPlaybook(file);
  t.is(playbook.plays[0]!.tasks.length, 2);
  t.deepEqual(playbook.plays[0]!.tasks.map((x) => x.kind === 'task' && x.args), [{ daemon_reload: true }, { daemon_reload: true }]);
  const facts = (pending: string[]) => ({ dropins: {}, pendingReload: pending }) as unknown as SystemdFacts;
  const quiet = planSystemd({ daemon_reload: true }, facts([]));
  t.deepEqual(quiet.changes, []);
  const due = planSystemd({ daemon_reload: true }, facts(['etcd.service']));
  t.deepEqual(due.changes.map((c) => c.kind === 'exec' && c.command), ['systemctl daemon-reload']);
  t.deepEqual(
    systemdPendingReload.parse({ stdout: 'Id=a.service\nNeedDaemonReload=no\n\nId=b.service\nNeedDaemonReload=yes\n', stderr: '', exitCode: 0 }),
    ['b.service'],
  );
  // Anything but daemon_reload still needs the unit's name.
  const bad = writePlaybook('- hosts: all\n  tasks:\n    - systemd: { daemon_reload: true, state: started }\n');
  const err = t.throws(() => loadPlaybook(bad), { instanceOf: ConfigError }) as ConfigError;
  t.regex(err.problems.map(formatProblem).join('\n'), /name/);
});

test("state: present gets Ansible's meaning, not \"did you mean 'absent'?\"", (t) => {
  const file = writePlaybook('- hosts: all\n  tasks:\n    - file: { path: /tmp/x, state: present }\n');
  const err = t.throws(() => loadPlaybook(file), { instanceOf: ConfigError }) as ConfigError;
  const message = err.problems.map(formatProblem).join('\n');
  t.notRegex(message, /absent'\?/);
  t.regex(message, /Ansible's 'present': here write 'file' or 'directory'/);
});
