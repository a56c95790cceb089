/**
 * etcd-health on real etcdctl 3.4.23 output captured on lab hosts (a 3-member cluster on
 * infra3..5, then with infra5 stopped): parsers, 64-bit ids, the cluster verdict, the plan.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import Ajv from 'ajv';
import { quoteBigInts, toHexId } from '../../runner/etcd/ids.js';
import { buildEtcdctlArgv, HEALTH_SUBCOMMAND, MEMBERS_SUBCOMMAND, parseHealthOutput, parseMemberListJson, parseStatusJson, STATUS_SUBCOMMAND, summarizeEtcdctlError } from '../../runner/etcd/etcdctl.js';
import { findDialError, judgeEndpoint, judgeReplies, probeEtcdctl, probeEtcdctlCluster } from '../../runner/etcd/probe-etcdctl.js';
import type { EndpointProbe } from '../../runner/etcd/types.js';
import type { Connection, ExecResult } from '../../runner/connection/types.js';
import { etcdHealth, planEtcdHealth, resolveEndpoints } from '../../modules/etcd-health.js';
import { evaluateBool } from '../../runner/lang/expr.js';

const dir = new URL('../fixtures/facts/etcdctl/', import.meta.url);
const read = (name: string) => readFileSync(new URL(name, dir), 'utf8');
const E3 = 'https://10.213.0.13:22379';
const E4 = 'https://10.213.0.14:22379';
const E5 = 'https://10.213.0.15:22379';
// Hex ids as etcdctl's own table printed them (members-3.4-healthy-table.stdout).
const ID3 = '2e4887bbd23fe458';
const ID4 = '425f8dad5fde7c81';
const ID5 = '6b4e64587783d061';

test('quoteBigInts keeps digits inside strings and quotes unsafe integers only', (t) => {
  const json = '{"url":"https://1.2.3.4:12345678901234567890","id":14764114136021083819,"n":8,"f":-1.5e3}';
  t.is(quoteBigInts(json), '{"url":"https://1.2.3.4:12345678901234567890","id":"14764114136021083819","n":8,"f":-1.5e3}');
  t.is(JSON.parse(quoteBigInts(json)).id, '14764114136021083819');
});

test('toHexId converts decimal strings exactly and refuses numbers that already lost precision', (t) => {
  t.is(toHexId('3335064764823888984'), ID3);
  t.is(toHexId(0), '0');
  t.is(toHexId(undefined), '0');
  t.throws(() => toHexId(4782697105068031105), { message: /lost precision/ });
});

test('the member table and member list -w json agree on every id (real 3.4.23 output)', (t) => {
  const members = parseMemberListJson(read('members-3.4-healthy.stdout'));
  const table = read('members-3.4-healthy-table.stdout').trim().split('\n').map((l) => l.split(', '));
  t.deepEqual(members.map((m) => m.id), table.map((r) => r[0]));
  t.deepEqual(members, [
    { id: ID3, name: 'infra3', peerURLs: ['https://10.213.0.13:22380'], clientURLs: [E3] },
    { id: ID4, name: 'infra4', peerURLs: ['https://10.213.0.14:22380'], clientURLs: [E4] },
    { id: ID5, name: 'infra5', peerURLs: ['https://10.213.0.15:22380'], clientURLs: [E5] },
  ]);
});

test('endpoint status -w json parses with exact ids; the leader is the table\'s IS LEADER row', (t) => {
  const s = parseStatusJson(read('status-3.4-healthy.stdout'));
  t.deepEqual(s.get(E3), { memberId: ID3, leader: ID4, version: '3.4.23', dbSize: 32768, raftTerm: 2, raftIndex: 8 });
  t.deepEqual(s.get(E4), { memberId: ID4, leader: ID4, version: '3.4.23', dbSize: 36864, raftTerm: 2, raftIndex: 8 });
  t.deepEqual(s.get(E5), { memberId: ID5, leader: ID4, version: '3.4.23', dbSize: 32768, raftTerm: 2, raftIndex: 8 });
  const leaderRow = read('status-3.4-healthy-table.stdout').split('\n').find((l) => l.split(', ')[4] === 'true');
  t.is(leaderRow?.split(', ')[1], ID4);
});

test('3.4 prints health success on stderr with stdout empty; the parser reads both streams', (t) => {
  t.is(read('health-3.4-healthy.stdout'), '');
  const lines = parseHealthOutput('', read('health-3.4-healthy.stderr'));
  t.deepEqual(lines.map((l) => [l.endpoint, l.healthy]).sort(), [[E3, true], [E4, true], [E5, true]]);
  // 3.5+ prints the same success lines on stdout (spec 4.6): same verdict from stdout alone.
  t.deepEqual(parseHealthOutput(read('health-3.4-healthy.stderr'), ''), lines);
});

test('an unhealthy endpoint keeps etcdctl\'s reason; the dial error comes from the gRPC log', (t) => {
  t.is(read('health-3.4-one-down.rc').trim(), '1');
  const lines = parseHealthOutput(read('health-3.4-one-down.stdout'), read('health-3.4-one-down.stderr'));
  t.deepEqual(lines.find((l) => l.endpoint === E5), { endpoint: E5, healthy: false, error: 'context deadline exceeded' });
  t.is(lines.filter((l) => l.healthy).length, 2);
  t.is(findDialError(read('status-3.4-one-down.stderr')), 'connect: connection refused');
  t.is(findDialError(read('status-3.4-one-down.stderr'), E5), 'connect: connection refused');
  t.is(findDialError(read('status-3.4-one-down.stderr'), E4), undefined, 'only the endpoint\'s own dial error');
  t.is(findDialError(read('health-3.4-single-down.stderr')), undefined);
  t.is(summarizeEtcdctlError(read('status-3.4-one-down.stderr'), 1), 'Failed to get the status of endpoint https://10.213.0.15:22379 (context deadline exceeded)');
  // A partial status array: the dead endpoint is just missing.
  t.deepEqual([...parseStatusJson(read('status-3.4-one-down.stdout')).keys()], [E3, E4]);
});

test('etcdctl argv carries TLS paths and bounded timeouts', (t) => {
  t.deepEqual(buildEtcdctlArgv(E3, ['endpoint', 'health'], { cacert: '/p/ca.crt', cert: '/p/c.crt', key: '/p/c.key', timeoutSeconds: 10 }), [
    'etcdctl', `--endpoints=${E3}`, '--cacert=/p/ca.crt', '--cert=/p/c.crt', '--key=/p/c.key', '--dial-timeout=5s', '--command-timeout=10s', 'endpoint', 'health',
  ]);
  t.deepEqual(buildEtcdctlArgv(E3, ['member', 'list'], { binary: '/opt/etcdctl', timeoutSeconds: 2 }).slice(0, 4), ['/opt/etcdctl', `--endpoints=${E3}`, '--dial-timeout=2s', '--command-timeout=2s']);
});

/** The captured outputs of one command: exit code, stdout, stderr. */
function captured(name: string): ExecResult {
  return { exitCode: Number(read(`${name}.rc`)), stdout: Buffer.from(read(`${name}.stdout`)), stderr: Buffer.from(read(`${name}.stderr`)), durationMs: 1 };
}

