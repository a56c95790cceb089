import test from 'ava';
import { TemplateError } from '../../runner/errors.js';
import { Secret } from '../../runner/secret.js';
import { checkExpression, evaluate, evaluateBool, referencedRoots } from '../../runner/lang/expr.js';

const vars = {
  result: { rc: 0, stdout: 'member 8e9e05c52164694d is healthy', changed: false },
  inventory_hostname: 'infra0',
  groups: { etcd: ['infra0', 'infra1', 'infra2'] },
  facts: { os: { id: 'debian', version_id: '12' }, cpus: 2, load: 0.25 },
  names: ['x', 'y'],
  empty: [],
  a: 'abxc',
  count: 3,
  ratio: 2.5,
  maybe: undefined,
  partial: { present: 1, gone: undefined },
  password: new Secret('hunter2'),
};
const at = { file: 'playbooks/x.yaml', line: 7, col: 5 };

test('the Ansible-style conditions users write', (t) => {
  t.true(evaluateBool('result.rc == 0', vars));
  t.false(evaluateBool('result.rc != 0', vars));
  t.true(evaluateBool('inventory_hostname == groups.etcd[0]', vars));
  t.false(evaluateBool('inventory_hostname == groups.etcd[1]', vars));
  t.true(evaluateBool('facts.os.id == "debian"', vars));
  t.true(evaluateBool('"x" in names', vars));
  t.false(evaluateBool('"z" in names', vars));
  t.true(evaluateBool('size(names) > 0', vars));
  t.false(evaluateBool('size(empty) > 0', vars));
  t.true(evaluateBool('a.contains("x")', vars));
  t.true(evaluateBool('result.stdout.contains("is healthy") && !result.changed', vars));
  t.true(evaluateBool('inventory_hostname in groups.etcd', vars));
});

test('int and double: integer JS numbers are CEL ints, others doubles', (t) => {
  t.true(evaluateBool('count > 2', vars));
  t.true(evaluateBool('count == 3', vars));
  t.is(evaluate('count + 1', vars), 4, 'the result comes back as a JS number');
  t.is(typeof evaluate('count * 2', vars), 'number');
  t.true(evaluateBool('count > 2.5', vars), 'comparing an int with a double works');
  t.true(evaluateBool('ratio > 2', vars));
  t.is(evaluate('ratio * 2.0', vars), 5);
  t.true(evaluateBool('facts.cpus >= 2 && facts.load < 1.0', vars));
  t.throws(() => evaluate('count + 0.5', vars, at), { instanceOf: TemplateError, message: /no such overload/ }, 'int + double arithmetic needs double(x)');
  t.is(evaluate('double(count) + 0.5', vars), 3.5);
  t.is(evaluate('2 * 3', {}), 6);
  t.deepEqual(evaluate('[count, ratio, "s"]', vars), [3, 2.5, 's']);
  t.deepEqual(evaluate('{"n": count}', vars), { n: 3 });
});

test('has() and undefined values: undefined is absent', (t) => {
  t.true(evaluateBool('has(partial.present)', vars));
  t.false(evaluateBool('has(partial.gone)', vars));
  t.false(evaluateBool('has(partial.never)', vars));
  t.false(evaluateBool('has(result.stderr) && result.stderr != ""', vars), '&& short-circuits past the missing key');
  t.throws(() => evaluate('maybe == 1', vars, at), { instanceOf: TemplateError, message: /undefined variable 'maybe'/ });
});

test('macros bind their own variables', (t) => {
  t.true(evaluateBool('groups.etcd.exists(h, h == inventory_hostname)', vars));
  t.true(evaluateBool('groups.etcd.all(h, h.startsWith("infra"))', vars));
  t.deepEqual(evaluate('names.map(n, n + "!")', vars), ['x!', 'y!']);
  t.deepEqual(referencedRoots('groups.etcd.exists(h, h == inventory_hostname) && has(result.rc)').sort(), ['groups', 'inventory_hostname', 'result']);
});

test('errors name the variable, the key and the location', (t) => {
  const unknown = t.throws(() => evaluate('resutl.rc == 0', vars, at), { instanceOf: TemplateError });
  t.is(unknown!.message, `playbooks/x.yaml:7:5  in expression "resutl.rc == 0": undefined variable 'resutl' (did you mean 'result'?)`);
  t.deepEqual(unknown!.location, at);
  const key = t.throws(() => evaluate('result.stderr == ""', vars, at), { instanceOf: TemplateError });
  t.is(key!.message, `playbooks/x.yaml:7:5  in expression "result.stderr == \\"\\"": missing key 'stderr' in 'result.stderr' (use has(result.stderr) to test for it)`);
  const index = t.throws(() => evaluate('groups.etcd[5] == "x"', vars, at), { instanceOf: TemplateError });
  t.regex(index!.message, /index out of bounds/);
  const syntax = t.throws(() => evaluate('result.rc ==', vars, at), { instanceOf: TemplateError });
  t.regex(syntax!.message, /^playbooks\/x\.yaml:7:5  invalid expression "result\.rc ==": Unexpected token/);
});

test('evaluateBool refuses a non-boolean result', (t) => {
  const err = t.throws(() => evaluateBool('a', vars, at), { instanceOf: TemplateError });
  t.is(err!.message, 'playbooks/x.yaml:7:5  condition "a" must give true or false, got a string: compare it, e.g. `x == "yes"` or `size(x) > 0`');
  t.throws(() => evaluateBool('result.rc', vars), { instanceOf: TemplateError, message: /got a number/ });
});

test('a variable named like a CEL type is reported, not silently read as the type', (t) => {
  t.throws(() => evaluate('size(list) > 0', { list: [1] }, at), { instanceOf: TemplateError, message: /'list' is a CEL type name/ });
});

test('secrets stay opaque in expressions', (t) => {
  t.false(evaluateBool('password == "hunter2"', vars));
  t.is(evaluate('password', vars), '<secret>');
  t.true(evaluateBool('password != ""', vars));
});

test('checkExpression and referencedRoots for the static check', (t) => {
  t.is(checkExpression('result.rc == 0 && size(names) > 0'), undefined);
  t.regex(checkExpression('result.rc == ') ?? '', /invalid expression .*Unexpected token/);
  t.regex(checkExpression('a &&& b') ?? '', /invalid expression/);
  t.deepEqual(referencedRoots('facts.os.id == "debian" && inventory_hostname == groups.etcd[0]').sort(), ['facts', 'groups', 'inventory_hostname']);
  t.deepEqual(referencedRoots('type(count) == int'), ['count', 'int'], 'type names are ids too; evaluate leaves them to CEL');
});
