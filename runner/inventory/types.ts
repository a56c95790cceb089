/**
 * An inventory in Ansible's YAML format, resolved: every host with its merged variables
 * (Ansible's precedence: all < parent group < child group < host), and every group.
 */
import type { SourceLocation } from '../errors.js';

export interface InventoryHost {
  name: string;
  /** Merged variables from groups (by depth, then name) and the host itself. */
  vars: Record<string, unknown>;
  /** Every group the host belongs to, directly or through children, `all` included. */
  groups: string[];
  location?: SourceLocation;
  /** Where each variable of `vars` was set (the definition that won). */
  origins?: Record<string, SourceLocation>;
  /**
   * Ansible's implicit localhost: matched only by the name `localhost`, never by `all`, a group
   * or a wildcard; present when the inventory does not define localhost itself.
   */
  implicit?: boolean;
}

export interface InventoryGroup {
  name: string;
  /** Hosts directly or indirectly in the group, in inventory order. */
  hosts: string[];
  children: string[];
  vars: Record<string, unknown>;
  /** Hosts written in the group itself (not through children), in order: what ansible-inventory lists. */
  directHosts?: string[];
}

export interface Inventory {
  /**
   * Absolute path of the first inventory file read (undefined for the implicit localhost
   * inventory): relative paths in connection variables resolve beside it.
   */
  file?: string;
  /** The sources as given with -i, in order. */
  sources?: string[];
  /** What was read but not used (group_vars of no group, files skipped in a directory...). */
  warnings?: string[];
  /** Hosts in inventory order. */
  hosts: Map<string, InventoryHost>;
  /**
   * Ansible's implicit localhost, when the inventory does not define localhost: selected only
   * by the name `localhost` (then added to `hosts`), never by `all`, a group or a wildcard.
   */
  implicitLocalhost?: InventoryHost;
  groups: Map<string, InventoryGroup>;
}
