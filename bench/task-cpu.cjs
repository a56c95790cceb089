/**
 * Preload for bench/curve.ts (through NODE_OPTIONS=--require), never part of quorum: the
 * controller's CPU (this process, every thread: process.cpuUsage) at each task's start, read
 * where the `-o json` stream writes its task:start and run:end lines, written at exit as JSON
 * to the file named by QUORUM_BENCH_TASK_CPU. The CPU between two task starts is what that task
 * cost over all hosts, on top of nothing else the run does once (start-up, connecting, facts):
 * its median over a run's file tasks varies less between runs than the difference of two whole runs.
 */
'use strict';
const { writeFileSync } = require('node:fs');

const file = process.env.QUORUM_BENCH_TASK_CPU;
if (file) {
  /** CPU microseconds at each task:start, and at run:end. */
  const marks = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk, ...rest) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    if (text.includes('"kind":"task:start"') || text.includes('"kind":"run:end"')) {
      const { user, system } = process.cpuUsage();
      marks.push(user + system);
    }
    return write(chunk, ...rest);
  };
  process.on('exit', () => writeFileSync(file, JSON.stringify({ marks })));
}
