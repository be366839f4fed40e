// One TLS Secret, checked and turned into a certificate entry: it must exist in the Ingress
// namespace, be of type kubernetes.io/tls, hold non-empty tls.crt and tls.key, and pass the
// injected inspector (parsing and key matching need crypto, which the core does not import).
// Nothing here ever puts Secret data into a message.

import type { DiagnosticCode } from './diagnostic-codes.ts';
import type { Secret } from './model.ts';
import { quoteValue } from './quote-value.ts';
import type { CertificateEntry } from './route-table.ts';
import type { BuildOptions } from './snapshot.ts';

export const TLS_SECRET_TYPE = 'kubernetes.io/tls';

export type TlsSecretInspection =
  | { ok: true; certificate: CertificateEntry; notBefore: string }
  | { ok: false; code: DiagnosticCode; message: string };

export function inspectTlsSecret(
  namespace: string,
  secretName: string,
  secrets: ReadonlyMap<string, Secret>,
  inspectCertificate: BuildOptions['inspectCertificate'],
): TlsSecretInspection {
  const id = `${namespace}/${secretName}`;
  const name = quoteValue(secretName);
  if (secretName.includes('/')) {
    return fail('TLSSecretNotFound', `Secret ${name} must be a name in the Ingress namespace ${namespace}; other namespaces cannot be referenced`);
  }
  const secret = secrets.get(id);
  if (!secret) return fail('TLSSecretNotFound', `Secret ${name} does not exist in namespace ${namespace}`);
  if (secret.type !== TLS_SECRET_TYPE) return fail('TLSSecretWrongType', `Secret ${name} has type ${quoteValue(secret.type)}, not ${TLS_SECRET_TYPE}`);
  const certPem = secret.data['tls.crt'] ?? '';
  const keyPem = secret.data['tls.key'] ?? '';
  const missing = [certPem === '' ? 'tls.crt' : '', keyPem === '' ? 'tls.key' : ''].filter((k) => k !== '');
  if (missing.length > 0) return fail('TLSSecretMissingData', `Secret ${name} has no ${missing.join(' and no ')}`);
  return inspectPair(id, name, certPem, keyPem, inspectCertificate);
}

function inspectPair(id: string, name: string, certPem: string, keyPem: string, inspect: BuildOptions['inspectCertificate']): TlsSecretInspection {
  let inspection: ReturnType<BuildOptions['inspectCertificate']>;
  try {
    inspection = inspect(certPem, keyPem);
  } catch {
    // The thrown error is not shown: its text is not ours to vouch for.
    return fail('TLSSecretInvalid', `Secret ${name}: the certificate and key could not be inspected`);
  }
  if (!inspection.ok) return fail('TLSSecretInvalid', `Secret ${name}: ${safeReason(inspection.code, inspection.reason, keyPem)}`);
  const certificate: CertificateEntry = {
    id,
    certPem,
    keyPem,
    fingerprint: inspection.fingerprint,
    keyType: inspection.keyType,
    notAfter: inspection.notAfter,
    dnsNames: [...new Set(inspection.dnsNames.map((n) => n.toLowerCase()))].sort(),
  };
  return { ok: true, certificate, notBefore: inspection.notBefore };
}

/**
 * The inspector promises its reason carries no key material; this is the second lock. Anything
 * that looks like PEM, or repeats a line of the key, is replaced by a fixed text.
 */
export function safeReason(code: string, reason: string, keyPem: string): string {
  const keyLines = keyPem.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length >= 16);
  const leaks = reason.includes('-----') || keyLines.some((line) => reason.includes(line));
  const text = leaks ? 'the certificate or key was rejected' : reason.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 200);
  return `${text} (${code.replace(/[^A-Za-z0-9_]/g, '').slice(0, 64)})`;
}

function fail(code: DiagnosticCode, message: string): TlsSecretInspection {
  return { ok: false, code, message };
}
