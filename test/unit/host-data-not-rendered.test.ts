/**
 * What a host prints is data (issue 13, item 1): a registered result or a set_fact value that
 * holds `{{ }}`, handlebars blocks and partials, or CEL is never rendered or evaluated on the
 * controller. It is printed and written back byte for byte, and a variable it names (a
 * password, a controller file) never leaks through it.
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runEngine } from '../helpers/quorum.js';
import { writeScenario } from '../fixtures/playbooks/engine/scenario.js';
import { buildSharedVars, buildTaskVars } from '../../runner/vars/task-vars.js';
import { createHostState, type RunState } from '../../runner/engine/run-state.js';
import type { Play } from '../../runner/playbook.js';
import { renderText } from '../../runner/lang/template.js';

const PASSWORD = 'hunter2-do-not-print';
const CONTROLLER_SECRET = 'controller-only-token-7f3a';

/** Everything a hostile or careless host could print that a template engine would act on. */
function payload(controllerFile: string): string {
  return [
    'pw={{ hostvars.a.db_password }}',
    'same={{db_password}} {{~ db_password ~}}',
    `file={{ lookup_file "${controllerFile}" }}`,
    '{{#each groups}}group {{@key}}{{/each}}',
    '{{#if true}}yes{{else}}no{{/if}}',
    '{{> partial}}',
    '{{!-- comment --}}{{{ triple }}}',
    'inventory_hostname == "a" && size(groups) > 0 ? db_password : ""',
    'helm: {{ .Values.image | quote }} {{- include "x" . }}',
    // The last line without a newline: command registers stdout without its trailing newlines.
    'ünïcödé \\ $(id) `id` \'quotes" and a tab\there',
  ].join('\n');
}

test('registered output and set_fact values holding templates are data: printed and written back byte for byte', async (t) => {
  const s = writeScenario(
    `
- hosts: nodes
  gather_facts: false
  tasks:
    - name: host prints templates
      command: { argv: [cat, "{{ workdir }}/../payload.txt"] }
      register: out
    - name: print it
      debug: { msg: "{{ out.stdout }}" }
    - name: print it inside text
      debug: { msg: "got: {{ out.stdout }}" }
    - name: print it through a play variable
      debug: { msg: "{{ via_var }}" }
      vars: { via_var: "{{ out.stdout }}" }
    - name: write it
      file: { path: "{{ workdir }}/{{ inventory_hostname }}/written.txt", content: "{{ out.stdout }}" }
    - name: keep it as a fact
      set_fact: { kept: "{{ out.stdout }}", literal: "{{ out.stdout_lines.[0] }}" }
    - name: print the fact
      debug: { msg: "{{ kept }}" }
    - name: write the fact
      file: { path: "{{ workdir }}/{{ inventory_hostname }}/fact.txt", content: "{{ kept }}" }
    - name: read the fact through hostvars
      debug: { msg: "{{ hostvars.a.kept }}" }
`,
    { hosts: { a: { db_password: PASSWORD } } },
  );
  const controllerFile = join(s.dir, 'controller-secret.txt');
  writeFileSync(controllerFile, CONTROLLER_SECRET);
  const text = payload(controllerFile);
  writeFileSync(join(s.dir, 'payload.txt'), text);

  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().filter((e) => e.status === 'failed')));

  t.is(run.results('host prints templates', 'a')[0]!.result?.['stdout'], text);
  t.is(run.results('print it', 'a')[0]!.msg, text);
  t.is(run.results('print it inside text', 'a')[0]!.msg, `got: ${text}`);
  t.is(run.results('print it through a play variable', 'a')[0]!.msg, text);
  t.is(run.results('print the fact', 'a')[0]!.msg, text);
  t.is(run.results('read the fact through hostvars', 'a')[0]!.msg, text);
  t.deepEqual(readFileSync(join(s.workdir, 'a/written.txt')), Buffer.from(text));
  t.deepEqual(readFileSync(join(s.workdir, 'a/fact.txt')), Buffer.from(text));

  const everything = JSON.stringify(run.events);
  t.false(everything.includes(PASSWORD), 'the password a host named is never printed');
  t.false(everything.includes(CONTROLLER_SECRET), 'the controller file a host named is never read');
});

