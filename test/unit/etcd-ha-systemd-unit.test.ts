/**
 * The etcd flags of playbooks/templates/etcd-ha/etcd.service.hbs against kubeadm's
 * getEtcdCommand (cmd/kubeadm/app/phases/etcd/local.go, spec/kubeadm-etcd.md 2.2-2.3) with the
 * seed procedure's extraArgs: names sorted as ArgumentsToCommand sorts them, the 3.6 spellings
 * from etcd 3.6.0 on (kubeadm: version.ParseSemantic(tag).AtLeast("3.6.0")), the metrics
 * listener on ::1 for an IPv6 advertise address (utilsnet.IsIPv6String).
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderText } from '../../runner/lang/template.js';
import { PROJECT_DIR } from '../helpers/quorum.js';

const TEMPLATE = readFileSync(join(PROJECT_DIR, 'playbooks/templates/etcd-ha/etcd.service.hbs'), 'utf8');

function flagsOf(address: string, etcdVersion: string | null): string[] {
  const unit = renderText(TEMPLATE, {
    etcd_binary: '/usr/bin/etcd',
    etcd_name: 'infra0',
    etcd_address: address,
    pki_dir: '/etc/kubernetes/pki',
    etcd_data_dir: '/var/lib/etcd',
    etcd_bootstrap: { initial_cluster: 'infra0=https://x:2380', initial_cluster_state: 'new' },
    facts: { versions: { etcd: etcdVersion } },
  });
  const exec = unit.slice(unit.indexOf('ExecStart='), unit.indexOf('\n\n', unit.indexOf('ExecStart=')));
  const words = exec.replace(/\\\n/g, ' ').split(/\s+/).filter(Boolean);
  return words.slice(1);
}

/** kubeadm's defaults merged with the seed doc's extraArgs, for an advertise address and etcd version. */
function kubeadmFlags(address: string, v36: boolean): string[] {
  const host = address.includes(':') ? `[${address}]` : address;
  const local = address.includes(':') ? '[::1]' : '127.0.0.1';
  const args: Array<[string, string]> = [
    ['advertise-client-urls', `https://${host}:2379`],
    ['cert-file', '/etc/kubernetes/pki/etcd/server.crt'],
    ['client-cert-auth', 'true'],
    ['data-dir', '/var/lib/etcd'],
    ...(v36 ? [['feature-gates', 'InitialCorruptCheck=true'] as [string, string], ['watch-progress-notify-interval', '5s'] as [string, string]] : [['experimental-initial-corrupt-check', 'true'] as [string, string], ['experimental-watch-progress-notify-interval', '5s'] as [string, string]]),
    ['initial-advertise-peer-urls', `https://${host}:2380`],
    ['initial-cluster', 'infra0=https://x:2380'],
    ['initial-cluster-state', 'new'],
    ['key-file', '/etc/kubernetes/pki/etcd/server.key'],
    ['listen-client-urls', `https://${host}:2379`],
    ['listen-metrics-urls', `http://${local}:2381`],
    ['listen-peer-urls', `https://${host}:2380`],
    ['name', 'infra0'],
    ['peer-cert-file', '/etc/kubernetes/pki/etcd/peer.crt'],
    ['peer-client-cert-auth', 'true'],
    ['peer-key-file', '/etc/kubernetes/pki/etcd/peer.key'],
    ['peer-trusted-ca-file', '/etc/kubernetes/pki/etcd/ca.crt'],
    ['snapshot-count', '10000'],
    ['trusted-ca-file', '/etc/kubernetes/pki/etcd/ca.crt'],
  ];
  // ArgumentsToCommand: sorted by name, then value.
  return args.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([n, v]) => `--${n}=${v}`);
}

test('etcd 3.4 (the lab\'s): the --experimental-* spellings, metrics on 127.0.0.1, kubeadm\'s order', (t) => {
  t.deepEqual(flagsOf('10.0.0.6', '3.4.30'), kubeadmFlags('10.0.0.6', false));
});

test('etcd 3.6: --feature-gates=InitialCorruptCheck=true and --watch-progress-notify-interval, as kubeadm writes for >= 3.6.0', (t) => {
  const flags = flagsOf('10.0.0.6', '3.6.5');
  t.deepEqual(flags, kubeadmFlags('10.0.0.6', true));
  t.false(flags.some((f) => f.startsWith('--experimental-')));
  t.deepEqual(flagsOf('10.0.0.6', 'v3.6.0'), kubeadmFlags('10.0.0.6', true));
  t.deepEqual(flagsOf('10.0.0.6', '3.5.21'), kubeadmFlags('10.0.0.6', false));
  // kubeadm's AtLeast: a 3.6.0 pre-release is below 3.6.0.
  t.deepEqual(flagsOf('10.0.0.6', '3.6.0-rc.2'), kubeadmFlags('10.0.0.6', false));
  // etcd not found by the facts: the spellings every etcd up to 3.6 accepts.
  t.deepEqual(flagsOf('10.0.0.6', null), kubeadmFlags('10.0.0.6', false));
});

test('IPv6 member: --listen-metrics-urls=http://[::1]:2381 as kubeadm writes, URLs bracketed', (t) => {
  const flags = flagsOf('fd00:10::6', '3.6.5');
  t.true(flags.includes('--listen-metrics-urls=http://[::1]:2381'));
  t.deepEqual(flags, kubeadmFlags('fd00:10::6', true));
  t.deepEqual(flagsOf('fd00:10::6', '3.4.30'), kubeadmFlags('fd00:10::6', false));
});
