/**
 * The everyday system modules of issue 16 (shell, service, user, group, wait_for, get_url,
 * unarchive) in one playbook on two real lab hosts: `--check` on fresh hosts reports what would
 * change and touches nothing, the first run changes every module, the second changes nothing,
 * `--check` after it reports nothing pending. Every verdict comes from the hosts themselves
 * (getent, /etc/shadow, sha256sum, systemctl) over the system ssh client. get_url downloads from
 * an HTTP server this test runs on the controller, bound to the lab bridge's address (the hosts
 * reach nothing else). Secrets (the password hash, the basic-auth password) must appear in no
 * output of a `-v --diff` run.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { runBuiltCli, runEngine, total, type EngineRun } from '../helpers/quorum.js';
import { labHosts, labInventoryPath, labState, rootSh as sh } from '../helpers/lab.js';

const hosts = labHosts('all').slice(0, 2);
const work = mkdtempSync(join(tmpdir(), 'quorum-sysmods-'));
const playbookFile = join(work, 'system.yaml');
const inventoryFile = join(work, 'inventory.yaml');

const WEB_USER = 'fetcher';
const WEB_PASSWORD = `pw-${randomBytes(6).toString('hex')}`;
// A sha-512 crypt hash (openssl passwd -6), different each run of the suite.
const PASSWORD_HASH = execFileSync('openssl', ['passwd', '-6', '-salt', randomBytes(6).toString('hex'), 'not-the-real-one']).toString().trim();
const TOOL = randomBytes(40_000);
const TOOL_SUM = createHash('sha256').update(TOOL).digest('hex');
const SECRET_TEXT = 'only with the password\n';
const SERVICE = 'qsys-web';
const PORT = 18_461;

const cleanup = [
  `systemctl disable --now ${SERVICE} 2>/dev/null || true`,
  `rm -f /etc/systemd/system/${SERVICE}.service`,
  'systemctl daemon-reload',
  'userdel -r qsys-alice 2>/dev/null || true',
  'groupdel qsys-team 2>/dev/null || true',
  'userdel qsys-gone 2>/dev/null || true',
  'rm -rf /opt/qsys /var/lib/quorum/unarchive',
].join('; ');

let server: Server;
let baseUrl: string;
let archiveSum: string;
let evilSum: string;

/** Files served to the hosts: the tool, a password-protected file, the archive again (remote_src). */
function serve(files: Record<string, Buffer>): Promise<Server> {
  const s = createServer((req, res) => {
    const path = req.url ?? '';
    if (path === '/auth/secret.txt') {
      const expected = `Basic ${Buffer.from(`${WEB_USER}:${WEB_PASSWORD}`).toString('base64')}`;
      if (req.headers.authorization !== expected) return res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="lab"' }).end('no');
      return res.writeHead(200).end(SECRET_TEXT);
    }
    const body = files[path];
    if (!body) return res.writeHead(404).end('not here');
    res.writeHead(200, { 'Content-Length': body.length }).end(body);
  });
  // Bound to the bridge's address: the only controller address the hosts can reach.
  return new Promise((resolve) => s.listen(0, labState().bridgeAddress, () => resolve(s)));
}

