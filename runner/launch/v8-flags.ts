/**
 * V8 flags the launcher (runner/launch.ts) sets before it compiles the bundle.
 *
 * --interrupt-budget (default 67584, here 4x): how much bytecode a function runs before V8
 * considers optimising it with TurboFan. A quorum run is short and mostly runs each piece of
 * code for a few hosts and tasks; at the default budget TurboFan compiled much code the run
 * ended before it paid off: ~20-25 % of an etcd-ha re-run's CPU was TurboFan's threads (perf,
 * OptimizingCompileDispatcher). Measured A/B, alternated, medians, on a loaded 2-core machine
 * (load 15-37):
 *   etcd-ha re-run, 3 hosts (task-clock, 7 rounds): default 866 ms, 4x 655 ms, 8x 641 ms;
 *     (GNU time, 7 rounds): default 0.89 s, 4x 0.69 s, 8x 0.69 s, 16x 0.67 s, --no-opt 0.67 s;
 *   facts + 20 file tasks re-run, 3 hosts (task-clock, 9 rounds): default 372 ms, 4x 364 ms,
 *     8x 407 ms; (GNU time, 7 rounds) default 0.36 s, 4x 0.37 s, 8x 0.40 s;
 *   the same on 100 thin hosts (5 rounds): default 2.22 s, 4x 2.00 s, 8x 1.88 s, 16x 1.82 s;
 *   hot loops, where optimising pays (5 rounds): 1 GB of command output through SSH: default
 *     2.11 s, 4x 2.03 s, 8x 2.20 s, 16x 2.86 s, --no-opt 3.18 s; a 200,000-line template: default
 *     1.17 s, 4x 1.23 s, 8x 1.28 s, --no-opt 1.75 s.
 * 4x keeps nearly all of the etcd-ha gain and half of the 100-host one, costs nothing on the
 * 3-host bench and stays within the noise where optimising pays; 8x cost ~9 % on the 3-host
 * bench, 16x and --no-opt lose up to 1.5x on the hot loops.
 *
 * Set with v8.setFlagsFromString, not on node's command line in the #!/bin/sh header: there it
 * also changed the flags Node's own start-up snapshot and built-in code cache were made with
 * (--version: +22 ms, against +3 ms here), and `node quorum.cjs` would run with other flags
 * than `quorum`, so each would reject the other's code cache (V8 keys a cache by its flags).
 * Set here, every way of starting quorum compiles, caches and loads with the same flags; a
 * code cache made under other flags is rejected by V8 and rewritten once.
 */
export const LAUNCHER_V8_FLAGS = ['--interrupt-budget=270336'] as const;

/**
 * Node's built-in modules the bundle loads, required BEFORE the flags are set. Node compiles its
 * built-ins from a code cache embedded in the node binary, made under the default flags: a
 * built-in first required after setFlagsFromString no longer matches it and is compiled from its
 * source (measured: loading crypto, net, tls, readline, zlib, dns, http and the like took 9 ms
 * before the flag and 26-30 ms after it; a `run` loads ~100 built-ins, ~20 ms of every run).
 * Required first, they come from Node's cache and are only looked up later. Every command loads
 * the first list at the bundle's top level; a `run` also loads the second (its connections,
 * prompts, downloads and reporters).
 */
export const BUILTINS_OF_EVERY_COMMAND = ['crypto', 'os', 'net', 'dgram', 'child_process', 'stream', 'string_decoder', 'process'] as const;
export const BUILTINS_OF_A_RUN = ['fs/promises', 'tls', 'http', 'https', 'timers/promises', 'assert', 'dns', 'zlib', 'readline', 'tty', 'perf_hooks'] as const;

/** Load the built-ins `command` will load (from Node's own code cache), then set the V8 flags. */
export function setLauncherV8Flags(command: string | undefined, load: (id: string) => unknown, setFlag: (flag: string) => void): void {
  for (const id of BUILTINS_OF_EVERY_COMMAND) load(`node:${id}`);
  if (command === 'run') for (const id of BUILTINS_OF_A_RUN) load(`node:${id}`);
  for (const flag of LAUNCHER_V8_FLAGS) setFlag(flag);
}
