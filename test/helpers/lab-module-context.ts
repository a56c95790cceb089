/**
 * A ModuleContext for running one module by hand over a real SSH connection to a lab host, as
 * root (become), with a fresh fact cache: for lab tests that plan, act on the host in between,
 * then apply (a link planted between gather and apply).
 */
import type { Connection } from '../../runner/connection/types.js';
import { createFactCache } from '../../runner/facts/cache.js';
import type { ModuleContext } from '../../runner/types.js';

export function labModuleContext(conn: Connection, hostName: string, playbookDir = '/nonexistent'): ModuleContext {
  return {
    host: hostName,
    inventoryHost: hostName,
    conn,
    become: true,
    facts: createFactCache(conn, { sudo: true }),
    vars: {},
    checkMode: false,
    playbookDir,
    render: (text) => text,
  };
}
