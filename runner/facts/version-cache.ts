/**
 * The controller's memory of tool versions seen on hosts (tool-versions.ts explains why):
 * `tool-versions.json` in the user's cache directory (cache-dir.ts), by machine (the
 * connection's endpoint, `user@address:port`, not the inventory name, which two inventories may
 * give to different machines), each entry the stamp of the binary and what its probe printed.
 * Only an unchanged stamp reuses an entry, so a stale or foreign entry costs one probe, never a
 * wrong version. The file is read once per run and written once after each fact gathering,
 * atomically, and only when something changed; a file that cannot be read or written only means
 * probing again (QUORUM_NO_CACHE=1 turns it off). Machines not seen for FORGET_AFTER_MS are
 * dropped when it is written, and it never holds more than MAX_MACHINES, so it cannot grow
 * without bound on a controller that meets ever new hosts (CI runners, autoscaled fleets).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeCacheFile } from '../files/cache-dir.js';
import { isStamped, VERSION_TOOLS, type KnownProbes } from './tool-versions.js';

const FILE_NAME = 'tool-versions.json';
/** Bumped when the stamp, the probes or the file's shape change meaning: other formats are ignored. */
const FORMAT = 2;
const DAY_MS = 24 * 60 * 60 * 1000;
/** A machine not reached for this long is forgotten (probed again if it comes back). */
export const FORGET_AFTER_MS = 90 * DAY_MS;
/** At most this many machines are kept, the most recently used (~300 bytes each). */
export const MAX_MACHINES = 5000;
// Refreshing a machine's last use rewrites the file; once a day is precise enough to forget by.
const TOUCH_EVERY_MS = DAY_MS;

interface MachineEntry {
  probes: KnownProbes;
  /** When a run last used or refreshed this entry (ms since the epoch). */
  usedAt: number;
}

interface CacheFile {
  format: number;
  machines: Record<string, MachineEntry>;
}

export class ToolVersionCache {
  readonly #file: string | undefined;
  readonly #machines: Map<string, MachineEntry>;
  readonly #now: () => number;
  #dirty = false;

  private constructor(file: string | undefined, machines: Map<string, MachineEntry>, now: () => number) {
    this.#file = file;
    this.#machines = machines;
    this.#now = now;
  }

  /**
   * The cache kept in `directory`; undefined: caching is off (remembers within this run only).
   * `now` is for tests of forgetting.
   */
  static load(directory: string | undefined, now: () => number = Date.now): ToolVersionCache {
    const file = directory ? join(directory, FILE_NAME) : undefined;
    return new ToolVersionCache(file, file ? readMachines(file) : new Map(), now);
  }

  /** What is remembered for a machine (its connection's endpoint); marks it as still in use. */
  known(machine: string): KnownProbes {
    const entry = this.#machines.get(machine);
    if (!entry) return {};
    if (this.#now() - entry.usedAt >= TOUCH_EVERY_MS) {
      entry.usedAt = this.#now();
      this.#dirty = true;
    }
    return entry.probes;
  }

  remember(machine: string, probes: KnownProbes): void {
    const entry = this.#machines.get(machine);
    if (entry && JSON.stringify(entry.probes) === JSON.stringify(probes)) return;
    this.#machines.set(machine, { probes, usedAt: this.#now() });
    this.#dirty = true;
  }

  /** Write what changed since the last save, without the forgotten machines. Never throws. */
  save(): void {
    if (!this.#file || !this.#dirty) return;
    try {
      const machines = Object.fromEntries(selectKept(this.#machines, this.#now()));
      writeCacheFile(this.#file, JSON.stringify({ format: FORMAT, machines } satisfies CacheFile));
      this.#dirty = false;
    } catch {
      // A read-only or full home: the next run probes again.
    }
  }
}

/** The entries worth keeping: used within FORGET_AFTER_MS, the MAX_MACHINES most recent. */
function selectKept(machines: Map<string, MachineEntry>, now: number): [string, MachineEntry][] {
  return [...machines]
    .filter(([, e]) => now - e.usedAt < FORGET_AFTER_MS)
    .sort((a, b) => b[1].usedAt - a[1].usedAt)
    .slice(0, MAX_MACHINES);
}

/** The machines of a cache file; anything unreadable or of another shape is an empty cache. */
function readMachines(file: string): Map<string, MachineEntry> {
  const machines = new Map<string, MachineEntry>();
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as Partial<CacheFile>;
    if (data.format !== FORMAT || typeof data.machines !== 'object' || data.machines === null) return machines;
    for (const [machine, entry] of Object.entries(data.machines)) {
      const usedAt = (entry as Partial<MachineEntry> | null)?.usedAt;
      if (typeof usedAt === 'number' && Number.isFinite(usedAt)) machines.set(machine, { probes: validProbes(entry.probes), usedAt });
    }
  } catch {
    machines.clear();
  }
  return machines;
}

function validProbes(value: unknown): KnownProbes {
  const probes: KnownProbes = {};
  if (typeof value !== 'object' || value === null) return probes;
  for (const tool of VERSION_TOOLS) {
    const p = (value as Record<string, { stampLine?: unknown; output?: unknown }>)[tool];
    if (typeof p?.stampLine === 'string' && typeof p.output === 'string' && isStamped(p.stampLine)) probes[tool] = { stampLine: p.stampLine, output: p.output };
  }
  return probes;
}
