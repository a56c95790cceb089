/**
 * Docs cannot drift from code: the committed docs/modules/*.md and docs/schemas/*.json must be
 * exactly what `npm run docs` generates now; every module's examples must load (keywords and
 * arguments validated by the real loader); the editor schema must accept the real playbooks
 * and reject what the loader rejects; `quorum doc` and `quorum schema` print/write the same.
 */
import test from 'ava';
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { parse, stringify } from 'yaml';
import { modules } from '../../modules/index.js';
import { renderDocFiles, renderSchemaFiles } from '../../runner/doc/generate.js';
import { describeModuleArgs } from '../../runner/doc/describe.js';
import { loadPlaybook } from '../../runner/load/playbook.js';
import { PROJECT_DIR, runCli } from '../helpers/quorum.js';

const defs = [...modules.values()];
const generated = renderDocFiles(defs);

test('the committed docs are what `npm run docs` generates (run it when this fails)', (t) => {
  for (const [path, content] of generated) {
    let committed = '';
    try {
      committed = readFileSync(join(PROJECT_DIR, path), 'utf8');
    } catch {
      t.fail(`${path} is missing: run npm run docs`);
      continue;
    }
    t.is(committed, content, `${path} is stale: run npm run docs`);
  }
  const pages = readdirSync(join(PROJECT_DIR, 'docs/modules')).map((f) => `docs/modules/${f}`);
  t.deepEqual(pages.filter((p) => !generated.has(p)), [], 'a page of a module that no longer exists');
});

test('every module has a page, a summary, a description on every parameter and examples', (t) => {
  t.true(defs.length >= 9);
  for (const m of defs) {
    t.true(generated.has(`docs/modules/${m.name}.md`), m.name);
    t.regex(m.summary, /\S/, `${m.name}: summary`);
    for (const p of describeModuleArgs(m.schema).params) t.regex(p.description, /\S/, `${m.name}.${p.name}: description`);
    t.regex(m.docs.examples, /\S/, `${m.name}: examples`);
  }
});

test("every module's examples load: each task names the module and its arguments validate", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-doc-examples-'));
  for (const m of defs) {
    const tasks = parse(m.docs.examples) as Array<Record<string, unknown>>;
    t.true(Array.isArray(tasks) && tasks.length > 0, `${m.name}: examples are a list of tasks`);
    for (const task of tasks) t.true(m.name in task, `${m.name}: an example uses another module: ${JSON.stringify(task)}`);
    const file = join(dir, `${m.name}.yaml`);
    // Handlers for any notify in the examples, so only the examples themselves are judged.
    const notified = tasks.flatMap((task) => [task.notify ?? []].flat() as string[]);
    writeFileSync(file, stringify([{ hosts: 'all', tasks, handlers: notified.map((name) => ({ name, debug: { msg: name } })) }]));
    t.notThrows(() => loadPlaybook(file), `${m.name}: examples`);
  }
});

test('the loader rejects a wrong example: the examples test can fail', (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'quorum-doc-bad-')), 'bad.yaml');
  writeFileSync(file, stringify([{ hosts: 'all', tasks: [{ file: { path: 'relative', mode: 644 } }] }]));
  const err = t.throws(() => loadPlaybook(file));
  t.regex(err?.message ?? '', /bad\.yaml:\d+:\d+/);
});

/** The editor schema as ajv (draft 2020-12) compiles it. */
function compileEditorSchema() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  return ajv.compile(JSON.parse(generated.get('docs/schemas/playbook.schema.json')!));
}

