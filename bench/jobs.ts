/**
 * The benchmark's jobs: the same work done by `quorum run` (the BUILT cli) and by each peer
 * (ansible-core, ansible-core with the Mitogen strategy, pyinfra, ansible-core with its full
 * facts), each with the untimed reset it needs between rounds and the outcome every run must
 * report (so a run that silently does nothing cannot look fast).
 */
import { join } from 'node:path';
import type { TimedCommand } from './measure.js';
import { listHosts, runOnEveryHost, type BenchLab } from './lab.js';
import { parsePyinfraOutput } from './pyinfra.js';

/** The tools compared, in the order of each round (reversed every other round). */
export const TOOLS = ['quorum', 'ansible', 'mitogen', 'pyinfra', 'ansible-full'] as const;
export type Tool = (typeof TOOLS)[number];

/** How results.md names each tool. */
export const TOOL_LABELS: Record<Tool, string> = {
  quorum: 'quorum',
  ansible: 'ansible-core',
  mitogen: 'Ansible + Mitogen',
  pyinfra: 'pyinfra',
  'ansible-full': 'ansible-core, full facts',
};

/**
 * What every measured run of a job must report: changes (fresh hosts), none (a re-run), or only
 * that every host ran (workload 0: pyinfra reports any shell command as a change).
 */
export type Expectation = 'changes' | 'no-changes' | 'ran';

/** One row of the results table. */
export interface Job {
  /** Workload number of the issue (1..4; 0: connecting alone, the floor) and a short name. */
  workload: number;
  name: string;
  hosts: number;
  expect: Expectation;
  /** Untimed, before every measured run of any tool. */
  reset?: () => Promise<void>;
  /** The command of each tool that takes part (quorum always does). */
  commands: Partial<Record<Tool, TimedCommand>>;
  /** Why a selected tool has no command for this job (shown in results.md). */
  absent?: Partial<Record<Tool, string>>;
}

/** Paths and environment the jobs are built from. */
export interface JobContext {
  projectRoot: string;
  workDir: string;
  lab: BenchLab;
  /** The tools selected with --peers (quorum included). */
  tools: Tool[];
  peers: PeerSetup;
}

