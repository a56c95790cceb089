/**
 * The two micro-measurements of the bench: `quorum --version` start-up (hyperfine when apt has
 * it, else a loop here: median of 30) and per-command cost over the persistent shell
 * (bench/ssh-overhead.ts against the bench lab's first spare host).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchLab } from './lab.js';
import { computeSpread } from './measure.js';

const RUNS = 30;

/** Start-up time of the built CLI, as text for results.md. */
export async function measureStartup(projectRoot: string, workDir: string, log: (line: string) => void): Promise<string> {
  const cli = join(projectRoot, 'dist', 'bundle', 'quorum.cjs');
  // The executable itself, as users run `quorum` (its #!/bin/sh header is part of start-up).
  const command = `${cli} --version`;
  const extraCa = process.env.NODE_EXTRA_CA_CERTS ? `\n(NODE_EXTRA_CA_CERTS=${process.env.NODE_EXTRA_CA_CERTS} in this environment; the header defers it)` : '';
  if (!existsSync('/usr/bin/hyperfine')) {
    const r = spawnSync('apt-get', ['install', '-y', 'hyperfine'], { stdio: 'ignore' });
    if (r.status !== 0) log('hyperfine not installable; timing start-up with a loop');
  }
  if (existsSync('/usr/bin/hyperfine')) {
    const json = join(workDir, 'startup.json');
    execFileSync('hyperfine', ['-N', '--warmup', '3', '--runs', String(RUNS), '--export-json', json, command], { stdio: 'ignore' });
    const r = JSON.parse(readFileSync(json, 'utf8')).results[0] as { median: number; min: number; max: number; mean: number; stddev: number };
    const ms = (s: number) => (s * 1000).toFixed(1);
    return `hyperfine -N --warmup 3 --runs ${RUNS} '${command}'\nmedian ${ms(r.median)} ms, min ${ms(r.min)} ms, max ${ms(r.max)} ms, mean ${ms(r.mean)} ± ${ms(r.stddev)} ms${extraCa}`;
  }
  const times: number[] = [];
  for (let i = 0; i < RUNS + 3; i++) {
    const t0 = performance.now();
    execFileSync(cli, ['--version'], { stdio: 'ignore' });
    if (i >= 3) times.push(performance.now() - t0);
  }
  const s = computeSpread(times);
  return `own loop, ${RUNS} runs after 3 warm-up: median ${s.median.toFixed(1)} ms, min ${s.min.toFixed(1)} ms, max ${s.max.toFixed(1)} ms${extraCa}`;
}

/** Output of bench/ssh-overhead.ts against `lab` (needs a host in its `spare` group). */
export async function measureSshOverhead(projectRoot: string, lab: BenchLab, _workDir: string, log: (line: string) => void): Promise<string | undefined> {
  if (!lab.hosts.some((h) => h.group === 'spare')) {
    log('ssh overhead: the lab has no spare host (needs more than 3 hosts); skipped');
    return undefined;
  }
  return execFileSync(process.execPath, ['--import=tsx', join(projectRoot, 'bench', 'ssh-overhead.ts'), '2000', '50'], {
    encoding: 'utf8',
    cwd: projectRoot,
    env: { ...process.env, QUORUM_BENCH_LAB_STATE: lab.stateFile },
  });
}
