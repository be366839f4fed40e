// ingress-nginx client certificates (mTLS): `auth-tls-secret` (`name` or `ns/name`, keys `ca.crt` and
// optional `ca.crl`), `auth-tls-verify-client` (on | optional | optional_no_ca | off; on by default
// once a Secret is named), `auth-tls-verify-depth` (default 1), `auth-tls-pass-certificate-to-upstream`
// and `auth-tls-error-page` → a typed ClientCertificatePolicy with the CA bundle's PEM text.
// Anything that keeps the protection from being enforced as written refuses the Ingress (its routes
// answer 503) with an error diagnostic: a value that does not parse, an auth-tls annotation that asks
// for certificates without a Secret, a missing or foreign-namespace Secret, a CA bundle or CRL that
// does not parse. `auth-tls-match-cn` (a regular expression in ingress-nginx) is not read here: it
// stays in the fail-closed catalogue and refuses its Ingress (protection-annotations.ts).
// These keys are read here, not by parse-ingress-policy.ts, because they need the Secrets.

import type { Diagnostic } from '../diagnostics.ts';
import { makeDiagnostic, type DiagnosticCode } from '../diagnostic-codes.ts';
import type { Ingress, Secret } from '../model.ts';
import { objectRef } from '../object-ref.ts';
import type { ClientCertificatePolicy, ClientCertificateVerify, PolicyRefusal } from '../policy.ts';
import { quoteValue } from '../quote-value.ts';
import { NGINX_PREFIX } from './annotation-schema.ts';
import { checkAnnotationValue } from './check-annotation-value.ts';
import { parseRedirectUrl } from './redirect-url.ts';
import { parseBool, parseIntInRange } from './value-types.ts';

export const AUTH_TLS_SECRET = `${NGINX_PREFIX}auth-tls-secret`;
export const AUTH_TLS_VERIFY_CLIENT = `${NGINX_PREFIX}auth-tls-verify-client`;
export const AUTH_TLS_VERIFY_DEPTH = `${NGINX_PREFIX}auth-tls-verify-depth`;
export const AUTH_TLS_PASS_CERTIFICATE = `${NGINX_PREFIX}auth-tls-pass-certificate-to-upstream`;
export const AUTH_TLS_ERROR_PAGE = `${NGINX_PREFIX}auth-tls-error-page`;
/** The keys read here; parse-ingress-policy.ts leaves them alone. */
export const CLIENT_CERTIFICATE_KEYS: ReadonlySet<string> = new Set([
  AUTH_TLS_SECRET,
  AUTH_TLS_VERIFY_CLIENT,
  AUTH_TLS_VERIFY_DEPTH,
  AUTH_TLS_PASS_CERTIFICATE,
  AUTH_TLS_ERROR_PAGE,
]);

/** ingress-nginx's default auth-tls-verify-depth. */
export const DEFAULT_VERIFY_DEPTH = 1;
/** A longer chain than this is no client certificate anyone issues; a cap keeps the check bounded. */
export const MAX_VERIFY_DEPTH = 10;
/** Caps on the Secret's PEM text (a CA bundle of a few hundred certificates, a large CRL). */
const MAX_CA_BYTES = 1024 * 1024;
const MAX_CRL_BYTES = 4 * 1024 * 1024;

export interface ClientCertificateOptions {
  /** --allow-cross-namespace-secrets: auth-tls-secret may name a Secret in another namespace. */
  allowCrossNamespaceSecrets: boolean;
  /** Real crypto check of the CA bundle and CRL (BuildOptions.inspectClientCa); undefined: PEM structure only. */
  inspectClientCa?: ((caPem: string, crlPem: string | undefined) => string | undefined) | undefined;
}

