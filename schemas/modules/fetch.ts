/** Parameters of the `fetch` module (Ansible's fetch with `flat: yes`). */
export const fetchSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['src', 'dest'],
  properties: {
    src: {
      type: 'string',
      pattern: '^/',
      description: 'Absolute path of a regular file ON THE HOST to copy to the controller.',
    },
    dest: {
      type: 'string',
      minLength: 1,
      description: 'File path ON THE CONTROLLER, relative to the playbook directory (Ansible\'s `flat: yes`). Put `{{ inventory_hostname }}` in it when several hosts fetch. Missing directories are created (0700).',
    },
    mode: {
      type: 'string',
      pattern: '^[0-7]{3,4}$',
      default: '0600',
      description: 'Permissions of the local file as a quoted octal string. 0600 by default: fetched files are often backups or keys.',
    },
    fail_on_missing: {
      type: 'boolean',
      default: true,
      description: 'Fail when src does not exist on the host; false: report ok and fetch nothing.',
    },
  },
} as const;
