// scratch: JS cost of invokeModule for a file task, changing vs noop, over an instant fake connection
import { createHash } from 'node:crypto';
import { invokeModule } from '../runner/executor/run-module.js';
import { file } from '../modules/file.js';
import { createHostFactCache } from '../runner/facts/cache.js';
import { pathState } from '../runner/facts/path-state.js';
import type { Connection, ExecResult } from '../runner/connection/types.js';
import type { TaskNode } from '../runner/playbook.js';
const content = '# bench file 3\nkey3 = value 3\n';
const sha = createHash('sha256').update(content).digest('hex');
const ok: ExecResult = { exitCode: 0, stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), durationMs: 0 };
const conn: Connection = { host: 'h', checksPreconditions: true, exec: async () => ok, put: async () => {}, get: async () => Buffer.alloc(0), close: async () => {} };
const task = { name: 'file', module: 'file', args: { path: '/var/tmp/qbench/d3/f03.conf', content, mode: '0644' }, keywords: {} } as unknown as TaskNode;
const N = 20000;
async function bench(label: string, makeFacts: () => any) {
  for (let round = 0; round < 3; round++) {
    const facts = Array.from({ length: N }, makeFacts);
    const t = process.cpuUsage();
    for (let i = 0; i < N; i++) await invokeModule({ task, module: file as never, args: { path: '/var/tmp/qbench/d3/f03.conf', content, mode: '0644' }, vars: {}, inventoryHost: 'h', targetHost: 'h', conn, facts: facts[i], become: true, check: false, playbookDir: '/tmp' });
    const u = process.cpuUsage(t);
    console.log(label, ((u.user + u.system) / N).toFixed(1), 'µs');
  }
}
const seeded = (state: any, keptAfterChange: boolean) => () => {
  const h = createHostFactCache(conn);
  h.seed(true, pathState, { path: '/var/tmp/qbench/d3/f03.conf' }, state, 0);
  if (keptAfterChange) h.forTask(true).clear();
  return h.forTask(true);
};
await bench('noop (fresh hit)', seeded({ path: '/var/tmp/qbench/d3/f03.conf', type: 'file', mode: '0644', owner: 'root', group: 'root', uid: 0, gid: 0, size: 31, sha256: sha, parentExists: true }, false));
await bench('create (kept, guarded put)', seeded({ path: '/var/tmp/qbench/d3/f03.conf', type: 'absent', parentExists: true }, true));
await bench('create (fresh hit, put)', seeded({ path: '/var/tmp/qbench/d3/f03.conf', type: 'absent', parentExists: true }, false));
