/** Parameters of the `blockinfile` module (Ansible's blockinfile). */
import { fileEditOptions } from './lineinfile.js';

export const blockinfileSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...fileEditOptions,
    block: { type: 'string', description: 'The lines between the markers; empty removes the block (as state absent).' },
    marker: {
      type: 'string',
      pattern: '\\{mark\\}',
      description: 'Marker line template; `{mark}` becomes marker_begin or marker_end. Default `# {mark} ANSIBLE MANAGED BLOCK`; use a comment syntax the file accepts.',
    },
    marker_begin: { type: 'string', minLength: 1, description: 'The {mark} of the first marker (default BEGIN).' },
    marker_end: { type: 'string', minLength: 1, description: 'The {mark} of the last marker (default END).' },
    state: { enum: ['present', 'absent'], description: 'present (default): the block is there; absent: the markers and what is between them are removed.' },
    insertafter: { type: 'string', minLength: 1, description: '`EOF` (default), or a regular expression: a new block goes after the last line matching it (at the end when none does).' },
    insertbefore: { type: 'string', minLength: 1, description: '`BOF`, or a regular expression: a new block goes before the last line matching it.' },
  },
  allOf: [
    { oneOf: [{ required: ['path'] }, { required: ['dest'] }] },{ not: { required: ['insertafter', 'insertbefore'] } }],
} as const;
