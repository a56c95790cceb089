/**
 * The bench's check of what each run did (bench/jobs.ts checkRecap, bench/pyinfra.ts): a run
 * that did nothing, or changed what a re-run must not change, must stop the bench rather than
 * pass as a fast run. pyinfra's outputs are captured from pyinfra 3.10.0 runs of
 * bench/workloads/*.pyinfra.py on 3 lab hosts (test/fixtures/bench/).
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkRecap } from '../../bench/jobs.js';
import { parsePyinfraOutput } from '../../bench/pyinfra.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '..', 'fixtures', 'bench', name), 'utf8');
const firstRun = fixture('pyinfra-first-run.txt');
const reRun = fixture('pyinfra-re-run.txt');
const dryFresh = fixture('pyinfra-dry-fresh.txt');
const connect = fixture('pyinfra-connect.txt');

test('pyinfra: a first run counts a change per host and operation (20 each), a re-run none', (t) => {
  const first = parsePyinfraOutput(firstRun);
  t.deepEqual(first.connected.sort(), ['infra0', 'infra1', 'infra2']);
  t.deepEqual([...first.changed.entries()].sort(), [['infra0', 20], ['infra1', 20], ['infra2', 20]]);
  t.is(first.unchanged.size, 0);
  const again = parsePyinfraOutput(reRun);
  t.is(again.changed.size, 0);
  t.deepEqual([...again.unchanged.entries()].sort(), [['infra0', 20], ['infra1', 20], ['infra2', 20]]);
});

test('pyinfra --dry: the detected changes table is summed (20 operations x 3 hosts)', (t) => {
  const dry = parsePyinfraOutput(dryFresh);
  t.is(dry.detectedChanges, 60);
  t.is(dry.changed.size, 0);
});

test('pyinfra: each expectation passes on the matching run and fails on the other', (t) => {
  t.is(checkRecap('pyinfra', firstRun, 'changes', 3), undefined);
  t.is(checkRecap('pyinfra', reRun, 'no-changes', 3), undefined);
  t.is(checkRecap('pyinfra', dryFresh, 'changes', 3), undefined);
  t.is(checkRecap('pyinfra', connect, 'ran', 3), undefined);
  t.regex(checkRecap('pyinfra', firstRun, 'no-changes', 3)!, /60 changed host-operations/);
  t.regex(checkRecap('pyinfra', reRun, 'changes', 3)!, /reports none/);
  t.regex(checkRecap('pyinfra', firstRun, 'changes', 4)!, /expected 4 hosts to connect/);
  // A run that connected but ran no operation (e.g. `-y --dry`, which skips change detection).
  const nothingRan = firstRun.slice(0, firstRun.indexOf('--> Beginning operation run'));
  t.regex(checkRecap('pyinfra', nothingRan, 'ran', 3)!, /no operation ran on/);
  t.regex(checkRecap('pyinfra', nothingRan, 'changes', 3)!, /reports none/);
});

test('quorum/Ansible recap: changed= per host decides', (t) => {
  const recap = (a: number, b: number) => `PLAY RECAP\ninfra0 : ok=21 changed=${a} failed=0\ninfra1 : ok=21 changed=${b} failed=0\n`;
  t.is(checkRecap('ansible', recap(0, 0), 'no-changes', 2), undefined);
  t.regex(checkRecap('mitogen', recap(0, 1), 'no-changes', 2)!, /changed=0,1/);
  t.is(checkRecap('quorum', recap(20, 20), 'changes', 2), undefined);
  t.regex(checkRecap('quorum', recap(0, 0), 'changes', 2)!, /changed=0 everywhere/);
  t.regex(checkRecap('ansible-full', recap(0, 0), 'ran', 3)!, /recap line for each of 3 hosts/);
});