/**
 * Each endpoint judged from the replies probeEtcdctl gets: `endpoint health` and `endpoint
 * status` run once against all three endpoints (captured so), `member list` from each.
 */
function probeAll(scenario: 'healthy' | 'one-down'): EndpointProbe[] {
  const health = captured(`health-3.4-${scenario}`);
  const status = captured(`status-3.4-${scenario}`);
  return [E3, E4, E5].map((e) => judgeEndpoint('infra3', e, { health, status, members: captured(`members-3.4-${scenario}`) }));
}

test('probeEtcdctl runs health and status once for all endpoints and member list per endpoint, at once', async (t) => {
  const scripts: string[] = [];
  const conn = recordingConnection(scripts);
  await probeEtcdctl(conn, [E3, E4, E5], { timeoutSeconds: 3 }, true).catch(() => undefined);
  t.is(scripts.length, 1, 'one round trip');
  const script = scripts[0]!;
  t.is(script.match(/etcdctl/g)?.length, 5);
  t.is(script.match(new RegExp(`--endpoints=${E3},${E4},${E5}`, 'g'))?.length, 2);
  for (const e of [E3, E4, E5]) t.true(script.includes(`--endpoints=${e} `) || script.includes(`--endpoints=${e}'`), e);
});

test('healthy cluster: healthy, one leader, quorum, structured per-endpoint data', async (t) => {
  const probes = probeAll('healthy');
  const plan = planEtcdHealth({}, { probes, names: { [E3]: 'infra3', [E4]: 'infra4', [E5]: 'infra5' } });
  t.is(plan.failed, undefined);
  t.deepEqual(plan.changes, []);
  const r = plan.result as Record<string, any>;
  t.is(r.healthy, true);
  t.is(r.quorum, true);
  t.is(r.leader, ID4);
  t.is(r.members.length, 3);
  t.deepEqual(r.endpoints[1], { endpoint: E4, name: 'infra4', healthy: true, error: null, version: '3.4.23', dbSize: 36864, leader: ID4, raftTerm: 2, raftIndex: 8, memberId: ID4 });
  t.is(plan.msg, '3 of 3 endpoints healthy, 3 members, leader infra4');
  t.true(JSON.stringify(r).includes(`"memberId":"${ID3}"`));
});

