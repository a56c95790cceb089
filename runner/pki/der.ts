/**
 * The few DER operations node-forge cannot do for us: forge encodes only RSA public keys and
 * writes NULL parameters for every signature algorithm, so an ECDSA key or an ECDSA-signed
 * certificate is finished here, on bytes: forge builds the TBSCertificate, then its signature
 * algorithm, issuer and SubjectPublicKeyInfo are replaced by exact encodings (an AlgorithmIdentifier
 * without parameters for ECDSA as RFC 5758 wants, the CA's subject byte for byte, the key's SPKI
 * from node:crypto), and the signed certificate is assembled.
 */

/** One DER element: where its header and content start and where it ends. */
interface Tlv {
  tag: number;
  start: number;
  contentStart: number;
  end: number;
}

function readTlv(der: Buffer, at: number): Tlv {
  const tag = der[at]!;
  if ((tag & 0x1f) === 0x1f) throw new Error('DER: multi-byte tags are not used in certificates');
  let len = der[at + 1]!;
  let contentStart = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('DER: bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[at + 2 + i]!;
    contentStart += n;
  }
  const end = contentStart + len;
  if (end > der.length) throw new Error('DER: element runs past the end');
  return { tag, start: at, contentStart, end };
}

function childrenOf(der: Buffer, parent: Tlv): Tlv[] {
  const kids: Tlv[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const kid = readTlv(der, at);
    kids.push(kid);
    at = kid.end;
  }
  return kids;
}

/** A DER element from its tag and content (definite length, short or long form). */
export function encodeTlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  let header: number[];
  if (n < 0x80) header = [tag, n];
  else {
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
    header = [tag, 0x80 | bytes.length, ...bytes];
  }
  return Buffer.concat([Buffer.from(header), content]);
}

/** An OBJECT IDENTIFIER's DER. */
export function encodeOid(oid: string): Buffer {
  const arcs = oid.split('.').map(Number);
  const out: number[] = [arcs[0]! * 40 + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return encodeTlv(0x06, Buffer.from(out));
}

/** AlgorithmIdentifier: RSA signatures carry NULL parameters, ECDSA signatures none (RFC 5758). */
export function algorithmIdentifier(oid: string, nullParameters: boolean): Buffer {
  return encodeTlv(0x30, Buffer.concat([encodeOid(oid), ...(nullParameters ? [Buffer.from([0x05, 0x00])] : [])]));
}

/** Indexes of the TBSCertificate fields, after the optional [0] version. */
function tbsFields(der: Buffer): { top: Tlv; kids: Tlv[]; at: (field: 'signature' | 'issuer' | 'validity' | 'subject' | 'spki') => number } {
  const top = readTlv(der, 0);
  const kids = childrenOf(der, top);
  const offset = kids[0]?.tag === 0xa0 ? 1 : 0;
  const index = { signature: 1, issuer: 2, validity: 3, subject: 4, spki: 5 };
  return { top, kids, at: (field) => offset + index[field] };
}

/** A TBSCertificate with some of its fields replaced by the given encodings. */
export function spliceTbs(tbs: Buffer, replace: { signature?: Buffer; issuer?: Buffer; spki?: Buffer }): Buffer {
  const { kids, at } = tbsFields(tbs);
  const parts = kids.map((k) => tbs.subarray(k.start, k.end));
  if (replace.signature) parts[at('signature')] = replace.signature;
  if (replace.issuer) parts[at('issuer')] = replace.issuer;
  if (replace.spki) parts[at('spki')] = replace.spki;
  return encodeTlv(0x30, Buffer.concat(parts));
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }. */
export function assembleCertificate(tbs: Buffer, signatureAlgorithm: Buffer, signature: Buffer): Buffer {
  return encodeTlv(0x30, Buffer.concat([tbs, signatureAlgorithm, encodeTlv(0x03, Buffer.concat([Buffer.from([0]), signature]))]));
}

/** The subject Name of a certificate (DER), byte for byte: what a leaf it signs names as issuer. */
export function readSubjectDer(certDer: Buffer): Buffer {
  const cert = readTlv(certDer, 0);
  const tbs = childrenOf(certDer, cert)[0]!;
  const tbsDer = certDer.subarray(tbs.start, tbs.end);
  const { kids, at } = tbsFields(tbsDer);
  const subject = kids[at('subject')]!;
  return Buffer.from(tbsDer.subarray(subject.start, subject.end));
}

/** PEM of a DER certificate, 64 characters a line and \n, as Go's pem.Encode writes it. */
export function certificateToPem(der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}
