import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/quorum.js';
import { translateJinjaBooleanWords } from '../../runner/lang/jinja-boolean-words.js';
import { checkExpression, evaluateBool } from '../../runner/lang/expr.js';

test('and/or/not become CEL operators, with not binding looser than a comparison', (t) => {
  t.is(translateJinjaBooleanWords('a and not b.stat.exists'), 'a && !(b.stat.exists)');
  t.is(translateJinjaBooleanWords('not a == b and c or d'), '!(a == b) && c || d');
  t.is(translateJinjaBooleanWords('not (a or b)'), '!((a || b))');
  t.is(translateJinjaBooleanWords('f(not a, b)'), 'f(!(a), b)');
  t.is(translateJinjaBooleanWords('not not a'), '!(!(a))');
});

test('words inside strings and fields are left alone; CEL without them is not touched', (t) => {
  t.is(translateJinjaBooleanWords("x.not and 'and or not' == y"), "x.not && 'and or not' == y");
  t.is(translateJinjaBooleanWords('r.stdout.contains("not found")'), undefined);
  t.is(translateJinjaBooleanWords('a && !b'), undefined);
});

test("a condition in Ansible's words evaluates as Ansible evaluates it", (t) => {
  const vars = { a: true, b: { stat: { exists: false } }, n: 2 };
  t.true(evaluateBool('a and not b.stat.exists', vars));
  t.false(evaluateBool('not a or b.stat.exists', vars));
  // Jinja: `not n == 3` is `not (n == 3)`; read as CEL's `!n == 3` it would not even type-check.
  t.true(evaluateBool('not n == 3', vars));
  t.is(checkExpression('a and not b.stat.exists'), undefined);
});

test('an error in a condition read from Jinja words names the field as written, not a slice of other text', (t) => {
  const err = t.throws(() => evaluateBool('out.rc == 0 and not out.failed', { out: { rc: 0 } }));
  t.regex(err!.message, /^in expression "out\.rc == 0 and not out\.failed": missing key 'failed' in 'out\.failed' \(use has\(out\.failed\) to test for it\)/);
});

test('what is still Jinja and not CEL is refused with the quorum spelling', (t) => {
  const problem = checkExpression('x is defined and y');
  t.truthy(problem);
  t.regex(problem!, /has\(vars\.x\)/);
});

test('--syntax-check accepts a condition in Jinja words, and the run takes the branch Jinja would', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-jinja-words-'));
  writeFileSync(join(dir, 'inv.yaml'), 'all:\n  hosts:\n    localhost: { ansible_connection: local }\n');
  writeFileSync(join(dir, 'pb.yaml'), [
    '- hosts: all',
    '  gather_facts: false',
    '  vars: { ready: true, r: { stat: { exists: false } } }',
    '  tasks:',
    '    - debug: { msg: taken }',
    '      when: ready and not r.stat.exists',
    '    - debug: { msg: not-taken }',
    '      when: not ready or r.stat.exists',
    '',
  ].join('\n'));
  const check = await runCli(['run', join(dir, 'pb.yaml'), '-i', join(dir, 'inv.yaml'), '--syntax-check']);
  t.is(check.code, 0, check.stdout + check.stderr);
  const run = await runCli(['run', join(dir, 'pb.yaml'), '-i', join(dir, 'inv.yaml'), '-o', 'plain']);
  t.is(run.code, 0, run.stdout + run.stderr);
  t.regex(run.stdout, /ok: \[localhost\] => taken/);
  t.notRegex(run.stdout, /not-taken/);
});
