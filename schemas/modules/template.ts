/** Parameters of the `template` module: a Handlebars file rendered on the controller, written as copy writes. */
import { writeOptions } from './copy.js';

export const templateSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['src', 'dest'],
  properties: {
    src: {
      type: 'string',
      minLength: 1,
      description: 'Handlebars template on the controller, found in the role\'s templates/, then the playbook\'s templates/ and directory (as file\'s template), rendered with the task\'s variables.',
    },
    ...writeOptions,
  },
} as const;
