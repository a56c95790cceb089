/**
 * One lab per machine: the bridge, the host names and the addresses are machine-wide, so a
 * second checkout (a CI clone next to a developer's tree) must not boot over, or tear down,
 * a lab that another checkout owns. The owner is recorded under /run (gone after a reboot,
 * like the lab itself).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LAB_ID, labPaths } from './paths.js';
import { isHostProcess, readLabState } from './state.js';

/** One owner per lab id: labs with different ids share nothing but the root filesystem. */
const OWNER_FILE = LAB_ID === 0 ? '/run/quorum-lab/owner' : `/run/quorum-lab/owner-${LAB_ID}`;

/** The project root that owns the running lab, if another one does and its lab still exists. */
export async function findOtherOwner(projectRoot: string): Promise<string | undefined> {
  const owner = (await readFile(OWNER_FILE, 'utf8').catch(() => '')).trim();
  if (owner === '' || owner === projectRoot) return undefined;
  // An owner whose state file is gone has already taken its lab down (or lost it): not a claim.
  if (!existsSync(labPaths(owner).state)) return undefined;
  // Neither is one whose hosts are all gone (ended with the session that started them, or the
  // machine rebooted): its state file outlived the lab, and the next `up` clears what is left.
  return (await ownerHasLiveHosts(owner)) ? owner : undefined;
}

async function ownerHasLiveHosts(owner: string): Promise<boolean> {
  const state = await readLabState(labPaths(owner)).catch(() => undefined);
  if (!state) return false;
  for (const host of state.hosts) if (await isHostProcess(host.pid, host.name)) return true;
  return false;
}

/** Throw when another checkout owns the machine's lab. */
export async function assertNoOtherOwner(projectRoot: string, action: string): Promise<void> {
  const other = await findOtherOwner(projectRoot);
  if (other) {
    throw new Error(`lab: cannot ${action}: the lab on this machine belongs to ${other} (bridge, host names and addresses are machine-wide); run \`lab down\` there first`);
  }
}

/** Record this checkout as the lab's owner. */
export async function claimLab(projectRoot: string): Promise<void> {
  await mkdir(join(OWNER_FILE, '..'), { recursive: true });
  await writeFile(OWNER_FILE, `${projectRoot}\n`);
}

/** Forget the owner (after `lab down`). */
export async function releaseLab(projectRoot: string): Promise<void> {
  const owner = (await readFile(OWNER_FILE, 'utf8').catch(() => '')).trim();
  if (owner === projectRoot || owner === '') await rm(OWNER_FILE, { force: true });
}
