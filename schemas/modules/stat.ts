/** Parameters of the `stat` module (Ansible's stat: what a path is, registered as result.stat). */
export const statSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['path'],
  properties: {
    path: { type: 'string', pattern: '^/', description: 'Absolute path on the host.' },
    get_checksum: { type: 'boolean', description: 'Compute the checksum of a regular file (default false; Ansible defaults to true, which costs a read of the whole file).' },
    checksum_algorithm: { enum: ['sha1', 'sha256'], description: 'Algorithm of `checksum` (default sha1, as Ansible).' },
    follow: { type: 'boolean', description: 'Describe what a symbolic link points to rather than the link itself (default false).' },
  },
} as const;
