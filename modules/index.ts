/** The registry: the only place modules are listed. Module names in YAML match file names. */
import type { ModuleDefinition } from '../runner/types.js';
import { assert } from './assert.js';
import { blockinfile } from './blockinfile.js';
import { certs } from './certs.js';
import { command } from './command.js';
import { copy } from './copy.js';
import { debug } from './debug.js';
import { etcdCluster } from './etcd-cluster.js';
import { etcdHealth } from './etcd-health.js';
import { etcdMember } from './etcd-member.js';
import { etcdMemberInfo } from './etcd-member-info.js';
import { fetch } from './fetch.js';
import { file } from './file.js';
import { kubeadmPhase } from './kubeadm-phase.js';
import { lineinfile } from './lineinfile.js';
import { setFact } from './set_fact.js';
import { stat } from './stat.js';
import { systemd } from './systemd.js';
import { template } from './template.js';

const all: ModuleDefinition[] = [assert, blockinfile, certs, command, copy, debug, etcdCluster, etcdHealth, etcdMember, etcdMemberInfo, fetch, file, kubeadmPhase, lineinfile, setFact, stat, systemd, template];

export const modules: ReadonlyMap<string, ModuleDefinition> = new Map(all.map((m) => [m.name, m]));

export function getModule(name: string): ModuleDefinition | undefined {
  return modules.get(name);
}
