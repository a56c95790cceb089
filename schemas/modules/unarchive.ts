/** Parameters of the `unarchive` module. */
export const unarchiveSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['src', 'dest'],
  properties: {
    src: {
      type: 'string',
      minLength: 1,
      pattern: '\\.(tar\\.gz|tgz|tar\\.xz|txz|tar\\.bz2|tbz2|tar|zip)$',
      description: 'The archive: a controller file (found in the role\'s files/, then the playbook\'s files/ and directory), or with remote_src a path on the host. Its name tells the format: .tar.gz/.tgz, .tar.xz/.txz, .tar.bz2/.tbz2, .tar or .zip.',
    },
    dest: { type: 'string', pattern: '^/', description: 'Existing directory on the host to extract into.' },
    remote_src: { type: 'boolean', description: 'src is a path on the host (default false: a controller file, uploaded first).' },
    creates: { type: 'string', pattern: '^/', description: 'Do not extract when this path exists on the host.' },
    extra_opts: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      description: 'Extra options for tar (or unzip), such as `--strip-components=1`.',
    },
  },
} as const;
