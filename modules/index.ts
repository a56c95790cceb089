/** The registry: the only place modules are listed. Module names in YAML match file names. */
import type { ModuleDefinition } from '../runner/types.js';
import { assert } from './assert.js';
import { certs } from './certs.js';
import { command } from './command.js';
import { debug } from './debug.js';
import { etcdCluster } from './etcd-cluster.js';
import { etcdHealth } from './etcd-health.js';
import { etcdMember } from './etcd-member.js';
import { etcdMemberInfo } from './etcd-member-info.js';
import { fetch } from './fetch.js';
import { file } from './file.js';
import { getUrl } from './get_url.js';
import { group } from './group.js';
import { kubeadmPhase } from './kubeadm-phase.js';
import { service } from './service.js';
import { setFact } from './set_fact.js';
import { shell } from './shell.js';
import { systemd } from './systemd.js';
import { unarchive } from './unarchive.js';
import { user } from './user.js';
import { waitFor } from './wait_for.js';

const all: ModuleDefinition[] = [assert, certs, command, debug, etcdCluster, etcdHealth, etcdMember, etcdMemberInfo, fetch, file, getUrl, group, kubeadmPhase, service, setFact, shell, systemd, unarchive, user, waitFor];

export const modules: ReadonlyMap<string, ModuleDefinition> = new Map(all.map((m) => [m.name, m]));

export function getModule(name: string): ModuleDefinition | undefined {
  return modules.get(name);
}