test.before(async () => {
  if (hosts.length < 2) throw new Error('the system-modules suite needs 2 lab hosts: `quorum lab up --hosts 2`');
  await Promise.all(hosts.map((h) => sh(h, cleanup)));
  // A service the hosts already have (installed with the package, say): service starts it.
  const unit = `[Unit]\nDescription=qsys test web\n[Service]\nExecStart=/usr/bin/python3 -m http.server ${PORT} --bind 127.0.0.1 --directory /tmp\n[Install]\nWantedBy=multi-user.target\n`;
  const encoded = Buffer.from(unit).toString('base64');
  await Promise.all(hosts.map((h) => sh(h, `echo ${encoded} | base64 -d > /etc/systemd/system/${SERVICE}.service && systemctl daemon-reload`)));

  // The archive: app/bin/run.sh and app/conf/app.conf, as a controller file and served.
  const tree = join(work, 'tree');
  mkdirSync(join(tree, 'app/bin'), { recursive: true });
  mkdirSync(join(tree, 'app/conf'), { recursive: true });
  writeFileSync(join(tree, 'app/bin/run.sh'), '#!/bin/sh\necho run\n', { mode: 0o755 });
  writeFileSync(join(tree, 'app/conf/app.conf'), 'port=1\n');
  mkdirSync(join(work, 'files'));
  execFileSync('tar', ['-czf', join(work, 'files/app.tar.gz'), '-C', tree, 'app']);
  const archive = readFileSync(join(work, 'files/app.tar.gz'));
  archiveSum = createHash('sha256').update(archive).digest('hex');
  // A hostile archive: one member climbs out of dest with `..`.
  execFileSync('python3', ['-c', 'import io,sys,tarfile\nt=tarfile.open(sys.argv[1],"w")\nfor n in ("ok.txt","../escaped.txt"):\n  i=tarfile.TarInfo(n); d=b"x\\n"; i.size=len(d); t.addfile(i,io.BytesIO(d))\nt.close()', join(work, 'files/evil.tar')]);
  evilSum = createHash('sha256').update(readFileSync(join(work, 'files/evil.tar'))).digest('hex');

  server = await serve({ '/tool.bin': TOOL, '/app.tar.gz': archive });
  baseUrl = `http://${labState().bridgeAddress}:${(server.address() as AddressInfo).port}`;

  const lab = parse(readFileSync(labInventoryPath(), 'utf8'));
  const all = { ...lab.all.children.etcd.hosts, ...lab.all.children.spare.hosts } as Record<string, unknown>;
  writeFileSync(inventoryFile, stringify({ all: { vars: lab.all.vars, children: { sys: { hosts: Object.fromEntries(hosts.map((h) => [h.name, all[h.name]])) } } } }));
  writeFileSync(playbookFile, stringify([
    {
      name: 'system modules',
      hosts: 'sys',
      become: true,
      gather_facts: false,
      tasks: [
        { name: 'dirs', file: { path: '/opt/qsys/remote', state: 'directory' } },
        { name: 'team group', group: { name: 'qsys-team', gid: 2601 } },
        { name: 'alice', user: { name: 'qsys-alice', uid: 2601, groups: ['qsys-team'], shell: '/bin/sh', comment: 'Alice Q', password: '{{ alice_hash }}' } },
        { name: 'no gone user', user: { name: 'qsys-gone', state: 'absent' } },
        { name: 'shell once', shell: { cmd: 'echo "hi from $(id -un)" > out.txt', chdir: '/opt/qsys', creates: 'out.txt' } },
        { name: 'web service', service: { name: SERVICE, state: 'started', enabled: true } },
        { name: 'web port', wait_for: { port: PORT, timeout: 60 } },
        { name: 'shell output', wait_for: { path: '/opt/qsys/out.txt', search_regex: '^hi from root$', timeout: 10 } },
        { name: 'tool', get_url: { url: `${baseUrl}/tool.bin`, dest: '/opt/qsys/tool.bin', checksum: `sha256:${TOOL_SUM}`, mode: '0750' } },
        { name: 'protected', get_url: { url: `${baseUrl}/auth/secret.txt`, dest: '/opt/qsys/secret.txt', url_username: WEB_USER, url_password: '{{ web_password }}', mode: '0600' } },
        { name: 'app from controller', unarchive: { src: 'files/app.tar.gz', dest: '/opt/qsys' } },
        { name: 'app archive on host', get_url: { url: `${baseUrl}/app.tar.gz`, dest: '/opt/qsys/app-copy.tar.gz', checksum: `sha256:${archiveSum}` } },
        { name: 'app from host', unarchive: { src: '/opt/qsys/app-copy.tar.gz', remote_src: true, dest: '/opt/qsys/remote', extra_opts: ['--strip-components=1'] } },
      ],
    },
  ]));
});

test.after.always(async () => {
  server?.close();
  await Promise.all(hosts.map((h) => sh(h, cleanup).catch(() => undefined)));
});

const extraVars = () => ({ alice_hash: PASSWORD_HASH, web_password: WEB_PASSWORD });
const run = (check: boolean) => runEngine({ playbookFile, inventoryFile, check, extraVars: extraVars() });

