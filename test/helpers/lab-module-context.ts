/**
 * A ModuleContext for running one module by hand over a real SSH connection to a lab host, as
 * root (become), with a fresh fact cache: for lab tests that gather, plan and apply a module
 * themselves (and may act on the host in between: a link planted between gather and apply).
 */
import type { Connection } from '../../runner/connection/types.js';
import { createFactCache } from '../../runner/facts/cache.js';
import type { ModuleContext } from '../../runner/types.js';

export interface LabModuleContextOptions {
  /** Default: a directory that does not exist, for modules that read nothing from the playbook. */
  playbookDir?: string;
  checkMode?: boolean;
  vars?: Record<string, unknown>;
}

export function labModuleContext(conn: Connection, hostName: string, options: LabModuleContextOptions = {}): ModuleContext {
  return {
    host: hostName,
    inventoryHost: hostName,
    conn,
    become: true,
    facts: createFactCache(conn, { sudo: true }),
    vars: options.vars ?? {},
    checkMode: options.checkMode ?? false,
    playbookDir: options.playbookDir ?? '/nonexistent',
    render: (text) => text,
  };
}
