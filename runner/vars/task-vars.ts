/**
 * Variables a task sees, and their precedence (lowest first), as in Ansible:
 *
 *   0. the play's `defaults`, then the role's defaults (defaults/main.yml, over its dependencies')
 *   1. inventory: group vars (all < parent < child) < host vars
 *   2. play vars, then vars_files (merged into play vars by the loader)
 *   2b. the role's vars (vars/main.yml, over its dependencies'), with role_name and role_path
 *   3. block vars (outer to inner), then task vars
 *   4. registered results and set_fact values of this host
 *   4b. role params (`- role: x` keys and vars), then include params (vars of include_tasks /
 *      include_role, and their loop variable), outer to inner
 *   5. extra vars (-e)
 *
 * plus the magic variables (inventory_hostname, groups, group_names, hostvars, facts,
 * ansible_play_hosts(_all), ansible_play_batch, play_hosts, check_mode, diff_mode,
 * playbook_dir), which cannot be overridden. The play's host lists mean what they mean in
 * Ansible: `ansible_play_hosts_all` every host the play targets, `ansible_play_hosts` those
 * still active (failed and unreachable hosts left out), `ansible_play_batch` the active hosts of
 * the current serial batch, and `play_hosts` the same as `ansible_play_batch`.
 *
 * A variable whose value is a template is rendered when it is first read (as Ansible's lazy
 * templating does), so `a: "{{ b }}-x"` works whatever order the vars are defined in.
 * Layer 4 is the exception: a registered result is what a host printed, and a set_fact value
 * was rendered once when its task ran; both are data, never templates (a host printing
 * `{{ hostvars.x.password }}` must get that text back, not the password).
 */
import type { RunState, HostState } from '../engine/run-state.js';
import type { Play } from '../playbook.js';
import { renderValue } from '../lang/template.js';
import { addAnsibleFactVars } from '../facts/ansible-facts.js';

/** Everything but the host-specific layers: built once per task. */
export interface SharedVars {
  groups: Record<string, string[]>;
  hostvars: Record<string, Record<string, unknown>>;
  /** ansible_play_hosts_all: every host the play targets. */
  playHostsAll: string[];
  /** ansible_play_hosts: those not failed or unreachable as the task starts. */
  playHosts: string[];
  /** ansible_play_batch (and play_hosts): the active hosts of the current serial batch. */
  playBatch: string[];
}

/**
 * @param batch the hosts of the current serial batch
 * @param all every host the play targets (default: the batch, for callers without serial)
 */
export function buildSharedVars(state: RunState, play: Play, batch: readonly string[], all: readonly string[] = batch): SharedVars {
  const groups: Record<string, string[]> = {};
  for (const [name, group] of state.inventory.groups) groups[name] = [...group.hosts];
  const hostvars: Record<string, Record<string, unknown>> = {};
  const active = (names: readonly string[]) => names.filter((n) => {
    const h = state.hosts.get(n);
    return h !== undefined && !h.failed && !h.unreachable;
  });
  const shared: SharedVars = { groups, hostvars, playHostsAll: [...all], playHosts: active(all), playBatch: active(batch) };
  for (const [name] of state.inventory.hosts) {
    // A task reads few hosts' entries (often none), so each is built when first read, not
    // for every host at every task. What it is built from is taken now, as the task starts:
    // a host that registers a result during this task must not change what the others see,
    // whichever of them reads it first.
    const runtime = state.hosts.get(name);
    const layers: HostLayers | undefined = runtime && { runtimeVars: { ...runtime.runtimeVars }, ...(runtime.hostFacts ? { hostFacts: runtime.hostFacts } : {}) };
    Object.defineProperty(hostvars, name, {
      enumerable: true,
      configurable: true,
      get() {
        const entry = hostEntry(state, play, shared, name, layers);
        // From now on a plain property, as if it had been built with the others.
        Object.defineProperty(hostvars, name, { value: entry, enumerable: true, configurable: true, writable: true });
        return entry;
      },
    });
  }
  return shared;
}

/** What the host-specific layers are built from: the host's registered values and facts. */
type HostLayers = Pick<HostState, 'runtimeVars' | 'hostFacts'>;

function hostEntry(state: RunState, play: Play, shared: SharedVars, name: string, layers: HostLayers | undefined): Record<string, unknown> {
  const entry = withMagic(state, shared, name, layers, lazilyRendered(userVars(state, play, name, layers, []), dataKeys(state, layers)));
  // As in Ansible, a host's entry does not list hostvars itself: enumerated (to_json, CEL),
  // hostvars.h.hostvars.h... never ends. It still resolves for the host's own templates.
  Object.defineProperty(entry, 'hostvars', { enumerable: false });
  return entry;
}