export interface ResolvedClientCertificate {
  clientCertificate?: ClientCertificatePolicy;
  refused?: PolicyRefusal;
  diagnostics: Diagnostic[];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const VERIFY_VALUES: ReadonlySet<string> = new Set(['on', 'optional', 'optional_no_ca', 'off']);

export function resolveClientCertificate(ingress: Ingress, secrets: ReadonlyMap<string, Secret>, options: ClientCertificateOptions): ResolvedClientCertificate {
  const annotations = ingress.metadata.annotations;
  const present = [...CLIENT_CERTIFICATE_KEYS].filter((k) => Object.hasOwn(annotations, k)).sort();
  if (present.length === 0) return { diagnostics: [] };
  const object = objectRef(ingress);
  const refuse = (code: DiagnosticCode, key: string, message: string): ResolvedClientCertificate => ({
    refused: { code, annotation: key },
    diagnostics: [makeDiagnostic(code, object, `metadata.annotations[${quoteValue(key)}]`, `${message}; every route of this Ingress answers 503 until it is corrected`)],
  });
  const invalid = (key: string, why: string): ResolvedClientCertificate =>
    refuse('AnnotationProtectionInvalid', key, `${quoteValue(key)} asks for client certificate authentication (mTLS), but ${why}`);

  for (const key of present) {
    const unsafe = checkAnnotationValue(annotations[key]!);
    if (unsafe !== undefined) return invalid(key, `its value ${unsafe}`);
  }
  const verifyText = annotations[AUTH_TLS_VERIFY_CLIENT] ?? 'on';
  if (!VERIFY_VALUES.has(verifyText)) return invalid(AUTH_TLS_VERIFY_CLIENT, `${quoteValue(verifyText)} is not on, optional, optional_no_ca or off`);
  let depth = DEFAULT_VERIFY_DEPTH;
  const depthText = annotations[AUTH_TLS_VERIFY_DEPTH];
  if (depthText !== undefined) {
    const parsed = parseIntInRange(depthText, 1, MAX_VERIFY_DEPTH);
    if (!parsed.ok) return invalid(AUTH_TLS_VERIFY_DEPTH, parsed.reason);
    depth = parsed.value;
  }
  let passCertificate = false;
  const passText = annotations[AUTH_TLS_PASS_CERTIFICATE];
  if (passText !== undefined) {
    const parsed = parseBool(passText);
    if (!parsed.ok) return invalid(AUTH_TLS_PASS_CERTIFICATE, parsed.reason);
    passCertificate = parsed.value;
  }
  let errorPage: string | undefined;
  const pageText = annotations[AUTH_TLS_ERROR_PAGE];
  if (pageText !== undefined) {
    const parsed = parseRedirectUrl(pageText);
    if (!parsed.ok) return invalid(AUTH_TLS_ERROR_PAGE, parsed.reason);
    // A fixed URL: nginx's error_page would expand variables, which a Location built here never does.
    if (parsed.value.some((p) => p.kind !== 'text')) return invalid(AUTH_TLS_ERROR_PAGE, 'it uses an nginx variable (only a fixed http or https URL is accepted)');
    errorPage = parsed.value.map((p) => (p.kind === 'text' ? p.text : '')).join('');
  }

  const secretText = annotations[AUTH_TLS_SECRET];
  if (verifyText === 'off') {
    // ingress-nginx requests no certificate: nothing is asked, nothing to enforce.
    return { diagnostics: [] };
  }
  if (secretText === undefined || secretText === '') {
    return invalid(present[0]!, `${quoteValue(AUTH_TLS_SECRET)} is not set (ingress-nginx would serve this Ingress without client certificates)`);
  }
  const slash = secretText.indexOf('/');
  const namespace = slash < 0 ? ingress.metadata.namespace : secretText.slice(0, slash);
  const name = slash < 0 ? secretText : secretText.slice(slash + 1);
  if (!DNS_LABEL.test(namespace) || name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    return invalid(AUTH_TLS_SECRET, `${quoteValue(secretText)} is not "name" or "namespace/name" of a Secret`);
  }
  const secretId = `${namespace}/${name}`;
  if (namespace !== ingress.metadata.namespace && !options.allowCrossNamespaceSecrets) {
    return refuse('ClientCertSecretCrossNamespace', AUTH_TLS_SECRET, `the Secret ${quoteValue(secretId)} is in another namespace than the Ingress, which needs --allow-cross-namespace-secrets`);
  }
  const secret = secrets.get(secretId);
  if (secret === undefined) return refuse('ClientCertSecretNotFound', AUTH_TLS_SECRET, `the Secret ${quoteValue(secretId)} does not exist`);
  const caPem = secret.data['ca.crt'];
  const crlText = secret.data['ca.crl'];
  const crlPem = crlText === undefined || crlText.trim() === '' ? undefined : crlText;
  const bad = (why: string): ResolvedClientCertificate => refuse('ClientCertSecretInvalid', AUTH_TLS_SECRET, `the Secret ${quoteValue(secretId)} ${why}`);
  if (caPem === undefined || caPem.trim() === '') return bad('has no "ca.crt" key');
  if (caPem.length > MAX_CA_BYTES) return bad(`"ca.crt" is larger than ${MAX_CA_BYTES} bytes`);
  if (!caPem.includes('-----BEGIN CERTIFICATE-----')) return bad('"ca.crt" holds no PEM certificate');
  if (crlPem !== undefined) {
    if (crlPem.length > MAX_CRL_BYTES) return bad(`"ca.crl" is larger than ${MAX_CRL_BYTES} bytes`);
    if (!crlPem.includes('-----BEGIN X509 CRL-----')) return bad('"ca.crl" holds no PEM CRL');
  }
  const reason = options.inspectClientCa?.(caPem, crlPem);
  if (reason !== undefined) return bad(reason);

  const verify: ClientCertificateVerify = verifyText as ClientCertificateVerify;
  const policy: ClientCertificatePolicy = { verify, depth, secret: secretId, caPem, passCertificate };
  if (crlPem !== undefined) policy.crlPem = crlPem;
  if (errorPage !== undefined) policy.errorPage = errorPage;
  return { clientCertificate: policy, diagnostics: [] };
}
