/** Parameters of the `lineinfile` module (Ansible's lineinfile). */
const edit = {
  path: { type: 'string', pattern: '^/', description: 'Absolute path of the file on the host.' },
  dest: { type: 'string', pattern: '^/', description: 'The same as path (Ansible\'s older name).' },
  mode: { type: 'string', pattern: '^[0-7]{3,4}$', description: 'Permissions as an octal string such as "0644"; a created file defaults to 0644.' },
  owner: { type: 'string', minLength: 1, description: 'User name (or numeric uid) that must own the file.' },
  group: { type: 'string', minLength: 1, description: 'Group name (or numeric gid) that must own the file.' },
  create: { type: 'boolean', description: 'Create the file when it does not exist (default false: a missing file fails the task, as Ansible).' },
  backup: { type: 'boolean', description: 'Before changing the file, keep a copy beside it named `PATH.YYYY-MM-DD@HH:MM:SS~`.' },
  validate: { type: 'string', pattern: '%s', description: 'Command that must accept the edited content before it replaces the file; `%s` is a temporary file holding it.' },
} as const;

/** Shared with blockinfile. */
export const fileEditOptions = edit;

export const lineinfileSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...edit,
    line: { type: 'string', description: 'The line to have in the file (state present); with backrefs, `\\1` and `\\g<name>` are the regexp\'s groups.' },
    regexp: {
      type: 'string',
      minLength: 1,
      description: 'Regular expression (Python syntax, as Ansible) of the line to replace; the LAST matching line is replaced, every matching line removed with state absent.',
    },
    search_string: { type: 'string', minLength: 1, description: 'Literal text of the line to replace or remove, instead of regexp.' },
    state: { enum: ['present', 'absent'], description: 'present (default): the line is there; absent: no line matches.' },
    insertafter: { type: 'string', minLength: 1, description: '`EOF` (default), or a regular expression: when regexp matches nothing, insert after the last line matching it (at the end when none does).' },
    insertbefore: { type: 'string', minLength: 1, description: '`BOF`, or a regular expression: when regexp matches nothing, insert before the last line matching it.' },
    firstmatch: { type: 'boolean', description: 'Use the first line matching regexp or insertafter/insertbefore instead of the last.' },
    backrefs: { type: 'boolean', description: 'Expand regexp groups in line; when regexp matches nothing the file is left alone.' },
  },
  allOf: [
    { oneOf: [{ required: ['path'] }, { required: ['dest'] }] },
    { not: { required: ['insertafter', 'insertbefore'] } },
    { not: { required: ['regexp', 'search_string'] } },
    { if: { not: { required: ['state'], properties: { state: { const: 'absent' } } } }, then: { required: ['line'] } },
    { if: { not: { required: ['state'], properties: { state: { const: 'absent' } } } }, else: { anyOf: [{ required: ['regexp'] }, { required: ['search_string'] }, { required: ['line'] }] } },
    { if: { required: ['backrefs'], properties: { backrefs: { const: true } } }, then: { required: ['regexp'] } },
  ],
} as const;
