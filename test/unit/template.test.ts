import test from 'ava';
import Handlebars from 'handlebars';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TemplateError } from '../../runner/errors.js';
import { Secret } from '../../runner/secret.js';
import { checkTemplate, renderString, renderText, renderValue } from '../../runner/lang/template.js';

const vars = {
  inventory_hostname: 'infra1',
  etcd_image: 'registry.k8s.io/etcd:3.5.21-0',
  port: 2379,
  enabled: false,
  nothing: null,
  groups: { etcd: ['infra0', 'infra1', 'infra2'] },
  hostvars: {
    infra0: { ansible_host: '10.0.0.6' },
    infra1: { ansible_host: '10.0.0.7' },
    infra2: { ansible_host: '10.0.0.8' },
    '10.0.0.9': { role: 'spare' },
  },
  config: { name: 'infra1', listen: ['a', 'b'] },
  token: new Secret('s3cr3t'),
};
const at = { file: 'playbooks/x.yaml', line: 12, col: 9 };

test('a lone {{ path }} keeps the type of the value', (t) => {
  t.deepEqual(renderString('{{ groups.etcd }}', vars), ['infra0', 'infra1', 'infra2']);
  t.is(renderString('{{ port }}', vars), 2379);
  t.is(renderString('  {{port}}  ', vars), 2379, 'surrounding whitespace is allowed');
  t.is(renderString('{{ name }}\n', { name: 'etcd' }), 'etcd\n', 'text keeps the newline written after it (a | block)');
  t.is(renderString(' {{ upper name }} ', { name: 'etcd' }), ' ETCD ', 'and a lone helper call giving text keeps its blanks');
  t.is(renderString('{{ enabled }}', vars), false);
  t.is(renderString('{{ nothing }}', vars), null);
  t.deepEqual(renderString('{{ config }}', vars), { name: 'infra1', listen: ['a', 'b'] });
  t.is(renderString('{{ groups.etcd.[0] }}', vars), 'infra0');
  t.is(renderString('{{ hostvars.infra0.ansible_host }}', vars), '10.0.0.6');
  t.is(renderString('{{ hostvars.[10.0.0.9].role }}', vars), 'spare');
  t.is(renderString('{{ token }}', vars), vars.token, 'a secret stays a Secret, not its text');
});

test('anything else renders to a string, without HTML escaping', (t) => {
  t.is(renderString('port={{ port }}', vars), 'port=2379');
  t.is(renderString('{{ inventory_hostname }}-{{ port }}', vars), 'infra1-2379');
  t.is(renderString('<a href="{{ etcd_image }}">&</a>', vars), '<a href="registry.k8s.io/etcd:3.5.21-0">&</a>');
  t.is(renderString('no template', vars), 'no template');
});

test('renderValue renders deeply, leaves keys and non-strings alone', (t) => {
  const value = { '{{ port }}': ['{{ port }}', 'x{{ port }}', 3, true, null], nested: { list: '{{ groups.etcd }}' } };
  t.deepEqual(renderValue(value, vars), { '{{ port }}': [2379, 'x2379', 3, true, null], nested: { list: ['infra0', 'infra1', 'infra2'] } });
  const bytes = new Uint8Array([1, 2]);
  t.is(renderValue(bytes, vars), bytes);
});

test('an undefined variable names itself, its template and the location', (t) => {
  const lone = t.throws(() => renderString('{{ etcd_imgae }}', vars, at), { instanceOf: TemplateError });
  t.is(lone!.message, `playbooks/x.yaml:12:9  undefined variable 'etcd_imgae' in "{{ etcd_imgae }}" (did you mean 'etcd_image'?)`);
  t.deepEqual(lone!.location, at);
  const inline = t.throws(() => renderString('image: {{ etcd_imgae }}', vars, at), { instanceOf: TemplateError });
  t.is(inline!.message, `playbooks/x.yaml:12:19  undefined variable 'etcd_imgae' in "{{ etcd_imgae }}" (did you mean 'etcd_image'?)`);
  const deep = t.throws(() => renderString('{{ hostvars.infra0.ansible_hots }}', vars, at), { instanceOf: TemplateError });
  t.regex(deep!.message, /undefined variable 'hostvars\.infra0\.ansible_hots' .*'ansible_hots' is not a key of 'hostvars\.infra0'.*did you mean 'ansible_host'/);
  const inlineDeep = t.throws(() => renderString('x={{ config.nmae }}', vars, at), { instanceOf: TemplateError });
  t.regex(inlineDeep!.message, /undefined variable 'config\.nmae' in "\{\{ config\.nmae \}\}" \('nmae' is not a key of 'config'\) \(did you mean 'name'\?\)/);
});