test('a host that prints a template naming a password or a controller file gets its text back, not the secret', async (t) => {
  // Only what parses as a template, so that rendering it (the defect) would succeed and leak.
  const s = writeScenario(
    `
- hosts: nodes
  gather_facts: false
  tasks:
    - name: host prints templates
      command: { argv: [cat, "{{ workdir }}/../payload.txt"] }
      register: out
    - name: print it
      debug: { msg: "{{ out.stdout }}" }
    - name: write it
      file: { path: "{{ workdir }}/{{ inventory_hostname }}/written.txt", content: "{{ out.stdout }}" }
`,
    { hosts: { a: { db_password: PASSWORD } } },
  );
  const controllerFile = join(s.dir, 'controller-secret.txt');
  writeFileSync(controllerFile, CONTROLLER_SECRET);
  const text = `pw={{ hostvars.a.db_password }} file={{ lookup_file "${controllerFile}" }}`;
  writeFileSync(join(s.dir, 'payload.txt'), text);
  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().filter((e) => e.status === 'failed')));
  t.is(run.results('print it', 'a')[0]!.msg, text);
  t.is(readFileSync(join(s.workdir, 'a/written.txt'), 'utf8'), text);
  const everything = JSON.stringify(run.events) + readFileSync(join(s.workdir, 'a/written.txt'), 'utf8');
  t.false(everything.includes(PASSWORD), 'the password a host named is never printed or written');
  t.false(everything.includes(CONTROLLER_SECRET), 'the controller file a host named is never read');
});

test('set_fact renders its arguments once, when the task runs; what it stored is data after that', async (t) => {
  const s = writeScenario(
    `
- hosts: nodes
  gather_facts: false
  vars: { greeting: hello }
  tasks:
    - name: host prints a template
      command: { argv: [printf, '\\173\\173 greeting \\175\\175'] }
      register: out
    - name: keep
      set_fact:
        rendered_now: "{{ greeting }} world"
        from_host: "{{ out.stdout }}"
    - name: later
      debug: { msg: "{{ rendered_now }} / {{ from_host }}" }
`,
    { hosts: { a: {} } },
  );
  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile });
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().filter((e) => e.status === 'failed')));
  t.is(run.results('later', 'a')[0]!.msg, 'hello world / {{ greeting }}');
});

test('extra vars stay templates: -e is the user\'s, above registered values, and still rendered', async (t) => {
  const s = writeScenario(
    `
- hosts: nodes
  gather_facts: false
  vars: { base: from-play }
  tasks:
    - name: reg
      command: { argv: [printf, "%s", plain] }
      register: x
    - name: read
      debug: { msg: "{{ x }}" }
`,
    { hosts: { a: {} } },
  );
  const run = await runEngine({ playbookFile: s.playbookFile, inventoryFile: s.inventoryFile, extraVars: { x: '{{ base }}-extra' } });
  t.is(run.summary.exitCode, 0, JSON.stringify(run.results().filter((e) => e.status === 'failed')));
  t.is(run.results('read', 'a')[0]!.msg, 'from-play-extra');
});

test('facts are data too: a fact holding a template is read as text, directly and through a variable that names it', (t) => {
  // A guard rather than a fix: facts are a magic variable, outside the lazily rendered layers.
  const hostile = '{{ hostvars.a.db_password }} {{#each groups}}x{{/each}}';
  const inventory = {
    hosts: new Map([['a', { name: 'a', vars: { db_password: PASSWORD }, groups: ['all', 'nodes'] }]]),
    groups: new Map([['nodes', { name: 'nodes', hosts: ['a'], children: [], vars: {} }]]),
  };
  const host = { ...createHostState('a'), hostFacts: { os: { prettyName: hostile } }, runtimeVars: { reg: { stdout: hostile } } };
  const state = { inventory, hosts: new Map([['a', host]]), options: { extraVars: {}, check: false, diff: false }, playbook: { dir: '/tmp' } } as unknown as RunState;
  const play = { vars: { via_fact: '{{ facts.os.prettyName }}', via_reg: '{{ reg.stdout }}' }, defaults: {} } as unknown as Play;
  const shared = buildSharedVars(state, play, ['a']);
  const vars = buildTaskVars(state, play, shared, host, []);
  t.is((vars['facts'] as { os: { prettyName: string } }).os.prettyName, hostile);
  t.is(vars['via_fact'], hostile);
  t.is(vars['via_reg'], hostile);
  t.is(renderText('{{ facts.os.prettyName }}|{{ reg.stdout }}', vars), `${hostile}|${hostile}`);
  t.is((shared.hostvars['a']!['reg'] as Record<string, unknown>)['stdout'], hostile);
});
