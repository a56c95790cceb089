/**
 * The thin lab's addressing and start script (runner/lab/paths.ts, runner/lab/thin.ts), without
 * root: a /22 per lab id that holds 1000 hosts and never touches a full lab's /24, and a script
 * that is valid sh. The hosts themselves are tested in test/lab/thin-lab.test.ts.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { FULL_NETWORK, LAB_ID, THIN_NETWORK, hostAddress } from '../../runner/lab/paths.js';
import { thinHostScript } from '../../runner/lab/thin.js';

const toInt = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);

test('full labs keep their addresses: 10.213.ID.(10+i)/24', (t) => {
  t.is(FULL_NETWORK.hostAddress(0), `10.213.${LAB_ID}.10`);
  t.is(FULL_NETWORK.hostAddress(0), hostAddress(0));
  t.is(FULL_NETWORK.prefixLength, 24);
});

test('a thin lab holds 1000 hosts in its own /22 of 10.214.0.0/14, bridge first, no network or broadcast address', (t) => {
  const bridge = toInt(THIN_NETWORK.bridgeAddress);
  const network = bridge - 1;
  t.is(network % 1024, 0, 'the bridge is the first address of a /22');
  t.is(THIN_NETWORK.prefixLength, 22);
  t.is(THIN_NETWORK.bridgeAddress.split('.')[1], String(214 + (LAB_ID >> 6)));
  const all = Array.from({ length: THIN_NETWORK.maxHosts }, (_, i) => toInt(THIN_NETWORK.hostAddress(i)));
  t.is(new Set(all).size, all.length);
  t.true(all.every((a) => a > bridge && a < network + 1023), 'inside the /22, never its broadcast address');
  t.true(all.every((a) => a >>> 16 !== ((10 << 8) | 213)), 'never in 10.213/16, the full labs\' range');
  t.is(THIN_NETWORK.hostAddress(299), `10.${214 + (LAB_ID >> 6)}.${(LAB_ID & 63) * 4 + 1}.${(10 + 299) & 255}`);
});

test('the thin host start script is valid sh, writes outside the image only, and ends by becoming sshd under SCHED_BATCH', (t) => {
  const script = thinHostScript();
  t.notThrows(() => execFileSync('sh', ['-n', '-c', script]));
  t.regex(script, /mount -t overlay overlay -o "lowerdir=\$image,upperdir=\$base\/upper/);
  t.regex(script, /\nexec chrt --batch 0 chroot "\$r" \/usr\/sbin\/sshd -D -e -f \/etc\/ssh\/sshd_config\.quorum-thin$/);
  // Every write goes below the private tmpfs ($base) or the overlay ($r), never to $image.
  t.notRegex(script, /> *"\$image|mkdir[^\n]*\$image/);
});