test('errors in a template file point at the line and column inside it', (t) => {
  const err = t.throws(() => renderText('a: 1\nb: {{ port }}\nc: {{ nope }}\n', vars, { file: 'templates/etcd.yaml.hbs', line: 1, col: 1 }), { instanceOf: TemplateError });
  t.is(err!.message, `templates/etcd.yaml.hbs:3:7  undefined variable 'nope' in "{{ nope }}"`);
  t.deepEqual(err!.location, { file: 'templates/etcd.yaml.hbs', line: 3, col: 7 });
});

test('syntax errors and unknown helpers are TemplateErrors', (t) => {
  t.regex(t.throws(() => renderString('{{ port', vars, at), { instanceOf: TemplateError })!.message, /^playbooks\/x\.yaml:12:9  template syntax error: Parse error/);
  t.regex(t.throws(() => renderString('{{ jion groups.etcd "," }}', vars, at), { instanceOf: TemplateError })!.message, /unknown helper or undefined variable 'jion'.*did you mean 'join'/);
  t.regex(checkTemplate('{{#each x}}') ?? '', /Parse error/);
  t.is(checkTemplate('{{#each x}}{{this}}{{/each}}'), undefined);
});

test('helpers: join, default (strict-safe), upper/lower/replace, eq/ne', (t) => {
  t.is(renderString('{{ join groups.etcd "," }}', vars), 'infra0,infra1,infra2');
  t.is(renderString('{{ join groups.etcd }}', vars), 'infra0,infra1,infra2', 'the separator defaults to ","');
  t.is(renderString('{{ default missing "fallback" }}', vars), 'fallback', 'default works for an undefined variable in strict mode');
  t.is(renderString('{{ default config.missing "x" }}', vars), 'x');
  t.is(renderString('{{ default nothing 5 }}', vars), 5);
  t.is(renderString('{{ default port 1 }}', vars), 2379);
  t.is(renderString('port {{ default port 1 }}', vars), 'port 2379');
  t.throws(() => renderString('{{ default absent.deeper "x" }}', vars, at), { instanceOf: TemplateError, message: /the parent of 'deeper' is not defined/ });
  t.is(renderString('{{ upper inventory_hostname }}/{{ lower "AbC" }}', vars), 'INFRA1/abc');
  t.is(renderString('{{ replace etcd_image ":" "@" }}', vars), 'registry.k8s.io/etcd@3.5.21-0');
  t.is(renderString('{{#if (eq inventory_hostname "infra1")}}yes{{else}}no{{/if}}', vars), 'yes');
  t.is(renderString('{{#if (ne inventory_hostname "infra1")}}yes{{else}}no{{/if}}', vars), 'no');
  const join = t.throws(() => renderString('hosts: {{ join inventory_hostname "," }}', vars, at), { instanceOf: TemplateError });
  t.is(join!.message, 'playbooks/x.yaml:12:16  cannot render template: join: expected a list, got a string in "{{ join inventory_hostname \\",\\" }}"');
});

