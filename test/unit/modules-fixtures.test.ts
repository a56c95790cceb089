/**
 * Plan fixtures (anchors.md 6.13a): one ava test per test/fixtures/modules/<module>/<case>.yaml,
 * for any module in the registry. A fixture gives `params`, `facts` (what gather would return)
 * and optional `ctx` (PlanContext fields), and expects: `changes` (describe strings or objects),
 * `noop`, `failed`, `unpredictable`, `msg`, `diffs`, `result`; or `invalid` (schema errors).
 * Every field is asserted; a field the harness does not know fails the test. Omitted `changes`,
 * `noop`, `failed`, `unpredictable` and `diffs` mean "none", so a fixture states the whole plan.
 * A string written as /regex/ is matched as a regular expression, any other string exactly.
 * Instead of `facts`, a fixture may give `vars`: then the module's real gather runs on the
 * controller with those task variables and a connection that refuses every call (for
 * controller-side modules such as assert, whose gather evaluates CEL).
 *
 * Also generated per module: docs.examples validate against the schema, and every schema
 * property has a description.
 */
import test, { type ExecutionContext } from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { modules } from '../../modules/index.js';
import { parseYamlText } from '../../runner/load/yaml.js';
import { validateAgainst } from '../../runner/validators/validate.js';
import { isSecret } from '../../runner/secret.js';
import type { Change, Diff, FactCache, ModuleContext, Plan, PlanContext } from '../../runner/types.js';
import type { Connection } from '../../runner/connection/types.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'modules');
const FIXTURE_KEYS = ['description', 'params', 'facts', 'vars', 'ctx', 'changes', 'noop', 'failed', 'unpredictable', 'msg', 'diffs', 'result', 'invalid'];
const CHANGE_KEYS = ['describe', 'kind', 'argv', 'stdin', 'cwd', 'env', 'okExitCodes', 'dest', 'content', 'mode', 'owner', 'group', 'requires'];
const DIFF_KEYS = ['label', 'before', 'after', 'secret'];

type Fixture = Record<string, unknown>;

for (const dir of listDirs(FIXTURES)) {
  for (const name of readdirSync(join(FIXTURES, dir)).filter((f) => f.endsWith('.yaml')).sort()) {
    const file = join(FIXTURES, dir, name);
    const fixture = (parseDocument(readFileSync(file, 'utf8')).toJS() ?? {}) as Fixture;
    const title = `${dir}/${name}${typeof fixture.description === 'string' ? `: ${fixture.description}` : ''}`;
    test(title, async (t) => {
      const module = modules.get(dir);
      if (!module) return t.fail(`no module '${dir}' in modules/index.ts (fixture directory ${join(FIXTURES, dir)})`);
      const unknown = Object.keys(fixture).filter((k) => !FIXTURE_KEYS.includes(k));
      t.deepEqual(unknown, [], `unknown fixture fields (known: ${FIXTURE_KEYS.join(', ')})`);
      const problems = validateAgainst(module.schema, fixture.params, parseYamlText(file, readFileSync(file, 'utf8')), '/params');
      if (fixture.invalid !== undefined) return assertInvalid(t, fixture, problems.map((p) => `${p.location?.line}:${p.location?.col} ${p.message}`));
      t.deepEqual(problems.map((p) => p.message), [], 'fixture params must be valid for the module schema');
      const ctx = readPlanContext(t, fixture.ctx);
      t.false(fixture.facts !== undefined && fixture.vars !== undefined, 'give facts or vars, not both');
      const facts = fixture.vars !== undefined ? await module.gather(createControllerContext(ctx, fixture.vars as Record<string, unknown>), fixture.params) : fixture.facts ?? {};
      const factsBefore = JSON.stringify(facts);
      const plan = module.plan(fixture.params, facts, ctx);
      // plan is pure: same inputs, same plan, and the facts are left as they were.
      t.is(JSON.stringify(module.plan(fixture.params, facts, ctx)), JSON.stringify(plan), 'plan must be deterministic');
      t.is(JSON.stringify(facts), factsBefore, 'plan must not modify the facts');
      await assertPlan(t, fixture, plan);
    });
  }
}

for (const module of modules.values()) {
  if (module.docs.examples.trim() === '') continue;
  test(`${module.name}: docs.examples validate against the schema`, (t) => {
    const source = parseYamlText(`${module.name} docs.examples`, module.docs.examples);
    const tasks = source.value as unknown[];
    t.true(Array.isArray(tasks) && tasks.length > 0, 'examples must be a YAML list of tasks');
    tasks.forEach((task, i) => {
      t.true(typeof task === 'object' && task !== null && module.name in task, `example ${i} must use the ${module.name} module`);
      const problems = validateAgainst(module.schema, (task as Record<string, unknown>)[module.name], source, `/${i}/${module.name}`, { skipTemplates: false });
      t.deepEqual(problems.map((p) => `${p.pointer} ${p.message}`), [], `example ${i}`);
    });
  });
  test(`${module.name}: every schema property has a description`, (t) => {
    t.deepEqual(findUndescribed(module.schema, ''), []);
  });
}

/** PlanContext defaults (host h1, not check mode) overridden by the fixture's `ctx`. */
function readPlanContext(t: ExecutionContext, given: unknown): PlanContext {
  const fields = (given ?? {}) as Record<string, unknown>;
  t.deepEqual(Object.keys(fields).filter((k) => !['host', 'inventoryHost', 'checkMode'].includes(k)), [], 'unknown ctx fields (known: host, inventoryHost, checkMode)');
  return { host: 'h1', inventoryHost: 'h1', checkMode: false, ...(fields as Partial<PlanContext>) };
}

