/**
 * How to reach a host, from its merged inventory variables (ansible_host, ansible_port,
 * ansible_user, ansible_ssh_private_key_file, ansible_connection, ansible_password,
 * quorum_known_hosts, quorum_host_key_fingerprints, and jump hosts from ansible_ssh_common_args
 * or ansible_ssh_extra_args).
 */
import { homedir, userInfo } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { ConnectionSpec, JumpHost } from '../connection/types.js';
import { ConfigError } from '../errors.js';
import type { Inventory, InventoryHost } from './types.js';
import { parseJumpHosts } from './jump-hosts.js';
import { defaultSshConfigFiles, expandTilde, sshConfigFor, takeConfigFileArg, type SshOption } from './ssh-config.js';

/** Run-wide settings that the inventory does not carry. */
export interface ConnectionDefaults {
  hostKeyPolicy: ConnectionSpec['hostKeyPolicy'];
  connectTimeoutMs: number;
  /** From --ask-become-pass; wins over ansible_become_password. */
  becomePassword?: string;
  /** The play's or task's remote_user: below ansible_user, above the ssh config's User. */
  remoteUser?: string;
  /** Directory of the inventory file: relative key and known_hosts paths resolve here. */
  inventoryDir: string;
  /**
   * OpenSSH client config files read when the host gives no `-F FILE` (default: ~/.ssh/config,
   * then /etc/ssh/ssh_config, as OpenSSH).
   */
  sshConfigFiles?: string[];
}

/** Names Ansible connects to locally when ansible_connection is not set (implicit localhost). */
const LOCAL_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

/**
 * Build the ConnectionSpec of one inventory host.
 * @throws ConfigError when a connection variable has the wrong type (e.g. set with -e)
 */
export function connectionSpec(host: InventoryHost, defaults: ConnectionDefaults): ConnectionSpec {
  const v = host.vars;
  const where = host.location;
  const fail = (key: string, want: string): never => {
    throw new ConfigError([
      // The kind of the value only, never the value: ansible_password may be the one that is wrong.
      { ...(where ? { location: where } : {}), pointer: '', message: `host '${host.name}': ${key} must be ${want}, got ${describeKind(v[key])}` },
    ]);
  };
  const text = (key: string): string | undefined => {
    const value = v[key];
    if (value === undefined || value === null) return undefined;
    return typeof value === 'string' && value !== '' ? value : fail(key, 'a non-empty string');
  };
  const destination = text('ansible_host') ?? host.name;
  const kind = readKind(v.ansible_connection, host.name, fail);
  // OpenSSH's client config, as Ansible's ssh would apply it; the inventory's ansible_* win.
  let configFile: string | undefined;
  const sshArgs: Array<[string, string]> = [];
  for (const key of ['ansible_ssh_common_args', 'ansible_ssh_extra_args']) {
    const args = text(key);
    if (args === undefined) continue;
    const taken = takeConfigFileArg(args);
    if (taken.file !== undefined) configFile = resolveControllerPath(taken.file, defaults.inventoryDir);
    sshArgs.push([key, taken.rest]);
  }
  const config = kind === 'ssh' ? readSshConfig(host, destination, configFile ? [configFile] : defaults.sshConfigFiles ?? defaultSshConfigFiles()) : new Map<string, SshOption>();
  const first = (key: string): string | undefined => config.get(key)?.values[0];
  const address = first('hostname')?.replace(/%h/g, destination) ?? destination;
  const port = v.ansible_port ?? (first('port') !== undefined ? Number(first('port')) : 22);
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) fail(v.ansible_port === undefined ? 'Port (ssh config)' : 'ansible_port', 'an integer from 1 to 65535');
  const fingerprints = v.quorum_host_key_fingerprints;
  if (fingerprints !== undefined && !(Array.isArray(fingerprints) && fingerprints.every((f) => typeof f === 'string'))) {
    fail('quorum_host_key_fingerprints', 'a list of "SHA256:..." strings');
  }
  const user = text('ansible_user') ?? defaults.remoteUser ?? first('user');
  const keyFile = text('ansible_ssh_private_key_file') ?? expandSshTokens(first('identityfile'), destination, user);
  const knownHosts = text('quorum_known_hosts') ?? expandSshTokens(first('userknownhostsfile'), destination, user);
  const password = text('ansible_password');
  const becomePassword = defaults.becomePassword ?? text('ansible_become_password');
  const jumpHosts: JumpHost[] = [];
  for (const [key, args] of sshArgs) {
    try {
      jumpHosts.push(...parseJumpHosts(args));
    } catch (err) {
      throw new ConfigError([{ ...(where ? { location: where } : {}), pointer: '', message: `host '${host.name}': ${key}: ${(err as Error).message}` }]);
    }
  }
  const proxyJump = config.get('proxyjump');
  if (jumpHosts.length === 0 && proxyJump && proxyJump.values[0]?.toLowerCase() !== 'none') {
    try {
      // Each hop is itself a destination of the config (an alias with its HostName, User, Port).
      for (const hop of parseJumpHosts(`-J ${proxyJump.values.join(' ')}`)) {
        const hopConfig = readSshConfig(host, hop.address, configFile ? [configFile] : defaults.sshConfigFiles ?? defaultSshConfigFiles());
        const hopUser = hop.user ?? hopConfig.get('user')?.values[0];
        const hopPort = hop.port !== 22 ? hop.port : hopConfig.get('port') ? Number(hopConfig.get('port')!.values[0]) : 22;
        jumpHosts.push({ address: hopConfig.get('hostname')?.values[0]?.replace(/%h/g, hop.address) ?? hop.address, port: hopPort, ...(hopUser ? { user: hopUser } : {}) });
      }
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError([{ location: proxyJump.origin, pointer: '', message: `host '${host.name}': ProxyJump: ${(err as Error).message}` }]);
    }
  }
  const strict = first('stricthostkeychecking')?.toLowerCase();
  const hostKeyPolicy = strict === undefined ? defaults.hostKeyPolicy : strict === 'no' || strict === 'off' ? 'off' : strict === 'accept-new' ? 'accept-new' : 'strict';
  const timeout = first('connecttimeout');
  const connectTimeoutMs = timeout !== undefined && /^\d+$/.test(timeout) && Number(timeout) > 0 ? Number(timeout) * 1000 : defaults.connectTimeoutMs;
  return {
    name: host.name,
    kind,
    address,
    port: port as number,
    hostKeyPolicy,
    connectTimeoutMs,
    ...(user ? { user } : {}),
    ...(keyFile ? { privateKeyFile: resolveControllerPath(keyFile, defaults.inventoryDir) } : {}),
    ...(knownHosts ? { knownHostsFile: resolveControllerPath(knownHosts, defaults.inventoryDir) } : {}),
    ...(password ? { password } : {}),
    ...(fingerprints ? { hostKeyFingerprints: [...(fingerprints as string[])] } : {}),
    ...(becomePassword ? { becomePassword } : {}),
    ...(jumpHosts.length > 0 ? { jumpHosts } : {}),
  };
}

