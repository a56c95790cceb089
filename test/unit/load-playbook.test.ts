/**
 * Loading valid playbooks (test/fixtures/playbooks): the AST, positions of imported tasks,
 * vars_files and extra vars precedence, and the static check on a playbook that is correct.
 * Broken playbooks are in the invalid corpus (invalid-corpus.test.ts).
 */
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';
import { loadPlaybook, getPlaybookSources } from '../../runner/load/playbook.js';
import { staticCheck } from '../../runner/load/static-check.js';
import { parseYamlText } from '../../runner/load/yaml.js';
import { validateAgainst } from '../../runner/validators/validate.js';
import { didYouMean } from '../../runner/util/suggest.js';
import { ConfigError, formatProblem } from '../../runner/errors.js';
import type { TaskItem } from '../../runner/playbook.js';

const dir = fileURLToPath(new URL('../fixtures/playbooks', import.meta.url));
const site = join(dir, 'site.yaml');

/** One line per node: kind, module, name, where (relative to the fixture dir) and pointer. */
function summarize(items: TaskItem[], indent = ''): string[] {
  return items.flatMap((item) => {
    const where = `${relative(dir, item.location.file)}:${item.location.line}:${item.location.col} ${item.pointer}`;
    if (item.kind === 'task') return [`${indent}${item.module} ${item.name ?? '-'} @ ${where}`];
    return [
      `${indent}block ${item.name ?? '-'} @ ${where}`,
      ...summarize(item.block, `${indent}  block: `),
      ...summarize(item.rescue, `${indent}  rescue: `),
      ...summarize(item.always, `${indent}  always: `),
    ];
  });
}

test('play keywords are normalized, with defaults', (t) => {
  const pb = loadPlaybook(site);
  t.is(pb.file, site);
  t.is(pb.dir, dir);
  t.is(pb.plays.length, 2);
  const [first, second] = pb.plays;
  const { tasks: _t, handlers: _h, vars: _v, ...play0 } = first!;
  t.deepEqual(play0, {
    name: 'etcd members',
    hosts: 'etcd:spare',
    defaults: {},
    gather_facts: true,
    become: true,
    serial: [1, '50%'],
    any_errors_fatal: false,
    max_fail_percentage: 20,
    tags: ['setup'],
    location: { file: site, line: 2, col: 3 },
    pointer: '/0',
  });
  const { tasks: _t1, handlers: _h1, ...play1 } = second!;
  t.deepEqual(play1, { hosts: 'all', vars: {}, defaults: {}, gather_facts: false, become: false, any_errors_fatal: false, location: { file: site, line: 57, col: 3 }, pointer: '/1' });
});

test('vars_files override play vars; extra vars override both and reach every play', (t) => {
  const plain = loadPlaybook(site);
  t.deepEqual(plain.plays[0]!.vars, {
    etcd_version: '3.5.21',
    etcd_image: 'registry.k8s.io/etcd:{{ etcd_version }}-0',
    data_dir: '/srv/etcd',
    log_level: 'info',
  });
  const extra = loadPlaybook(site, { extraVars: { etcd_version: '3.6.0', log_level: 'debug' } });
  t.deepEqual(extra.plays[0]!.vars, { etcd_version: '3.6.0', etcd_image: 'registry.k8s.io/etcd:{{ etcd_version }}-0', data_dir: '/srv/etcd', log_level: 'debug' });
  t.deepEqual(extra.plays[1]!.vars, { etcd_version: '3.6.0', log_level: 'debug' });
});

test('tasks in order: pre_tasks, flush, tasks with imports expanded in place, flush, post_tasks', (t) => {
  const pb = loadPlaybook(site);
  t.deepEqual(summarize(pb.plays[0]!.tasks), [
    'debug say hello @ site.yaml:15:7 /0/pre_tasks/0',
    'meta flush handlers @ site.yaml:14:3 /0/pre_tasks',
    'file data directory @ site.yaml:18:7 /0/tasks/0',
    'debug imported one @ tasks/common.yaml:1:3 /0',
    'command imported two @ tasks/common.yaml:4:3 /1',
    'block - @ site.yaml:24:7 /0/tasks/2',
    '  block: debug imported one @ tasks/common.yaml:1:3 /0',
    '  block: command imported two @ tasks/common.yaml:4:3 /1',
    'block try, rescue, always @ site.yaml:29:7 /0/tasks/3',
    '  block: command - @ site.yaml:31:11 /0/tasks/3/block/0',
    '  rescue: debug - @ site.yaml:39:11 /0/tasks/3/rescue/0',
    '  always: debug - @ site.yaml:41:11 /0/tasks/3/always/0',
    'debug members @ site.yaml:44:7 /0/tasks/4',
    'set_fact - @ site.yaml:49:7 /0/tasks/5',
    'meta - @ site.yaml:50:7 /0/tasks/6',
    'meta flush handlers @ site.yaml:51:3 /0/post_tasks',
    'debug - @ site.yaml:52:7 /0/post_tasks/0',
  ]);
  t.deepEqual(summarize(pb.plays[1]!.tasks), ['debug - @ site.yaml:60:7 /1/tasks/0']);
});

