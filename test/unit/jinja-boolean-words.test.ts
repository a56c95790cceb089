import test from 'ava';
import { translateJinjaBooleanWords } from '../../runner/jinja-boolean-words.js';
import { checkExpression, evaluateBool } from '../../runner/expr.js';

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

test('what is still Jinja and not CEL is refused with the quorum spelling', (t) => {
  const problem = checkExpression('x is defined and y');
  t.truthy(problem);
  t.regex(problem!, /has\(vars\.x\)/);
});
