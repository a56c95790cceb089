import test from 'ava';
import { ConfigError } from '../../runner/errors.js';
import { parseInventory } from '../../runner/inventory/load.js';
import { selectHosts } from '../../runner/inventory/patterns.js';

const inv = parseInventory(
  'patterns.yaml',
  `
all:
  hosts:
    bastion:
  children:
    etcd:
      hosts:
        infra0:
        infra1:
        infra2:
    web:
      hosts:
        web1:
        web2:
        infra2:
    webcache:
      hosts:
        cache1:
    spare:
      hosts:
        infra3:
`,
);

const select = (pattern: string, limit?: string) => selectHosts(inv, pattern, limit);

test('all, * and a group or host name', (t) => {
  t.deepEqual(select('all'), ['bastion', 'infra0', 'infra1', 'infra2', 'web1', 'web2', 'cache1', 'infra3']);
  t.deepEqual(select('*'), select('all'));
  t.deepEqual(select('etcd'), ['infra0', 'infra1', 'infra2']);
  t.deepEqual(select('web1'), ['web1']);
  t.deepEqual(select('ungrouped'), ['bastion']);
});

test('union with : and , keeps inventory order and drops duplicates', (t) => {
  t.deepEqual(select('web:etcd'), ['infra0', 'infra1', 'infra2', 'web1', 'web2']);
  t.deepEqual(select('web1, infra0'), ['infra0', 'web1']);
});

test('intersection and exclusion, in any order', (t) => {
  t.deepEqual(select('etcd:&web'), ['infra2']);
  t.deepEqual(select('etcd:!web'), ['infra0', 'infra1']);
  t.deepEqual(select('!web:etcd'), ['infra0', 'infra1'], 'exclusions apply after unions wherever they are written');
  t.deepEqual(select('all:!etcd:!web'), ['bastion', 'cache1', 'infra3']);
  t.deepEqual(select('!etcd'), ['bastion', 'web1', 'web2', 'cache1', 'infra3'], 'a lone exclusion starts from all');
});

test('globs match groups and hosts; regexes with ~', (t) => {
  t.deepEqual(select('web*'), ['infra2', 'web1', 'web2', 'cache1'], 'web* matches groups web and webcache and hosts web1, web2');
  t.deepEqual(select('infra?'), ['infra0', 'infra1', 'infra2', 'infra3']);
  t.deepEqual(select('~web\\d+'), ['web1', 'web2']);
  t.deepEqual(select('~infra[02]:&etcd'), ['infra0', 'infra2']);
  t.deepEqual(select('nothing*'), [], 'a glob may match nothing');
});

test('--limit narrows the selection with the same syntax', (t) => {
  t.deepEqual(select('etcd', 'infra1'), ['infra1']);
  t.deepEqual(select('all', 'etcd:!infra0'), ['infra1', 'infra2']);
  t.deepEqual(select('web', 'etcd'), ['infra2']);
  t.deepEqual(select('etcd', ''), ['infra0', 'infra1', 'infra2'], 'an empty limit limits nothing');
});

test('an unknown name is a ConfigError with a suggestion and the location', (t) => {
  const err = t.throws(() => selectHosts(inv, 'ectd', undefined, { file: 'play.yaml', line: 2, col: 10 }), { instanceOf: ConfigError });
  t.is(err!.message, "play.yaml:2:10  /  host pattern: 'ectd' is neither a group nor a host of the inventory (did you mean 'etcd'?)");
  const limit = t.throws(() => select('all', 'infra9x'), { instanceOf: ConfigError });
  t.regex(limit!.message, /--limit: 'infra9x' is neither a group nor a host/);
  const far = t.throws(() => select('zzzzzz'), { instanceOf: ConfigError });
  t.notRegex(far!.message, /did you mean/);
});

test('a bad regex and an empty pattern are ConfigErrors', (t) => {
  t.regex(t.throws(() => select('~web['), { instanceOf: ConfigError })!.message, /invalid regular expression in host pattern '~web\['/);
  t.regex(t.throws(() => select(' : '), { instanceOf: ConfigError })!.message, /selects nothing/);
});