/** Each task's status on each host, as `task: status,status`. */
function statuses(r: EngineRun): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of r.results()) out[e.task] = out[e.task] === undefined ? e.status : `${out[e.task]},${e.status}`;
  return out;
}

const both = (s: string) => `${s},${s}`;

test.serial('--check on fresh hosts reports every change and touches nothing', async (t) => {
  const r = await run(true);
  t.is(total(r.summary, 'failed'), 0, JSON.stringify(r.results().filter((e) => e.status === 'failed').map((e) => [e.task, e.msg])));
  t.like(statuses(r), {
    dirs: both('changed'),
    'team group': both('changed'),
    alice: both('changed'),
    'no gone user': both('ok'),
    'shell once': both('changed'),
    'web service': both('changed'),
    // Nothing listens yet, and the file is not there: said, not failed, in check mode.
    'web port': both('skipped'),
    'shell output': both('skipped'),
    tool: both('changed'),
    protected: both('changed'),
    'app from controller': both('changed'),
    'app archive on host': both('changed'),
    'app from host': both('skipped'),
  });
  for (const h of hosts) {
    t.is(await sh(h, 'test -e /opt/qsys && echo yes || echo no'), 'no\n', h.name);
    t.is(await sh(h, 'getent passwd qsys-alice >/dev/null && echo yes || echo no; getent group qsys-team >/dev/null && echo yes || echo no'), 'no\nno\n');
    t.is(await sh(h, `systemctl is-active ${SERVICE} || true`), 'inactive\n');
  }
});

test.serial('the first run changes every module and the hosts hold what was asked', async (t) => {
  const r = await run(false);
  t.is(total(r.summary, 'failed'), 0, JSON.stringify(r.results().filter((e) => e.status === 'failed').map((e) => [e.task, e.msg])));
  t.like(statuses(r), {
    'team group': both('changed'),
    alice: both('changed'),
    'no gone user': both('ok'),
    'shell once': both('changed'),
    'web service': both('changed'),
    'web port': both('ok'),
    'shell output': both('ok'),
    tool: both('changed'),
    protected: both('changed'),
    'app from controller': both('changed'),
    'app archive on host': both('changed'),
    'app from host': both('changed'),
  });
  // Where the time went (for the reader; nothing is asserted on time).
  t.log(r.results().map((e) => `${e.task}@${e.host}: ${Math.round(e.durationMs)} ms`).join(', '));
  const shellResult = r.results('shell once')[0]!.result as { rc: number; cmd: string };
  t.is(shellResult.rc, 0);
  t.is(shellResult.cmd, 'echo "hi from $(id -un)" > out.txt');
  for (const h of hosts) {
    // Its primary group is the one useradd made for it (gid 2601 is the team's).
    const gid = (await sh(h, 'getent group qsys-alice | cut -d: -f3')).trim();
    t.is(await sh(h, 'getent passwd qsys-alice'), `qsys-alice:x:2601:${gid}:Alice Q:/home/qsys-alice:/bin/sh\n`, h.name);
    t.is(await sh(h, 'id -Gn qsys-alice'), 'qsys-alice qsys-team\n');
    t.is(await sh(h, 'getent shadow qsys-alice | cut -d: -f2'), `${PASSWORD_HASH}\n`);
    t.is(await sh(h, 'test -d /home/qsys-alice && echo yes'), 'yes\n');
    t.is(await sh(h, 'cat /opt/qsys/out.txt'), 'hi from root\n');
    t.is(await sh(h, `systemctl is-active ${SERVICE}; systemctl is-enabled ${SERVICE}`), 'active\nenabled\n');
    t.is(await sh(h, 'sha256sum < /opt/qsys/tool.bin; stat -c %a /opt/qsys/tool.bin'), `${TOOL_SUM}  -\n750\n`);
    t.is(await sh(h, 'cat /opt/qsys/secret.txt; stat -c %a /opt/qsys/secret.txt'), `${SECRET_TEXT}600\n`);
    t.is(await sh(h, 'cat /opt/qsys/app/conf/app.conf; stat -c %a /opt/qsys/app/bin/run.sh'), 'port=1\n755\n');
    t.is(await sh(h, 'cat /opt/qsys/remote/conf/app.conf'), 'port=1\n');
    // No temporary download or upload left behind.
    t.is(await sh(h, 'ls -A /opt/qsys | grep -c quorum || true'), '0\n');
    t.is(await sh(h, 'ls /var/lib/quorum/unarchive | grep -c upload || true'), '0\n');
  }
});