test('one member down: fails as degraded with quorum kept, naming the member and the reason', async (t) => {
  const probes = probeAll('one-down');
  const plan = planEtcdHealth({}, { probes, names: {} });
  t.is(plan.failed, `degraded, quorum kept: infra5 (${E5}) unhealthy: context deadline exceeded (connect: connection refused)`);
  const r = plan.result as Record<string, any>;
  t.is(r.healthy, false);
  t.is(r.quorum, true);
  t.is(r.leader, ID4);
  t.deepEqual(r.endpoints[2], { endpoint: E5, name: 'infra5', healthy: false, error: 'context deadline exceeded (connect: connection refused)', version: null, dbSize: null, leader: null, raftTerm: null, raftIndex: null, memberId: null });
});

test('two of three down: quorum lost, both named', async (t) => {
  const probes = probeAll('one-down');
  probes[1] = { endpoint: E4, healthy: false, error: 'context deadline exceeded' };
  const plan = planEtcdHealth({}, { probes, names: { [E4]: 'infra4', [E5]: 'infra5' } });
  t.regex(plan.failed ?? '', /^quorum lost \(1 of 3 healthy\): infra4 \(https:\/\/10\.213\.0\.14:22379\) unhealthy: context deadline exceeded; infra5 /);
  t.is((plan.result as any).quorum, false);
});

test('disagreeing member lists, two leaders and a wrong member count each fail the check', async (t) => {
  const probes = probeAll('healthy');
  probes[2] = { ...probes[2]!, members: probes[2]!.members!.slice(0, 2), status: { ...probes[2]!.status!, leader: ID5 } };
  const plan = planEtcdHealth({ expect_members: 3 }, { probes, names: {} });
  t.regex(plan.failed ?? '', /member lists disagree: infra3 sees \[infra3, infra4, infra5\]; .*infra5 sees \[infra3, infra4\]/);
  t.regex(plan.failed ?? '', new RegExp(`more than one leader: ${ID4}, ${ID5}`));
  const five = planEtcdHealth({ expect_members: 5 }, { probes: probeAll('healthy'), names: {} });
  t.regex(five.failed ?? '', /expected 5 members, the member list has 3/);
  t.is((five.result as any).quorum, true, '3 healthy of 5 expected is still a majority');
});

test('missing etcdctl and missing endpoints fail with what to do', async (t) => {
  const missing = { exitCode: 127, stdout: Buffer.alloc(0), stderr: Buffer.from('sh: 1: etcdctl: not found'), durationMs: 1 };
  t.throws(() => judgeEndpoint('infra3', E3, { health: missing, status: missing, members: missing }), { message: /etcdctl not found on infra3: install it \(Debian: apt-get install etcd-client\) or use method: gateway/ });
  const plan = planEtcdHealth({}, { probes: [], names: {}, error: 'no endpoints: the inventory has no hosts in group "etcd"' });
  t.is(plan.failed, 'no endpoints: the inventory has no hosts in group "etcd"');
  t.is((plan.result as any).healthy, false);
});

test('module metadata: read-only, and every docs example validates against the schema', (t) => {
  t.true(etcdHealth.flags?.readOnly);
  const validate = new Ajv.default({ strict: false }).compile(etcdHealth.schema);
  const tasks = parseYaml(etcdHealth.docs.examples) as Array<Record<string, unknown>>;
  t.is(tasks.length, 3);
  for (const task of tasks) t.true(validate(task['etcd-health']), JSON.stringify(validate.errors));
  t.false(validate({ endpoints: ['10.0.0.1:2379'] }));
  t.false(validate({ method: 'curl' }));
});