function readKind(value: unknown, name: string, fail: (key: string, want: string) => never): ConnectionSpec['kind'] {
  if (value === undefined || value === null) return LOCAL_NAMES.has(name) ? 'local' : 'ssh';
  if (value === 'local' || value === 'ssh') return value;
  return fail('ansible_connection', '"local" or "ssh"');
}

function describeKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `a ${typeof value}`;
}

/** Where relative key and known_hosts paths of `inventory` resolve: its directory (cwd without one). */
export function inventoryDirOf(inventory: Pick<Inventory, 'file'>): string {
  return inventory.file ? dirname(inventory.file) : process.cwd();
}

/** `~` and `~/x` are the controller user's home; relative paths belong to the inventory's directory. */
export function resolveControllerPath(path: string, baseDir: string): string {
  if (path === '~') return homedir();
  if (path.startsWith('~/')) return join(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** The ssh config options for `destination`; a ConfigError naming each option quorum cannot honour. */
function readSshConfig(host: InventoryHost, destination: string, files: string[]): Map<string, SshOption> {
  const { options, problems } = sshConfigFor(destination, files);
  if (problems.length > 0) throw new ConfigError(problems.map((p) => ({ location: p.location, pointer: '', message: `host '${host.name}': ${p.message}` })));
  return options;
}

/** OpenSSH's ~ and the tokens Ansible inventories' configs use in IdentityFile and UserKnownHostsFile. */
function expandSshTokens(value: string | undefined, destination: string, user: string | undefined): string | undefined {
  if (value === undefined || value.toLowerCase() === 'none') return undefined;
  return expandTilde(value)
    .replace(/%d/g, homedir())
    .replace(/%h/g, destination)
    .replace(/%r/g, user ?? userInfo().username)
    .replace(/%%/g, '%');
}