/** A ModuleContext for gather on the controller: touching the host or its facts is an error. */
function createControllerContext(plan: PlanContext, vars: Record<string, unknown>): ModuleContext {
  const refuse = (what: string) => () => {
    throw new Error(`fixture gave vars, so gather must not use the host (${what}): give facts instead`);
  };
  const conn: Connection = { host: plan.host, exec: refuse('exec'), put: refuse('put'), get: refuse('get'), close: async () => {} };
  const facts: FactCache = { get: refuse('facts.get'), clear: () => {} };
  return { ...plan, conn, become: false, facts, vars, playbookDir: FIXTURES, render: refuse('render') };
}

function assertInvalid(t: ExecutionContext, fixture: Fixture, messages: string[]): void {
  const extra = Object.keys(fixture).filter((k) => !['description', 'params', 'invalid'].includes(k));
  t.deepEqual(extra, [], 'an `invalid` fixture has only description, params and invalid');
  const wanted = fixture.invalid as unknown[];
  t.true(Array.isArray(wanted) && wanted.length > 0, '`invalid` is a non-empty list of expected messages');
  t.is(messages.length, wanted.length, `problems: ${JSON.stringify(messages)}`);
  wanted.forEach((w, i) => matchText(t, messages[i], w, `problem ${i}`));
}

async function assertPlan(t: ExecutionContext, fixture: Fixture, plan: Plan): Promise<void> {
  const changes = (fixture.changes ?? []) as unknown[];
  t.is(plan.changes.length, changes.length, `changes: ${JSON.stringify(plan.changes.map((c) => c.describe))}`);
  for (const [i, want] of changes.entries()) {
    const got = plan.changes[i];
    if (got) await assertChange(t, got, want, `change ${i}`);
  }
  for (const key of ['noop', 'failed', 'unpredictable'] as const) {
    if (fixture[key] === undefined) t.is(plan[key], undefined, `plan.${key} not expected by the fixture`);
    else matchText(t, plan[key], fixture[key], key);
  }
  if (plan.changes.length === 0 && plan.failed === undefined) t.truthy(plan.noop, 'a plan without changes must say why (noop)');
  if (fixture.msg !== undefined) matchText(t, plan.msg, fixture.msg, 'msg');
  if (fixture.result !== undefined) t.deepEqual(plan.result, fixture.result, 'result');
  assertDiffs(t, plan.diffs ?? [], (fixture.diffs ?? []) as unknown[]);
}

async function assertChange(t: ExecutionContext, got: Change, want: unknown, where: string): Promise<void> {
  if (typeof want === 'string') return matchText(t, got.describe, want, `${where} describe`);
  const fields = want as Record<string, unknown>;
  t.deepEqual(Object.keys(fields).filter((k) => !CHANGE_KEYS.includes(k)), [], `${where}: unknown fields (known: ${CHANGE_KEYS.join(', ')})`);
  const record = got as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(fields)) {
    if (key === 'describe') matchText(t, got.describe, value, `${where} describe`);
    else if (key === 'argv') t.deepEqual(got.kind === 'exec' ? got.command : undefined, value, `${where} argv`);
    else if (key === 'content') t.is(got.kind === 'put' ? await readContent(got.content) : undefined, value as string | undefined, `${where} content`);
    else t.deepEqual(record[key], value, `${where} ${key}`);
  }
}

function assertDiffs(t: ExecutionContext, got: Diff[], want: unknown[]): void {
  t.is(got.length, want.length, `diffs: ${JSON.stringify(got.map((d) => d.label))}`);
  want.forEach((w, i) => {
    const d = got[i];
    if (!d) return;
    if (typeof w === 'string') return matchText(t, d.label, w, `diff ${i} label`);
    const fields = w as Record<string, unknown>;
    t.deepEqual(Object.keys(fields).filter((k) => !DIFF_KEYS.includes(k)), [], `diff ${i}: unknown fields (known: ${DIFF_KEYS.join(', ')})`);
    for (const [key, value] of Object.entries(fields)) {
      if (typeof value === 'string') matchText(t, (d as unknown as Record<string, unknown>)[key], value, `diff ${i} ${key}`);
      else t.deepEqual((d as unknown as Record<string, unknown>)[key], value, `diff ${i} ${key}`);
    }
  });
}

/** `/re/` in a fixture is a regular expression; any other string must match exactly. */
function matchText(t: ExecutionContext, got: unknown, want: unknown, what: string): void {
  if (typeof want === 'string' && want.length > 1 && want.startsWith('/') && want.endsWith('/')) {
    t.regex(String(got), new RegExp(want.slice(1, -1)), what);
  } else {
    t.is(got, want, what);
  }
}

/** Put content as text; a secret shows as its mask, so a fixture can say "<secret>". */
async function readContent(content: Extract<Change, { kind: 'put' }>['content']): Promise<string> {
  const value = typeof content === 'function' ? await content() : content;
  return isSecret(value) ? String(value) : Buffer.from(value).toString('utf8');
}

/** JSON pointers of schema properties without a description, recursively. */
function findUndescribed(schema: unknown, pointer: string): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  const s = schema as Record<string, unknown>;
  const out: string[] = [];
  for (const [name, prop] of Object.entries((s.properties ?? {}) as Record<string, unknown>)) {
    if (typeof (prop as Record<string, unknown>).description !== 'string') out.push(`${pointer}/${name}`);
    out.push(...findUndescribed(prop, `${pointer}/${name}`));
  }
  for (const key of ['items', 'additionalProperties']) out.push(...findUndescribed(s[key], `${pointer}/${key}`));
  for (const key of ['anyOf', 'oneOf', 'allOf']) {
    if (Array.isArray(s[key])) (s[key] as unknown[]).forEach((b, i) => out.push(...findUndescribed(b, `${pointer}/${key}/${i}`)));
  }
  return out;
}

function listDirs(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch {
    return [];
  }
}