test('the editor schema accepts the real playbooks, templates in non-string arguments included', (t) => {
  const validate = compileEditorSchema();
  const files = [
    'playbooks/etcd-ha.yaml',
    ...readdirSync(join(PROJECT_DIR, 'examples')).filter((f) => f.endsWith('.yaml') && !f.startsWith('inventory')).map((f) => `examples/${f}`),
  ];
  t.true(files.length >= 2);
  for (const f of files) {
    const ok = validate(parse(readFileSync(join(PROJECT_DIR, f), 'utf8')));
    t.true(ok, `${f}: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
  }
});

test('the editor schema rejects a misspelt module and an unknown or mistyped argument', (t) => {
  const validate = compileEditorSchema();
  const play = (task: Record<string, unknown>) => [{ hosts: 'all', tasks: [task] }];
  t.false(validate(play({ comand: 'ls' })), 'misspelt module');
  t.false(validate(play({ file: { path: '/tmp/x', colour: 'red' } })), 'unknown argument');
  t.false(validate(play({ systemd: { name: 'etcd', enabled: 'yes' } })), 'a string that is not a template for a boolean');
  t.false(validate(play({ certs: { key_size: 1024 } })), 'a value outside the choices');
  t.true(validate(play({ systemd: { name: 'etcd', enabled: '{{ want_enabled }}' } })), 'a template for a boolean');
});

test('quorum doc lists every module with its summary', async (t) => {
  const r = await runCli(['doc']);
  t.is(r.code, 0, r.stderr);
  for (const m of defs) t.true(r.stdout.includes(`${m.name}`) && r.stdout.includes(m.summary), m.name);
});

test('quorum doc MODULE prints the committed page', async (t) => {
  const r = await runCli(['doc', 'certs']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout, readFileSync(join(PROJECT_DIR, 'docs/modules/certs.md'), 'utf8'));
  t.regex(r.stdout, /\| `renew_before_days` \| integer \| no \| `30` \|/);
  t.regex(r.stdout, /\| `key_size` \| integer \| no \| `2048` \| `2048`, `3072`, `4096` \|/);
});

test('quorum doc with an unknown module suggests the closest and exits 5 (invalid input)', async (t) => {
  const r = await runCli(['doc', 'sytemd']);
  t.is(r.code, 5);
  t.regex(r.stderr, /no module named 'sytemd' \(did you mean 'systemd'\?\)/);
  t.is(r.stdout, '');
});

test('quorum schema --out DIR writes the committed editor schemas', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'quorum-schema-'));
  const r = await runCli(['schema', '--out', out]);
  t.is(r.code, 0, r.stderr);
  for (const [name, content] of renderSchemaFiles(defs)) {
    t.is(readFileSync(join(out, name), 'utf8'), content, name);
    t.is(readFileSync(join(PROJECT_DIR, 'docs/schemas', name), 'utf8'), content, `docs/schemas/${name}`);
  }
  t.regex(r.stdout, /yaml-language-server: \$schema=.*playbook\.schema\.json/);
});

/** The fenced blocks of a markdown file with their language, in order. */
function readFencedBlocks(file: string): Array<{ lang: string; text: string }> {
  const blocks: Array<{ lang: string; text: string }> = [];
  for (const m of readFileSync(file, 'utf8').matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)) blocks.push({ lang: m[1]!, text: m[2]! });
  return blocks;
}

test("the tutorial's snippets work: its inventory loads and every playbook passes --syntax-check against it", async (t) => {
  const blocks = readFencedBlocks(join(PROJECT_DIR, 'docs/writing-playbooks.md'));
  const yamlBlocks = blocks.filter((b) => b.lang === 'yaml').map((b) => b.text);
  const inventory = yamlBlocks.find((b) => /^all:/m.test(b));
  t.truthy(inventory, 'the tutorial shows an inventory');
  // The snippets refer to examples/vars and examples/templates: run them from a copy of examples/.
  const dir = mkdtempSync(join(tmpdir(), 'quorum-tutorial-'));
  cpSync(join(PROJECT_DIR, 'examples'), dir, { recursive: true });
  writeFileSync(join(dir, 'inventory.yaml'), inventory!);
  const playbooks = yamlBlocks.filter((b) => Array.isArray(parse(b)));
  t.true(playbooks.length >= 6, `${playbooks.length} playbook snippets`);
  for (const [i, text] of playbooks.entries()) {
    const file = join(dir, `snippet-${i}.yaml`);
    writeFileSync(file, text);
    const r = await runCli(['run', file, '-i', join(dir, 'inventory.yaml'), '--syntax-check']);
    t.is(r.code, 0, `snippet ${i}:\n${text}\n${r.stdout}${r.stderr}`);
  }
  const hosts = await runCli(['run', join(dir, 'snippet-0.yaml'), '-i', join(dir, 'inventory.yaml'), '--list-hosts']);
  t.regex(hosts.stdout, /infra3[\s\S]*infra4[\s\S]*infra5/);
});

test("the tutorial's template snippet is the real template's text", (t) => {
  const snippet = readFencedBlocks(join(PROJECT_DIR, 'docs/writing-playbooks.md')).find((b) => b.lang === 'handlebars');
  t.truthy(snippet);
  t.true(readFileSync(join(PROJECT_DIR, 'examples/templates/quorum-demo.conf.hbs'), 'utf8').includes(snippet!.text));
});
