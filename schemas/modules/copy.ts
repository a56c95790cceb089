/** Parameters of the `copy` module (Ansible's copy: content or a file to a path on the host). */
const attributes = {
  mode: {
    type: 'string',
    pattern: '^[0-7]{3,4}$',
    description: 'Permissions as an octal string such as "0644". New files default to 0644; existing ones keep theirs.',
  },
  owner: { type: 'string', minLength: 1, description: 'User name (or numeric uid) that must own the file.' },
  group: { type: 'string', minLength: 1, description: 'Group name (or numeric gid) that must own the file.' },
} as const;

/** Arguments copy and template share (template.ts reuses them). */
export const writeOptions = {
  dest: {
    type: 'string',
    pattern: '^/',
    description: 'Absolute path on the host. When it is an existing directory, or ends with `/`, the file goes inside it under the name of `src` (as Ansible).',
  },
  ...attributes,
  force: {
    type: 'boolean',
    description: 'Replace a file whose content differs (default true). false: write only when dest does not exist.',
  },
  backup: {
    type: 'boolean',
    description: 'Before replacing a file, keep a copy beside it named `DEST.YYYY-MM-DD@HH:MM:SS~` (registered as `backup_file`).',
  },
  validate: {
    type: 'string',
    pattern: '%s',
    description: 'Command that must accept the new content before it replaces dest; `%s` is the path of a temporary file holding it (e.g. `visudo -cf %s`). Run only when the content changes.',
  },
  secret: {
    type: 'boolean',
    description: 'The content is secret: diffs say only that it changed and the old content is never read.',
  },
} as const;

export const copySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['dest'],
  properties: {
    src: {
      type: 'string',
      minLength: 1,
      description: 'File to copy: on the controller, found in the role\'s files/, then the playbook\'s files/ and directory (as file\'s src); on the host with remote_src. A directory is not supported.',
    },
    content: {
      type: 'string',
      description: 'Exact content of dest, instead of src.',
    },
    remote_src: {
      type: 'boolean',
      description: 'src is a path on the host, not on the controller (copied through the same verified write).',
    },
    ...writeOptions,
  },
  allOf: [
    { oneOf: [{ required: ['src'] }, { required: ['content'] }] },
    { if: { required: ['remote_src'], properties: { remote_src: { const: true } } }, then: { required: ['src'], properties: { src: { pattern: '^/' } } } },
  ],
} as const;
