/**
 * Jinja habits in quorum's spelling: "is defined" on any variable (`has(vars.x)`), version
 * comparison (CEL `version()`, the `version` helper), the filters Ansible users reach for as
 * Handlebars helpers, and the message that translates a Jinja template or condition.
 */
import test from 'ava';
import { evaluate, evaluateBool } from '../../runner/lang/expr.js';
import { renderString, renderText } from '../../runner/lang/template.js';
import { compareVersions, versionHolds } from '../../runner/lang/version-compare.js';
import { jinjaConditionHint, jinjaTemplateHint } from '../../runner/lang/jinja-hints.js';
import { listTemplateHelpers } from '../../runner/lang/template-helpers.js';
import { lazilyRendered } from '../../runner/vars/task-vars.js';

/** Variables as the engine builds them: `vars` names them all, without being one of them. */
function taskVars(values: Record<string, unknown>): Record<string, unknown> {
  const vars = lazilyRendered({ ...values });
  Object.defineProperty(vars, 'vars', { value: vars, enumerable: false });
  return vars;
}

test('is defined for a top-level variable: has(vars.x); and for a field: has(a.b)', (t) => {
  const vars = taskVars({ a: { b: 1 }, set_but_null: null, lazy: '{{ a.b }}' });
  t.true(evaluateBool('has(vars.a)', vars));
  t.false(evaluateBool('has(vars.nope)', vars));
  t.true(evaluateBool('has(vars.set_but_null)', vars), 'null is defined, as in Jinja');
  t.true(evaluateBool('has(a.b) && !has(a.c)', vars));
  t.is(evaluate('has(vars.a) ? a.b : 0', vars), 1);
  t.is(evaluate('vars.lazy', vars), 1, 'a template variable read through vars is rendered');
});

test('a broken variable of another host does not break an expression that does not read it', (t) => {
  const broken = lazilyRendered({ x: 2, bad: '{{ nowhere }}' });
  const vars = { hostvars: { h2: broken } };
  t.true(evaluateBool('hostvars.h2.x == 2', vars));
  t.throws(() => evaluate('hostvars.h2.bad', vars), { message: /nowhere/ });
});

test('version comparison in CEL and templates, semver and loose versions', (t) => {
  const vars = taskVars({ etcd: '3.5.12', kernel: '5.15.0-91-generic', deb: '1:2.3~rc1' });
  t.true(evaluateBool('version(etcd, ">=", "3.5")', vars));
  t.false(evaluateBool('version(etcd, "<", "3.5.2")', vars));
  t.true(evaluateBool('version(kernel, "ge", "5.4")', vars));
  t.true(evaluateBool('version("3.10", ">", "3.9")', vars), 'numbers, not text');
  t.true(versionHolds('3.6.0-rc.1', '<', '3.6.0'));
  t.true(compareVersions('2.10', '2.9') > 0);
  t.throws(() => evaluate('version(etcd, "~>", "3")', vars), { message: /unknown operator '~>'/ });
  t.is(renderString('{{#if (version etcd ">=" "3.5")}}new{{else}}old{{/if}}', vars), 'new');
});

test('the filters Ansible users use most are helpers', (t) => {
  const names = new Set(listTemplateHelpers());
  for (const f of ['default', 'join', 'first', 'last', 'sort', 'unique', 'basename', 'dirname', 'split', 'replace', 'lower', 'upper', 'int', 'bool', 'to_json', 'to_yaml', 'b64encode', 'regex_replace']) {
    t.true(names.has(f), f);
  }
  const vars = { l: [3, 1, 2, 1], words: ['b', 'a'], p: '/etc/ssl/ca.pem', s: ' a  b ', n: '42', yes: 'yes', v: 'etcd-v3.5.12' };
  t.is(renderString('{{first l}}', vars), 3);
  t.is(renderString('{{last l}}', vars), 1);
  t.deepEqual(renderString('{{sort l}}', vars), [1, 1, 2, 3]);
  t.deepEqual(renderString('{{sort words}}', vars), ['a', 'b']);
  t.deepEqual(renderString('{{unique l}}', vars), [3, 1, 2]);
  t.is(renderString('{{basename p}}', vars), 'ca.pem');
  t.is(renderString('{{dirname p}}', vars), '/etc/ssl');
  t.deepEqual(renderString('{{split s}}', vars), ['a', 'b']);
  t.deepEqual(renderString('{{split p "/"}}', vars), ['', 'etc', 'ssl', 'ca.pem']);
  t.is(renderString('{{int n}}', vars), 42);
  t.is(renderString('{{int "x" 7}}', vars), 7);
  t.is(renderString('{{bool yes}}', vars), true);
  t.is(renderString("{{regex_replace v '^etcd-v' ''}}", vars), '3.5.12');
  t.is(renderString("{{regex_replace v '(\\d+)\\.(\\d+)' '\\2.\\1'}}", vars), 'etcd-v5.3.12');
  t.is(renderText('{{join (sort (unique l)) ","}}', vars), '1,2,3');
});

test('a Jinja template says how to write that very expression', (t) => {
  t.is(jinjaTemplateHint("{{ x | default('y') }}"), "this is Jinja: write `{{ x | default('y') }}` -> `{{default x 'y'}}`");
  t.regex(jinjaTemplateHint("{{ hostvars[h]['ansible_host'] }} {{ groups.etcd | join(',') }}")!, /`\{\{join groups.etcd ','\}\}`/);
  t.regex(jinjaTemplateHint('{% if x %}a{% else %}b{% endif %}')!, /`\{\{#if x\}\}`, `\{% else %\}` -> `\{\{else\}\}`, `\{% endif %\}` -> `\{\{\/if\}\}`/);
  t.is(jinjaTemplateHint('{{#each xs as |x|}}{{x}}{{/each}} {{default a "this is fine"}}'), undefined, 'Handlebars is not Jinja');
  // At run time too: the message replaces handlebars' "'{{' is not closed".
  t.throws(() => renderText("port {{ port | default('2379') }}", {}), { message: /write .*`\{\{default port '2379'\}\}`/ });
  t.throws(() => renderText('{{ x is defined }}', { x: 1 }), { message: /this is Jinja/ });
});

test('a Jinja condition says how to write it in CEL', (t) => {
  t.is(jinjaConditionHint('x is defined'), 'this is Jinja: write `has(vars.x)`');
  t.is(jinjaConditionHint('r is succeeded and not (a.b is defined)'), 'this is Jinja: write `!has(r.failed) && !(has(a.b))`');
  t.is(jinjaConditionHint("v is version('3.5', '>=') or x | length > 0"), 'this is Jinja: write `version(v, ">=", "3.5") || size(x) > 0`');
  t.is(jinjaConditionHint('x == "a" && y'), undefined);
  t.throws(() => evaluate('result is changed', { result: { changed: true } }), { message: /write `\(has\(result.changed\) && result.changed\)`/ });
  t.is(evaluate('(has(result.changed) && result.changed)', { result: { changed: true } }), true, 'and the suggestion runs');
});