test('default endpoints come from the group\'s ansible_host (IPv6 bracketed); explicit ones get inventory names', (t) => {
  const vars = { groups: { etcd: ['infra0', 'infra1', 'v6'] }, hostvars: { infra0: { ansible_host: '10.0.0.6' }, infra1: {}, v6: { ansible_host: 'fd00::8' } } };
  t.deepEqual(resolveEndpoints({ vars }, {}), {
    endpoints: ['https://10.0.0.6:2379', 'https://infra1:2379', 'https://[fd00::8]:2379'],
    names: { 'https://10.0.0.6:2379': 'infra0', 'https://infra1:2379': 'infra1', 'https://[fd00::8]:2379': 'v6' },
  });
  t.deepEqual(resolveEndpoints({ vars }, { endpoints: ['https://10.0.0.6:12379', 'https://[fd00::8]:2379', 'https://10.9.9.9:2379'] }), {
    endpoints: ['https://10.0.0.6:12379', 'https://[fd00::8]:2379', 'https://10.9.9.9:2379'],
    names: { 'https://10.0.0.6:12379': 'infra0', 'https://[fd00::8]:2379': 'v6' },
  });
  t.deepEqual(resolveEndpoints({ vars }, { group: 'nope' }), { endpoints: [], names: {}, error: 'no endpoints: the inventory has no hosts in group "nope"; give `endpoints:` or set `group:`' });
});

test('an endpoint healthy to `endpoint health` but missing from the shared status reply fails with etcdctl\'s reason for it alone', (t) => {
  const health = captured('health-3.4-healthy');
  const status = captured('status-3.4-one-down');
  const members = captured('members-3.4-healthy');
  t.is(judgeEndpoint('infra3', E4, { health, status, members }).healthy, true, 'status exit 1 (another endpoint) does not count against E4');
  t.deepEqual(judgeEndpoint('infra3', E5, { health, status, members }), { endpoint: E5, healthy: false, error: `endpoint status: Failed to get the status of endpoint ${E5} (context deadline exceeded)` });
});

test('a member on a host this run could not reach is named as such, and unreachable_hosts lets `until` stop at once', (t) => {
  const names = { [E3]: 'infra3', [E4]: 'infra4', [E5]: 'infra5' };
  const until = 'etcd_health.healthy || size(etcd_health.unreachable_hosts) > 0';
  const cut = planEtcdHealth({}, { probes: probeAll('one-down'), names, unreachable: ['infra5'] });
  t.is(cut.failed, `degraded, quorum kept: infra5 (host unreachable in this run; ${E5} unhealthy: context deadline exceeded (connect: connection refused))`);
  t.deepEqual((cut.result as any).unreachable_hosts, ['infra5']);
  t.true(evaluateBool(until, { etcd_health: cut.result }), 'the playbook stops retrying: the host will not come back in this run');

  // Reachable but its etcd is down: retrying may help (etcd restarting), so `until` keeps going.
  const down = planEtcdHealth({}, { probes: probeAll('one-down'), names, unreachable: [] });
  t.is(down.failed, `degraded, quorum kept: infra5 (${E5}) unhealthy: context deadline exceeded (connect: connection refused)`);
  t.deepEqual((down.result as any).unreachable_hosts, []);
  t.false(evaluateBool(until, { etcd_health: down.result }));

  // SSH to infra4 failed but its etcd answers: healthy, and the summary says so.
  const answering = planEtcdHealth({}, { probes: probeAll('healthy'), names, unreachable: ['infra4'] });
  t.is(answering.failed, undefined);
  t.is(answering.msg, '3 of 3 endpoints healthy, 3 members, leader infra4 (infra4: host unreachable in this run, its etcd answers)');
});

test('gather: unreachable_hosts are the checked group\'s hosts among those the run marked unreachable', async (t) => {
  const conn: Connection = {
    host: 'infra0',
    async exec() {
      return { exitCode: 1, stdout: Buffer.alloc(0), stderr: Buffer.from('Error: context deadline exceeded'), durationMs: 1 };
    },
    async put() {},
    async get() {
      return Buffer.alloc(0);
    },
    async close() {},
  };
  const vars = { groups: { etcd: ['infra0', 'infra1', 'infra2'], web: ['web0'] }, hostvars: { infra0: {}, infra1: {}, infra2: {}, web0: {} } };
  const ctx = { host: 'infra0', inventoryHost: 'infra0', conn, become: true, facts: { get: async () => undefined as never, clear() {} }, vars, checkMode: false, playbookDir: '.', render: (s: string) => s };
  const facts = await etcdHealth.gather({ ...ctx, unreachableHosts: ['web0', 'infra2'] }, {});
  t.deepEqual(facts.unreachable, ['infra2'], 'web0 is not in the checked group');
  t.deepEqual((await etcdHealth.gather(ctx, {})).unreachable, [], 'no run state: nothing is unreachable');
  const plan = planEtcdHealth({}, facts);
  t.regex(plan.failed ?? '', /infra2 \(host unreachable in this run; https:\/\/infra2:2379 unhealthy: /);
});

/** A connection that records the scripts it is given and answers nothing. */
function recordingConnection(scripts: string[]): Connection {
  return {
    host: 'infra3',
    async exec(command) {
      scripts.push(String(command));
      return { exitCode: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), durationMs: 1 };
    },
    async put() {},
    async get() {
      return Buffer.alloc(0);
    },
    async close() {},
  };
}