/** Where each peer is installed and the configuration written for it at this lab size. */
export interface PeerSetup {
  /** venvs of scripts/install-peers.sh --bench */
  ansibleVenv: string;
  mitogenVenv: string;
  pyinfraVenv: string;
  /** ANSIBLE_CONFIG for plain ansible-core and for the Mitogen strategy */
  ansibleEnv: Record<string, string>;
  mitogenEnv: Record<string, string>;
  pyinfraInventory: string;
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

/** ansible-playbook of the peer's venv: plain, with Mitogen's strategy, or plain with full facts. */
function makeAnsibleCommand(ctx: JobContext, tool: 'ansible' | 'mitogen' | 'ansible-full', playbook: string, extra: string[] = []): TimedCommand {
  const venv = tool === 'mitogen' ? ctx.peers.mitogenVenv : ctx.peers.ansibleVenv;
  const env = tool === 'mitogen' ? ctx.peers.mitogenEnv : ctx.peers.ansibleEnv;
  const facts = tool === 'ansible-full' ? ['-e', 'bench_gather_subset=all'] : [];
  return { argv: [join(venv, 'bin', 'ansible-playbook'), '-i', ctx.lab.inventory, playbook, ...facts, ...extra], env };
}

/**
 * pyinfra of its venv on a deploy file: `-y` (run without the interactive confirmation, its
 * documented non-interactive mode), or `--dry` without `-y` (change detection only: the check).
 */
function makePyinfraCommand(ctx: JobContext, deploy: string, extra: string[] = []): TimedCommand {
  const mode = extra.includes('--dry') ? [] : ['-y'];
  return { argv: [join(ctx.peers.pyinfraVenv, 'bin', 'pyinfra'), ...mode, ...extra, ctx.peers.pyinfraInventory, deploy] };
}

/** The commands of the selected tools, from one builder per tool; `undefined` = cannot take part. */
function pickCommands(ctx: JobContext, build: { [T in Tool]?: () => TimedCommand }): Partial<Record<Tool, TimedCommand>> {
  const out: Partial<Record<Tool, TimedCommand>> = {};
  for (const tool of ctx.tools) {
    const make = build[tool];
    if (make) out[tool] = make();
  }
  return out;
}

/** Why each selected tool missing from `commands` is absent. */
function explainAbsent(ctx: JobContext, commands: Partial<Record<Tool, TimedCommand>>, why: Partial<Record<Tool, string>>): Partial<Record<Tool, string>> {
  const out: Partial<Record<Tool, string>> = {};
  for (const tool of ctx.tools) if (!commands[tool] && why[tool]) out[tool] = why[tool];
  return out;
}

/** The "full facts" row exists for the jobs that gather facts with files.ansible.yaml only. */
const FULL_FACTS_ONLY = 'the full-facts row is measured on the facts + 20 file tasks jobs only';

/** Workloads 1/2 (first run and re-run) and 4 (--check on fresh hosts) at the lab's size. */
export function makeFileJobs(ctx: JobContext, withCheck: boolean): Job[] {
  const n = ctx.lab.hosts.length;
  const workload = n <= 3 ? 1 : 2;
  const book = (tool: string, ext = 'yaml') => join(ctx.projectRoot, 'bench', 'workloads', `files.${tool}.${ext}`);
  const reset = () => runOnEveryHost(ctx.lab, listHosts(ctx.lab, 'all'), `sudo -n rm -rf ${FILES_TARGET}`, join(ctx.workDir, 'reset.log'));
  const commands = (check: boolean) => {
    const extra = check ? ['--check'] : [];
    return pickCommands(ctx, {
      quorum: () => ({ argv: makeQuorumArgv(ctx, book('quorum'), extra) }),
      ansible: () => makeAnsibleCommand(ctx, 'ansible', book('ansible'), extra),
      mitogen: () => makeAnsibleCommand(ctx, 'mitogen', book('ansible'), extra),
      pyinfra: () => makePyinfraCommand(ctx, book('pyinfra', 'py'), check ? ['--dry'] : []),
      'ansible-full': () => makeAnsibleCommand(ctx, 'ansible-full', book('ansible'), extra),
    });
  };
  const jobs: Job[] = [
    { workload, name: 'facts + 20 file tasks, first run', hosts: n, expect: 'changes', reset, commands: commands(false) },
    { workload, name: 'facts + 20 file tasks, re-run', hosts: n, expect: 'no-changes', commands: commands(false) },
  ];
  if (withCheck) jobs.push({ workload: 4, name: '--check of workload 1, fresh hosts', hosts: n, expect: 'changes', reset, commands: commands(true) });
  return jobs;
}

/**
 * Workload 0: connect, log in, become root and run one command on every host, no facts. Not a
 * target of its own: it shows what reaching the hosts costs, under every other workload.
 */
export function makeConnectJob(ctx: JobContext): Job {
  const book = (tool: string, ext = 'yaml') => join(ctx.projectRoot, 'bench', 'workloads', `connect.${tool}.${ext}`);
  const commands = pickCommands(ctx, {
    quorum: () => ({ argv: makeQuorumArgv(ctx, book('quorum')) }),
    ansible: () => makeAnsibleCommand(ctx, 'ansible', book('ansible')),
    mitogen: () => makeAnsibleCommand(ctx, 'mitogen', book('ansible')),
    pyinfra: () => makePyinfraCommand(ctx, book('pyinfra', 'py')),
  });
  return {
    workload: 0,
    name: 'connect + one command, no facts',
    hosts: ctx.lab.hosts.length,
    expect: 'ran',
    commands,
    absent: explainAbsent(ctx, commands, { 'ansible-full': FULL_FACTS_ONLY }),
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
  const pbook = join(ctx.projectRoot, 'bench', 'workloads', 'etcd-ha.pyinfra.py');
  const commands = pickCommands(ctx, {
    quorum: () => ({ argv: makeQuorumArgv(ctx, qbook, makeEtcdVars(ctx)) }),
    ansible: () => makeAnsibleCommand(ctx, 'ansible', abook, ['-e', `bench_files_dir=${filesDir}`]),
    mitogen: () => makeAnsibleCommand(ctx, 'mitogen', abook, ['-e', `bench_files_dir=${filesDir}`]),
    pyinfra: () => makePyinfraCommand(ctx, pbook, ['--limit', 'etcd', '--data', `bench_files_dir=${filesDir}`]),
  });
  return {
    workload: 3,
    name: 'etcd-ha re-run (systemd runtime)',
    hosts: listHosts(ctx.lab, 'etcd').length,
    expect: 'no-changes',
    commands,
    absent: explainAbsent(ctx, commands, { 'ansible-full': FULL_FACTS_ONLY }),
  };
}

/**
 * Check a run's output against the job's expectation. quorum and Ansible print a recap line per
 * host with `changed=N`: every N must be 0 for `no-changes`, some must be > 0 for `changes`.
 * pyinfra prints `[HOST] Success` / `[HOST] No changes` per operation (or, with --dry, a table
 * of detected changes): the same rules on its counts, and every host must have connected.
 */
export function checkRecap(tool: Tool, output: string, expect: Expectation, hosts: number): string | undefined {
  if (tool === 'pyinfra') return checkPyinfraOutcome(output, expect, hosts);
  const counts = [...output.matchAll(/\bchanged=(\d+)/g)].map((m) => Number(m[1]));
  if (counts.length < hosts) return `expected a recap line for each of ${hosts} hosts, found ${counts.length}`;
  const recap = counts.slice(-hosts);
  if (expect === 'no-changes' && recap.some((c) => c !== 0)) return `expected nothing to change, recap says changed=${recap.join(',')}`;
  if (expect === 'changes' && recap.every((c) => c === 0)) return 'expected changes (fresh hosts), recap says changed=0 everywhere';
  return undefined;
}

function checkPyinfraOutcome(output: string, expect: Expectation, hosts: number): string | undefined {
  const r = parsePyinfraOutput(output);
  if (r.connected.length < hosts) return `expected ${hosts} hosts to connect, pyinfra says ${r.connected.length} did`;
  const changes = [...r.changed.values()].reduce((a, b) => a + b, 0) + r.detectedChanges;
  if (expect === 'changes' && changes === 0) return 'expected changes (fresh hosts), pyinfra reports none';
  if (expect === 'no-changes' && changes > 0) return `expected nothing to change, pyinfra reports ${changes} changed host-operations`;
  if (expect !== 'changes') {
    const silent = r.connected.filter((h) => !r.changed.has(h) && !r.unchanged.has(h));
    if (silent.length > 0) return `no operation ran on ${silent.join(', ')}`;
  }
  return undefined;
}
