/**
 * stat: Ansible's stat. What a path is, registered as `result.stat.X` with Ansible's keys
 * (exists, isdir, isreg, islnk, mode '0644', uid/gid/pw_name/gr_name, size, mtime, checksum
 * when asked, lnk_target...). Read-only: it runs in check mode too, so a `when` on its result
 * means the same in --check as in a real run.
 *
 * ```yaml
 * - stat: { path: /etc/kubernetes/admin.conf }
 *   register: admin_conf
 * - command: kubeadm init ...
 *   when: not admin_conf.stat.exists        # quorum (CEL): when: "!admin_conf.stat.exists"
 * ```
 */
import type { FromSchema } from 'json-schema-to-ts';
import { statSchema } from '../schemas/modules/stat.js';
import type { ModuleDefinition } from '../runner/types.js';
import { statPath, type StatPath } from '../runner/facts/stat-path.js';

type StatParams = FromSchema<typeof statSchema>;

export const stat: ModuleDefinition<StatParams, StatPath> = {
  name: 'stat',
  summary: "Describe a path on the host, registered as result.stat (Ansible's stat).",
  schema: statSchema,
  flags: { readOnly: true, checkMode: 'supported' },
  docs: {
    examples: [
      '- stat: { path: /etc/kubernetes/admin.conf }',
      '- stat: { path: /usr/local/bin/etcd, get_checksum: true }',
      '- stat: { path: /etc/alternatives/editor, follow: true }',
      '',
    ].join('\n'),
    returns: {
      stat: 'exists; when it exists: path, isreg, isdir, islnk, ischr, isblk, isfifo, issock, mode ("0644"), uid, gid, pw_name, gr_name, size, mtime, atime, ctime (seconds), inode, nlink, dev, readable/writeable/executable (for the task\'s user), lnk_target and lnk_source for a link, checksum with get_checksum.',
    },
    notes: [
      'get_checksum defaults to false (Ansible: true): ask for it, so stat does not read whole files it only needs to find.',
      'Not gathered (Ansible has them): md5, mime type, attributes (lsattr), the per-bit keys (wusr, rgrp...); mode gives the same.',
      'Times are whole seconds (Ansible: floats).',
    ],
  },
  async gather(ctx, params) {
    return ctx.facts.get(statPath, { path: params.path, follow: params.follow === true, ...(params.get_checksum ? { checksum: params.checksum_algorithm ?? 'sha1' } : {}) });
  },
  plan(params, facts) {
    return { changes: [], noop: `${params.path} ${facts.exists ? 'exists' : 'does not exist'}`, result: { stat: describe(params.path, facts) } };
  },
};

const TYPES: Record<string, string> = {
  'regular file': 'isreg',
  'regular empty file': 'isreg',
  directory: 'isdir',
  'symbolic link': 'islnk',
  'character special file': 'ischr',
  'block special file': 'isblk',
  fifo: 'isfifo',
  socket: 'issock',
};

function describe(path: string, facts: StatPath): Record<string, unknown> {
  if (!facts.exists) return { exists: false };
  const f = facts.fields;
  const kind = TYPES[f['type'] ?? ''];
  const num = (k: string) => (f[k] !== undefined && /^\d+$/.test(f[k]!) ? Number(f[k]) : undefined);
  const out: Record<string, unknown> = { exists: true, path };
  for (const flag of new Set(Object.values(TYPES))) out[flag] = flag === kind;
  Object.assign(out, {
    mode: (f['mode'] ?? '').padStart(4, '0'),
    uid: num('uid'),
    gid: num('gid'),
    pw_name: f['owner'],
    gr_name: f['group'],
    size: num('size'),
    mtime: num('mtime'),
    atime: num('atime'),
    ctime: num('ctime'),
    inode: num('inode'),
    nlink: num('nlink'),
    dev: num('dev'),
    readable: f['readable'] === 'yes',
    writeable: f['writeable'] === 'yes',
    executable: f['executable'] === 'yes',
  });
  const checksum = f['checksum']?.split(' ')[0];
  if (checksum) out['checksum'] = checksum;
  if (facts.target !== undefined) {
    out['lnk_target'] = facts.target;
    if (f['source']) out['lnk_source'] = f['source'];
  }
  return out;
}
