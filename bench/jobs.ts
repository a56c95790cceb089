/**
 * The benchmark's jobs: the same work done by `quorum run` (the BUILT cli) and by
 * ansible-playbook, each with the untimed reset it needs between rounds and the outcome both
 * runs must report (so a run that silently does nothing cannot look fast).
 */
import { join } from 'node:path';
import type { TimedCommand } from './measure.js';
import { listHosts, runOnEveryHost, type BenchLab } from './lab.js';

/** What every measured run of a job must report in its recap. */
export type Expectation = 'changes' | 'no-changes';

/** One row of the results table. */
export interface Job {
  /** Workload number of the issue (1..4; 0: connecting alone, the floor) and a short name. */
  workload: number;
  name: string;
  hosts: number;
  expect: Expectation;
  /** Untimed, before every measured run of either tool. */
  reset?: () => Promise<void>;
  quorum: TimedCommand;
  ansible: TimedCommand;
}

/** Paths and environment the jobs are built from. */
export interface JobContext {
  projectRoot: string;
  workDir: string;
  lab: BenchLab;
  ansibleEnv: Record<string, string>;
}

/** Where the file workloads write on every host; removed between first-run rounds. */
export const FILES_TARGET = '/var/tmp/qbench';

/**
 * argv of the built quorum executable, run as users run `quorum` (never tsx, never `node FILE`:
 * start-up, the #!/bin/sh header included, is part of what is measured).
 */
export function makeQuorumArgv(ctx: JobContext, playbook: string, extra: string[] = []): string[] {
  const cli = join(ctx.projectRoot, 'dist', 'bundle', 'quorum.cjs');
  return [cli, 'run', playbook, '-i', ctx.lab.inventory, '-o', 'plain', '--no-color', '-T', '60', ...extra];
}

function makeAnsibleCommand(ctx: JobContext, playbook: string, extra: string[] = []): TimedCommand {
  return { argv: ['ansible-playbook', '-i', ctx.lab.inventory, playbook, ...extra], env: ctx.ansibleEnv };
}

/** Workloads 1/2 (first run and re-run) and 4 (--check on fresh hosts) at the lab's size. */
export function makeFileJobs(ctx: JobContext, withCheck: boolean): Job[] {
  const n = ctx.lab.hosts.length;
  const workload = n <= 3 ? 1 : 2;
  const qbook = join(ctx.projectRoot, 'bench', 'workloads', 'files.quorum.yaml');
  const abook = join(ctx.projectRoot, 'bench', 'workloads', 'files.ansible.yaml');
  const reset = () => runOnEveryHost(ctx.lab, listHosts(ctx.lab, 'all'), `sudo -n rm -rf ${FILES_TARGET}`, join(ctx.workDir, 'reset.log'));
  const jobs: Job[] = [
    { workload, name: 'facts + 20 file tasks, first run', hosts: n, expect: 'changes', reset, quorum: { argv: makeQuorumArgv(ctx, qbook) }, ansible: makeAnsibleCommand(ctx, abook) },
    { workload, name: 'facts + 20 file tasks, re-run', hosts: n, expect: 'no-changes', quorum: { argv: makeQuorumArgv(ctx, qbook) }, ansible: makeAnsibleCommand(ctx, abook) },
  ];
  if (withCheck) {
    jobs.push({
      workload: 4,
      name: '--check of workload 1, fresh hosts',
      hosts: n,
      expect: 'changes',
      reset,
      quorum: { argv: makeQuorumArgv(ctx, qbook, ['--check']) },
      ansible: makeAnsibleCommand(ctx, abook, ['--check']),
    });
  }
  return jobs;
}

/**
 * Workload 0: connect, log in, become root and run one command on every host, no facts. Not a
 * target of its own: it shows what reaching the hosts costs, under every other workload.
 */
export function makeConnectJob(ctx: JobContext): Job {
  const book = (tool: string) => join(ctx.projectRoot, 'bench', 'workloads', `connect.${tool}.yaml`);
  return {
    workload: 0,
    name: 'connect + one command, no facts',
    hosts: ctx.lab.hosts.length,
    expect: 'no-changes',
    quorum: { argv: makeQuorumArgv(ctx, book('quorum')) },
    ansible: makeAnsibleCommand(ctx, book('ansible')),
  };
}

/** Extra vars of every quorum etcd-ha run: systemd runtime, the bench's own CA directory. */
export function makeEtcdVars(ctx: JobContext): string[] {
  return ['-e', 'etcd_runtime=systemd', '-e', `etcd_ca_dir=${join(ctx.workDir, 'pki', 'etcd')}`];
}

/** Workload 3: the etcd-ha re-run on the `etcd` group (the cluster is set up beforehand). */
export function makeEtcdJob(ctx: JobContext, filesDir: string): Job {
  const qbook = join(ctx.projectRoot, 'playbooks', 'etcd-ha.yaml');
  const abook = join(ctx.projectRoot, 'bench', 'workloads', 'etcd-ha.ansible.yaml');
  return {
    workload: 3,
    name: 'etcd-ha re-run (systemd runtime)',
    hosts: listHosts(ctx.lab, 'etcd').length,
    expect: 'no-changes',
    quorum: { argv: makeQuorumArgv(ctx, qbook, makeEtcdVars(ctx)) },
    ansible: makeAnsibleCommand(ctx, abook, ['-e', `bench_files_dir=${filesDir}`]),
  };
}

/**
 * Check a run's recap against the job's expectation: every `changed=N` of the recap (both tools
 * print one per host) must be 0 for `no-changes`, and some must be > 0 for `changes`.
 */
export function checkRecap(output: string, expect: Expectation, hosts: number): string | undefined {
  const counts = [...output.matchAll(/\bchanged=(\d+)/g)].map((m) => Number(m[1]));
  if (counts.length < hosts) return `expected a recap line for each of ${hosts} hosts, found ${counts.length}`;
  const recap = counts.slice(-hosts);
  if (expect === 'no-changes' && recap.some((c) => c !== 0)) return `expected nothing to change, recap says changed=${recap.join(',')}`;
  if (expect === 'changes' && recap.every((c) => c === 0)) return 'expected changes (fresh hosts), recap says changed=0 everywhere';
  return undefined;
}
