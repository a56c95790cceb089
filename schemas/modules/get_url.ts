/** Parameters of the `get_url` module. */
import { fileSchema } from './file.js';

export const getUrlSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url', 'dest'],
  properties: {
    url: { type: 'string', pattern: '^https?://[^\\s]+$', description: 'http:// or https:// URL, downloaded by the host.' },
    dest: { type: 'string', pattern: '^/.*[^/]$', description: 'Absolute path of the file to write on the host (a file name, not a directory).' },
    checksum: {
      type: 'string',
      pattern: '^sha256:[0-9a-fA-F]{64}$',
      description: '`sha256:HEX`. The download must match it, and a dest that already matches is not downloaded again. Without it, an existing dest is kept unless force.',
    },
    force: { type: 'boolean', description: 'Without checksum: download again even when dest exists (reported changed each time). Default false.' },
    mode: fileSchema.properties.mode,
    owner: fileSchema.properties.owner,
    group: fileSchema.properties.group,
    headers: {
      type: 'object',
      propertyNames: { pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]+$' },
      additionalProperties: { type: 'string', pattern: '^[^\\r\\n]*$', description: 'Header value (one line).' },
      description: 'Extra HTTP request headers. Secret: passed on standard input, never printed.',
    },
    timeout: { type: 'integer', minimum: 1, description: 'Seconds a connection or a stalled transfer may take (default 10).' },
    validate_certs: { type: 'boolean', description: 'Verify the server\'s TLS certificate (default true). false accepts any certificate.' },
    url_username: { type: 'string', pattern: '^[^:\\r\\n]*$', description: 'User for HTTP basic authentication.' },
    url_password: { type: 'string', pattern: '^[^\\r\\n]*$', description: 'Password for HTTP basic authentication. Secret: passed on standard input, never printed, diffed or registered.' },
  },
  dependentRequired: { url_password: ['url_username'] },
} as const;
