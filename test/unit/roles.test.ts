/**
 * Roles and includes (runner/load/roles.ts, includes.ts, strategy/include.ts): where roles are
 * found, the order Ansible runs them in, dependencies once per play, the variable precedence of
 * role defaults/vars/params and include params, role-relative files, dynamic includes with
 * loops and templated names, and the errors. The engine runs on the local connection.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PROJECT_DIR, runEngine, total } from '../helpers/quorum.js';
import { writeScenario } from '../fixtures/playbooks/engine/scenario.js';
import { loadPlaybook } from '../../runner/load/playbook.js';
import { rolesPathOf } from '../../runner/engine/engine.js';
import { controllerFileCandidates, resolveControllerFile } from '../../runner/files/controller-files.js';
import { ConfigError, formatProblem } from '../../runner/errors.js';
import type { TaskItem } from '../../runner/playbook.js';

const site = join(PROJECT_DIR, 'test/fixtures/roles/site');

/** The tree of a task list as short lines: blocks by role, includes, tasks by name. */
function outline(items: TaskItem[], indent = ''): string[] {
  return items.flatMap((item) => {
    if (item.kind === 'task') return [`${indent}${item.name ?? item.module}`];
    const head = item.role ? `role ${item.role.name}` : item.include ? `include ${item.include.file}` : 'block';
    return [`${indent}${head}`, ...outline(item.block, `${indent}  `)];
  });
}

test('load: pre_tasks, a flush, the roles (dependency first), then tasks; role handlers before the play\'s', (t) => {
  const play = loadPlaybook(join(site, 'site.yaml')).plays[0]!;
  t.deepEqual(outline(play.tasks), [
    "the host's directory",
    'flush handlers',
    'role webapp',
    '  role base',
    '    base directory',
    '    the motd, a static file of the role (files/motd)',
    '    who owns the motd (a role default, overridden by the inventory)',
    "  the app's directory",
    '  include dir.yml',
    '    directory {{ app_dir }}',
    "  the app's configuration, from the role's templates/",
    '  include base',
    '    role base',
    '      extra tasks of base, included with tasks_from',
    "after the roles, the play's own tasks",
  ]);
  // Definition order: the dependency's handlers were read first, as Ansible compiles them.
  t.deepEqual(play.handlers.map((h) => `${h.role?.name}: ${h.name}`), ['base: base changed', 'webapp: restart app']);
  const webapp = play.tasks[2]!;
  t.true(webapp.kind === 'block' && webapp.role?.params['app_port'] === 8080 && webapp.keywords.tags?.[0] === 'web');
});

test('the site fixture on the local connection: changes, then changed=0, then --check has nothing pending', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'quorum-roles-site-'));
  const inventoryFile = join(site, 'inventory.local.yaml');
  const first = await runEngine({ playbookFile: join(site, 'site.yaml'), inventoryFile, extraVars: { root } });
  t.is(first.summary.exitCode, 0, JSON.stringify(first.results().filter((r) => r.status === 'failed')));
  t.is(readFileSync(join(root, 'node-a/web/conf/app.conf'), 'utf8'), '# web on node-a\nport = 8080\nowner = inventory-owner\n');
  t.is(readFileSync(join(root, 'node-b/base/handled'), 'utf8'), 'handled by base for default-owner\n');
  const second = await runEngine({ playbookFile: join(site, 'site.yaml'), inventoryFile, extraVars: { root } });
  t.is(total(second.summary, 'changed'), 0, JSON.stringify(second.results().filter((r) => r.status === 'changed')));
  const check = await runEngine({ playbookFile: join(site, 'site.yaml'), inventoryFile, extraVars: { root }, check: true });
  t.false(check.summary.changesPending);
});

/** A role's files as writeScenario's `files`, under roles/NAME/. */
function role(name: string, parts: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(parts).map(([path, value]) => [`roles/${name}/${path}`, typeof value === 'string' ? value : stringify(value)]));
}

test('dependencies run once per play for the same parameters; again with other parameters or allow_duplicates', async (t) => {
  const s = writeScenario(`
- hosts: nodes
  gather_facts: false
  roles:
    - once
    - once
    - { role: once, who: other }
    - twice
    - twice
    - user
`, {
    hosts: { a: {} },
    files: {
      ...role('once', { 'defaults/main.yml': { who: 'default' }, 'tasks/main.yml': [{ name: 'once {{ who }}', debug: { msg: '{{ who }}' } }] }),
      ...role('twice', { 'meta/main.yml': { allow_duplicates: true }, 'tasks/main.yml': [{ name: 'twice', debug: { msg: 'x' } }] }),
      ...role('user', { 'meta/main.yml': { dependencies: ['once'] }, 'tasks/main.yml': [{ name: 'user', debug: { msg: 'u' } }] }),
    },
  });
  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
  t.is(run.summary.exitCode, 0);
  t.deepEqual(run.results().map((r) => r.task), ['once default', 'once other', 'twice', 'twice', 'user']);
});

