/**
 * systemd: manage a service unit: its unit file and drop-ins, whether it runs, starts at boot,
 * or is masked. A changed unit file or drop-in implies a daemon-reload and, when the unit is
 * (or will be) running, a restart; both appear in the plan, so check mode shows them.
 *
 * ```yaml
 * - systemd:
 *     name: quorum-etcd
 *     unit: "{{ etcd_unit }}"
 *     dropins: { 10-env.conf: "[Service]\nEnvironment=ETCD_NAME={{ inventory_hostname }}\n" }
 *     enabled: true
 *     state: started
 *     no_block: true   # etcd's Type=notify start waits for quorum: start every member, then poll
 * ```
 */
import type { FromSchema } from 'json-schema-to-ts';
import { systemdSchema } from '../schemas/modules/systemd.js';
import type { Change, Diff, ModuleDefinition, Plan } from '../runner/types.js';
import { isUnitRunning, normalizeUnitName, systemdUnit, type SystemdUnitState } from '../runner/facts/systemd-unit.js';
import { fileContent, type FileContent } from '../runner/facts/file-content.js';
import { quote } from '../runner/connection/quote.js';
import { mkdirNoFollow } from '../runner/connection/no-follow.js';
import { pathState, type PathState } from '../runner/facts/path-state.js';
import { systemdPendingReload } from '../runner/facts/systemd-pending-reload.js';

type SystemdParams = FromSchema<typeof systemdSchema>;

/** What gather read: the unit's state and the current content of the files we manage. */
export interface SystemdFacts {
  unit: SystemdUnitState;
  unitFile?: FileContent;
  dropins: Record<string, FileContent>;
  /**
   * The drop-in directory (`/etc/systemd/system/NAME.d`, not followed), read only when none of
   * the task's drop-ins was there: one that is there already says the directory is.
   */
  dropinDir?: PathState;
  /** Without a name: the loaded units that need a daemon-reload. */
  pendingReload?: string[];
}

/** Where unit files written by this module live (the administrator's layer, above /lib). */
export const UNIT_DIR = '/etc/systemd/system';

// Unit file states that already mean "starts at boot" or cannot be enabled at all.
const ENABLED_STATES = new Set(['enabled', 'enabled-runtime', 'static', 'alias', 'indirect', 'generated', 'transient']);

export const systemd: ModuleDefinition<SystemdParams, SystemdFacts> = {
  name: 'systemd',
  summary: 'Manage a systemd unit: unit file, drop-ins, started/stopped, enabled, masked.',
  schema: systemdSchema,
  // The drop-in directory's pathState, read ahead with the play's paths (a wrong guess, from a
  // templated name that renders with a suffix, costs one stat of that batch).
  inspectsPaths: (args) => (typeof args['name'] === 'string' && isNonEmpty(args['dropins']) ? [dropinDirOf(normalizeUnitName(args['name']))] : []),
  docs: {
    examples: [
      '- systemd: { name: kubelet, state: started, enabled: true }',
      '- systemd: { name: etcd, masked: true, state: stopped }',
      '- systemd:',
      '    name: quorum-etcd',
      '    unit: "[Unit]\\nDescription=etcd\\n[Service]\\nType=notify\\nExecStart=/usr/bin/etcd\\n"',
      '    dropins: { 10-env.conf: "[Service]\\nEnvironment=ETCD_NAME=infra0\\n" }',
      '    state: started',
      '    no_block: true',
      '',
    ].join('\n'),
    returns: {
      name: 'Full unit name (`etcd.service`).',
      status: 'systemd properties before the task: LoadState, ActiveState, SubState, UnitFileState, NeedDaemonReload.',
      files_changed: 'The unit file or a drop-in was (or in check mode would be) written by this task.',
      pending_reload: 'Without a name: the loaded units that needed a daemon-reload before the task.',
    },
    notes: [
      'A failed start or restart fails the task with the last 20 journal lines of the unit in the message.',
      'With no_block the start is only queued: follow it with a health check (etcd-health with retries/until).',
      'daemon_reload runs only when needed (a file changed here, or systemd reports NeedDaemonReload=yes), so it stays idempotent.',
      '`systemd: { daemon_reload: true }` without a name reloads when any loaded unit needs it (Ansible reloads every time).',
    ],
  },
  async gather(ctx, params) {
    if (params.name === undefined) return { unit: NO_UNIT, dropins: {}, pendingReload: await ctx.facts.get(systemdPendingReload, undefined) };
    const name = normalizeUnitName(params.name);
    const unit = await ctx.facts.get(systemdUnit, name);
    const unitFile = params.unit === undefined ? undefined : await ctx.facts.get(fileContent, `${UNIT_DIR}/${name}`);
    const dropins: Record<string, FileContent> = {};
    for (const file of Object.keys(params.dropins ?? {})) {
      dropins[file] = await ctx.facts.get(fileContent, `${dropinDirOf(name)}/${file}`);
    }
    // Whether the drop-in directory must be created, and from where: known without a read when
    // one of the drop-ins is there already (every re-run), else its path state (read ahead).
    const someThere = Object.values(dropins).some((d) => d.content !== undefined);
    const dropinDir = isNonEmpty(params.dropins) && !someThere ? await ctx.facts.get(pathState, { path: dropinDirOf(name) }) : undefined;
    return { unit, ...(unitFile ? { unitFile } : {}), dropins, ...(dropinDir ? { dropinDir } : {}) };
  },
  plan(params, facts) {
    return planSystemd(params, facts);
  },
};

