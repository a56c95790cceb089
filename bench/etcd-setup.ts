/**
 * Before workload 3: set the etcd cluster up once with quorum (untimed), then copy what quorum
 * put on each member to the controller, so the Ansible playbook compares the very same bytes.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeEtcdVars, makeQuorumArgv, type JobContext } from './jobs.js';
import { listHosts } from './lab.js';
import { readTail, spawnToLog } from './measure.js';

/** Files of a configured member that the Ansible side manages (paths without the leading /). */
const MEMBER_FILES = ['etc/kubernetes/kubeadmcfg.yaml', 'etc/kubernetes/pki', 'etc/systemd/system/etcd.service'];

/** Run playbooks/etcd-ha.yaml once (systemd runtime) so that later runs have nothing to change. */
export async function setUpEtcdCluster(ctx: JobContext, logFile: string): Promise<void> {
  const playbook = join(ctx.projectRoot, 'playbooks', 'etcd-ha.yaml');
  const code = await spawnToLog(makeQuorumArgv(ctx, playbook, makeEtcdVars(ctx)), logFile);
  if (code !== 0) throw new Error(`bench: setting the etcd cluster up failed (exit ${code}):\n${readTail(logFile, 30)}`);
}

/**
 * Copy each etcd member's files to `dir`/HOST/etc/... with tar over ssh (modes kept). The keys
 * land in a root-only directory of the bench's work tree and are never printed.
 */
export async function fetchMemberFiles(ctx: JobContext, dir: string, logFile: string): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const name of listHosts(ctx.lab, 'etcd')) {
    const host = ctx.lab.hosts.find((h) => h.name === name)!;
    const target = join(dir, name);
    mkdirSync(target, { recursive: true });
    const ssh = ['ssh', ...ctx.lab.sshOptions, `${ctx.lab.user}@${host.address}`, `sudo -n tar -C / -cf - ${MEMBER_FILES.join(' ')}`];
    const quoted = ssh.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const code = await spawnToLog(['sh', '-c', `${quoted} | tar -C '${target}' -xpf -`], logFile);
    if (code !== 0) throw new Error(`bench: copying ${name}'s etcd files failed (exit ${code}); see ${logFile}`);
  }
}
