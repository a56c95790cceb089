/**
 * The state of one systemd unit, from `systemctl show UNIT -p ...` parsed as key=value data
 * (never from `systemctl status`, whose human output changes between versions).
 */
import type { Fact } from '../types.js';
import { quote } from '../connection/quote.js';

/** Properties asked for; `systemctl show` prints them in its own order, one `Key=value` a line. */
export const UNIT_PROPERTIES = [
  'Id',
  'LoadState',
  'ActiveState',
  'SubState',
  'UnitFileState',
  'FragmentPath',
  'DropInPaths',
  'NeedDaemonReload',
  'Type',
  'MainPID',
  'Result',
] as const;

/** What systemd says about a unit. Empty strings are kept as systemd prints them. */
export interface SystemdUnitState {
  /** Full unit name (`etcd.service`). */
  id: string;
  /** loaded | not-found | masked | bad-setting | error */
  loadState: string;
  /** active | reloading | inactive | failed | activating | deactivating */
  activeState: string;
  /** running, dead, exited, start... */
  subState: string;
  /** enabled | disabled | static | masked | alias | indirect | generated | "" (not found) */
  unitFileState: string;
  fragmentPath: string;
  /** Drop-in files systemd has loaded for the unit. */
  dropInPaths: string[];
  /** The unit file changed on disk since the last daemon-reload. */
  needDaemonReload: boolean;
  /** Service type (simple, notify, oneshot...); "" for other unit kinds. */
  type: string;
  mainPid: number;
  /** Result of the last run: success, exit-code, timeout... */
  result: string;
}

/** `.service` is implied when the name has no unit suffix, as systemctl itself does. */
export function normalizeUnitName(name: string): string {
  return /\.(service|socket|target|timer|mount|path|slice|scope|device|swap|automount)$/.test(name) ? name : `${name}.service`;
}

/** `systemctl show` for one unit (argument: the unit name, suffix optional). */
export const systemdUnit: Fact<SystemdUnitState, string> = {
  name: 'systemd-unit',
  sudo: true,
  command(name) {
    return `systemctl show --no-pager ${quote(normalizeUnitName(name))} -p ${UNIT_PROPERTIES.join(',')}`;
  },
  parse(output, name) {
    if (output.exitCode !== 0) {
      throw new Error(`systemctl show ${normalizeUnitName(name)} failed (exit ${output.exitCode}): ${output.stderr.trim()}`);
    }
    return parseSystemctlShow(output.stdout);
  },
};

/** Parse `systemctl show -p ...` output (pure; exported for the fixture tests). */
export function parseSystemctlShow(stdout: string): SystemdUnitState {
  const props = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    // Values may contain '=' (ExecStart=...), so split on the first one only.
    if (eq > 0) props.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const get = (key: string): string => props.get(key) ?? '';
  if (!props.has('LoadState')) throw new Error(`systemctl show printed no LoadState: ${JSON.stringify(stdout.slice(0, 200))}`);
  return {
    id: get('Id'),
    loadState: get('LoadState'),
    activeState: get('ActiveState'),
    subState: get('SubState'),
    unitFileState: get('UnitFileState'),
    fragmentPath: get('FragmentPath'),
    dropInPaths: get('DropInPaths').split(' ').filter((p) => p.length > 0),
    needDaemonReload: get('NeedDaemonReload') === 'yes',
    type: get('Type'),
    mainPid: Number(get('MainPID') || '0'),
    result: get('Result'),
  };
}

/** The unit runs or is on its way (a Type=notify unit waiting for quorum is `activating`). */
export function isUnitRunning(state: SystemdUnitState): boolean {
  return state.activeState === 'active' || state.activeState === 'activating' || state.activeState === 'reloading';
}
