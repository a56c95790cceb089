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
}

export interface InventoryGroup {
  name: string;
  /** Hosts directly or indirectly in the group, in inventory order. */
  hosts: string[];
  children: string[];
  vars: Record<string, unknown>;
}

export interface Inventory {
  /** Absolute path of the inventory file (undefined for the implicit localhost inventory). */
  file?: string;
  /** Hosts in inventory order. */
  hosts: Map<string, InventoryHost>;
  groups: Map<string, InventoryGroup>;
}