test('precedence: role defaults < inventory < play vars < role vars < task vars < set_fact < role params < include params < extra vars', async (t) => {
  // Layer k defines vk..v8: vk is defined at layers 0..k, so reading it shows that layer k wins over those below.
  const LAYERS = ['role_defaults', 'inventory', 'play', 'role_vars', 'task', 'set_fact', 'role_param', 'include_param', 'extra'];
  const upTo = (k: number) => Object.fromEntries(LAYERS.slice(k).map((_, j) => [`v${k + j}`, LAYERS[k]]));
  const from = (k: number) => Object.fromEntries(LAYERS.slice(k).map((_, j) => [`v${k + j}`, LAYERS[k]]));
  const read = Object.fromEntries(LAYERS.map((_, k) => [`v${k}`, `{{ v${k} }}`]));
  const s = writeScenario(`
- hosts: nodes
  gather_facts: false
  vars: ${JSON.stringify(from(2))}
  roles:
    - role: prec
      vars: ${JSON.stringify(from(6))}
`, {
    hosts: { a: from(1) },
    files: role('prec', {
      'defaults/main.yml': from(0),
      'vars/main.yml': from(3),
      'tasks/main.yml': [
        { name: 'facts', set_fact: from(5) },
        { include_tasks: 'read.yml', vars: from(7) },
      ],
      'tasks/read.yml': [{ name: 'read', debug: { var: 'seen' }, vars: { ...from(4), seen: read } }],
    }),
  });
  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile, extraVars: from(8) });
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().filter((e) => e.status === 'failed')));
  t.deepEqual(run.results('read', 'a')[0]!.result?.['seen'], Object.fromEntries(LAYERS.map((name, k) => [`v${k}`, name])));
});

test('include_tasks in a loop with loop_var and a per-item when; hosts with other items run their own', async (t) => {
  const s = writeScenario(`
- hosts: nodes
  gather_facts: false
  tasks:
    - include_tasks: each.yml
      loop: "{{ items }}"
      loop_control: { loop_var: thing, index_var: i }
      when: thing != "skip"
      vars: { suffix: "!" }
`, {
    hosts: { a: { items: ['x', 'skip', 'y'] }, b: { items: ['z'] } },
    files: { 'each.yml': stringify([{ name: 'each', debug: { msg: '{{ i }}:{{ thing }}{{ suffix }}' } }]) },
  });
  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().filter((e) => e.status === 'failed')));
  t.deepEqual(run.results('each', 'a').map((r) => r.msg), ['0:x!', '2:y!']);
  t.deepEqual(run.results('each', 'b').map((r) => r.msg), ['0:z!']);
});

test('a templated include_tasks name is read per host when included; a broken file fails that host only, naming the file', async (t) => {
  const s = writeScenario(`
- hosts: nodes
  gather_facts: false
  tasks:
    - include_tasks: "tasks-{{ flavour }}.yml"
    - name: after
      debug: { msg: after }
`, {
    hosts: { a: { flavour: 'good' }, b: { flavour: 'bad' } },
    files: {
      'tasks-good.yml': stringify([{ name: 'good', debug: { msg: 'good' } }]),
      'tasks-bad.yml': '- name: bad\n  debug: { msg: x, colour: blue }\n',
    },
  });
  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
  t.is(run.results('good', 'a')[0]?.status, 'ok');
  const failed = run.results('include_tasks: tasks-{{ flavour }}.yml', 'b')[0]!;
  t.is(failed.status, 'failed');
  t.regex(failed.msg ?? '', /include_tasks 'tasks-bad\.yml'.*\n.*tasks-bad\.yml:2:\d+ +\/0\/debug\/colour +unknown parameter 'colour'/);
  t.is(run.results('after', 'a')[0]?.status, 'ok');
  t.is(run.results('after', 'b').length, 0, 'the failed host left the play');
});

test("include_role with tasks_from and loop, import_role with vars and when, role handler (notified as 'ROLE : NAME') with the role's variables", async (t) => {
  const s = writeScenario(`
- hosts: nodes
  gather_facts: false
  tasks:
    - include_role: { name: svc, tasks_from: one }
      loop: [p, q]
    - import_role: { name: svc }
      vars: { svc_name: imported }
      when: inventory_hostname == "a"
`, {
    hosts: { a: {}, b: {} },
    files: role('svc', {
      'defaults/main.yml': { svc_name: 'default' },
      'tasks/one.yml': [{ name: 'one', debug: { msg: '{{ item }} {{ svc_name }}' } }],
      'tasks/main.yml': [{ name: 'main', command: { argv: ['true'] }, notify: 'svc : svc handler' }, { block: [{ name: 'in a block', debug: { msg: '{{ svc_name }}' } }] }],
      'handlers/main.yml': [{ name: 'svc handler', debug: { msg: 'handled {{ svc_name }} in {{ role_name }}' } }],
    }),
  });
  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().filter((e) => e.status === 'failed')));
  t.deepEqual(run.results('one', 'b').map((r) => r.msg), ['p default', 'q default']);
  t.is(run.results('main', 'b')[0]?.status, 'skipped');
  t.deepEqual(run.results('in a block').filter((r) => r.status === 'ok').map((r) => `${r.host} ${r.msg}`), ['a imported'], "a block inside a role sees the role's variables");
  // One copy of a role's handlers per play, with the scope of the role's first use (here the
  // include_role, without vars): documented in docs/from-ansible.md.
  t.deepEqual(run.results('svc handler').map((r) => `${r.host} ${r.msg}`), ['a handled default in svc']);
});

