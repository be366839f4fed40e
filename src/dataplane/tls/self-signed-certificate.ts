// The fallback default certificate, made in memory at start when no --default-tls-secret is given.
//
// Node generates keys and signs, but cannot build an X.509 structure. Rather than a dependency
// (@peculiar/x509 needs a process-wide Reflect polyfill and ~20 packages; node-forge signs with
// its own JavaScript RSA and cannot do ECDSA certificates), the fixed-shape TBSCertificate is
// encoded by der.ts and signed by node:crypto. Its names are in the reserved `.invalid` TLD, so
// it can never be mistaken for a certificate of a tenant's host.

import { X509Certificate, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  bitString,
  boolean,
  explicit,
  implicitPrimitive,
  nullValue,
  objectIdentifier,
  octetString,
  sequence,
  set,
  smallInteger,
  unsignedInteger,
  utf8String,
  x509Time,
} from './der.ts';

export type SelfSignedKeyType = 'ec' | 'rsa';

export interface SelfSignedOptions {
  keyType?: SelfSignedKeyType; // default 'ec' (P-256): fast to make, accepted everywhere
  commonName?: string;
  dnsName?: string;
  days?: number; // default 397, the longest validity browsers accept for a server certificate
  now?: Date;
}

export interface SelfSignedCertificate {
  certPem: string;
  keyPem: string;
}

export const DEFAULT_SELF_SIGNED_NAME = 'gatehouse-default.invalid';

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};

export function generateSelfSignedCertificate(options: SelfSignedOptions = {}): SelfSignedCertificate {
  const keyType = options.keyType ?? 'ec';
  const { privateKey, publicKey } =
    keyType === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - 3_600_000); // an hour of slack for clients' clock skew
  const notAfter = new Date(now.getTime() + (options.days ?? 397) * 86_400_000);
  const dnsName = options.dnsName ?? DEFAULT_SELF_SIGNED_NAME;
  const name = sequence(
    set(sequence(objectIdentifier(OID.organization), utf8String('Gatehouse'))),
    set(sequence(objectIdentifier(OID.commonName), utf8String(options.commonName ?? 'Gatehouse default certificate'))),
  );
  const algorithm =
    keyType === 'ec' ? sequence(objectIdentifier(OID.ecdsaWithSha256)) : sequence(objectIdentifier(OID.sha256WithRsa), nullValue());
  // keyUsage bits: digitalSignature (bit 0), plus keyEncipherment (bit 2) for RSA key exchange.
  const keyUsage = keyType === 'ec' ? bitString(Buffer.from([0x80]), 7) : bitString(Buffer.from([0xa0]), 5);
  const extensions = sequence(
    extension(OID.basicConstraints, true, sequence()),
    extension(OID.keyUsage, true, keyUsage),
    extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth))),
    extension(OID.subjectAltName, false, sequence(implicitPrimitive(2, Buffer.from(dnsName, 'ascii')))),
  );
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f; // positive, at most 20 octets (RFC 5280 §4.1.2.2)
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    unsignedInteger(serial),
    algorithm,
    name,
    sequence(x509Time(notBefore), x509Time(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, extensions),
  );
  const signature = signTbs(tbs, privateKey, keyType);
  const der = sequence(tbs, algorithm, bitString(signature));
  const certPem = toPem('CERTIFICATE', der);
  // Self-check: what we encoded must parse and belong to the key, or we would serve garbage.
  const parsed = new X509Certificate(certPem);
  if (!parsed.checkPrivateKey(privateKey) || !parsed.verify(publicKey)) {
    throw Object.assign(new Error('self-signed certificate failed its own check'), { code: 'ERR_SELF_SIGNED_CERTIFICATE' });
  }
  return { certPem, keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  return critical
    ? sequence(objectIdentifier(oid), boolean(true), octetString(value))
    : sequence(objectIdentifier(oid), octetString(value));
}

function signTbs(tbs: Buffer, key: KeyObject, keyType: SelfSignedKeyType): Buffer {
  // ECDSA-Sig-Value in X.509 is the DER SEQUENCE { r, s }, which is Node's default dsaEncoding.
  return keyType === 'ec' ? sign('sha256', tbs, { key, dsaEncoding: 'der' }) : sign('sha256', tbs, key);
}

function toPem(label: string, der: Buffer): string {
  const b64 = der.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
