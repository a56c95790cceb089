/** Parameters of the `user` module (Ansible's user, the everyday subset, on shadow-utils hosts). */
export const userSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: {
      type: 'string',
      maxLength: 32,
      pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*\\$?$',
      description: 'User name: letters, digits, _, . and -, not starting with - or . (what useradd accepts on Debian); a final $ is allowed (machine accounts).',
    },
    state: { enum: ['present', 'absent'], description: 'Whether the user must exist (default present).' },
    uid: { type: 'integer', minimum: 0, description: 'User id.' },
    group: { type: 'string', minLength: 1, description: 'Primary group (name or gid); it must exist. Default on creation: a group named after the user (useradd\'s USERGROUPS_ENAB).' },
    groups: {
      anyOf: [
        { type: 'array', items: { type: 'string', minLength: 1 }, description: 'Group names.' },
        { type: 'string', description: 'Group names separated by commas (Ansible\'s spelling); "" means none.' },
      ],
      description: 'Supplementary groups. Without `append` the user is in exactly these (others are left); with `append` these are added.',
    },
    append: { type: 'boolean', description: 'Add `groups` to the user\'s supplementary groups instead of setting them (default false, as Ansible).' },
    shell: { type: 'string', pattern: '^/', description: 'Login shell (absolute path).' },
    home: { type: 'string', pattern: '^/', description: 'Home directory (absolute path). Changing it on an existing user does not move the files.' },
    create_home: { type: 'boolean', description: 'Create the home directory when the user is created (default true, as Ansible).' },
    system: { type: 'boolean', description: 'Create a system account (useradd -r: uid below UID_MIN). Only used on creation.' },
    password: {
      type: 'string',
      minLength: 1,
      description: 'The password as a crypt hash (`openssl passwd -6`, `mkpasswd -m sha-512`), or `!`/`*` for a locked one. Secret: never printed, diffed or registered. Set with chpasswd -e from standard input, never on a command line.',
    },
    update_password: { enum: ['always', 'on_create'], description: '`always` (default) sets the hash when it differs; `on_create` only for a new user.' },
    comment: { type: 'string', description: 'The GECOS field (full name). No colon or newline.', pattern: '^[^:\\n]*$' },
    remove: { type: 'boolean', description: 'With state absent: remove the home directory and mail spool too (userdel -r).' },
  },
} as const;
