/**
 * `quorum inventory -i SRC --list | --host NAME`: the inventory as quorum loaded it, in the JSON
 * `ansible-inventory` prints, so the two can be diffed (docs/from-ansible.md). Problems exit 5
 * with file:line:col, as a run would; warnings go to stderr.
 */
import { ConfigError, RunnerError, formatLocation } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { loadInventorySources } from '../inventory/load.js';
import { isVaulted, vaultPasswordOf } from '../inventory/vault.js';
import { ansibleHost, ansibleList, toAnsibleJson } from '../inventory/ansible-list.js';

export interface InventoryCliOptions {
  inventory: string[];
  list: boolean;
  host?: string;
  playbookDir?: string;
  origins: boolean;
  vaultPasswordFile?: string;
}

export function inventoryCommand(cli: InventoryCliOptions): number {
  if (cli.list === (cli.host !== undefined)) {
    process.stderr.write('error: give exactly one of --list and --host NAME\n');
    return EXIT.invalidInput;
  }
  if (cli.inventory.length === 0) {
    process.stderr.write('error: give the inventory with -i SOURCE (repeatable)\n');
    return EXIT.invalidInput;
  }
  try {
    const vaultPassword = cli.vaultPasswordFile ? vaultPasswordOf(cli.vaultPasswordFile) : undefined;
    const inventory = loadInventorySources(cli.inventory, {
      ...(cli.playbookDir ? { playbookDir: cli.playbookDir } : {}),
      ...(vaultPassword !== undefined ? { vaultPassword } : {}),
    });
    for (const warning of inventory.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
    if (cli.list) {
      process.stdout.write(`${toAnsibleJson(ansibleList(inventory))}\n`);
      return EXIT.ok;
    }
    const vars = ansibleHost(inventory, cli.host!);
    if (!vars) {
      process.stderr.write(`error: no host '${cli.host}' in the inventory\n`);
      return EXIT.invalidInput;
    }
    process.stdout.write(`${toAnsibleJson(vars)}\n`);
    if (cli.origins) {
      const host = inventory.hosts.get(cli.host!) ?? inventory.implicitLocalhost!;
      for (const key of Object.keys(vars).sort()) process.stderr.write(`${key}  ${formatLocation(host.origins?.[key])}${isVaulted(host.origins?.[key]) ? '  (vault)' : ''}\n`);
    }
    return EXIT.ok;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.problems.length} problem${err.problems.length === 1 ? '' : 's'} found in the inventory:\n${err.message}\n`);
      return EXIT.invalidInput;
    }
    if (err instanceof RunnerError) {
      process.stderr.write(`error: ${err.message}\n`);
      return EXIT.invalidInput;
    }
    throw err;
  }
}
