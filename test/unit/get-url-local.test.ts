/**
 * get_url's download for real over LocalConnection, with each downloader (curl and python3, the
 * controller has both; the lab hosts have only python3, which the lab suite covers): basic auth
 * and headers read from standard input, the checksum checked before the file is installed, the
 * mode set, a symbolic link at dest refused, a bad download leaving dest untouched.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPlan } from '../../runner/plan/apply.js';
import { pathState } from '../../runner/facts/path-state.js';
import { planGetUrl } from '../../modules/get_url.js';
import { localModuleContext } from '../helpers/module-run.js';

const BODY = Buffer.from('the "file" \\ with quotes\n');
const SUM = createHash('sha256').update(BODY).digest('hex');
const PASSWORD = 'p"a\\ss word';
let server: Server;
let base: string;
const seen: Array<Record<string, string | string[] | undefined>> = [];

test.before(async () => {
  server = createServer((req, res) => {
    seen.push(req.headers);
    const auth = `Basic ${Buffer.from(`u:${PASSWORD}`).toString('base64')}`;
    if (req.url === '/auth' && req.headers.authorization !== auth) return res.writeHead(401).end('no');
    if (req.url === '/missing') return res.writeHead(404).end('no');
    res.writeHead(200).end(BODY);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.after.always(() => server.close());

const hasCurl = (() => { try { execFileSync('sh', ['-c', 'command -v curl']); return true; } catch { return false; } })();

for (const tool of ['python3', 'curl'] as const) {
  test.serial(`${tool}: auth and headers from stdin, checksum, mode; a mismatch leaves dest untouched`, async (t) => {
    if (tool === 'curl' && !hasCurl) return t.pass('no curl on this controller');
    const dir = mkdtempSync(join(tmpdir(), `quorum-get-url-${tool}-`));
    const ctx = localModuleContext(dir);
    const dest = join(dir, 'out.txt');
    const params = { url: `${base}/auth`, dest, checksum: `sha256:${SUM}`, mode: '0640', url_username: 'u', url_password: PASSWORD, headers: { 'X-Token': 'abc "q"' } };
    const plan = planGetUrl(params, { current: await ctx.facts.get(pathState, { path: dest }), tool });
    const outcome = await applyPlan(ctx, plan);
    t.is(outcome.failure, undefined);
    t.deepEqual(outcome.data, { sha256sum: SUM, size: BODY.length });
    t.deepEqual(readFileSync(dest), BODY);
    t.is((statSync(dest).mode & 0o777).toString(8), '640');
    t.is(seen.at(-1)?.['x-token'], 'abc "q"');
    // The same again: the checksum matches, nothing to do.
    const again = planGetUrl(params, { current: await ctx.facts.get(pathState, { path: dest }), tool });
    t.deepEqual(again.changes, []);
    // A wrong checksum: the download is removed, dest keeps its content, the error says why.
    const wrong = planGetUrl({ ...params, checksum: `sha256:${'0'.repeat(64)}` }, { current: await ctx.facts.get(pathState, { path: dest }), tool });
    const failed = await applyPlan(ctx, wrong).catch((err: Error) => err);
    t.regex(String((failed as Error).message), new RegExp(`sha256 is ${SUM}, checksum says 0{64}: not installed`));
    t.false(String((failed as Error).message).includes(PASSWORD));
    t.deepEqual(readFileSync(dest), BODY);
    t.deepEqual(readdirSync(dir), ['out.txt'], 'no temporary file left');
    // A 404 fails with the status.
    const missing = planGetUrl({ url: `${base}/missing`, dest: join(dir, 'm') }, { current: { path: join(dir, 'm'), type: 'absent', parentExists: true }, tool });
    const err = await applyPlan(ctx, missing).catch((e: Error) => e);
    t.regex(String((err as Error).message), /404/);
    t.false(existsSync(join(dir, 'm')));
  });
}

test.serial('a symbolic link at dest is refused at plan; one planted after the plan is replaced, never written through', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-get-url-link-'));
  const ctx = localModuleContext(dir);
  const victim = join(dir, 'victim');
  writeFileSync(victim, 'keep\n');
  const dest = join(dir, 'dest');
  symlinkSync(victim, dest);
  const refused = planGetUrl({ url: `${base}/x`, dest }, { current: await ctx.facts.get(pathState, { path: dest }), tool: 'python3' });
  t.regex(refused.failed ?? '', /symbolic link: get_url does not write through a link/);
  const other = join(dir, 'dest2');
  const plan = planGetUrl({ url: `${base}/x`, dest: other }, { current: await ctx.facts.get(pathState, { path: other }), tool: 'python3' });
  symlinkSync(victim, other);
  await applyPlan(ctx, plan);
  t.is(readFileSync(victim, 'utf8'), 'keep\n');
  t.false(lstatSync(other).isSymbolicLink());
  t.deepEqual(readFileSync(other), BODY);
});
