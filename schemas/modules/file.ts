/** Parameters of the `file` module (Ansible's file + copy + template in one). */
export const fileSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path: {
      type: 'string',
      pattern: '^/',
      description: 'Absolute path on the host of the file, directory or link to manage.',
    },
    state: {
      type: 'string',
      enum: ['file', 'directory', 'absent', 'link', 'touch'],
      description:
        'What the path must be. Default: `link` when `target` is given, else `file`. `file` without content/src/template only manages attributes of a file that must already exist (as in Ansible).',
    },
    content: {
      type: 'string',
      description: 'Exact content of the file (state file). Mutually exclusive with src and template.',
    },
    src: {
      type: 'string',
      minLength: 1,
      description: 'Controller file copied as-is, found in the role\'s files/, then the playbook\'s files/ and directory (state file).',
    },
    template: {
      type: 'string',
      minLength: 1,
      description: 'Controller handlebars file rendered with the task variables, found in the role\'s templates/, then the playbook\'s templates/ and directory (state file).',
    },
    target: {
      type: 'string',
      minLength: 1,
      description: 'What the symbolic link points to (state link); stored as written, relative targets stay relative.',
    },
    mode: {
      type: 'string',
      pattern: '^[0-7]{3,4}$',
      description:
        'Permissions as a quoted octal string such as "0644". Quote it: YAML reads an unquoted 0644 as the number 644. New files default to 0644, new directories to 0755; existing ones keep theirs.',
    },
    owner: { type: 'string', minLength: 1, description: 'User name (or numeric uid) that must own the path.' },
    group: { type: 'string', minLength: 1, description: 'Group name (or numeric gid) that must own the path.' },
    secret: {
      type: 'boolean',
      description: 'The content is secret: diffs say only that it changed and the old content is never read.',
    },
  },
  allOf: [
    {
      // at most one source: "use only one of 'content', 'src', 'template'" when several are given
      if: { anyOf: [{ required: ['content'] }, { required: ['src'] }, { required: ['template'] }] },
      then: { oneOf: [{ required: ['content'] }, { required: ['src'] }, { required: ['template'] }] },
    },
    {
      if: { anyOf: [{ required: ['content'] }, { required: ['src'] }, { required: ['template'] }] },
      then: { properties: { state: { const: 'file' } } },
    },
    { if: { required: ['target'] }, then: { properties: { state: { const: 'link' } } } },
    { if: { required: ['state'], properties: { state: { const: 'link' } } }, then: { required: ['target'] } },
  ],
} as const;
