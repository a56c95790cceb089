/**
 * Plan the changes for one host's PKI files: CA files, leaves to (re)issue, attributes to fix.
 * Pure: key generation and CA creation are lazy thunks that only the applier calls.
 */
import type { Change, Diff } from '../types.js';
import { Secret } from '../secret.js';
import type { CaMaterial, IssuedCert } from './issue.js';
import { issueLeaf, resolveKeyAlgorithm } from './issue.js';
import type { CertSummary } from './inspect.js';
import type { HostFile } from './host-facts.js';
import { findReissueReasons, findExpiryReasons, type WantedLeaf } from './check.js';
import { formatAltNames } from './sans.js';
import { chmodNoFollow, chownNoFollow } from '../connection/no-follow.js';
import { CA_COMMON_NAME } from './profiles.js';

/** What every file plan needs to know. */
export interface FilePlanInputs {
  pkiDir: string;
  owner: string;
  group: string;
  now: number;
  renewBeforeDays: number;
  /** The CA as gathered (undefined: it will be created at apply). */
  ca?: CertSummary & { pem: string };
  /** Loads or creates the CA at apply time (ensureCa); never called by the plan. */
  getCa: () => Promise<CaMaterial>;
}

/** The plan for one file group: changes, diffs, and its entry in the registered result. */
export interface FilePlan {
  changes: Change[];
  diffs: Diff[];
  result: Record<string, unknown>;
  /** Why nothing needs doing, when `changes` is empty. */
  kept?: string;
  /** The file must not be touched and the task fails: why. */
  failure?: string;
}

/** Plan one leaf: keep (maybe fixing attributes) or reissue key and cert, saying why. */
export function planLeaf(want: WantedLeaf, certFile: HostFile | undefined, keyFile: HostFile | undefined, io: FilePlanInputs): FilePlan {
  const reasons = findReissueReasons(want, { cert: certFile?.cert, key: keyFile?.key }, io.now, io.renewBeforeDays);
  const existing = certFile?.cert && !('error' in certFile.cert) ? certFile.cert : undefined;
  if (reasons.length === 0 && existing) {
    const changes = [...planAttributes(want.keyPath, keyFile!, '0600', io), ...planAttributes(want.certPath, certFile!, '0644', io)];
    return {
      changes,
      diffs: changes.length ? [describeAttributeDiff(want.certPath, certFile!, keyFile!, io)] : [],
      result: { path: join(io.pkiDir, want.certPath), serial: existing.serial, sans: listSans(existing), not_after: existing.notAfter, issued: false },
      kept: `${want.certPath} is current (until ${existing.notAfter.slice(0, 10)})`,
    };
  }
  const entry: Record<string, unknown> = { path: join(io.pkiDir, want.certPath), serial: null, sans: listSans(want.spec), not_after: null, issued: true, reasons };
  let issued: Promise<IssuedCert> | undefined;
  // Key and cert come from one issuance; the first thunk called (the key's) starts it.
  const issueOnce = () => (issued ??= io.getCa().then((ca) => issueLeaf(ca, want.spec)).then((cert) => recordIssued(entry, cert)));
  const verb = certFile ? 'reissue' : 'issue';
  return {
    changes: [
      { kind: 'put', dest: join(io.pkiDir, want.keyPath), describe: `${verb} ${want.keyPath}: new ${describeNewKey(want)}`, content: async () => (await issueOnce()).keyPem, mode: '0600', owner: io.owner, group: io.group },
      { kind: 'put', dest: join(io.pkiDir, want.certPath), describe: `${verb} ${want.certPath}: ${reasons.join('; ')}`, content: async () => Buffer.from((await issueOnce()).certPem), mode: '0644', owner: io.owner, group: io.group },
    ],
    diffs: [{ label: join(io.pkiDir, want.certPath), before: existing ? formatCert(existing) : '(absent)', after: formatWanted(want, io.ca?.subjectCN ?? CA_COMMON_NAME) }],
    result: entry,
  };
}

