/** Parameters of the `group` module. */
export const groupSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: {
      type: 'string',
      maxLength: 32,
      pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*$',
      description: 'Group name: letters, digits, _, . and -, not starting with - or . (what groupadd accepts on Debian).',
    },
    state: { enum: ['present', 'absent'], description: 'Whether the group must exist (default present).' },
    gid: { type: 'integer', minimum: 0, description: 'Group id; an existing group with another gid gets this one (groupmod -g).' },
    system: { type: 'boolean', description: 'Create a system group (groupadd -r: gid below GID_MIN). Only used on creation.' },
  },
} as const;
