/** Serial numbers and validity windows as kubeadm computes them (spec/kubeadm-etcd.md 1.3). */
import { randomBytes } from 'node:crypto';

/** kubeadm's CertificateBackdate: NotBefore is 5 minutes before the start time. */
export const BACKDATE_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_SERIAL = (1n << 63n) - 2n;

/**
 * A random serial uniform in [1, 2^63 - 2] (Go: rand.Int(MaxInt64 - 1) + 1): positive and at
 * most 63 bits, so its DER INTEGER never needs a sign byte.
 */
export function generateSerial(): bigint {
  for (;;) {
    const draw = randomBytes(8).readBigUInt64BE() >> 1n; // 63 random bits
    // Rejection sampling keeps the draw uniform below MAX_SERIAL.
    if (draw < MAX_SERIAL) return draw + 1n;
  }
}

/** Minimal hex for a positive serial, as node-forge's `serialNumber` wants it (even length). */
export function formatSerialHex(serial: bigint): string {
  if (serial <= 0n) throw new Error(`serial must be positive, got ${serial}`);
  const hex = serial.toString(16);
  const even = hex.length % 2 ? `0${hex}` : hex;
  // A leading byte >= 0x80 would read as negative; a 0x00 prefix keeps DER minimal and positive.
  return parseInt(even.slice(0, 2), 16) >= 0x80 ? `00${even}` : even;
}

/** NotBefore = start - 5 min, NotAfter = start + days (CA and leaves alike, kubeadm >= 1.31). */
export function computeValidity(start: Date, days: number): { notBefore: Date; notAfter: Date } {
  // X.509 times have whole seconds: truncating here keeps the in-memory cert equal to its DER.
  const t = Math.floor(start.getTime() / 1000) * 1000;
  return { notBefore: new Date(t - BACKDATE_MS), notAfter: new Date(t + days * DAY_MS) };
}