test('roles are found on the roles path (--roles-path, then QUORUM_ROLES_PATH, then ANSIBLE_ROLES_PATH) after roles/ beside the playbook', (t) => {
  t.deepEqual(rolesPathOf(['/cli'], { QUORUM_ROLES_PATH: '/q1::/q2', ANSIBLE_ROLES_PATH: '/a' }), ['/cli', '/q1', '/q2', '/a']);
  const dir = mkdtempSync(join(tmpdir(), 'quorum-roles-path-'));
  for (const [where, msg] of [['elsewhere/r', 'from the roles path'], ['pb/roles/r', 'beside the playbook']] as const) {
    mkdirSync(join(dir, where, 'tasks'), { recursive: true });
    writeFileSync(join(dir, where, 'tasks/main.yml'), stringify([{ debug: { msg } }]));
  }
  writeFileSync(join(dir, 'pb/play.yaml'), '- hosts: all\n  roles: [r]\n');
  const msgOf = (opts: { rolesPath?: string[] }) => ((loadPlaybook(join(dir, 'pb/play.yaml'), opts).plays[0]!.tasks[0] as { block: Array<{ args: { msg: string } }> }).block[0]!.args.msg);
  t.is(msgOf({ rolesPath: [join(dir, 'elsewhere')] }), 'beside the playbook');
  writeFileSync(join(dir, 'pb/other.yaml'), '- hosts: all\n  roles: [r2]\n');
  mkdirSync(join(dir, 'elsewhere/r2/tasks'), { recursive: true });
  writeFileSync(join(dir, 'elsewhere/r2/tasks/main.yml'), stringify([{ debug: { msg: 'r2' } }]));
  const err = t.throws(() => loadPlaybook(join(dir, 'pb/other.yaml')), { instanceOf: ConfigError }) as ConfigError;
  t.regex(formatProblem(err.problems[0]!), /role 'r2' not found: looked in .*pb\/roles\/r2, .*pb\/r2; put it in roles\/r2/);
  t.notThrows(() => loadPlaybook(join(dir, 'pb/other.yaml'), { rolesPath: [join(dir, 'elsewhere')] }));
});

test('relative src/template paths: the role\'s files/ or templates/ first, then the role, then the playbook\'s', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-role-files-'));
  const roleDir = join(dir, 'roles/r');
  for (const f of ['roles/r/files/a', 'roles/r/templates/t.hbs', 'files/b', 'c', 'roles/r/files/c']) {
    mkdirSync(join(dir, f, '..'), { recursive: true });
    writeFileSync(join(dir, f), f);
  }
  const dirs = { playbookDir: dir, roleDir };
  t.deepEqual(controllerFileCandidates('x', 'files', dirs), [join(roleDir, 'files/x'), join(roleDir, 'x'), join(roleDir, 'tasks/x'), join(dir, 'files/x'), join(dir, 'x')]);
  t.is(resolveControllerFile('a', 'files', dirs), join(roleDir, 'files/a'));
  t.is(resolveControllerFile('t.hbs', 'templates', dirs), join(roleDir, 'templates/t.hbs'));
  t.is(resolveControllerFile('b', 'files', dirs), join(dir, 'files/b'), "the playbook's files/ when the role has none");
  t.is(resolveControllerFile('c', 'files', dirs), join(roleDir, 'files/c'), 'the role wins over the playbook');
  t.is(resolveControllerFile('c', 'files', { playbookDir: dir }), join(dir, 'c'), 'outside a role: the playbook directory as before');
  t.is(resolveControllerFile('missing', 'templates', dirs), join(roleDir, 'templates/missing'), 'none exists: where it was expected first');
  t.is(resolveControllerFile('/abs', 'files', dirs), '/abs');
});

test('tags: a role entry\'s tags reach its tasks; an include runs by its own tags, its tasks by theirs or by apply', async (t) => {
  const s = writeScenario(`
- hosts: nodes
  gather_facts: false
  roles:
    - { role: tagged, tags: [web] }
  tasks:
    - include_tasks: inc.yml
      tags: [web]
    - include_tasks: { file: inc.yml, apply: { tags: [web] } }
      tags: [web]
`, {
    hosts: { a: {} },
    files: {
      ...role('tagged', { 'tasks/main.yml': [{ name: 'role task', debug: { msg: 'r' } }] }),
      'inc.yml': stringify([{ name: 'untagged in file', debug: { msg: 'u' } }, { name: 'tagged in file', debug: { msg: 't' }, tags: ['web'] }]),
    },
  });
  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile, tags: ['web'] });
  t.is(run.summary.exitCode, 0);
  // As in Ansible: the first include's untagged task does not run; apply tags every task of the second.
  t.deepEqual(run.results().map((r) => r.task), ['role task', 'include_tasks: inc.yml', 'tagged in file', 'include_tasks: inc.yml', 'untagged in file', 'tagged in file']);
});
