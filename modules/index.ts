/** The registry: the only place modules are listed. Module names in YAML match file names. */
import type { ModuleDefinition } from '../runner/types.js';
import { apt } from './apt.js';
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
import { kubeadmPhase } from './kubeadm-phase.js';
import { packageModule } from './package.js';
import { setFact } from './set_fact.js';
import { systemd } from './systemd.js';

const all: ModuleDefinition[] = [apt, assert, certs, command, debug, etcdCluster, etcdHealth, etcdMember, etcdMemberInfo, fetch, file, kubeadmPhase, packageModule, setFact, systemd];

export const modules: ReadonlyMap<string, ModuleDefinition> = new Map(all.map((m) => [m.name, m]));

export function getModule(name: string): ModuleDefinition | undefined {
  return modules.get(name);
}
