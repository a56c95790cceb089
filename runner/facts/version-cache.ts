/**
 * The controller's memory of tool versions seen on hosts (tool-versions.ts explains why):
 * `tool-versions.json` in the user's cache directory (cache-dir.ts), by inventory host name,
 * each entry the stamp of the binary and what its probe printed. Only an unchanged stamp reuses
 * an entry, so a stale or foreign entry costs one probe, never a wrong version. The file is
 * read once per run and written once after each fact gathering, atomically; a file that cannot
 * be read or written only means probing again (QUORUM_NO_CACHE=1 turns it off).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeCacheFile } from '../cache-dir.js';
import { isStamped, VERSION_TOOLS, type KnownProbes } from './tool-versions.js';

const FILE_NAME = 'tool-versions.json';
/** Bumped when the stamp or the probes change meaning: entries of another format are ignored. */
const FORMAT = 1;

interface CacheFile {
  format: number;
  hosts: Record<string, KnownProbes>;
}

export class ToolVersionCache {
  readonly #file: string | undefined;
  readonly #hosts: Record<string, KnownProbes>;
  #dirty = false;

  private constructor(file: string | undefined, hosts: Record<string, KnownProbes>) {
    this.#file = file;
    this.#hosts = hosts;
  }

  /** The cache kept in `directory`; undefined: caching is off (remembers within this run only). */
  static load(directory: string | undefined): ToolVersionCache {
    const file = directory ? join(directory, FILE_NAME) : undefined;
    return new ToolVersionCache(file, file ? readHosts(file) : {});
  }

  known(host: string): KnownProbes {
    return this.#hosts[host] ?? {};
  }

  remember(host: string, probes: KnownProbes): void {
    if (JSON.stringify(this.#hosts[host] ?? {}) === JSON.stringify(probes)) return;
    this.#hosts[host] = probes;
    this.#dirty = true;
  }

  /** Write what changed since the last save. Never throws: the cache only saves time. */
  save(): void {
    if (!this.#file || !this.#dirty) return;
    try {
      writeCacheFile(this.#file, JSON.stringify({ format: FORMAT, hosts: this.#hosts } satisfies CacheFile));
      this.#dirty = false;
    } catch {
      // A read-only or full home: the next run probes again.
    }
  }
}

/** The hosts of a cache file; anything unreadable or of another shape is an empty cache. */
function readHosts(file: string): Record<string, KnownProbes> {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as Partial<CacheFile>;
    if (data.format !== FORMAT || typeof data.hosts !== 'object' || data.hosts === null) return {};
    const hosts: Record<string, KnownProbes> = {};
    for (const [host, probes] of Object.entries(data.hosts)) hosts[host] = validProbes(probes);
    return hosts;
  } catch {
    return {};
  }
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
