/**
 * withoutSuggestions (runner/util/suggest.ts): checkHostArgs renders every host's arguments before the
 * run and drops the errors, so it skips building "did you mean" for them; every message a user
 * sees keeps its suggestion.
 */
import test from 'ava';
import { formatSuggestion, withoutSuggestions } from '../../runner/util/suggest.js';
import { renderValue } from '../../runner/lang/template.js';
import { evaluateBool } from '../../runner/lang/expr.js';

const VARS = ['etcd_image', 'etcd_version', 'inventory_hostname'];

test('formatSuggestion answers "" inside withoutSuggestions only, nested or after a throw', (t) => {
  t.is(formatSuggestion('etcd_imgae', VARS), " (did you mean 'etcd_image'?)");
  t.is(withoutSuggestions(() => formatSuggestion('etcd_imgae', VARS)), '');
  t.is(withoutSuggestions(() => withoutSuggestions(() => formatSuggestion('etcd_imgae', VARS)) + formatSuggestion('etcd_imgae', VARS)), '');
  t.throws(() => withoutSuggestions(() => { throw new Error('dropped'); }), { message: 'dropped' });
  t.is(formatSuggestion('etcd_imgae', VARS), " (did you mean 'etcd_image'?)", 'back on after a throw');
  t.is(withoutSuggestions(() => 42), 42);
});

test('template and condition errors keep their suggestion outside withoutSuggestions', (t) => {
  const vars = { etcd_image: 'registry.k8s.io/etcd', etcd_version: '3.5' };
  const seen = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      return (err as Error).message;
    }
    return 'no error';
  };
  t.regex(seen(() => renderValue('{{ etcd_imgae }}', vars)), /did you mean 'etcd_image'/);
  t.regex(seen(() => evaluateBool('etcd_versoin == "3.5"', vars)), /did you mean 'etcd_version'/);
  t.notRegex(seen(() => withoutSuggestions(() => renderValue('{{ etcd_imgae }}', vars))), /did you mean/);
  t.notRegex(seen(() => withoutSuggestions(() => evaluateBool('etcd_versoin == "3.5"', vars))), /did you mean/);
  t.regex(seen(() => renderValue('{{ etcd_imgae }}', vars)), /did you mean 'etcd_image'/, 'and again after');
});