/** The pure plan of the systemd module (exported for the plan tests). */
export function planSystemd(params: SystemdParams, facts: SystemdFacts): Plan {
  if (params.name === undefined) return planDaemonReload(params.daemon_reload === true ? facts.pendingReload ?? [] : []);
  const name = normalizeUnitName(params.name);
  const q = quote(name);
  const unit = facts.unit;
  const result: Record<string, unknown> = { name, status: pickStatus(unit), files_changed: false };
  const refusal = findRefusal(params, unit, name);
  if (refusal) return { changes: [], failed: refusal, result };

  const changes: Change[] = [];
  const diffs: Diff[] = [];
  if (params.masked === false && unit.unitFileState === 'masked') {
    changes.push(exec(`systemctl unmask ${q}`, `unmask ${name}`));
  }
  const filesChanged = planFiles(params, facts, name, changes, diffs);
  if (filesChanged || (params.daemon_reload === true && unit.needDaemonReload)) {
    changes.push(exec('systemctl daemon-reload', filesChanged ? `daemon-reload (unit files of ${name} changed)` : 'daemon-reload (systemd reports NeedDaemonReload)'));
  }
  if (params.masked === true) {
    if (isUnitRunning(unit)) changes.push(exec(`systemctl stop ${q}`, `stop ${name}`));
    if (unit.unitFileState !== 'masked') changes.push(exec(`systemctl mask ${q}`, `mask ${name}`));
    return finish(changes, diffs, result, name, unit);
  }
  if (params.enabled === true && !ENABLED_STATES.has(unit.unitFileState)) changes.push(exec(`systemctl enable ${q}`, `enable ${name}`));
  if (params.enabled === false && unit.unitFileState === 'enabled') changes.push(exec(`systemctl disable ${q}`, `disable ${name}`));
  // restart_on_change: false leaves a running unit's restart to the playbook (the registered
  // files_changed says one is due), e.g. to restart etcd members one at a time.
  const run = planRunState(params, isUnitRunning(unit), filesChanged && params.restart_on_change !== false, name);
  result.files_changed = filesChanged;
  if (run) changes.push(run);
  return finish(changes, diffs, result, name, unit);
}

/**
 * `daemon_reload: true` alone: reload when some loaded unit changed on disk. Ansible reloads
 * every time and reports ok; reloading only when due keeps a second run quiet and honest.
 */
function planDaemonReload(pending: string[]): Plan {
  const result = { pending_reload: pending };
  if (pending.length === 0) return { changes: [], noop: 'no loaded unit needs a daemon-reload', result };
  const shown = pending.length > 3 ? `${pending.slice(0, 3).join(', ')} and ${pending.length - 3} more` : pending.join(', ');
  return { changes: [exec('systemctl daemon-reload', `daemon-reload (changed on disk: ${shown})`)], result };
}

/** What gather says about the unit when the task names none (daemon_reload alone). */
const NO_UNIT: SystemdUnitState = { id: '', loadState: '', activeState: '', subState: '', unitFileState: '', fragmentPath: '', dropInPaths: [], needDaemonReload: false, type: '', mainPid: 0, result: '' };

/** States the module must refuse rather than plan around. */
function findRefusal(params: SystemdParams, unit: SystemdUnitState, name: string): string | undefined {
  const wantsUnit = params.state === 'started' || params.state === 'restarted' || params.state === 'reloaded' || params.enabled === true;
  if (unit.loadState === 'not-found' && params.unit === undefined && wantsUnit) {
    return `unit ${name} not found on the host (LoadState=not-found): install the package that provides it, or give its content with \`unit:\``;
  }
  if (params.masked === true && wantsUnit) return `${name}: masked: true contradicts state: ${params.state ?? ''}${params.enabled ? ' / enabled: true' : ''}; drop one of them`;
  // systemctl mask replaces /etc/systemd/system/NAME with a /dev/null link and refuses when a
  // real unit file sits there ("already exists"): say so before anything runs.
  if (params.masked === true && unit.unitFileState !== 'masked' && (params.unit !== undefined || unit.fragmentPath === `${UNIT_DIR}/${name}`)) {
    return `cannot mask ${name}: its unit file is ${UNIT_DIR}/${name}, where the mask link must go; remove that file (and \`unit:\`) first`;
  }
  if (params.masked !== false && unit.unitFileState === 'masked' && wantsUnit) {
    return `unit ${name} is masked: add \`masked: false\` to unmask it before starting or enabling it`;
  }
  return undefined;
}

