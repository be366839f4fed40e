// ingress-nginx basic authentication: `auth-type: basic`, `auth-secret` (`name` or `ns/name`),
// `auth-secret-type` (`auth-file`, the default: htpasswd lines under the key `auth`; or
// `auth-map`: one key per user) and `auth-realm` → a typed BasicAuthPolicy with the Secret's
// credentials parsed (parse-htpasswd.ts). Anything that keeps the protection from being enforced
// as written refuses the Ingress (its routes answer 503) with an error diagnostic: digest
// authentication, a bad value, auth-secret without auth-type (ingress-nginx would serve it open,
// which is never what its author meant), a missing, foreign-namespace or malformed Secret, or a
// hash format Gatehouse cannot verify. These keys are read here, not by parse-ingress-policy.ts,
// because they need the Secrets.

import type { Diagnostic } from '../diagnostics.ts';
import { makeDiagnostic, type DiagnosticCode } from '../diagnostic-codes.ts';
import type { Ingress, Secret } from '../model.ts';
import { objectRef } from '../object-ref.ts';
import { parseHtpasswd, type SecretType } from '../parse-htpasswd.ts';
import type { BasicAuthPolicy, PolicyRefusal } from '../policy.ts';
import { quoteValue } from '../quote-value.ts';
import { NGINX_PREFIX } from './annotation-schema.ts';
import { checkAnnotationValue } from './check-annotation-value.ts';

export const AUTH_TYPE = `${NGINX_PREFIX}auth-type`;
export const AUTH_SECRET = `${NGINX_PREFIX}auth-secret`;
export const AUTH_SECRET_TYPE = `${NGINX_PREFIX}auth-secret-type`;
export const AUTH_REALM = `${NGINX_PREFIX}auth-realm`;
/** The keys read here; parse-ingress-policy.ts leaves them alone. */
export const BASIC_AUTH_KEYS: ReadonlySet<string> = new Set([AUTH_TYPE, AUTH_SECRET, AUTH_SECRET_TYPE, AUTH_REALM]);

/** ingress-nginx has no default realm: nginx then sends `Basic realm=""`. */
export const DEFAULT_REALM = '';

export interface BasicAuthOptions {
  /** --allow-cross-namespace-secrets: auth-secret may name a Secret in another namespace. */
  allowCrossNamespaceSecrets: boolean;
}

export interface ResolvedBasicAuth {
  basicAuth?: BasicAuthPolicy;
  refused?: PolicyRefusal;
  diagnostics: Diagnostic[];
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function resolveBasicAuth(ingress: Ingress, secrets: ReadonlyMap<string, Secret>, options: BasicAuthOptions): ResolvedBasicAuth {
  const annotations = ingress.metadata.annotations;
  const present = [AUTH_REALM, AUTH_SECRET, AUTH_SECRET_TYPE, AUTH_TYPE].filter((k) => Object.hasOwn(annotations, k));
  if (present.length === 0) return { diagnostics: [] };
  const object = objectRef(ingress);
  const refuse = (code: DiagnosticCode, key: string, message: string): ResolvedBasicAuth => ({
    refused: { code, annotation: key },
    diagnostics: [makeDiagnostic(code, object, `metadata.annotations[${quoteValue(key)}]`, `${message}; every route of this Ingress answers 503 until it is corrected`)],
  });
  const invalid = (key: string, why: string): ResolvedBasicAuth => refuse('AnnotationProtectionInvalid', key, `${quoteValue(key)} asks for basic authentication, but ${why}`);

  for (const key of present) {
    const unsafe = checkAnnotationValue(annotations[key]!);
    if (unsafe !== undefined) return invalid(key, `its value ${unsafe}`);
  }
  const type = annotations[AUTH_TYPE];
  if (type === undefined) return invalid(present[0]!, `${quoteValue(AUTH_TYPE)} is not set (ingress-nginx would serve this Ingress without authentication); set it to "basic"`);
  if (type === 'digest') {
    return refuse('AnnotationProtectionUnsupported', AUTH_TYPE, `${quoteValue(AUTH_TYPE)} asks for digest authentication, which Gatehouse does not enforce (see docs/security.md, Fail closed)`);
  }
  if (type !== 'basic') return invalid(AUTH_TYPE, `${quoteValue(type)} is not "basic" or "digest"`);

  const secretText = annotations[AUTH_SECRET];
  if (secretText === undefined || secretText === '') return invalid(AUTH_TYPE, `${quoteValue(AUTH_SECRET)} is not set`);
  const slash = secretText.indexOf('/');
  const namespace = slash < 0 ? ingress.metadata.namespace : secretText.slice(0, slash);
  const name = slash < 0 ? secretText : secretText.slice(slash + 1);
  if (!DNS_LABEL.test(namespace) || name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    return invalid(AUTH_SECRET, `${quoteValue(secretText)} is not "name" or "namespace/name" of a Secret`);
  }
  const secretId = `${namespace}/${name}`;
  if (namespace !== ingress.metadata.namespace && !options.allowCrossNamespaceSecrets) {
    return refuse('BasicAuthSecretCrossNamespace', AUTH_SECRET, `the Secret ${quoteValue(secretId)} is in another namespace than the Ingress, which needs --allow-cross-namespace-secrets`);
  }

  const secretTypeText = annotations[AUTH_SECRET_TYPE] ?? 'auth-file';
  if (secretTypeText !== 'auth-file' && secretTypeText !== 'auth-map') return invalid(AUTH_SECRET_TYPE, `${quoteValue(secretTypeText)} is not "auth-file" or "auth-map"`);
  const secretType: SecretType = secretTypeText;

  const realm = annotations[AUTH_REALM] ?? DEFAULT_REALM;

  const secret = secrets.get(secretId);
  if (secret === undefined) return refuse('BasicAuthSecretNotFound', AUTH_SECRET, `the Secret ${quoteValue(secretId)} does not exist`);
  const parsed = parseHtpasswd(secret.data, secretType);
  if (!parsed.ok) {
    const code = parsed.unsupported ? 'BasicAuthHashUnsupported' : 'BasicAuthSecretInvalid';
    const what = parsed.unsupported ? 'uses a password hash Gatehouse cannot verify' : `cannot be read as ${secretType}`;
    return refuse(code, AUTH_SECRET, `the Secret ${quoteValue(secretId)} ${what}: ${parsed.reason}`);
  }
  return { basicAuth: { realm, secret: secretId, users: parsed.users }, diagnostics: [] };
}