test('a lone helper call keeps the type of its result', (t) => {
  t.is(renderString('{{ eq inventory_hostname "infra1" }}', vars), true);
  t.is(renderString('{{ ne inventory_hostname "infra1" }}', vars), false);
  t.is(renderString('{{ get groups.etcd 0 }}', vars), 'infra0');
  t.deepEqual(renderString('{{ get hostvars "infra2" }}', vars), { ansible_host: '10.0.0.8' });
  t.is(renderString('{{ default missing port }}', vars), 2379);
  t.is(renderString('{{ upper inventory_hostname }}', vars), 'INFRA1');
  t.is(renderString('{{ lookup groups.etcd 2 }}', vars), 'infra2', "handlebars' own lookup too");
  const err = t.throws(() => renderString('{{ get hostvars "infra9" }}', vars, at), { instanceOf: TemplateError });
  t.is(err!.message, 'playbooks/x.yaml:12:9  cannot render template: get: no key \'infra9\' (keys: infra0, infra1, infra2, 10.0.0.9) in "{{ get hostvars \\"infra9\\" }}"');
});

test('url_host brackets IPv6 addresses only', (t) => {
  t.is(renderString('https://{{ url_host "10.0.0.6" }}:2380', vars), 'https://10.0.0.6:2380');
  t.is(renderString('https://{{ url_host "fd00::6" }}:2380', vars), 'https://[fd00::6]:2380');
  t.is(renderString('https://{{ url_host "[fd00::6]" }}:2380', vars), 'https://[fd00::6]:2380');
  t.is(renderString('https://{{ url_host "infra0" }}:2380', vars), 'https://infra0:2380');
});

test('version_gte compares as kubeadm does for etcd (semver: a pre-release is below its release)', (t) => {
  const gte = (v: unknown, min: string) => renderString('{{ version_gte v min }}', { v, min });
  t.true(gte('3.6.0', '3.6.0'));
  t.true(gte('3.6.5', '3.6.0'));
  t.true(gte('v3.10.0', '3.6.0'), 'numeric, not text, order; a leading v is allowed');
  t.true(gte('3.6', '3.6.0'));
  t.true(gte('3.6.5-0', '3.6.0'), "kubeadm's image tag 3.6.5-0");
  t.false(gte('3.5.21-0', '3.6.0'));
  t.false(gte('3.4.30', '3.6.0'));
  t.false(gte('3.6.0-rc.1', '3.6.0'), 'a pre-release ranks below the release (ParseSemantic + AtLeast)');
  t.true(gte('3.6.0-rc.10', '3.6.0-rc.2'));
  t.true(gte('3.6.0+build.7', '3.6.0'));
  t.false(gte(null, '3.6.0'), 'a tool that is not installed');
  t.false(gte(undefined, '3.6.0'));
  t.throws(() => gte('three', '3.6.0'), { message: /'three' is not a version/ });
  t.throws(() => gte('3.6.0', 'latest'), { message: /'latest' is not a version/ });
  t.is(renderString('{{#if (version_gte v "3.6.0")}}new{{else}}old{{/if}}', { v: '3.6.1' }), 'new');
});

test('is_ipv6 tells an IPv6 address (kubeadm: ::1 rather than 127.0.0.1)', (t) => {
  t.true(renderString('{{ is_ipv6 "fd00::6" }}', vars) as boolean);
  t.true(renderString('{{ is_ipv6 "[fd00::6]" }}', vars) as boolean);
  t.false(renderString('{{ is_ipv6 "10.0.0.6" }}', vars) as boolean);
  t.false(renderString('{{ is_ipv6 "infra0" }}', vars) as boolean);
});

test('helpers: b64encode/b64decode, to_json, to_yaml, indent', (t) => {
  t.is(renderString('{{ b64encode "hello" }}', vars), 'aGVsbG8=');
  t.is(renderString('{{ b64decode "aGVsbG8=" }}', vars), 'hello');
  t.is(renderString('{{ to_json config }}', vars), '{"name":"infra1","listen":["a","b"]}');
  t.is(renderString('{{ to_yaml config }}', vars), 'name: infra1\nlisten:\n  - a\n  - b');
  t.is(renderString('config:\n  {{ indent (to_yaml config) 2 }}', vars), 'config:\n  name: infra1\n  listen:\n    - a\n    - b');
});

