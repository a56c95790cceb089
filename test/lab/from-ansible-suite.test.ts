/**
 * examples/from-ansible: a site written as an Ansible user writes one (roles, FQCN and short
 * module names, key=value arguments, yes/no, unquoted modes, with_items, include_tasks with a
 * loop, handlers, meta dependencies), run for real on all six lab hosts three times: the first
 * run builds everything, the second changes nothing, and `--check` after it reports nothing
 * pending. Verdicts come from the hosts, read with the system OpenSSH client. The metrics
 * agent's release archive is served by an HTTP server on the controller's lab bridge address
 * (the hosts have no internet). Everything the site changed is put back afterwards, so the
 * other suites start from the lab as it was.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_DIR, runEngine, total, type EngineRun } from '../helpers/quorum.js';
import { labHosts, labState, rootSh as sh, sshExec } from '../helpers/lab.js';

const SITE = join(PROJECT_DIR, 'examples', 'from-ansible');
const hosts = labHosts('all');
const byName = (name: string) => hosts.find((h) => h.name === name)!;
const work = mkdtempSync(join(tmpdir(), 'quorum-from-ansible-'));
const BACKUP = '/root/quorum-from-ansible-backup.tar';
/** Files the site edits in place: saved before, put back after. */
const EDITED = ['etc/ssh/sshd_config', 'etc/login.defs', 'etc/systemd/journald.conf', 'etc/fstab', 'etc/shadow', 'etc/motd'];
const UNITS = ['site-web', 'app@orders', 'app@billing', 'tcp-balancer', 'metrics-agent', 'etcd-backup.timer', 'etcd-single'];

let server: Server;
let extraVars: Record<string, string>;

/** The metrics agent's release: a directory holding one executable, as upstream releases look. */
function buildAgentArchive(): Buffer {
  const dir = join(work, 'release', 'metrics-agent-1.0.0');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'metrics-agent'), [
    '#!/usr/bin/python3',
    '# A stand-in exporter: serves one metric on --port.',
    'import http.server, sys',
    'port = int(sys.argv[sys.argv.index("--port") + 1])',
    'class H(http.server.BaseHTTPRequestHandler):',
    '    def do_GET(self):',
    '        body = b"up 1\\n"',
    '        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)',
    'http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()',
    '',
  ].join('\n'), { mode: 0o755 });
  const archive = join(work, 'metrics-agent-1.0.0.tar.gz');
  execFileSync('tar', ['-C', join(work, 'release'), '-czf', archive, 'metrics-agent-1.0.0']);
  return readFileSync(archive);
}

/** The inventory as shipped, with this lab's addresses and SSH settings added to a copy. */
function writeInventory(): string {
  const state = labState();
  const inv = join(work, 'inventory');
  cpSync(join(SITE, 'inventory'), inv, { recursive: true });
  mkdirSync(join(inv, 'host_vars'), { recursive: true });
  for (const h of hosts) writeFileSync(join(inv, 'host_vars', `${h.name}.yml`), `ansible_host: ${h.address}\n`);
  const ini = readFileSync(join(inv, 'hosts.ini'), 'utf8');
  // The lab's /etc/hosts is bind-mounted by the lab: no rename can replace it (see hosts_file's
  // defaults); its /proc/sys is read-only, so sysctl settings are written, not applied.
  writeFileSync(join(inv, 'hosts.ini'), `${ini}ansible_ssh_private_key_file=${state.keyFile}\nquorum_known_hosts=${state.knownHostsFile}\nhosts_file_path=/etc/hosts.site\nsysctl_apply=False\n`);
  return join(inv, 'hosts.ini');
}

let inventory: string;
const run = (check = false): Promise<EngineRun> =>
  runEngine({ playbookFile: join(SITE, 'site.yml'), inventorySources: [inventory], extraVars, check, diff: false });

/** Each failed or unreachable result, as one readable line per host and task. */
function failures(r: EngineRun): string {
  return r.results().filter((e) => e.status === 'failed' || e.status === 'unreachable').map((e) => `${e.host} ${e.task}: ${e.msg ?? 'no message'}`).join('\n');
}

test.before(async () => {
  if (hosts.length < 6) throw new Error(`the from-ansible suite needs the lab's 6 hosts, it has ${hosts.length}: \`quorum lab up --hosts 6\``);
  for (const h of hosts) await sh(h, `tar -C / -cpf ${BACKUP} ${EDITED.filter((f) => f !== 'etc/motd').join(' ')} ${(await sh(h, 'test -e /etc/motd && echo etc/motd || true')).trim()}`);
  const archive = buildAgentArchive();
  server = createServer((req, res) => {
    if (req.url !== '/metrics-agent-1.0.0.tar.gz') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': archive.length }).end(archive);
  });
  await new Promise<void>((done) => server.listen(0, labState().bridgeAddress, done));
  const { address, port } = server.address() as AddressInfo;
  extraVars = { metrics_agent_url: `http://${address}:${port}/metrics-agent-1.0.0.tar.gz`, metrics_agent_sha256: createHash('sha256').update(archive).digest('hex') };
  inventory = writeInventory();
});