/** The layers a role adds (0, 2b and 4b of the list above); absent outside roles and includes. */
export interface RoleLayers {
  defaults?: Record<string, unknown>;
  vars?: Record<string, unknown>;
  params?: Record<string, unknown>;
  /** Loop variables of the enclosing include_tasks/include_role: data, never rendered again. */
  loopVars?: Record<string, unknown>;
}

export function buildTaskVars(
  state: RunState,
  play: Play,
  shared: SharedVars,
  host: HostState,
  scopes: ReadonlyArray<Record<string, unknown> | undefined>,
  role: RoleLayers = {},
): Record<string, unknown> {
  return withMagic(state, shared, host.name, host, lazilyRendered(userVars(state, play, host.name, host, scopes, role), dataKeys(state, host, role)));
}

/** The variables whose value comes from layer 4 (registered, set_fact): not overridden by -e. */
function dataKeys(state: RunState, host: HostLayers | undefined, role: RoleLayers = {}): ReadonlySet<string> {
  const keys = new Set(Object.keys(host?.runtimeVars ?? {}));
  for (const key of [...Object.keys(state.options.extraVars), ...Object.keys(role.params ?? {})]) keys.delete(key);
  for (const key of Object.keys(role.loopVars ?? {})) if (!(key in state.options.extraVars)) keys.add(key);
  return keys;
}

/** Layers 1 to 5 of the precedence list, lowest first. */
function userVars(
  state: RunState,
  play: Play,
  name: string,
  host: HostLayers | undefined,
  scopes: ReadonlyArray<Record<string, unknown> | undefined>,
  role: RoleLayers = {},
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...play.defaults, ...role.defaults, ...(state.inventory.hosts.get(name)?.vars ?? {}), ...play.vars, ...role.vars };
  for (const scope of scopes) Object.assign(merged, scope ?? {});
  return Object.assign(merged, host?.runtimeVars ?? {}, role.params, role.loopVars, state.options.extraVars);
}

/**
 * The magic variables, added after the lazy getters are in place: templates rendered later
 * read them from the same object, and the walk for templates never descends into hostvars.
 */
function withMagic(state: RunState, shared: SharedVars, name: string, host: HostLayers | undefined, vars: Record<string, unknown>): Record<string, unknown> {
  const groupNames = (state.inventory.hosts.get(name)?.groups ?? []).filter((g) => g !== 'all' && g !== 'ungrouped');
  // ansible_hostname, ansible_facts.os_family...: the same facts under Ansible's names.
  addAnsibleFactVars(vars, host?.hostFacts);
  // Ansible's `vars`: every variable of the host, so `has(vars.x)` asks "is x defined" of a
  // top-level variable. Not enumerable: it contains itself.
  Object.defineProperty(vars, 'vars', { value: vars, enumerable: false, configurable: true, writable: true });
  return Object.assign(vars, {
    inventory_hostname: name,
    inventory_hostname_short: name.split('.')[0],
    group_names: groupNames,
    groups: shared.groups,
    hostvars: shared.hostvars,
    play_hosts: shared.playBatch,
    ansible_play_hosts: shared.playHosts,
    ansible_play_hosts_all: shared.playHostsAll,
    ansible_play_batch: shared.playBatch,
    facts: host?.hostFacts ?? {},
    check_mode: state.options.check,
    ansible_check_mode: state.options.check,
    diff_mode: state.options.diff,
    playbook_dir: state.playbook.dir,
  });
}

/**
 * Replace template-valued entries by getters that render (once) against the same object.
 * @param data names whose values are data (what hosts returned): left exactly as they are
 */
export function lazilyRendered(vars: Record<string, unknown>, data: ReadonlySet<string> = new Set()): Record<string, unknown> {
  for (const [key, value] of Object.entries(vars)) {
    if (data.has(key) || !containsTemplate(value)) continue;
    let cached: { value: unknown } | undefined;
    let rendering = false;
    Object.defineProperty(vars, key, {
      enumerable: true,
      configurable: true,
      get() {
        if (cached) return cached.value;
        if (rendering) throw new Error(`variable '${key}' refers to itself`);
        rendering = true;
        try {
          cached = { value: renderValue(value, vars) };
        } finally {
          rendering = false;
        }
        return cached.value;
      },
    });
  }
  return vars;
}

function containsTemplate(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('{{');
  if (Array.isArray(value)) return value.some(containsTemplate);
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) return Object.values(value).some(containsTemplate);
  return false;
}
