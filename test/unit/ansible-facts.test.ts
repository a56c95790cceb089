/**
 * Facts under Ansible's names (runner/facts/ansible-facts.ts), from captured outputs of the
 * current facts script: a lab host (bookworm in systemd-nspawn, no default route) and this
 * controller (default routes, many interfaces). Hostile output must parse as data: no throw, no
 * prototype pollution, nothing rendered.
 */
import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname as osHostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/quorum.js';
import { parseHostFacts, parseLinks, parseClock, parseDefaultGateway, parseIpAddr } from '../../runner/facts/host-facts.js';
import { addAnsibleFactVars, ansibleFactsOf, dateTimeOf, ipv4Details } from '../../runner/facts/ansible-facts.js';
import { renderText } from '../../runner/lang/template.js';
import { ansibleFactsKeyProblems, unknownAnsibleFactProblem } from '../../runner/facts/ansible-fact-check.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/facts/${name}`, import.meta.url), 'utf8');
const asRecord = (x: unknown) => x as Record<string, unknown>;

test('lab host: Ansible names from one capture of the current script', (t) => {
  const facts = ansibleFactsOf(asRecord(parseHostFacts(fixture('lab-infra0-ansible-names.txt'))));
  t.is(facts['hostname'], 'infra0');
  t.is(facts['nodename'], 'infra0');
  t.is(facts['fqdn'], 'infra0');
  t.is(facts['os_family'], 'Debian');
  t.is(facts['distribution'], 'Debian');
  // Ansible takes Debian's point release from /etc/debian_version, as here.
  t.is(facts['distribution_version'], '12.15');
  t.is(facts['distribution_major_version'], '12');
  t.is(facts['distribution_release'], 'bookworm');
  t.is(facts['architecture'], 'x86_64');
  t.is(facts['memtotal_mb'], Math.floor(24683784 / 1024));
  t.is(facts['processor_vcpus'], 2);
  t.is(facts['service_mgr'], 'systemd');
  t.is(facts['system'], 'Linux');
  t.deepEqual(facts['all_ipv4_addresses'], ['10.213.4.10']);
  t.deepEqual(facts['all_ipv6_addresses'], []);
  // No default route on a lab host: Ansible gives an empty mapping too.
  t.deepEqual(facts['default_ipv4'], {});
  t.deepEqual(facts['interfaces'], ['lo', 'eth0']);
  t.deepEqual(facts['eth0'], {
    device: 'eth0',
    active: true,
    type: 'ether',
    macaddress: '66:fd:d9:82:70:83',
    mtu: 1500,
    ipv4: { address: '10.213.4.10', broadcast: '10.213.4.255', netmask: '255.255.255.0', network: '10.213.4.0', prefix: '24' },
    ipv6: [{ address: 'fe80::64fd:d9ff:fe82:7083', prefix: '64', scope: 'link' }],
  });
  t.deepEqual(facts['date_time'], {
    year: '2026', month: '12', day: '07', hour: '04', minute: '34', second: '05', weekday: 'Monday', weekday_number: '1',
    epoch: '1796618045', epoch_int: '1796618045', date: '2026-12-07', time: '04:34:05', iso8601: '2026-12-07T04:34:05Z',
    iso8601_basic_short: '20261207T043405', tz: 'UTC', tz_offset: '+0000',
  });
});

test('controller: default_ipv4 with gateway, interface, address and link layer, as Ansible shapes it', (t) => {
  const facts = ansibleFactsOf(asRecord(parseHostFacts(fixture('controller-debian12-links.txt'))));
  t.deepEqual(facts['default_ipv4'], {
    address: '192.0.2.2', broadcast: '192.0.2.255', netmask: '255.255.255.0', network: '192.0.2.0', prefix: '24',
    interface: 'eth0', alias: 'eth0', gateway: '192.0.2.1', macaddress: '02:fc:00:00:00:01', mtu: 1400, type: 'ether',
  });
  t.deepEqual(facts['default_ipv6'], { address: 'fd00::2', prefix: '64', scope: 'global', interface: 'eth0' });
  const all = facts['all_ipv4_addresses'] as string[];
  t.is(all[0], '192.0.2.2');
  t.false(all.includes('127.0.0.1'), 'loopback is left out, as Ansible does');
  t.true(all.includes('10.213.4.1'));
  // Dashes become underscores in the interface's own fact name, as in Ansible.
  t.is((facts['qv4_infra0'] as Record<string, unknown>)['device'], 'qv4-infra0');
  t.is(facts['service_mgr'], 'service', 'pid 1 is not an init system on this controller');
});