test.serial('the second run changes nothing, and --check after it reports nothing pending', async (t) => {
  const again = await run(false);
  t.is(total(again.summary, 'changed'), 0, JSON.stringify(again.results().filter((e) => e.status === 'changed').map((e) => [e.task, e.changes])));
  t.is(total(again.summary, 'failed'), 0);
  const check = await run(true);
  t.is(total(check.summary, 'changed'), 0);
  t.is(total(check.summary, 'failed'), 0);
  t.is(total(check.summary, 'skipped'), 0, 'wait_for is satisfied now, in check mode too');
});

test.serial('the built CLI with -v --diff shows changes but never the password hash nor the basic-auth password', async (t) => {
  // Make work for user and get_url: a changed hash and a deleted download.
  for (const h of hosts) await sh(h, "usermod -p '!' qsys-alice; rm -f /opt/qsys/secret.txt");
  const r = await runBuiltCli(['run', playbookFile, '-i', inventoryFile, '-v', '--diff', '-e', JSON.stringify(extraVars())]);
  t.is(r.code, 0, r.stdout + r.stderr);
  t.regex(r.stdout, /set the password hash of qsys-alice \(not shown\)/);
  t.regex(r.stdout, /download http:\/\/[^ ]+\/auth\/secret\.txt to \/opt\/qsys\/secret\.txt/);
  const output = r.stdout + r.stderr;
  t.false(output.includes(PASSWORD_HASH), 'the hash is not printed');
  t.false(output.includes(PASSWORD_HASH.split('$')[3]!), 'no part of the hash is printed');
  t.false(output.includes(WEB_PASSWORD), 'the password is not printed');
  for (const h of hosts) t.is(await sh(h, 'getent shadow qsys-alice | cut -d: -f2'), `${PASSWORD_HASH}\n`);
});

test.serial('wait_for reports its waits as they happen and fails at the timeout', async (t) => {
  const playbook = join(work, 'wait.yaml');
  writeFileSync(playbook, stringify([{ hosts: 'sys', become: true, gather_facts: false, tasks: [{ name: 'never', wait_for: { path: '/opt/qsys/never', timeout: 3, sleep: 1 } }, { name: 'closed port', wait_for: { port: 1, state: 'stopped', timeout: 5 } }] }]));
  const r = await runEngine({ playbookFile: playbook, inventoryFile, check: false, extraVars: {} });
  const retries = r.events.filter((e) => e.kind === 'task:retry');
  t.true(retries.length >= hosts.length, 'at least one wait line per host');
  t.regex((retries[0] as { msg: string }).msg, /waiting until \/opt\/qsys\/never exists .*it does not exist/);
  const failed = r.results('never');
  t.deepEqual(failed.map((e) => e.status), ['failed', 'failed']);
  t.regex(failed[0]!.msg ?? '', /timed out after [0-9.]+ s \(\d+ checks\) waiting until \/opt\/qsys\/never exists/);
});

test.serial('unarchive refuses an archive with a member outside dest and extracts nothing', async (t) => {
  const playbook = join(work, 'evil.yaml');
  writeFileSync(playbook, stringify([{ hosts: 'sys', become: true, gather_facts: false, tasks: [{ name: 'evil', unarchive: { src: 'files/evil.tar', dest: '/opt/qsys/remote' } }] }]));
  const r = await runEngine({ playbookFile: playbook, inventoryFile, check: false, extraVars: {} });
  const results = r.results('evil');
  t.deepEqual(results.map((e) => e.status), ['failed', 'failed']);
  t.regex(results[0]!.msg ?? '', /refusing to extract .*\.\.\/escaped\.txt/s);
  for (const h of hosts) {
    t.is(await sh(h, 'test -e /opt/qsys/escaped.txt || test -e /opt/qsys/remote/ok.txt && echo found || echo none'), 'none\n');
    t.is(await sh(h, `grep -rl ${evilSum} /var/lib/quorum/unarchive || true`), '', 'no marker for a refused archive');
  }
});
