/**
 * The playbook as the engine sees it after loading and validation (runner/load/playbook.ts
 * builds it). Every node keeps where it came from, so runtime errors can say file:line:col.
 */
import type { SourceLocation } from './errors.js';

/** Ansible's task keywords that the executor (not the module) implements. */
export interface TaskKeywords {
  /** CEL expressions, all must hold. */
  when?: string[];
  loop?: unknown;
  /** Ansible's older loops (one of these or loop; runner/executor/loop-items.ts reads them). */
  with_items?: unknown;
  with_list?: unknown;
  with_dict?: unknown;
  with_fileglob?: string | string[];
  loop_control?: { loop_var?: string; index_var?: string; label?: string; pause?: number };
  register?: string;
  notify?: string[];
  changed_when?: string[] | boolean;
  failed_when?: string[] | boolean;
  ignore_errors?: boolean;
  retries?: number;
  until?: string;
  /** Seconds between retries. */
  delay?: number;
  run_once?: boolean;
  delegate_to?: string;
  tags?: string[];
  check_mode?: boolean;
  no_log?: boolean;
  /** Seconds. */
  timeout?: number;
  become?: boolean;
  /** The user `become` switches to (root when unset): commands only for another user. */
  become_user?: string;
  become_method?: 'sudo';
  /** The user to connect as when the inventory gives no ansible_user. */
  remote_user?: string;
  /** Exported to the task's commands; a block's is merged under its tasks'. */
  environment?: Record<string, unknown> | string;
  vars?: Record<string, unknown>;
  any_errors_fatal?: boolean;
}

interface NodeBase {
  name?: string;
  keywords: TaskKeywords;
  location: SourceLocation;
  /** JSON pointer of the node in its file, e.g. /0/tasks/2 */
  pointer: string;
}

/** One module invocation. */
export interface TaskNode extends NodeBase {
  kind: 'task';
  /** Module name as written (`file`, `etcd-health`, `meta`...). */
  module: string;
  /** The module key as written when it differs from `module` (`ansible.builtin.file`), for locations. */
  moduleKey?: string;
  /** Arguments as written; templates are rendered per host at run time. */
  args: unknown;
  /** Handlers only: topics this handler also answers to. */
  listen?: string[];
  /** Handlers only: the role that brought the handler (its variables and files). */
  role?: RoleScope;
}

/** block / rescue / always: try, catch, finally per host. */
export interface BlockNode extends NodeBase {
  kind: 'block';
  block: TaskItem[];
  rescue: TaskItem[];
  always: TaskItem[];
  /** The tasks of a role (roles:, import_role, include_role, a meta dependency). */
  role?: RoleScope;
  /** include_tasks / include_role: decided per host at run time (when, loop); `block` is what it includes. */
  include?: IncludeSpec;
}

/**
 * A role as its tasks and handlers see it: where it is (relative `src`/`template` paths resolve
 * in its files/ and templates/ first) and its variable layers (runner/vars/task-vars.ts).
 */
export interface RoleScope {
  name: string;
  /** Absolute path of the role's directory. */
  dir: string;
  /** defaults/main.yml, over those of its dependencies: the lowest precedence. */
  defaults: Record<string, unknown>;
  /** vars/main.yml, over those of its dependencies: above play vars. */
  vars: Record<string, unknown>;
  /** Role parameters (`- role: x` keys, `vars:` of the entry): above registered results. */
  params: Record<string, unknown>;
}

/** A dynamic include (include_tasks, include_role). */
export interface IncludeSpec {
  what: 'tasks' | 'role';
  /** The file name as written (may be a template: then `block` is empty and it is loaded at run time). */
  file: string;
  /** The file the name is relative to (the including tasks file). */
  from: string;
  /** Include parameters (`vars:` of the include), for every included task: above registered results. */
  params: Record<string, unknown>;
  /** Directory of the role whose tasks file does the include (relative files resolve there). */
  roleDir?: string;
}

export type TaskItem = TaskNode | BlockNode;

export interface Play {
  name?: string;
  /** Host pattern (`all`, `etcd`, `a:&b`, ...). */
  hosts: string;
  vars: Record<string, unknown>;
  /**
   * quorum's play `defaults:`: the lowest precedence, below the inventory, like an Ansible
   * role's defaults, so a playbook can document its knobs and the inventory still wins.
   */
  defaults: Record<string, unknown>;
  gather_facts: boolean;
  become: boolean;
  become_user?: string;
  remote_user?: string;
  environment?: Record<string, unknown> | string;
  /** Batch sizes: a number, a percentage string, or a list of them (Ansible's serial). */
  serial?: Array<number | string>;
  any_errors_fatal: boolean;
  max_fail_percentage?: number;
  tasks: TaskItem[];
  handlers: TaskNode[];
  tags?: string[];
  location: SourceLocation;
  pointer: string;
}

export interface Playbook {
  /** Absolute path of the playbook file. */
  file: string;
  /** Its directory: relative paths in tasks resolve here. */
  dir: string;
  plays: Play[];
  /** Where roles are looked for besides roles/ beside the playbook (for files included at run time). */
  rolesPath?: string[];
}
