/**
 * Read a V8 .cpuprofile (from `node --cpu-prof dist/bundle/quorum.cjs run ...`) and print the
 * functions with the most self time, and the project files with the most self time.
 *
 *   node --import=tsx bench/profile.ts FILE.cpuprofile [TOP=25]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time in ms per node id: each sample's following time delta goes to the sampled node. */
function computeSelfTimes(p: CpuProfile): Map<number, number> {
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + dt);
  }
  return self;
}

/** "file:function:line" with the path shortened to the project or node_modules package. */
function describeFrame(n: ProfileNode): string {
  const raw = n.callFrame.url.replace(/^file:\/\//, '');
  const url = raw.includes('/node_modules/') ? raw.replace(/^.*\/node_modules\//, 'node_modules/') : raw.replace(/^.*\/dist\//, 'dist/');
  return `${url || '(native)'}:${n.callFrame.functionName || '(anonymous)'}:${n.callFrame.lineNumber + 1}`;
}

/** Sum `self` by key and return the `top` largest. */
function rankBy(p: CpuProfile, self: Map<number, number>, key: (n: ProfileNode) => string, top: number): [string, number][] {
  const sums = new Map<string, number>();
  for (const n of p.nodes) sums.set(key(n), (sums.get(key(n)) ?? 0) + (self.get(n.id) ?? 0));
  return [...sums].sort((a, b) => b[1] - a[1]).slice(0, top);
}

const file = process.argv[2];
if (!file) throw new Error('usage: node --import=tsx bench/profile.ts FILE.cpuprofile [TOP]');
const top = Number(process.argv[3] ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const self = computeSelfTimes(profile);
const total = [...self.values()].reduce((a, b) => a + b, 0);
const pct = (ms: number) => `${ms.toFixed(1).padStart(8)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%`;
console.log(`total sampled ${total.toFixed(0)} ms\n\ntop functions by self time:`);
for (const [k, ms] of rankBy(profile, self, describeFrame, top)) console.log(`${pct(ms)}  ${k}`);
console.log('\ntop files / packages by self time:');
const byFile = (n: ProfileNode) => {
  const u = n.callFrame.url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(u);
  return pkg ? `node_modules/${pkg[1]}` : u.replace(/^.*\/dist\//, 'dist/') || `(${n.callFrame.functionName || 'native'})`;
};
for (const [k, ms] of rankBy(profile, self, byFile, top)) console.log(`${pct(ms)}  ${k}`);