test('distribution and family from os-release IDs and ID_LIKE', (t) => {
  const of = (os: Record<string, unknown>) => ansibleFactsOf(asRecord({ hostname: 'h', ...os }));
  const ubuntu = of({ os: { id: 'ubuntu', versionId: '22.04', prettyName: null }, osRelease: { name: 'Ubuntu', idLike: ['debian'], codename: 'jammy' }, debianVersion: 'bookworm/sid' });
  t.like(ubuntu, { distribution: 'Ubuntu', os_family: 'Debian', distribution_version: '22.04', distribution_major_version: '22', distribution_release: 'jammy' });
  const rocky = of({ os: { id: 'rocky', versionId: '9.3', prettyName: null }, osRelease: { name: 'Rocky Linux', idLike: ['rhel', 'centos', 'fedora'], codename: null } });
  t.like(rocky, { distribution: 'Rocky', os_family: 'RedHat', distribution_major_version: '9', distribution_release: '' });
  const unknown = of({ os: { id: 'mydistro', versionId: '3', prettyName: null }, osRelease: { name: 'MyDistro Linux', idLike: ['ubuntu'], codename: null } });
  t.like(unknown, { distribution: 'MyDistro', os_family: 'Debian' });
  // Debian testing: /etc/debian_version is a codename, not a number; VERSION_ID is used.
  const testing = of({ os: { id: 'debian', versionId: '13', prettyName: null }, osRelease: { name: 'Debian', idLike: [], codename: 'trixie' }, debianVersion: 'trixie/sid' });
  t.is(testing['distribution_version'], '13');
});

test('hostname is the node name up to the first dot; domain from the fqdn', (t) => {
  const facts = ansibleFactsOf(asRecord({ hostname: 'web1.example.org', fqdn: 'web1.example.org' }));
  t.like(facts, { hostname: 'web1', nodename: 'web1.example.org', fqdn: 'web1.example.org', domain: 'example.org' });
});

test('date_time at a UTC offset: local fields, iso8601 in UTC, strings as Ansible gives them', (t) => {
  // 2026-12-31 23:30:00 UTC at +0100 is already 2027 locally.
  const epoch = Date.UTC(2026, 11, 31, 23, 30, 0) / 1000;
  const dt = dateTimeOf(parseClock(`${epoch} +0100 CET`))!;
  t.like(dt, { year: '2027', month: '01', day: '01', hour: '00', minute: '30', date: '2027-01-01', time: '00:30:00', tz: 'CET', tz_offset: '+0100', iso8601: '2026-12-31T23:30:00Z', epoch: String(epoch) });
  const west = dateTimeOf(parseClock(`${epoch} -0930 X`))!;
  t.is(west.time, '14:00:00');
});

test('ipv4Details: network, netmask, broadcast of a CIDR; junk is undefined', (t) => {
  t.deepEqual(ipv4Details('10.1.2.3/16'), { address: '10.1.2.3', broadcast: '10.1.255.255', netmask: '255.255.0.0', network: '10.1.0.0', prefix: '16' });
  t.deepEqual(ipv4Details('10.1.2.3/32')?.netmask, '255.255.255.255');
  t.is(ipv4Details('10.1.2.300/24'), undefined);
  t.is(ipv4Details('fd00::1/64'), undefined);
  t.is(ipv4Details('1.2.3.4/33'), undefined);
});

test('hostile output parses as data: no throw, no prototype pollution, not rendered', (t) => {
  const hostile = fixture('lab-infra0-ansible-names.txt')
    .replace('1796618045 +0000 UTC', '99999999999999999999 +9999 {{ hostvars }}')
    .replace(/::quorum:: ip\n/, '::quorum:: ip\n7: __proto__: <UP> mtu 99999999999999 \\    link/ether zz:zz\n8: constructor@x: mtu {{x}}\n9: __proto__    inet 6.6.6.6/8 scope global\n9: toString    inet6 {{ secret }}/1 scope global\ndefault via {{secret}} dev __proto__\n')
    .replace(/::quorum:: debian-version\n12.15/, '::quorum:: debian-version\n{{ lookup_file "/etc/shadow" }}');
  const facts = parseHostFacts(hostile);
  t.is(({} as Record<string, unknown>)['ipv4'], undefined, 'Object.prototype untouched');
  t.is(facts.clock, null);
  t.deepEqual(Object.keys(facts.links).sort(), ['__proto__', 'constructor', 'eth0', 'lo']);
  t.deepEqual(facts.links['__proto__' as 'lo'], { macaddress: null, mtu: null, type: 'ether' });
  const ansible = ansibleFactsOf(asRecord(facts));
  t.is(ansible['date_time'], undefined);
  t.is(ansible['distribution_version'], '12', 'a debian_version that is not a version falls back to VERSION_ID');
  t.is((ansible['default_ipv4'] as Record<string, unknown>)['gateway'], '{{secret}}');
  t.true((ansible['all_ipv4_addresses'] as string[]).includes('6.6.6.6'));
  // Data stays data when a template reads it.
  const vars: Record<string, unknown> = { secret: 'S3CRET' };
  addAnsibleFactVars(vars, asRecord(facts));
  t.is(renderText('{{ ansible_default_ipv4.gateway }}', vars), '{{secret}}');
  t.is(({} as Record<string, unknown>)['device'], undefined);
});

