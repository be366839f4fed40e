// The certificate for handshakes without SNI or with a name no tls entry covers: the operator's
// --default-tls-secret when it is usable, else a self-signed one made at start. Validated with the
// same rules (and the same TLSSecret* codes) as an Ingress's Secret.

import type { Secret } from '../../core/model.ts';
import { inspectCertificate } from './inspect-certificate.ts';

export const TLS_SECRET_TYPE = 'kubernetes.io/tls';

export interface DefaultCertificate {
  /** 'ns/name' of the Secret, or 'self-signed'. */
  id: string;
  source: 'secret' | 'self-signed';
  certPem: string;
  keyPem: string;
  fingerprint: string;
  keyType: string;
  notAfter: string;
  dnsNames: string[];
}

export type DefaultCertificateResult = { ok: true; certificate: DefaultCertificate } | { ok: false; code: string; reason: string };

/** Reads and checks the operator's default Secret. `ref` is 'ns/name'. */
export function defaultCertificateFromSecret(ref: string, secret: Secret | undefined): DefaultCertificateResult {
  if (secret === undefined) return { ok: false, code: 'TLSSecretNotFound', reason: `Secret ${ref} does not exist` };
  if (secret.type !== TLS_SECRET_TYPE) {
    return { ok: false, code: 'TLSSecretWrongType', reason: `Secret ${ref} is not of type ${TLS_SECRET_TYPE}` };
  }
  const certPem = secret.data['tls.crt'] ?? '';
  const keyPem = secret.data['tls.key'] ?? '';
  if (certPem.trim() === '' || keyPem.trim() === '') {
    return { ok: false, code: 'TLSSecretMissingData', reason: `Secret ${ref} lacks a non-empty tls.crt or tls.key` };
  }
  const inspection = inspectCertificate(certPem, keyPem);
  if (!inspection.ok) return { ok: false, code: inspection.code, reason: `Secret ${ref}: ${inspection.reason}` };
  return {
    ok: true,
    certificate: {
      id: ref,
      source: 'secret',
      certPem,
      keyPem,
      fingerprint: inspection.fingerprint,
      keyType: inspection.keyType,
      notAfter: inspection.notAfter,
      dnsNames: inspection.dnsNames,
    },
  };
}

/** Wraps a generated self-signed pair in the same shape. */
export function selfSignedDefault(pair: { certPem: string; keyPem: string }): DefaultCertificate {
  const inspection = inspectCertificate(pair.certPem, pair.keyPem);
  if (!inspection.ok) {
    throw Object.assign(new Error(`generated default certificate is unusable: ${inspection.reason}`), {
      code: 'ERR_SELF_SIGNED_CERTIFICATE',
    });
  }
  return {
    id: 'self-signed',
    source: 'self-signed',
    certPem: pair.certPem,
    keyPem: pair.keyPem,
    fingerprint: inspection.fingerprint,
    keyType: inspection.keyType,
    notAfter: inspection.notAfter,
    dnsNames: inspection.dnsNames,
  };
}
