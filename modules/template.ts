/**
 * template: Ansible's template with Handlebars instead of Jinja. The template file is rendered
 * on the controller with the task's variables, exactly as `file: { template: ... }` renders it
 * (the file module's own gather does it), and written with copy's rules: dest directory, force,
 * backup, validate, mode/owner/group.
 *
 * ```yaml
 * - template: { src: templates/etcd.conf.yml.hbs, dest: /etc/etcd/etcd.conf.yml, mode: "0644" }
 * ```
 */
import type { FromSchema } from 'json-schema-to-ts';
import { templateSchema } from '../schemas/modules/template.js';
import type { ModuleDefinition } from '../runner/types.js';
import { gatherWrite, planWrite, type WriteFacts } from './copy.js';

type TemplateParams = FromSchema<typeof templateSchema>;

export const template: ModuleDefinition<TemplateParams, WriteFacts> = {
  name: 'template',
  summary: "Render a Handlebars template on the controller and write it to the host (Ansible's template).",
  schema: templateSchema,
  flags: { checkMode: 'supported' },
  docs: {
    examples: [
      '- template: { src: templates/chrony.conf.hbs, dest: /etc/chrony/chrony.conf, mode: "0644", backup: true }',
      '- template: { src: templates/sshd_config.hbs, dest: /etc/ssh/sshd_config, validate: "/usr/sbin/sshd -t -f %s" }',
      '',
    ].join('\n'),
    returns: {
      dest: 'The path written (inside dest when dest is a directory).',
      src: 'The template as given.',
      backup_file: 'The copy of the previous file, when backup made one.',
    },
    notes: [
      'The template is Handlebars (`{{ var }}`, `{{#each}}`, `{{#if}}`), strict: an undefined variable fails the task. docs/from-ansible.md shows the Jinja spellings side by side.',
      'A relative src is found as the file module finds its template (the role\'s templates/, the role, its tasks/, then the playbook\'s templates/ and directory: runner/files/controller-files.ts).',
      'dest ending in / or naming an existing directory receives the file under the name of src (with its .hbs/.j2 suffix, as Ansible keeps .j2): name the file in dest.',
      'Data from hosts (registered output, facts) is inserted as text, never rendered again.',
    ],
  },
  inspectsPaths: (args) => [args['dest']],
  gather(ctx, params) {
    return gatherWrite(ctx, params, { template: params.src });
  },
  plan(params, facts) {
    return planWrite(params, facts, { src: params.src });
  },
};
