/** Parameters of the `wait_for` module. */
export const waitForSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    port: { type: 'integer', minimum: 1, maximum: 65535, description: 'TCP port to wait for.' },
    host: {
      type: 'string',
      minLength: 1,
      pattern: '^[A-Za-z0-9_.:%-]+$',
      description: 'Address or name to connect to, from the host (default 127.0.0.1): a name, IPv4 or IPv6 address.',
    },
    path: { type: 'string', pattern: '^/', description: 'File to wait for (absolute path on the host).' },
    search_regex: {
      type: 'string',
      minLength: 1,
      description: 'With path: wait until the file has a line matching this POSIX extended regular expression (grep -E; Python-only syntax such as \\d or (?P<x>) is not understood).',
    },
    state: {
      enum: ['started', 'stopped', 'present', 'absent', 'drained'],
      description: 'port: `started` (a connection succeeds, default), `stopped` (it is refused), `drained` (no established connection on the port). path: `present`/`started` (it exists), `absent`/`stopped` (it is gone).',
    },
    timeout: { type: 'number', minimum: 0, description: 'Seconds to wait at most, counted from the start including delay (default 300); then the task fails.' },
    delay: { type: 'number', minimum: 0, description: 'Seconds to wait before the first check (default 0).' },
    sleep: { type: 'number', exclusiveMinimum: 0, description: 'Seconds between checks (default 1).' },
    connect_timeout: { type: 'number', exclusiveMinimum: 0, description: 'Seconds one connection attempt may take (default 5).' },
    msg: { type: 'string', description: 'Message of the failure at timeout, instead of the default one.' },
  },
  oneOf: [{ required: ['port'] }, { required: ['path'] }],
  allOf: [
    { if: { required: ['search_regex'] }, then: { required: ['path'] } },
    { if: { required: ['port'] }, then: { properties: { state: { enum: ['started', 'stopped', 'drained'] } } } },
    { if: { required: ['path'] }, then: { properties: { state: { enum: ['started', 'stopped', 'present', 'absent'] } } } },
  ],
} as const;