test('lookup_file reads a controller file relative to playbook_dir', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-tpl-'));
  writeFileSync(join(dir, 'motd.txt'), 'hello from the controller\n');
  t.is(renderString('{{ lookup_file "motd.txt" }}', { ...vars, playbook_dir: dir }), 'hello from the controller\n');
  t.throws(() => renderString('{{ lookup_file "absent.txt" }}', { ...vars, playbook_dir: dir }), { instanceOf: TemplateError, message: /lookup_file: cannot read .*absent\.txt/ });
});

test('each/if: building etcd initial-cluster from the inventory', (t) => {
  const tpl = '{{#each groups.etcd}}{{this}}=https://{{get ../hostvars this "ansible_host"}}:2380{{#unless @last}},{{/unless}}{{/each}}';
  t.is(renderString(tpl, vars), 'infra0=https://10.0.0.6:2380,infra1=https://10.0.0.7:2380,infra2=https://10.0.0.8:2380');
  // handlebars' own lookup works too, one level at a time.
  const builtin = '{{#each groups.etcd}}{{lookup (lookup ../hostvars this) "ansible_host"}} {{/each}}';
  t.is(renderString(builtin, vars), '10.0.0.6 10.0.0.7 10.0.0.8 ');
  t.throws(() => renderString('{{#each groups.etcd}}{{get ../hostvars this "address"}}{{/each}}', vars), { instanceOf: TemplateError, message: /get: no key 'address'/ });
});

test('#each over an undefined variable is an error, not an empty string', (t) => {
  const err = t.throws(() => renderText('peers: {{#each groups.etdc}}{{this}}{{/each}}', vars, { file: 't.hbs', line: 1, col: 1 }), { instanceOf: TemplateError });
  t.is(err!.message, 't.hbs:1:8  cannot render template: #each over an undefined value (a misspelt variable?) in "{{#each groups.etdc}}"');
  t.is(renderString('{{#if undefined_flag}}on{{else}}off{{/if}}', vars), 'off', 'if stays lenient: undefined means not set');
});

test('a Secret is never rendered into text, neither as its value nor as a silent mask', (t) => {
  const err = t.throws(() => renderString('password={{ token }}', vars, at), { instanceOf: TemplateError });
  t.is(err!.message, 'playbooks/x.yaml:12:9  a secret value cannot be put into text (it would read <secret>): pass it alone, as "{{ name }}", to a parameter that takes a secret');
  t.notRegex(err!.message, /s3cr3t/);
  t.is(renderString('literal <secret> on port {{ port }}', vars), 'literal <secret> on port 2379', 'a mask written in the template itself is left alone');
});

test('text with only {{ path }} mustaches renders exactly as handlebars does (the fast path)', (t) => {
  const reference = Handlebars.create();
  const vars = {
    dir: '/etc/kubernetes/pki',
    n: 0,
    off: false,
    none: null,
    gone: undefined,
    list: ['a', 'b'],
    nested: { deep: { port: 2379 }, 'with-dash': 'x' },
    obj: { a: 1 },
    hosts: { '10.0.0.6': { name: 'infra0' } },
  };
  const texts = [
    '{{ dir }}/etcd/ca.crt',
    'n={{n}} off={{ off }} none=[{{ none }}] gone=[{{ gone }}]',
    'list: {{ list }} first: {{ list.[0] }} {{ list.length }}',
    'https://host:{{ nested.deep.port }} {{ nested/with-dash }} {{ obj }}',
    'name {{ hosts.[10.0.0.6].name }}\nsecond line {{ this.dir }}',
    // Not the fast path's to render: braces, escapes, helpers, blocks; handlebars does it.
    '{"dir": "{{ dir }}"}',
    '\\{{ dir }} {{ dir }}',
    '{{#each list}}{{this}};{{/each}}',
    '{{{ dir }}}',
  ];
  for (const text of texts) {
    const expected = reference.compile(text, { strict: true, noEscape: true })(vars);
    t.is(renderText(text, vars), expected, text);
  }
  // A path that does not resolve still fails with handlebars' position and our message.
  const err = t.throws(() => renderText('x {{ dir }} {{ nested.deep.missing }}', vars, { file: 'p.yaml', line: 3, col: 9 }));
  t.regex(err?.message ?? '', /undefined variable 'nested\.deep\.missing'/);
});