test('cluster: the health call is `endpoint health --cluster`, in the same round trip, no extra etcdctl', async (t) => {
  const scripts: string[] = [];
  await probeEtcdctlCluster(recordingConnection(scripts), [E3, E4, E5], { timeoutSeconds: 3 }, true, true).catch(() => undefined);
  t.is(scripts.length, 1, 'one round trip');
  t.is(scripts[0]!.match(/etcdctl/g)?.length, 5, 'health --cluster, status, a member list per endpoint');
  t.is(scripts[0]!.match(/--cluster/g)?.length, 1);
  const plain: string[] = [];
  await probeEtcdctlCluster(recordingConnection(plain), [E3, E4, E5], { timeoutSeconds: 3 }, true, false).catch(() => undefined);
  t.false(plain[0]!.includes('--cluster'));
});

/** The replies of a healthy 3-member cluster (real 3.4.23 output), `endpoint health` printed as given. */
function healthyReplies(health: ExecResult) {
  return { health, status: captured('status-3.4-healthy'), members: [captured('members-3.4-healthy'), captured('members-3.4-healthy'), captured('members-3.4-healthy')] };
}

test('cluster: what etcdctl printed is registered as etcdctl_output; a healthy cluster passes', (t) => {
  const r = judgeReplies('infra3', [E3, E4, E5], healthyReplies(captured('health-3.4-healthy')), {}, true);
  t.deepEqual(r.advertised, []);
  const plan = planEtcdHealth({ cluster: true }, { probes: r.probes, names: {}, healthOutput: r.healthOutput, advertised: r.advertised });
  t.is(plan.failed, undefined);
  t.is((plan.result as any).etcdctl_output, read('health-3.4-healthy.stderr'), '3.4 prints its verdict lines on stderr');
});

test('cluster: an advertised client URL that is not among the endpoints and unhealthy fails the check, named', (t) => {
  // etcdctl --cluster judged E5 (advertised by infra5) unhealthy; the task listed only E3 and E4.
  const one = captured('health-3.4-one-down');
  const r = judgeReplies('infra3', [E3, E4], { health: one, status: captured('status-3.4-one-down'), members: [captured('members-3.4-one-down'), captured('members-3.4-one-down')] }, {}, true);
  t.deepEqual(r.advertised, [{ endpoint: E5, healthy: false, error: 'context deadline exceeded' }]);
  t.true(r.probes.every((p) => p.healthy));
  const plan = planEtcdHealth({ cluster: true }, { probes: r.probes, names: {}, healthOutput: r.healthOutput, advertised: r.advertised });
  t.regex(plan.failed ?? '', new RegExp(`client URLs the member list advertises are unhealthy: infra5 \\(${E5.replace(/[.:/]/g, '\\$&')}\\): context deadline exceeded`));
  t.is((plan.result as any).healthy, false);
  // Without cluster the same replies judge only the listed endpoints: etcdctl's other lines are not ours.
  t.deepEqual(judgeReplies('infra3', [E3, E4], { health: one, status: captured('status-3.4-one-down'), members: [captured('members-3.4-one-down'), captured('members-3.4-one-down')] }, {}, false).advertised, []);
});

test('cluster: an endpoint no member advertises is unhealthy, saying so', (t) => {
  const other = 'https://10.213.0.16:22379';
  const r = judgeReplies('infra3', [E3, E4, E5, other], { ...healthyReplies(captured('health-3.4-healthy')), members: [0, 1, 2, 3].map(() => captured('members-3.4-healthy')) }, {}, true);
  t.deepEqual(r.probes[3], { endpoint: other, healthy: false, error: 'not among the client URLs the member list advertises (etcdctl endpoint health --cluster checked those)' });
  t.true(r.probes.slice(0, 3).every((p) => p.healthy));
});

test('cluster is refused with method gateway before any host is touched', (t) => {
  const problems = etcdHealth.checkArgs!({ cluster: true, method: 'gateway' }, 'infra3');
  t.is(problems.length, 1);
  t.is(problems[0]!.param, 'cluster');
});