/** Puts for the unit file and drop-ins that differ; returns whether any file changes. */
function planFiles(params: SystemdParams, facts: SystemdFacts, name: string, changes: Change[], diffs: Diff[]): boolean {
  let changed = false;
  const unitPath = `${UNIT_DIR}/${name}`;
  if (params.unit !== undefined && facts.unitFile?.content !== params.unit) {
    changes.push(put(unitPath, params.unit, `write unit file ${unitPath}`));
    diffs.push({ label: unitPath, before: facts.unitFile?.content ?? '', after: params.unit });
    changed = true;
  }
  const dir = dropinDirOf(name);
  const stale = Object.entries(params.dropins ?? {}).filter(([file, content]) => facts.dropins[file]?.content !== content);
  if (stale.length > 0 && isDropinDirMissing(facts)) {
    // Not `mkdir -p`: never through a link planted at NAME.d after gather (issue 13). Its parent
    // is the unit directory, there on every systemd host (a host without it fails here).
    changes.push(exec(mkdirNoFollow(UNIT_DIR, [`${name}.d`]), `create drop-in directory ${dir}`));
  }
  for (const [file, content] of stale) {
    changes.push(put(`${dir}/${file}`, content, `write drop-in ${dir}/${file}`));
    diffs.push({ label: `${dir}/${file}`, before: facts.dropins[file]?.content ?? '', after: content });
    changed = true;
  }
  return changed;
}

/** `/etc/systemd/system/NAME.d`, where this module writes the unit's drop-ins. */
function dropinDirOf(name: string): string {
  return `${UNIT_DIR}/${name}.d`;
}

/**
 * The drop-in directory was not there when gather read the host. A drop-in found in it says it
 * was; so does a directory, or a link (followed as named, as `mkdir -p` did). Anything else is
 * to be created: a file there makes that mkdir fail, as it made `mkdir -p` fail.
 */
function isDropinDirMissing(facts: SystemdFacts): boolean {
  if (Object.values(facts.dropins).some((d) => d.content !== undefined)) return false;
  return facts.dropinDir?.type !== 'directory' && facts.dropinDir?.type !== 'link';
}

function isNonEmpty(dropins: unknown): boolean {
  return typeof dropins === 'object' && dropins !== null && Object.keys(dropins).length > 0;
}

/** start / stop / restart / reload as the wanted state and the file changes ask. */
function planRunState(params: SystemdParams, running: boolean, filesChanged: boolean, name: string): Change | undefined {
  const noBlock = params.no_block ? ' --no-block' : '';
  switch (params.state) {
    case 'started':
      if (!running) return startLike('start', name, noBlock, `start ${name}`);
      return filesChanged ? startLike('restart', name, noBlock, `restart ${name} (unit files changed)`) : undefined;
    case 'stopped':
      return running ? exec(`systemctl stop${noBlock} ${quote(name)}`, `stop ${name}`) : undefined;
    case 'restarted':
      return startLike('restart', name, noBlock, running ? `restart ${name}` : `start ${name} (restarted: it was not running)`);
    case 'reloaded':
      if (!running) return startLike('start', name, noBlock, `start ${name} (reloaded: it was not running)`);
      return filesChanged ? startLike('restart', name, noBlock, `restart ${name} (unit files changed)`) : startLike('reload', name, noBlock, `reload ${name}`);
    default:
      return running && filesChanged ? startLike('restart', name, noBlock, `restart ${name} (unit files changed)`) : undefined;
  }
}

/**
 * A start-like command that, when it fails, prints the unit's last journal lines to stderr:
 * the applier puts stderr in the failure message, so the user sees why the unit died.
 */
function startLike(verb: 'start' | 'restart' | 'reload', name: string, noBlock: string, describe: string): Change {
  const q = quote(name);
  // The summary goes last: the applier keeps only the tail of stderr, so it must not be cut.
  const script = `systemctl ${verb}${noBlock} ${q} || { rc=$?; journalctl -u ${q} -n 20 --no-pager >&2; echo "${verb} ${name} failed (exit $rc); the lines above are the end of its journal" >&2; exit $rc; }`;
  return exec(script, describe);
}

function finish(changes: Change[], diffs: Diff[], result: Record<string, unknown>, name: string, unit: SystemdUnitState): Plan {
  if (changes.length === 0) {
    const files = unit.loadState === 'not-found' ? 'not installed' : `${unit.activeState} (${unit.subState}), ${unit.unitFileState || 'no unit file state'}`;
    return { changes, noop: `${name} is ${files}; unit files up to date`, result };
  }
  return { changes, diffs, result };
}

function pickStatus(unit: SystemdUnitState): Record<string, string> {
  return {
    LoadState: unit.loadState,
    ActiveState: unit.activeState,
    SubState: unit.subState,
    UnitFileState: unit.unitFileState,
    NeedDaemonReload: unit.needDaemonReload ? 'yes' : 'no',
  };
}

function exec(command: string | string[], describe: string): Change {
  return { kind: 'exec', command, describe };
}

function put(dest: string, content: string, describe: string): Change {
  return { kind: 'put', dest, content: Buffer.from(content), describe, mode: '0644' };
}