/** Plan etcd/ca.crt (and etcd/ca.key when asked) on the host: the controller's CA. */
export function planCaFiles(crtFile: HostFile | undefined, keyFile: HostFile | undefined, copyKey: boolean, io: FilePlanInputs): FilePlan {
  const plan: FilePlan = { changes: [], diffs: [], result: { path: join(io.pkiDir, 'etcd/ca.crt'), key_copied: copyKey } };
  const have = crtFile?.cert && !('error' in crtFile.cert) ? crtFile.cert : undefined;
  if (io.ca && have?.fingerprint === io.ca.fingerprint) plan.changes.push(...planAttributes('etcd/ca.crt', crtFile!, '0644', io));
  else if (have && have.isCa) {
    // Every member and client of the cluster trusts this CA: replacing it would lock them out.
    const controller = io.ca ? `the controller's CA is sha256:${io.ca.fingerprint}` : 'the controller holds no CA';
    plan.failure = `${join(io.pkiDir, 'etcd/ca.crt')} is another CA (sha256:${have.fingerprint}, CN=${have.subjectCN}) and ${controller}: quorum never replaces a CA that hosts trust. Put this cluster's CA in the CA directory (or move a wrong one away: it is then adopted from the host holding etcd/ca.key)`;
    return plan;
  } else {
    const pem = io.ca?.pem;
    plan.changes.push({ kind: 'put', dest: join(io.pkiDir, 'etcd/ca.crt'), describe: `put etcd/ca.crt: ${have ? 'a different CA is there' : 'missing'}`, content: pem ? Buffer.from(pem) : async () => Buffer.from((await io.getCa()).certPem), mode: '0644', owner: io.owner, group: io.group });
    plan.diffs.push({ label: join(io.pkiDir, 'etcd/ca.crt'), before: have ? formatCert(have) : '(absent)', after: io.ca ? formatCert(io.ca) : `subject: CN=${CA_COMMON_NAME}\n(new CA, created at apply)` });
  }
  if (copyKey) {
    const key = keyFile?.key && !('error' in keyFile.key) ? keyFile.key : undefined;
    if (io.ca && key?.publicKeyId === io.ca.publicKeyId) plan.changes.push(...planAttributes('etcd/ca.key', keyFile!, '0600', io));
    else {
      plan.changes.push({ kind: 'put', dest: join(io.pkiDir, 'etcd/ca.key'), describe: `put etcd/ca.key (copy_ca_key): ${keyFile ? 'not the key of this CA' : 'missing'}`, content: async () => (await io.getCa()).keyPem as Secret, mode: '0600', owner: io.owner, group: io.group });
      plan.diffs.push({ label: join(io.pkiDir, 'etcd/ca.key'), before: '', after: '', secret: true });
    }
  }
  if (have && io.ca && have.fingerprint === io.ca.fingerprint) plan.result.expires_soon = findExpiryReasons(have.notAfter, io.now, io.renewBeforeDays)[0] ?? false;
  if (plan.changes.length === 0) plan.kept = copyKey ? 'etcd/ca.crt and etcd/ca.key are this CA' : 'etcd/ca.crt is this CA';
  return plan;
}

/** chmod/chown for a kept file whose attributes differ; content stays untouched. */
export function planAttributes(path: string, file: HostFile, mode: string, io: FilePlanInputs): Change[] {
  const dest = join(io.pkiDir, path);
  const changes: Change[] = [];
  if (file.mode !== mode) changes.push({ kind: 'exec', command: chmodNoFollow(mode, dest), describe: `chmod ${mode} ${path} (was ${file.mode})` });
  if (file.owner !== io.owner || file.group !== io.group) {
    changes.push({ kind: 'exec', command: chownNoFollow(`${io.owner}:${io.group}`, dest), describe: `chown ${io.owner}:${io.group} ${path} (was ${file.owner}:${file.group})` });
  }
  return changes;
}

function describeAttributeDiff(certPath: string, cert: HostFile, key: HostFile, io: FilePlanInputs): Diff {
  const show = (f: HostFile) => `${f.mode} ${f.owner}:${f.group}`;
  return {
    label: `attributes of ${join(io.pkiDir, certPath.replace(/\.crt$/, ''))}.{crt,key}`,
    before: `crt ${show(cert)}\nkey ${show(key)}`,
    after: `crt 0644 ${io.owner}:${io.group}\nkey 0600 ${io.owner}:${io.group}`,
  };
}

/** `2048-bit RSA key` or `ECDSA-P256 key`. */
function describeNewKey(want: WantedLeaf): string {
  const algorithm = resolveKeyAlgorithm(want.spec);
  return algorithm.startsWith('RSA-') ? `${algorithm.slice(4)}-bit RSA key` : `${algorithm} key`;
}

function recordIssued(entry: Record<string, unknown>, cert: IssuedCert): IssuedCert {
  // The registered result is built after apply, so the real serial and expiry show up there.
  entry.serial = cert.serial.toString(10);
  entry.not_after = cert.notAfter.toISOString();
  return cert;
}

/** Certificate fields for --diff: subject, issuer, SANs, EKU, validity (no key material). */
export function formatCert(c: CertSummary): string {
  return [
    `subject: ${c.subjectO ? `O=${c.subjectO}, ` : ''}CN=${c.subjectCN}`,
    `issuer: CN=${c.issuerCN}`,
    `SANs: ${formatAltNames(c.sans)}`,
    `EKU: ${c.ekus.join(', ') || '(none)'}`,
    `validity: ${c.notBefore} .. ${c.notAfter}`,
  ].join('\n');
}

function formatWanted(w: WantedLeaf, issuerCN: string): string {
  return [
    `subject: CN=${w.spec.commonName}`,
    `issuer: CN=${issuerCN}`,
    `SANs: ${formatAltNames(w.spec.sans)}`,
    `EKU: ${w.spec.ekus.join(', ')}`,
    `validity: apply time - 5m .. apply time + ${w.spec.validityDays}d`,
  ].join('\n');
}

function listSans(c: { sans: { dns: string[]; ip: string[] } }): string[] {
  return [...c.sans.dns.map((d) => `DNS:${d}`), ...c.sans.ip.map((i) => `IP:${i}`)];
}

function join(dir: string, rel: string): string {
  return `${dir.replace(/\/+$/, '')}/${rel}`;
}
