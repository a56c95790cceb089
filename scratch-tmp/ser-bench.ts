import { readFileSync } from 'node:fs';
import { serializeEvent } from '../runner/report/json.js';
const lines = readFileSync('/tmp/first20.json', 'utf8').split('\n').filter((l) => l.includes('"task:host"'));
const events = lines.map((l) => { const e = JSON.parse(l); delete e.ts; return e; });
const at = new Date();
for (let r = 0; r < 5; r++) {
  const t = process.cpuUsage();
  for (const e of events) serializeEvent(e, at);
  const u = process.cpuUsage(t);
  const t2 = process.cpuUsage();
  for (const e of events) JSON.stringify(e);
  const u2 = process.cpuUsage(t2);
  console.log(events.length, 'events', ((u.user + u.system) / events.length).toFixed(2), 'µs serializeEvent;', ((u2.user + u2.system) / events.length).toFixed(2), 'µs plain stringify');
}