test('partial or odd facts never throw (a test double, an older cache)', (t) => {
  t.notThrows(() => ansibleFactsOf({}));
  t.notThrows(() => ansibleFactsOf({ os: { prettyName: 'x' }, interfaces: 'nope', links: [1], clock: { epoch: 'x' } }));
  t.deepEqual(ansibleFactsOf({ interfaces: null })['interfaces'], []);
});

test('task variables: ansible_X and ansible_facts.X, never over a name the user defined', (t) => {
  const facts = asRecord(parseHostFacts(fixture('lab-infra0-ansible-names.txt')));
  const vars: Record<string, unknown> = { ansible_distribution: 'mine' };
  addAnsibleFactVars(vars, facts);
  t.is(vars['ansible_hostname'], 'infra0');
  t.is(vars['ansible_distribution'], 'mine');
  t.is((vars['ansible_facts'] as Record<string, unknown>)['distribution'], 'Debian');
  t.is(renderText('{{ ansible_facts.os_family }}/{{ ansible_distribution_major_version }}/{{ ansible_date_time.date }}', vars), 'Debian/12/2026-12-07');
  const none: Record<string, unknown> = {};
  addAnsibleFactVars(none, undefined);
  t.deepEqual(none, {}, 'no facts gathered: no ansible_* facts');
});

test('parsers of the new sections on their own', (t) => {
  t.is(parseDefaultGateway('default via 10.0.0.1 dev eth0 proto dhcp\n'), '10.0.0.1');
  t.is(parseDefaultGateway('default dev wg0 scope link\n'), null);
  t.deepEqual(parseLinks('3: br-lan: <UP> mtu 9000 qdisc x\\    link/ether AA:bb:cc:dd:ee:ff brd ff:ff:ff:ff:ff:ff'), { 'br-lan': { macaddress: 'aa:bb:cc:dd:ee:ff', mtu: 9000, type: 'ether' } });
  t.is(parseClock('not a date'), null);
  t.deepEqual(parseClock('1700000000 -0500 EST\n'), { epoch: 1700000000, utcOffset: '-0500', timezone: 'EST' });
  t.deepEqual(Object.keys(parseIpAddr('1: __proto__    inet 1.2.3.4/8 scope global')), ['__proto__']);
});

test('--syntax-check: an Ansible fact quorum does not gather, or a misspelt fact, is refused up front; connection variables and interface facts pass', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-ansible-facts-'));
  writeFileSync(join(dir, 'inv.yaml'), 'all:\n  hosts:\n    localhost: { ansible_connection: local }\n');
  writeFileSync(join(dir, 'bad.yaml'), [
    '- hosts: all',
    '  tasks:',
    '    - debug: { msg: "{{ ansible_lsb.codename }} {{ ansible_eth0.ipv4.address }} {{ ansible_user }}" }',
    '      when: ansible_distribution_major_versoin == "12"',
    '',
  ].join('\n'));
  const bad = await runCli(['run', join(dir, 'bad.yaml'), '-i', join(dir, 'inv.yaml'), '--syntax-check']);
  t.is(bad.code, 5, bad.stderr);
  const lines = (bad.stdout + bad.stderr).split('\n').filter((l) => l.includes('bad.yaml:'));
  t.is(lines.length, 2, lines.join('\n'));
  t.regex(lines[0]!, /bad\.yaml:3:\d+ .*'ansible_lsb' is an Ansible fact quorum does not gather: quorum gathers ansible_hostname, .*ansible_date_time/);
  t.regex(lines[1]!, /bad\.yaml:4:\d+ .*'ansible_distribution_major_versoin': did you mean the fact 'ansible_distribution_major_version'\?/);
  writeFileSync(join(dir, 'good.yaml'), '- hosts: all\n  tasks:\n    - debug: { msg: "{{ ansible_hostname }} {{ ansible_facts.os_family }} {{ ansible_default_ipv4 }}" }\n      when: ansible_os_family == "Debian"\n');
  const good = await runCli(['run', join(dir, 'good.yaml'), '-i', join(dir, 'inv.yaml'), '--syntax-check']);
  t.is(good.code, 0, good.stdout + good.stderr);
});

