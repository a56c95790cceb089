/**
 * Ansible's `serial`: a number, a percentage of the play's hosts, or a list of them, the last
 * size repeating until every host has had its turn. No serial: one batch of every host.
 */
export function batchesOf<T>(hosts: T[], serial: Array<number | string> | undefined): T[][] {
  if (!serial || serial.length === 0 || hosts.length === 0) return [hosts];
  const sizes = serial.map((s) => sizeOf(s, hosts.length));
  const batches: T[][] = [];
  let start = 0;
  for (let i = 0; start < hosts.length; i++) {
    const size = sizes[Math.min(i, sizes.length - 1)]!;
    batches.push(hosts.slice(start, start + size));
    start += size;
  }
  return batches;
}

function sizeOf(value: number | string, total: number): number {
  if (typeof value === 'number') return Math.max(1, Math.floor(value));
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(value.trim());
  if (pct) return Math.max(1, Math.floor((Number(pct[1]) / 100) * total));
  return Math.max(1, Math.floor(Number(value)) || 1);
}
