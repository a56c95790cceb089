/**
 * hostvars as runner/vars/task-vars.ts builds it for one task: each host's entry is built when first
 * read, but from what the host had when the task started, so hosts running the task at the
 * same time see each other exactly as before any of them finished it.
 */
import test from 'ava';
import { buildSharedVars, buildTaskVars } from '../../runner/vars/task-vars.js';
import { createHostState, type HostState, type RunState } from '../../runner/engine/run-state.js';
import type { Play } from '../../runner/playbook.js';
import { renderText } from '../../runner/lang/template.js';
import { evaluate } from '../../runner/lang/expr.js';

function scene(): { state: RunState; play: Play; a: HostState; b: HostState } {
  const inventory = {
    hosts: new Map([
      ['a', { name: 'a', vars: { ansible_host: '10.0.0.1' }, groups: ['all', 'nodes'] }],
      ['b', { name: 'b', vars: { ansible_host: '10.0.0.2' }, groups: ['all', 'nodes'] }],
    ]),
    groups: new Map([['nodes', { name: 'nodes', hosts: ['a', 'b'], children: [], vars: {} }]]),
  };
  const a = { ...createHostState('a'), runtimeVars: { out: { stdout: 'first' } }, hostFacts: { hostname: 'a-host' } };
  const b = createHostState('b');
  const state = { inventory, hosts: new Map([['a', a], ['b', b]]), options: { extraVars: {}, check: false, diff: false }, playbook: { dir: '/tmp' } } as unknown as RunState;
  const play = { vars: { url: 'https://{{ ansible_host }}:2379' }, defaults: {} } as unknown as Play;
  return { state, play, a, b };
}

test('a host registering during the task does not change what others read of it in that task', (t) => {
  const { state, play, a, b } = scene();
  const shared = buildSharedVars(state, play, ['a', 'b']);
  // a finishes the task first (executor.ts finish): register and set_fact write runtimeVars.
  a.runtimeVars['out'] = { stdout: 'second' };
  a.runtimeVars['late'] = 'set during the task';
  a.hostFacts = { hostname: 'regathered' };
  const vars = buildTaskVars(state, play, shared, b, []);
  t.is(renderText('{{ hostvars.a.out.stdout }}', vars), 'first');
  t.false('late' in (shared.hostvars['a'] as Record<string, unknown>));
  t.is((shared.hostvars['a']!['facts'] as Record<string, unknown>)['hostname'], 'a-host');
  // The next task's hostvars sees the new values.
  const next = buildSharedVars(state, play, ['a', 'b']);
  t.is(renderText('{{ hostvars.a.out.stdout }}', buildTaskVars(state, play, next, b, [])), 'second');
  t.is(next.hostvars['a']!['late'], 'set during the task');
});

test('every host is listed, enumerated and serialised as before, and an entry read twice is the same object', (t) => {
  const { state, play } = scene();
  const shared = buildSharedVars(state, play, ['a', 'b']);
  t.deepEqual(Object.keys(shared.hostvars), ['a', 'b']);
  t.true('b' in shared.hostvars);
  t.is(shared.hostvars['a'], shared.hostvars['a']);
  const json = JSON.parse(JSON.stringify(shared.hostvars)) as Record<string, Record<string, unknown>>;
  t.is(json['b']!['url'], 'https://10.0.0.2:2379');
  t.is(json['a']!['inventory_hostname'], 'a');
  t.false('hostvars' in json['a']!);
  t.is(Object.getOwnPropertyDescriptor(shared.hostvars, 'a')!.writable, true);
});

test('hostvars through CEL and the get helper', (t) => {
  const { state, play, b } = scene();
  const shared = buildSharedVars(state, play, ['a', 'b']);
  const vars = buildTaskVars(state, play, shared, b, []);
  t.is(evaluate('hostvars.a.url', vars), 'https://10.0.0.1:2379');
  t.deepEqual(evaluate('hostvars.map(h, h)', vars), ['a', 'b']);
  t.is(renderText('{{#each groups.nodes}}{{get ../hostvars this "ansible_host"}} {{/each}}', vars), '10.0.0.1 10.0.0.2 ');
});