test('run time on the controller: the facts are there under both names, and a missing ansible_facts key is named', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quorum-ansible-facts-'));
  writeFileSync(join(dir, 'inv.yaml'), 'all:\n  hosts:\n    localhost: { ansible_connection: local }\n');
  writeFileSync(join(dir, 'pb.yaml'), [
    '- hosts: all',
    '  tasks:',
    '    - debug: { msg: "[{{ ansible_hostname }}|{{ ansible_facts.hostname }}|{{ ansible_os_family }}]" }',
    '      when: ansible_facts.distribution_major_version == ansible_distribution_major_version',
    // Not one of Ansible's facts either, so left to run time (an interface could be named so).
    '    - debug: { msg: "{{ ansible_facts.zfs_pools }}" }',
    '',
  ].join('\n'));
  const r = await runCli(['run', join(dir, 'pb.yaml'), '-i', join(dir, 'inv.yaml')]);
  t.is(r.code, 2, r.stdout + r.stderr);
  const short = osHostname().split('.')[0]!;
  t.true(r.stdout.includes(`[${short}|${short}|Debian]`), r.stdout);
  t.regex(r.stdout, /undefined variable 'ansible_facts\.zfs_pools'.*'zfs_pools' is not a key of 'ansible_facts'/);
});

test('ansible_facts keys named literally: a fact not gathered or misspelt is a problem; a presence test is a guard', (t) => {
  const [lsb] = ansibleFactsKeyProblems('{{ ansible_facts.lsb.codename }}');
  t.regex(lsb!, /^'ansible_facts\.lsb' is an Ansible fact quorum does not gather: quorum gathers ansible_hostname/);
  t.deepEqual(ansibleFactsKeyProblems("ansible_facts['distribtion'] == 'Debian'"), ["undefined variable 'ansible_facts.distribtion': did you mean the fact 'ansible_facts.distribution'?"]);
  t.is(ansibleFactsKeyProblems('{{ ansible_facts.[processor_count] }}').length, 1);
  t.deepEqual(ansibleFactsKeyProblems('has(ansible_facts.lsb) && ansible_facts.os_family == "Debian"'), []);
  t.deepEqual(ansibleFactsKeyProblems('{{ default ansible_facts.env "none" }} {{ ansible_facts.eth0.mtu }} {{ ansible_facts.br_lan }}'), []);
  t.is(unknownAnsibleFactProblem('ansible_host'), undefined, 'a connection variable');
  t.is(unknownAnsibleFactProblem('ansible_ens3'), undefined, 'an interface fact');
});

test('task variables: the names added, their order and which wins are the same whether or not a task variable has a fact name', (t) => {
  // An interface called `facts` gives the fact `facts`: ansible_facts stays the mapping of all.
  const text = fixture('lab-infra0-ansible-names.txt').replace(/::quorum:: ip\n/, '::quorum:: ip\n7: facts: <UP> mtu 1500 \\    link/ether 02:00:00:00:00:07\n7: facts    inet 6.6.6.7/8 scope global\n');
  const facts = asRecord(parseHostFacts(text));
  t.truthy(ansibleFactsOf(facts)['facts'], 'the fixture has an interface called facts');
  const none: Record<string, unknown> = { x: 1 };
  addAnsibleFactVars(none, facts);
  // A name already there (here a lazily rendered one: its getter must not run) is kept.
  const lazy: Record<string, unknown> = { x: 1 };
  Object.defineProperty(lazy, 'ansible_hostname', { enumerable: true, configurable: true, get: () => t.fail('rendered') });
  addAnsibleFactVars(lazy, facts);
  const withoutHostname = (o: object) => Object.keys(o).filter((k) => k !== 'ansible_hostname');
  t.deepEqual(withoutHostname(none), withoutHostname(lazy));
  t.deepEqual(Object.keys(lazy).slice(0, 3), ['x', 'ansible_hostname', 'ansible_facts']);
  t.is(Object.keys(none)[1], 'ansible_facts');
  t.is(none['ansible_facts'], ansibleFactsOf(facts));
  t.is(lazy['ansible_facts'], ansibleFactsOf(facts));
  t.is(Object.getOwnPropertyDescriptor(lazy, 'ansible_hostname')!.get !== undefined, true);
  t.is(none['ansible_hostname'], 'infra0');
  for (const key of Object.keys(none)) if (key !== 'ansible_hostname') t.is(lazy[key], none[key], key);
  // The same facts twice (every task of the host): the same values again.
  const again: Record<string, unknown> = { x: 1 };
  addAnsibleFactVars(again, facts);
  t.deepEqual(again, none);
});