test.after.always(async () => {
  server?.close();
  const undo = [
    `systemctl disable --now ${UNITS.join(' ')} 2>/dev/null || true`,
    'rm -f /etc/systemd/system/site-web.service /etc/systemd/system/app@.service /etc/systemd/system/tcp-balancer.service /etc/systemd/system/metrics-agent.service /etc/systemd/system/etcd-backup.service /etc/systemd/system/etcd-backup.timer /etc/systemd/system/etcd-single.service',
    'rm -rf /srv/www /opt/apps /opt/metrics-agent-1.0.0 /var/tmp/metrics-agent-1.0.0.tar.gz /var/lib/etcd-single /var/backups/etcd-single /etc/default/etcd-single',
    'rm -f /usr/local/sbin/etcd-backup /usr/local/bin/tcp-balancer /etc/tcp-balancer.conf /etc/sudoers.d/50-site-admins /etc/profile.d/site.sh /etc/sysctl.d/60-baseline.conf /etc/sysctl.d/99-kubernetes.conf /etc/modules-load.d/k8s.conf /etc/crictl.yaml /etc/hosts.site',
    'rmdir /etc/containerd 2>/dev/null || true',
    // rootSh's command passes through the login shell in double quotes: no `$` in it.
    ...['alice', 'bob', 'www-site', 'metrics-agent'].map((u) => `userdel -r ${u} 2>/dev/null || userdel ${u} 2>/dev/null || true`),
    ...['suiteadmins', 'metrics-agent', 'alice', 'bob'].map((g) => `groupdel ${g} 2>/dev/null || true`),
    `rm -f /etc/motd; test -e ${BACKUP} && tar -C / -xpf ${BACKUP} && rm -f ${BACKUP}`,
    'rm -f /etc/*.quorum-backup* /etc/ssh/sshd_config.*~ /etc/login.defs.*~ /etc/hosts.*~ 2>/dev/null || true',
    'systemctl daemon-reload; systemctl reload ssh; systemctl restart systemd-journald',
  ].join('; ');
  for (const h of hosts) await sh(h, undo).catch(() => undefined);
});

test.serial('first run: the site is built on all six hosts', async (t) => {
  const r = await run();
  t.is(total(r.summary, 'failed') + total(r.summary, 'unreachable'), 0, failures(r));
  t.true(total(r.summary, 'changed') > 0);
  for (const h of hosts) t.true(r.summary.recap[h.name].changed > 0, `${h.name} changed nothing on a fresh host`);

  // What the hosts say, not what quorum says.
  const web = [byName('infra1'), byName('infra2')];
  const lb = byName('infra3');
  const page = await sshExec(lb, `python3 -c "import urllib.request; print(urllib.request.urlopen('http://${lb.address}:8080/', timeout=5).read().decode())"`);
  t.is(page.code, 0, page.stderr);
  t.regex(page.stdout, /Served by infra[12]\./);
  for (const h of web) {
    t.is((await sh(h, 'systemctl is-active site-web app@orders app@billing')).trim(), 'active\nactive\nactive');
    t.is((await sh(h, 'cat /opt/apps/orders/app.env')).trim(), 'APP_NAME=orders\nAPP_PORT=9101');
  }
  const etcd = byName('infra0');
  t.is((await sh(etcd, 'systemctl is-active etcd-single etcd-backup.timer')).trim(), 'active\nactive');
  t.regex(await sh(etcd, 'readlink /var/backups/etcd-single/latest.db'), /^snapshot-\d+T\d+\.db$/m);
  for (const h of hosts) {
    t.regex(await sh(h, 'id alice; id bob'), /groups=.*suiteadmins/);
    t.is((await sh(h, 'stat -c %a:%U /etc/sudoers.d/50-site-admins')).trim(), '440:root');
    const sshd = await sh(h, 'sshd -T 2>/dev/null | grep -i -E "^(permitrootlogin|x11forwarding|maxauthtries) "');
    for (const setting of ['permitrootlogin no', 'x11forwarding no', 'maxauthtries 4']) t.true(sshd.split('\n').includes(setting), `${h.name}: sshd -T lacks '${setting}': ${sshd}`);
    const block = await sh(h, 'sed -n "/# BEGIN site hosts/,/# END site hosts/p" /etc/hosts.site');
    for (const other of hosts) t.true(block.includes(`${other.address} ${other.name}.site ${other.name}`), `${h.name}'s /etc/hosts lacks ${other.name}`);
    t.is((await sh(h, 'python3 -c "import urllib.request; print(urllib.request.urlopen(\'http://127.0.0.1:9910/\', timeout=5).read().decode(), end=\'\')"')).trim(), 'up 1');
    t.regex(await sh(h, 'cat /etc/motd'), new RegExp(`^quorum-suite: ${h.name} \\(Debian 12`));
  }
  for (const h of [byName('infra4'), byName('infra5')]) {
    t.regex(await sh(h, 'cat /etc/sysctl.d/99-kubernetes.conf'), /^net\.ipv4\.ip_forward = 1$/m);
    t.is((await sh(h, 'stat -c %a /etc/crictl.yaml')).trim(), '644');
  }
});

test.serial('second run: nothing changes', async (t) => {
  const r = await run();
  t.is(total(r.summary, 'failed') + total(r.summary, 'unreachable'), 0, failures(r));
  const changed = r.results().filter((e) => e.status === 'changed').map((e) => `${e.host}: ${e.task}`);
  t.deepEqual(changed, []);
});

test.serial('--check after it: nothing pending, nothing touched', async (t) => {
  const before = await sh(byName('infra1'), 'stat -c %Y /srv/www/index.html /etc/systemd/system/site-web.service; systemctl show site-web -p ExecMainStartTimestampMonotonic --value');
  const r = await run(true);
  t.is(total(r.summary, 'failed') + total(r.summary, 'unreachable'), 0, failures(r));
  const pending = r.results().filter((e) => e.status === 'changed').map((e) => `${e.host}: ${e.task}`);
  t.deepEqual(pending, []);
  t.is(await sh(byName('infra1'), 'stat -c %Y /srv/www/index.html /etc/systemd/system/site-web.service; systemctl show site-web -p ExecMainStartTimestampMonotonic --value'), before);
});
