/** The registry: the only place modules are listed. Module names in YAML match file names. */
import type { ModuleDefinition } from '../runner/types.js';
import { apt } from './apt.js';
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
import { getUrl } from './get_url.js';
import { group } from './group.js';
import { kubeadmPhase } from './kubeadm-phase.js';
import { lineinfile } from './lineinfile.js';
import { packageModule } from './package.js';
import { service } from './service.js';
import { setFact } from './set_fact.js';
import { shell } from './shell.js';
import { stat } from './stat.js';
import { systemd } from './systemd.js';
import { template } from './template.js';
import { unarchive } from './unarchive.js';
import { user } from './user.js';
import { waitFor } from './wait_for.js';

// Sorted by name: `npm run generate` and `quorum schema` list modules in this order.
const all: ModuleDefinition[] = [apt, assert, blockinfile, certs, command, copy, debug, etcdCluster, etcdHealth, etcdMember, etcdMemberInfo, fetch, file, getUrl, group, kubeadmPhase, lineinfile, packageModule, service, setFact, shell, stat, systemd, template, unarchive, user, waitFor].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

export const modules: ReadonlyMap<string, ModuleDefinition> = new Map(all.map((m) => [m.name, m]));

export function getModule(name: string): ModuleDefinition | undefined {
  return modules.get(name);
}
