// The facts the pure builder needs about a kubernetes.io/tls Secret, computed with node:crypto.
// Reasons are fixed sentences: OpenSSL error text can quote its input, and the input here is a
// private key, so no library message is ever passed through.

import { X509Certificate, createHash, createPrivateKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { CertificateInspection } from '../../core/snapshot.ts';
import { pemBlocks } from './pem-blocks.ts';

type Failure = Extract<CertificateInspection, { ok: false }>;

function invalid(reason: string): Failure {
  return { ok: false, code: 'TLSSecretInvalid', reason };
}

/**
 * Parses tls.crt (leaf first, then any chain) and tls.key, checks that the key belongs to the
 * leaf, and describes the leaf. Deterministic: same PEM in, same answer out.
 *
 * The builder calls this for every TLS Secret on every rebuild, so answers are remembered by a
 * hash of the pair (bounded, least recently used first out): with 1,000 Secrets a rotation
 * re-inspects one pair instead of 1,000. Only the hash and the answer are kept, never PEM text.
 */
export function inspectCertificate(certPem: string, keyPem: string): CertificateInspection {
  const key = createHash('sha256').update(certPem).update('\0').update(keyPem).digest('base64');
  let answer = remembered.get(key);
  if (answer === undefined) {
    answer = inspectPemPair(certPem, keyPem);
    if (remembered.size >= REMEMBER_LIMIT) remembered.delete(remembered.keys().next().value!);
  } else {
    remembered.delete(key); // re-inserted below as the most recent
  }
  remembered.set(key, answer);
  // A copy: callers own what they get and may not change what is remembered.
  return answer.ok ? { ...answer, dnsNames: [...answer.dnsNames] } : { ...answer };
}

const REMEMBER_LIMIT = 8192;
const remembered = new Map<string, CertificateInspection>();

/** The uncached inspection. */
export function inspectPemPair(certPem: string, keyPem: string): CertificateInspection {
  if (certPem.trim() === '') return { ok: false, code: 'TLSSecretMissingData', reason: 'tls.crt is empty' };
  if (keyPem.trim() === '') return { ok: false, code: 'TLSSecretMissingData', reason: 'tls.key is empty' };

  const certBlocks = pemBlocks(certPem).filter((b) => b.label === 'CERTIFICATE');
  if (certBlocks.length === 0) return invalid('certificate PEM does not parse');
  const chain: X509Certificate[] = [];
  for (const [i, block] of certBlocks.entries()) {
    try {
      chain.push(new X509Certificate(block.text));
    } catch {
      return invalid(i === 0 ? 'certificate PEM does not parse' : `chain certificate ${i + 1} does not parse`);
    }
  }
  const leaf = chain[0]!;

  if (pemBlocks(keyPem).some((b) => b.label === 'ENCRYPTED PRIVATE KEY') || keyPem.includes('Proc-Type: 4,ENCRYPTED')) {
    return invalid('private key is encrypted (a kubernetes.io/tls Secret needs an unencrypted key)');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: keyPem, format: 'pem' });
  } catch {
    return invalid('private key does not parse');
  }
  let matches = false;
  try {
    matches = leaf.checkPrivateKey(key);
  } catch {
    matches = false;
  }
  if (!matches) return invalid('key does not match certificate');

  return {
    ok: true,
    fingerprint: createHash('sha256').update(leaf.raw).digest('hex'),
    keyType: key.asymmetricKeyType ?? 'unknown',
    notBefore: leaf.validFromDate.toISOString(),
    notAfter: leaf.validToDate.toISOString(),
    dnsNames: certificateDnsNames(leaf),
  };
}

/** SAN dNSNames, lower-case, de-duplicated, in certificate order; the subject CN when there are none. */
export function certificateDnsNames(cert: X509Certificate): string[] {
  const san = cert.subjectAltName;
  const names: string[] = [];
  if (san !== undefined) {
    for (const entry of splitNameList(san)) {
      if (entry.type === 'DNS') names.push(entry.value.toLowerCase());
    }
  } else {
    for (const line of cert.subject.split('\n')) {
      if (line.startsWith('CN=')) {
        names.push(unquote(line.slice(3)).toLowerCase());
        break;
      }
    }
  }
  return [...new Set(names.filter(isDnsNameLike))];
}

/**
 * Node renders general names as 'DNS:a, DNS:b, IP Address:1.2.3.4', JSON-quoting any value that
 * holds a separator or quote (DNS:"a, b"). A small scanner honours that quoting.
 */
function splitNameList(list: string): { type: string; value: string }[] {
  const out: { type: string; value: string }[] = [];
  let i = 0;
  while (i < list.length) {
    const colon = list.indexOf(':', i);
    if (colon === -1) break;
    const type = list.slice(i, colon);
    let value: string;
    let next: number;
    if (list[colon + 1] === '"') {
      let j = colon + 2;
      while (j < list.length && list[j] !== '"') j += list[j] === '\\' ? 2 : 1;
      value = unquote(list.slice(colon + 1, j + 1));
      next = list.indexOf(', ', j + 1);
    } else {
      next = list.indexOf(', ', colon + 1);
      value = list.slice(colon + 1, next === -1 ? list.length : next);
    }
    out.push({ type, value });
    if (next === -1) break;
    i = next + 2;
  }
  return out;
}

function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'string' ? parsed : '';
  } catch {
    return '';
  }
}

/** Names that could ever match an Ingress host: letters, digits, '-', '.', a leading '*.'. */
function isDnsNameLike(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const body = name.startsWith('*.') ? name.slice(2) : name;
  if (body.length === 0) return false;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    const ok = (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95;
    if (!ok) return false;
  }
  return true;
}
