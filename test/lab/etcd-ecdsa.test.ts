/**
 * An ECDSA-P256 CA of the user's own (made by openssl, put in etcd_ca_dir before the first run,
 * as the playbook says) runs the flagship on the lab's `etcd` hosts with the systemd runtime:
 * the real etcd 3.4 and etcdctl accept the ECDSA-SHA256-signed certificates, the cluster is
 * healthy, a re-run changes nothing. The hosts are put back as they were found after (etcd
 * stopped and masked, /etc/kubernetes and the data directory emptied).
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_DIR, runBuiltCli, runEngine, total } from '../helpers/quorum.js';
import { labHosts, labInventoryPath, sshExec, rootSh as sh } from '../helpers/lab.js';

const hosts = labHosts('etcd');
const work = mkdtempSync(join(tmpdir(), 'quorum-etcd-ecdsa-'));
const caDir = join(work, 'ca');
const playbookFile = join(PROJECT_DIR, 'playbooks/etcd-ha.yaml');
const cliVars = ['-e', `etcd_runtime=systemd etcd_ca_dir=${caDir}`];
const PKI = '/etc/kubernetes/pki';

test.before(async () => {
  // Fresh hosts only: this test must not take over a cluster someone else set up.
  for (const h of hosts) await sh(h, `test ! -e ${PKI} && test "$(readlink /etc/systemd/system/etcd.service)" = /dev/null`);
  execFileSync('mkdir', ['-p', '-m', '0700', caDir]);
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(caDir, 'ca.key')]);
  execFileSync('openssl', ['req', '-x509', '-new', '-key', join(caDir, 'ca.key'), '-subj', '/CN=etcd-ca', '-days', '30', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign', '-out', join(caDir, 'ca.crt')]);
});

test.after.always(async () => {
  for (const h of hosts) {
    await sh(h, 'systemctl stop etcd || true; rm -f /etc/systemd/system/etcd.service; ln -s /dev/null /etc/systemd/system/etcd.service; systemctl daemon-reload; rm -rf /etc/kubernetes; find /var/lib/etcd -mindepth 1 -delete').catch(() => undefined);
  }
  rmSync(work, { recursive: true, force: true });
});

test.serial('etcd 3.4 runs a healthy cluster on certificates from an ECDSA-P256 CA; a re-run changes nothing', async (t) => {
  const r = await runBuiltCli(['run', playbookFile, '-i', labInventoryPath(), ...cliVars], { timeoutMs: 600_000 });
  t.is(r.code, 0, r.stdout + r.stderr);
  const h = hosts[0]!;
  const health = await sshExec(h, `sudo etcdctl --cert ${PKI}/etcd/peer.crt --key ${PKI}/etcd/peer.key --cacert ${PKI}/etcd/ca.crt --endpoints ${hosts.map((x) => `https://${x.address}:2379`).join(',')} endpoint health`);
  t.is(health.code, 0, health.stderr);
  t.is((health.stdout + health.stderr).match(/is healthy/g)?.length, 3, health.stdout + health.stderr);
  // The hosts have no openssl: their files are checked by the controller's.
  for (const host of hosts) {
    const dir = join(work, host.name);
    execFileSync('mkdir', ['-p', dir]);
    for (const f of ['ca.crt', 'server.crt', 'peer.crt']) writeFileSync(join(dir, f), await sh(host, `cat ${PKI}/etcd/${f}`));
    t.is(readFileSync(join(dir, 'ca.crt'), 'utf8'), readFileSync(join(caDir, 'ca.crt'), 'utf8'), 'the user\'s CA, as given');
    const text = execFileSync('openssl', ['x509', '-noout', '-text', '-in', join(dir, 'server.crt')], { encoding: 'utf8' });
    t.regex(text, /Signature Algorithm: ecdsa-with-SHA256/);
    t.regex(text, new RegExp(`Subject: CN = ${host.name}\\n`));
    t.is(execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.crt'), join(dir, 'server.crt'), join(dir, 'peer.crt')], { encoding: 'utf8' }), `${dir}/server.crt: OK\n${dir}/peer.crt: OK\n`);
  }
  const again = await runEngine({ playbookFile, inventoryFile: labInventoryPath(), extraVars: { etcd_runtime: 'systemd', etcd_ca_dir: caDir } });
  t.is(again.summary.exitCode, 0);
  t.is(total(again.summary, 'changed'), 0, JSON.stringify(again.results().filter((x) => x.status === 'changed').map((x) => `${x.host}: ${x.task}: ${x.changes.join('; ')}`)));
});
