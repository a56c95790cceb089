/**
 * blockinfile: Ansible's blockinfile. A block of lines between marker lines, inserted, replaced
 * or removed by a pure function (runner/text/blockinfile.ts) and written by the file module's
 * plan, as lineinfile does (gatherEdit / planEdit).
 *
 * ```yaml
 * - blockinfile: { path: /etc/hosts, block: "10.0.0.10 etcd-0\n10.0.0.11 etcd-1\n" }
 * ```
 */
import type { FromSchema } from 'json-schema-to-ts';
import { blockinfileSchema } from '../schemas/modules/blockinfile.js';
import type { ModuleDefinition } from '../runner/types.js';
import { editBlockInFile } from '../runner/text/blockinfile.js';
import { gatherEdit, planEdit, type EditFacts } from './lineinfile.js';

type BlockInFileParams = FromSchema<typeof blockinfileSchema>;

export const blockinfile: ModuleDefinition<BlockInFileParams, EditFacts> = {
  name: 'blockinfile',
  summary: "Insert, replace or remove a block of lines between marker lines (Ansible's blockinfile).",
  schema: blockinfileSchema,
  flags: { checkMode: 'supported' },
  docs: {
    examples: [
      '- blockinfile: { path: /etc/hosts, block: "10.0.0.10 etcd-0\\n10.0.0.11 etcd-1\\n" }',
      "- blockinfile: { path: /etc/ssh/sshd_config, marker: '# {mark} quorum: admins', insertbefore: '^Match', block: \"AllowGroups admins\\n\", validate: '/usr/sbin/sshd -t -f %s' }",
      '- blockinfile: { path: /etc/hosts, state: absent }',
      '',
    ].join('\n'),
    returns: { path: 'The file.', msg: "'Block inserted', 'Block removed', or ''.", backup_file: 'The copy of the previous file, when backup made one.' },
    notes: [
      'The markers are found by their text whatever the line ending; the block takes the file\'s line ending.',
      'Two blocks in one file need two different markers.',
      'The file is edited on the controller: it must be UTF-8 text.',
    ],
  },
  inspectsPaths: (args) => [args['path'] ?? args['dest']],
  gather(ctx, params) {
    return gatherEdit(ctx, params, (text) => editBlockInFile(text, params));
  },
  plan(params, facts, ctx) {
    return planEdit(params, facts, ctx.checkMode);
  },
};