test('task keywords: one-or-many become lists, booleans stay booleans, args as written', (t) => {
  const tasks = loadPlaybook(site).plays[0]!.tasks;
  const at = (i: number) => tasks[i]!;
  t.deepEqual(at(2).keywords, { when: ['facts.os.id == "debian"'], notify: ['restart etcd'], register: 'datadir' });
  t.like(at(2), { kind: 'task', module: 'file', args: { path: '{{ data_dir }}', state: 'directory', mode: '0700' } });
  t.like(at(4), { kind: 'task', module: 'command', args: 'true' });
  t.deepEqual(at(5).keywords, { when: ['inventory_hostname == groups.etcd[0]', 'true'], tags: ['first'] });
  const block = at(6);
  if (block.kind !== 'block') return t.fail('expected a block');
  t.deepEqual(block.keywords, { vars: { probe: 'version' } });
  t.deepEqual(block.block[0]!.keywords, { changed_when: false, failed_when: ['result.rc > 1'], register: 'result', retries: 3, delay: 2, until: 'result.rc == 0' });
  t.deepEqual(at(7).keywords, {
    loop: '{{ groups.etcd }}',
    loop_control: { loop_var: 'member', index_var: 'i', label: '{{ member }}' },
    notify: ['restart etcd', 'config changed'],
  });
  t.like(at(10), { kind: 'task', module: 'meta', args: 'flush_handlers' });
});

test('handlers: listen topics as lists, imported handlers spliced in with their own positions', (t) => {
  const handlers = loadPlaybook(site).plays[0]!.handlers;
  t.deepEqual(summarize(handlers), ['systemd restart etcd @ site.yaml:54:7 /0/handlers/0', 'systemd reload units @ tasks/handlers.yaml:1:3 /0']);
  t.is(handlers[0]!.listen, undefined);
  t.deepEqual(handlers[1]!.listen, ['config changed']);
});

test('the loader keeps every file it read, for locating problems later', (t) => {
  const sources = getPlaybookSources(loadPlaybook(site))!;
  t.deepEqual([...sources.files.keys()].map((f) => relative(dir, f)).sort(), ['site.yaml', 'tasks/common.yaml', 'tasks/handlers.yaml', 'vars/common.yaml']);
});

test('static check: a correct playbook has no problems, and an inventory variable is needed', (t) => {
  const pb = loadPlaybook(site);
  t.deepEqual(staticCheck(pb, new Set(['etcd_data_dir'])), []);
  const problems = staticCheck(pb, new Set()).map(formatProblem);
  t.deepEqual(problems, [`${site}:60:25  /1/tasks/0/debug/msg  undefined variable 'etcd_data_dir'`]);
});

test('static check: extra vars are defined variables', (t) => {
  const pb = loadPlaybook(site, { extraVars: { etcd_data_dir: '/data' } });
  // The engine passes extra vars as known too; play vars already carry them.
  t.deepEqual(staticCheck(pb, new Set()), []);
});

test('validateAgainst: template strings are not type-checked, other values are', (t) => {
  const schema = { type: 'object', additionalProperties: false, properties: { port: { type: 'integer' }, mode: { enum: ['a', 'b'] } } };
  const source = parseYamlText('args.yaml', 'ok:\n  port: "{{ p }}"\n  mode: "{{ m }}"\nbad:\n  port: "8080x"\n  mode: c\n');
  const value = source.value as Record<string, unknown>;
  t.deepEqual(validateAgainst(schema, value.ok, source, '/ok'), []);
  t.deepEqual(validateAgainst(schema, value.bad, source, '/bad').map(formatProblem), [
    'args.yaml:5:9  /bad/port  must be an integer, got a string',
    'args.yaml:6:9  /bad/mode  must be one of "a", "b"',
  ]);
  t.is(validateAgainst(schema, value.ok, source, '/ok', { skipTemplates: false }).length, 2);
});

test('validateAgainst never puts the offending value in a message (it may be a secret)', (t) => {
  const schema = { type: 'object', properties: { token: { type: 'integer' }, level: { enum: ['low', 'high'] } } };
  const source = parseYamlText('s.yaml', 'token: s3cr3t-t0ken\nlevel: hgih-s3cr3t\n');
  const messages = validateAgainst(schema, source.value, source, '').map(formatProblem);
  t.is(messages.length, 2);
  for (const m of messages) t.false(m.includes('s3cr3t'), m);
});

test('didYouMean: transpositions and typos within a length-dependent distance', (t) => {
  t.is(didYouMean('wehn', ['when', 'tags', 'name']), 'when');
  t.is(didYouMean('fiel', ['file', 'debug', 'command']), 'file');
  t.is(didYouMean('etcd_imgae', ['etcd_image', 'etcd_version']), 'etcd_image');
  t.is(didYouMean('frobnicate', ['file', 'debug', 'command']), undefined);
  t.is(didYouMean('ab', ['ac', 'cd']), undefined, 'a two-letter word gets no suggestion for a typo');
  t.is(didYouMean('Ab', ['ab', 'cd']), 'ab', 'but a case change is found');
  t.is(didYouMean('when', ['when']), undefined, 'an exact match is not a suggestion');
});

test('static check: names bound by each blocks, block params, CEL macros, register and set_fact are defined', (t) => {
  const pb = loadPlaybook(join(dir, 'scopes.yaml'));
  t.is(pb.plays[0]!.tasks.length, 5);
  t.deepEqual(staticCheck(pb, new Set()), []);
});

test('a playbook that cannot be read is a ConfigError naming the file', (t) => {
  const missing = join(dir, 'no-such-playbook.yaml');
  const error = t.throws(() => loadPlaybook(missing), { instanceOf: ConfigError });
  t.is(error?.problems.length, 1);
  t.true(error!.problems[0]!.message.startsWith(`cannot read ${missing}`), error!.message);
});
