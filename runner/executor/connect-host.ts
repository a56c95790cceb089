/**
 * Connections are opened lazily, once per host for the whole run, and shared by every task
 * (and every delegated task) that needs that host. A host that cannot be reached stays
 * unreachable for the rest of the run.
 */
import type { Connection } from '../connection/types.js';
import type { HostState, RunState } from '../engine/run-state.js';
import { LocalConnection } from '../connection/local.js';
import { openConnection } from '../connection/connect.js';
import { connectionSpec, inventoryDirOf } from '../inventory/connection-spec.js';
import { createHostFactCache, type HostFactCache } from '../facts/cache.js';
import { ModuleError, UnreachableError } from '../errors.js';

export interface Target {
  name: string;
  conn: Connection;
  facts: HostFactCache;
}

const pending = new WeakMap<HostState, Promise<Connection>>();
const controllers = new WeakMap<RunState, Target>();

/** The controller itself, for controller-only modules and `delegate_to: localhost`. */
export function controllerTarget(state: RunState): Target {
  let target = controllers.get(state);
  if (!target) {
    const conn = new LocalConnection('localhost');
    target = { name: 'localhost', conn, facts: createHostFactCache(conn, state.changeEpoch) };
    controllers.set(state, target);
  }
  return target;
}

/** Where a task for `host` runs: the host, a delegate, or the controller. */
export async function resolveTarget(state: RunState, host: HostState, delegateTo: string | undefined, controllerOnly: boolean, remoteUser?: string): Promise<Target> {
  if (controllerOnly) return controllerTarget(state);
  if (delegateTo === undefined || delegateTo === host.name) return connectHost(state, host, remoteUser);
  const delegate = state.hosts.get(delegateTo);
  if (delegate) return connectHost(state, delegate, remoteUser);
  if (delegateTo === 'localhost' || delegateTo === '127.0.0.1') return controllerTarget(state);
  // A templated name that renders to no host fails this task (a literal one is refused before
  // the run: runner/load/delegate-check.ts); it must never end the run.
  throw new ModuleError(`delegate_to: no host named '${delegateTo}' in the inventory`);
}

/**
 * @param remoteUser the play's or task's remote_user: the login user when the inventory sets no
 *   ansible_user (Ansible's precedence). One connection per host and run: a task asking for
 *   another user than the connection's fails, rather than running as the wrong user.
 */
export async function connectHost(state: RunState, host: HostState, remoteUser?: string): Promise<Target> {
  if (host.unreachable) throw new UnreachableError(host.name, 'unreachable earlier in this run');
  const asked = remoteUser ?? '';
  const connectedFor = remoteUsers.get(host);
  if (connectedFor !== undefined && connectedFor !== asked && !hasInventoryUser(state, host)) {
    throw new ModuleError(`remote_user ${asked ? `'${asked}'` : '(none)'}: this run already connects to ${host.name} as ${connectedFor ? `remote_user '${connectedFor}'` : 'the default user'}, and keeps one connection per host: give every play the same remote_user, or set ansible_user in the inventory`);
  }
  if (!host.conn) {
    let opening = pending.get(host);
    if (!opening) {
      remoteUsers.set(host, asked);
      opening = open(state, host, remoteUser);
      pending.set(host, opening);
    }
    try {
      host.conn = await opening;
    } catch (err) {
      host.unreachable = true;
      throw err instanceof UnreachableError ? err : new UnreachableError(host.name, (err as Error).message, { cause: err });
    }
    host.facts = createHostFactCache(host.conn, state.changeEpoch);
  }
  return { name: host.name, conn: host.conn, facts: host.facts! };
}

/** The remote_user each host's connection was opened for ('' for none). */
const remoteUsers = new WeakMap<HostState, string>();

/** Whether the login user is settled whatever remote_user says: ansible_user, or no SSH at all. */
function hasInventoryUser(state: RunState, host: HostState): boolean {
  const vars = state.inventory.hosts.get(host.name)?.vars ?? {};
  return typeof vars['ansible_user'] === 'string' || vars['ansible_connection'] === 'local';
}

async function open(state: RunState, host: HostState, remoteUser: string | undefined): Promise<Connection> {
  const inventoryHost = state.inventory.hosts.get(host.name);
  if (!inventoryHost) throw new UnreachableError(host.name, 'not in the inventory');
  const spec = connectionSpec(inventoryHost, {
    ...(remoteUser !== undefined ? { remoteUser } : {}),
    hostKeyPolicy: state.options.hostKeyPolicy,
    connectTimeoutMs: state.options.connectTimeoutMs,
    inventoryDir: inventoryDirOf(state.inventory),
    ...(state.options.becomePassword !== undefined ? { becomePassword: state.options.becomePassword } : {}),
  });
  const started = performance.now();
  try {
    const conn = await openConnection(spec);
    state.options.reporter.emit({ kind: 'host:connect', host: host.name, ok: true, durationMs: performance.now() - started });
    return conn;
  } catch (err) {
    state.options.reporter.emit({ kind: 'host:connect', host: host.name, ok: false, durationMs: performance.now() - started, error: (err as Error).message });
    throw err;
  }
}

/** Close every connection opened during the run. */
export async function closeAll(state: RunState): Promise<void> {
  const conns = [...state.hosts.values()].map((h) => h.conn).filter((c): c is Connection => c !== undefined);
  await Promise.allSettled(conns.map((c) => c.close()));
}
