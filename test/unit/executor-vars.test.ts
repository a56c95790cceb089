/**
 * Variables as tasks see them: the precedence layers (runner/vars/task-vars.ts), lazy rendering,
 * hostvars, groups and the magic variables.
 */
import test from 'ava';
import { runEngine } from '../helpers/quorum.js';
import { writeScenario } from '../fixtures/playbooks/engine/scenario.js';

const LAYERS = ['defaults', 'group', 'host', 'play', 'vars_files', 'block', 'task', 'set_fact', 'extra'] as const;

/** `v<k>` is defined at layers 0..k: reading it shows that layer k overrides every one below. */
function definedFrom(layer: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let k = layer; k < LAYERS.length; k++) out[`v${k}`] = LAYERS[layer]!;
  return out;
}

test('precedence: defaults < group < host < play vars < vars_files < block < task < set_fact/register < extra vars', async (t) => {
  const json = (o: unknown) => JSON.stringify(o);
  const s = writeScenario(`
- hosts: nodes
  gather_facts: false
  defaults: ${json(definedFrom(0))}
  vars: ${json(definedFrom(3))}
  vars_files: [vars.yaml]
  tasks:
    - name: facts
      set_fact: ${json(definedFrom(7))}
    - name: registered
      debug: { msg: registered }
      register: reg
    - block:
        - name: read
          debug: { var: all_layers }
          vars: ${json({ ...definedFrom(6), reg: 'task', all_layers: Object.fromEntries(LAYERS.map((_, k) => [`v${k}`, `{{ v${k} }}`])) })}
        - name: read register
          debug: { var: reg.msg }
          vars: { reg: { msg: task } }
      vars: ${json(definedFrom(5))}
`, { hosts: { a: definedFrom(2) }, groupVars: definedFrom(1), files: { 'vars.yaml': json(definedFrom(4)) } });
  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile, extraVars: definedFrom(8) });
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().filter((e) => e.status === 'failed')));
  const seen = run.results('read', 'a')[0]!.result?.['all_layers'];
  t.deepEqual(seen, Object.fromEntries(LAYERS.map((name, k) => [`v${k}`, name])));
  t.is(run.results('read register', 'a')[0]!.result?.['reg.msg'], 'registered');
});

test('a variable of a lower layer can be overridden by the same name higher up only for that task', async (t) => {
  const s = writeScenario(`
- hosts: nodes
  gather_facts: false
  vars: { x: play }
  tasks:
    - name: with task vars
      debug: { var: x }
      vars: { x: task }
    - name: without
      debug: { var: x }
`, { hosts: { a: {} } });
  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
  t.is(run.results('with task vars', 'a')[0]!.result?.['x'], 'task');
  t.is(run.results('without', 'a')[0]!.result?.['x'], 'play');
});

test('lazily rendered variables refer to each other whatever their order and layer', async (t) => {
  const s = writeScenario(`
- hosts: nodes
  gather_facts: false
  vars:
    url: "{{ scheme }}://{{ host }}:{{ port }}"
    host: "{{ inventory_hostname }}.{{ domain }}"
    scheme: https
    port: 2379
    typed: "{{ port }}"
  tasks:
    - name: url
      debug: { var: url }
    - name: typed
      debug: { var: typed }
`, { hosts: { a: { domain: 'example.org' }, b: { domain: 'example.net' } } });
  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
  t.is(run.summary.exitCode, 0);
  t.is(run.results('url', 'a')[0]!.result?.['url'], 'https://a.example.org:2379');
  t.is(run.results('url', 'b')[0]!.result?.['url'], 'https://b.example.net:2379');
  // A value that is exactly "{{ x }}" keeps its type.
  t.is(run.results('typed', 'a')[0]!.result?.['typed'], 2379);
});

test('hostvars of another host: inventory vars, play vars rendered for that host, and its set_fact values', async (t) => {
  const s = writeScenario(`
- hosts: nodes
  gather_facts: false
  vars: { me: "{{ inventory_hostname }}-{{ role }}" }
  tasks:
    - name: fact
      set_fact: { token: "t-{{ inventory_hostname }}" }
    - name: peer
      debug: { msg: "{{ hostvars.b.role }} {{ hostvars.b.me }} {{ hostvars.b.token }}" }
`, { hosts: { a: { role: 'leader' }, b: { role: 'follower' } } });
  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results('peer')));
  t.is(run.results('peer', 'a')[0]!.msg, 'follower b-follower t-b');
});

test('groups, group_names and the magic variables', async (t) => {
  const s = writeScenario(`
- hosts: nodes
  gather_facts: false
  tasks:
    - name: magic
      debug:
        var: magic
      vars:
        magic:
          inventory_hostname: "{{ inventory_hostname }}"
          group_names: "{{ group_names }}"
          nodes: "{{ groups.nodes }}"
          all: "{{ groups.all }}"
          play_hosts: "{{ play_hosts }}"
          check_mode: "{{ check_mode }}"
          playbook_dir: "{{ playbook_dir }}"
`, { hosts: { a: {}, b: {} } });
  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile, limit: 'b' });
  t.deepEqual(run.results('magic', 'b')[0]!.result?.['magic'], {
    inventory_hostname: 'b',
    group_names: ['nodes'],
    nodes: ['a', 'b'],
    all: ['a', 'b'],
    play_hosts: ['b'],
    check_mode: false,
    playbook_dir: s.dir,
  });
  t.is(run.results('magic').length, 1);
});

test('inventory groups: all < parent < child < host', async (t) => {
  const s = writeScenario(`
- hosts: all
  gather_facts: false
  tasks:
    - name: read
      debug: { msg: "{{ x }} {{ y }} {{ z }}" }
`, { hosts: { placeholder: {} } });
  const { writeFileSync } = await import('node:fs');
  writeFileSync(s.inventoryFile, `all:
  vars: { ansible_connection: local, x: all, y: all, z: all }
  children:
    parent:
      vars: { x: parent, y: parent, z: parent }
      children:
        child:
          vars: { y: child, z: child }
          hosts:
            h1: { z: host }
            h2: {}
`);
  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
  t.is(run.results('read', 'h1')[0]!.msg, 'parent child host');
  t.is(run.results('read', 'h2')[0]!.msg, 'parent child child');
});

test("the play's host lists have Ansible's meaning: _all every host, ansible_play_hosts the active ones, ansible_play_batch/play_hosts the active ones of the serial batch", async (t) => {
  const s = writeScenario(`
- hosts: nodes
  gather_facts: false
  serial: 2
  tasks:
    - name: b fails
      command: { argv: [test, "{{ inventory_hostname }}", "!=", "b"] }
    - name: lists
      debug:
        var: lists
      vars:
        lists:
          all: "{{ ansible_play_hosts_all }}"
          hosts: "{{ ansible_play_hosts }}"
          batch: "{{ ansible_play_batch }}"
          play_hosts: "{{ play_hosts }}"
`);
  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
  t.deepEqual(run.results('lists', 'a')[0]!.result?.['lists'], { all: ['a', 'b', 'c'], hosts: ['a', 'c'], batch: ['a'], play_hosts: ['a'] });
  t.deepEqual(run.results('lists', 'c')[0]!.result?.['lists'], { all: ['a', 'b', 'c'], hosts: ['a', 'c'], batch: ['c'], play_hosts: ['c'] });
  t.is(run.results('lists', 'b').length, 0);
});
