/**
 * The document schemas quorum validates with (module argument schemas live with their modules).
 * One place, so that the loader and the validator generator (generate.ts) use the very same
 * objects: a precompiled validator is found by the content of its schema.
 */
import playbookSchema from '../../schemas/playbook.schema.json' with { type: 'json' };
import inventorySchema from '../../schemas/inventory.schema.json' with { type: 'json' };

/** The playbook schema; registered by its `$id` so the two schemas below can `$ref` into it. */
export const PLAYBOOK_SCHEMA = playbookSchema as { $id: string; $defs: { task: { properties: object } } } & Record<string, unknown>;
/** An `import_tasks` file: a list of tasks. */
export const TASK_LIST_SCHEMA = { $ref: `${PLAYBOOK_SCHEMA.$id}#/$defs/taskList` };
/** One task's keywords (a roles: entry's are checked against it). */
export const TASK_SCHEMA = { $ref: `${PLAYBOOK_SCHEMA.$id}#/$defs/task` };
/** A role's meta/main.yml: dependencies and allow_duplicates. */
export const ROLE_META_SCHEMA = { $ref: `${PLAYBOOK_SCHEMA.$id}#/$defs/roleMeta` };
/** A `vars_files` file: a mapping of variables. */
export const VARS_SCHEMA = { $ref: `${PLAYBOOK_SCHEMA.$id}#/$defs/vars` };
/** The inventory (Ansible's YAML format). */
export const INVENTORY_SCHEMA = inventorySchema as { $id: string } & Record<string, unknown>;

/** Schemas other schemas refer to by `$id`: registered before anything is compiled. */
export const REGISTERED_SCHEMAS: readonly ({ $id: string } & Record<string, unknown>)[] = [PLAYBOOK_SCHEMA];
