/**
 * The local commands running now, so a second Ctrl-C can end them (issue 13 item 11).
 * LocalConnection starts each command in a process group of its own (detached), so a terminal's
 * Ctrl-C, which reaches only quorum's group, does not cut a command in the middle of a change;
 * the price is that quorum must kill those groups itself when it quits at once.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Process group ids of the local commands not yet exited. */
const groups = new Set<number>();

/** Remember a command's process group until the returned function is called (when it exits). */
export function trackProcessGroup(pgid: number): () => void {
  groups.add(pgid);
  return () => groups.delete(pgid);
}

/** What {@link killProcessGroups} killed: every process of the groups, found in /proc where it can. */
export interface Killed {
  pids: number[];
}

/**
 * SIGKILL every tracked process group: the command, its children and what they started in the
 * background (anything that left the group with setsid is out of reach, as with a terminal's
 * Ctrl-C). The group's members are listed first, for the message.
 */
export function killProcessGroups(): Killed {
  const members = listMembers(groups);
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // The group ended on its own in between.
    }
  }
  groups.clear();
  return { pids: members };
}

/** pids whose process group is one of `wanted` (Linux /proc; elsewhere the group leaders). */
function listMembers(wanted: ReadonlySet<number>): number[] {
  if (wanted.size === 0) return [];
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [...wanted];
  }
  const pids: number[] = [];
  for (const e of entries) {
    try {
      // Fields after the command name in parentheses (which may hold spaces): state ppid pgrp.
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z' && wanted.has(Number(fields[2]))) pids.push(Number(e));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids.sort((a, b) => a - b);
}
