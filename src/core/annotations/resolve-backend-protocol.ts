// How the endpoints of an Ingress are reached: ingress-nginx's `backend-protocol` (HTTP, HTTPS,
// GRPC, GRPCS, AUTO_HTTP; H2C only as `gatehouse.dev/backend-protocol`), the legacy
// `secure-backends`, and the `proxy-ssl-*` settings of TLS to the backend, with the Secret of
// `proxy-ssl-secret` read here (which is why these keys are not read by parse-ingress-policy.ts).
// Each name may also be written under gatehouse.dev/, which wins.
//
// Fail closed (docs/security.md): anything that would reach the backend otherwise than asked, or
// less verified than asked, refuses the Ingress (its routes answer 503) with an error diagnostic:
// an unknown protocol (FCGI, AJP...), a value that does not parse, `proxy-ssl-verify: on` without a
// usable CA, a missing, foreign-namespace or malformed Secret, TLS settings on a cleartext protocol.

import type { Diagnostic } from '../diagnostics.ts';
import { makeDiagnostic, type DiagnosticCode } from '../diagnostic-codes.ts';
import type { Ingress, Secret } from '../model.ts';
import { objectRef } from '../object-ref.ts';
import type { BackendProtocol, BackendTlsPolicy, PolicyRefusal, TlsVersion } from '../policy.ts';
import { quoteValue } from '../quote-value.ts';
import type { CertificateInspection } from '../snapshot.ts';
import { GATEHOUSE_PREFIX, NGINX_PREFIX } from './annotation-schema.ts';
import { checkAnnotationValue } from './check-annotation-value.ts';
import { parseBool } from './value-types.ts';

export const BACKEND_PROTOCOL_NAMES = [
  'backend-protocol',
  'secure-backends',
  'proxy-ssl-secret',
  'proxy-ssl-verify',
  'proxy-ssl-verify-depth',
  'proxy-ssl-name',
  'proxy-ssl-server-name',
  'proxy-ssl-protocols',
  'proxy-ssl-ciphers',
] as const;
type Name = (typeof BACKEND_PROTOCOL_NAMES)[number];

/** The keys read here, under both prefixes; parse-ingress-policy.ts leaves them alone. */
export const BACKEND_PROTOCOL_KEYS: ReadonlySet<string> = new Set(BACKEND_PROTOCOL_NAMES.flatMap((n) => [NGINX_PREFIX + n, GATEHOUSE_PREFIX + n]));

const NGINX_PROTOCOLS: readonly BackendProtocol[] = ['HTTP', 'HTTPS', 'GRPC', 'GRPCS', 'AUTO_HTTP'];
const TLS_PROTOCOLS: ReadonlySet<BackendProtocol> = new Set(['HTTPS', 'GRPCS', 'AUTO_HTTP']);
/** Versions in order; SSLv2 and SSLv3 are accepted by ingress-nginx's grammar but no Node speaks them. */
const TLS_VERSIONS: readonly TlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const SSL_VERSIONS = new Set(['SSLv2', 'SSLv3']);
/** ingress-nginx's proxy-ssl-verify-depth default. */
export const DEFAULT_VERIFY_DEPTH = 1;
const MAX_VERIFY_DEPTH = 100;
const MAX_CIPHERS_LENGTH = 1024;
/** OpenSSL cipher-list characters (ingress-nginx's grammar, plus '@', '=' and '.' of SECLEVEL and suite names). */
const CIPHERS = /^[A-Za-z0-9+:_!@=.-]+$/;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----';

export interface BackendProtocolOptions {
  /** --allow-cross-namespace-secrets: proxy-ssl-secret may name a Secret in another namespace. */
  allowCrossNamespaceSecrets: boolean;
  /** Checks tls.crt/tls.key of the Secret (the builder's node:crypto inspector); absent: PEM shape only. */
  inspectCertificate?: (certPem: string, keyPem: string) => CertificateInspection;
}

export interface ResolvedBackendProtocol {
  protocol?: BackendProtocol;
  tls?: BackendTlsPolicy;
  refused?: PolicyRefusal;
  diagnostics: Diagnostic[];
}

export function resolveBackendProtocol(ingress: Ingress, secrets: ReadonlyMap<string, Secret>, options: BackendProtocolOptions): ResolvedBackendProtocol {
  const annotations = ingress.metadata.annotations;
  const keyOf = (name: Name): string | undefined => {
    for (const prefix of [GATEHOUSE_PREFIX, NGINX_PREFIX]) if (Object.hasOwn(annotations, prefix + name)) return prefix + name;
    return undefined;
  };
  const present = BACKEND_PROTOCOL_NAMES.filter((n) => keyOf(n) !== undefined);
  if (present.length === 0) return { diagnostics: [] };

  const object = objectRef(ingress);
  const diagnostics: Diagnostic[] = [];
  const field = (key: string): string => `metadata.annotations[${quoteValue(key)}]`;
  const report = (code: DiagnosticCode, key: string, message: string): void => {
    diagnostics.push(makeDiagnostic(code, object, field(key), message));
  };
  const refuse = (code: DiagnosticCode, key: string, message: string): ResolvedBackendProtocol => {
    report(code, key, `${message}; every route of this Ingress answers 503 until it is corrected`);
    return { refused: { code, annotation: key }, diagnostics };
  };
  const invalid = (key: string, why: string): ResolvedBackendProtocol => refuse('AnnotationProtectionInvalid', key, `${quoteValue(key)} sets how the backend is reached, but ${why}`);

  // Both spellings present: the gatehouse.dev/ one applies, the other is reported.
  for (const name of present) {
    const g = GATEHOUSE_PREFIX + name;
    const n = NGINX_PREFIX + name;
    if (Object.hasOwn(annotations, g) && Object.hasOwn(annotations, n)) report('AnnotationNoEffect', n, `${quoteValue(n)} has no effect: ${quoteValue(g)} sets the same and wins`);
  }
  const values = new Map<Name, { key: string; text: string }>();
  for (const name of present) {
    const key = keyOf(name)!;
    const text = annotations[key]!;
    const unsafe = checkAnnotationValue(text, name === 'proxy-ssl-ciphers' ? MAX_CIPHERS_LENGTH : undefined);
    if (unsafe !== undefined) return invalid(key, `its value ${unsafe}`);
    values.set(name, { key, text: text.trim() });
  }

  // The protocol: backend-protocol, else the legacy secure-backends, else HTTP.
  let protocol: BackendProtocol = 'HTTP';
  const bp = values.get('backend-protocol');
  const legacy = values.get('secure-backends');
  if (bp !== undefined) {
    const upper = bp.text.toUpperCase(); // ingress-nginx upper-cases the value
    const allowed: readonly BackendProtocol[] = bp.key.startsWith(GATEHOUSE_PREFIX) ? [...NGINX_PROTOCOLS, 'H2C'] : NGINX_PROTOCOLS;
    const known = allowed.find((p) => p === upper);
    if (known === undefined) {
      const hint = upper === 'H2C' ? ' (H2C is written gatehouse.dev/backend-protocol, ingress-nginx has no such protocol)' : '';
      return refuse('BackendProtocolUnsupported', bp.key, `${quoteValue(bp.key)} asks for the backend protocol ${quoteValue(bp.text)}, which Gatehouse does not speak${hint}; it speaks ${allowed.join(', ')}`);
    }
    protocol = known;
    if (legacy !== undefined) report('AnnotationNoEffect', legacy.key, `${quoteValue(legacy.key)} has no effect: ${quoteValue(bp.key)} sets the protocol and wins`);
  } else if (legacy !== undefined) {
    const parsed = parseBool(legacy.text);
    if (!parsed.ok) return invalid(legacy.key, `${quoteValue(legacy.text)} is not "true" or "false"`);
    if (parsed.value) {
      protocol = 'HTTPS';
      report('BackendProtocolLegacy', legacy.key, `${quoteValue(legacy.key)} was removed from ingress-nginx in 0.21; Gatehouse reads it as backend-protocol: "HTTPS" (write that instead)`);
    } else {
      report('AnnotationNoEffect', legacy.key, `${quoteValue(legacy.key)} has no effect: "false" is the default (plain HTTP)`);
    }
  }

  // TLS settings.
  const usesTls = TLS_PROTOCOLS.has(protocol);
  const onOff = (name: Name): boolean | ResolvedBackendProtocol | undefined => {
    const v = values.get(name);
    if (v === undefined) return undefined;
    if (v.text === 'on') return true;
    if (v.text === 'off') return false;
    return invalid(v.key, `${quoteValue(v.text)} is not "on" or "off"`);
  };
  const verify = onOff('proxy-ssl-verify');
  if (typeof verify === 'object') return verify;
  const sni = onOff('proxy-ssl-server-name');
  if (typeof sni === 'object') return sni;
  const secretValue = values.get('proxy-ssl-secret');
  if (!usesTls) {
    // TLS settings on a cleartext protocol: verification or a client certificate asked for cannot
    // happen, so the Ingress is refused; the other settings only tune and are reported.
    const asking = verify === true ? values.get('proxy-ssl-verify')! : secretValue;
    if (asking !== undefined) {
      return refuse('BackendTlsWithoutTls', asking.key, `${quoteValue(asking.key)} asks for TLS to the backend, but the backend protocol is ${protocol} (cleartext); set backend-protocol to HTTPS, GRPCS or AUTO_HTTP`);
    }
    for (const name of ['proxy-ssl-verify', 'proxy-ssl-verify-depth', 'proxy-ssl-name', 'proxy-ssl-server-name', 'proxy-ssl-protocols', 'proxy-ssl-ciphers'] as const) {
      const v = values.get(name);
      if (v !== undefined) report('AnnotationNoEffect', v.key, `${quoteValue(v.key)} has no effect: the backend protocol is ${protocol} (cleartext)`);
    }
    return protocol === 'HTTP' ? { diagnostics } : { protocol, diagnostics };
  }

  const tls: BackendTlsPolicy = { sni: sni === true };
  const name = values.get('proxy-ssl-name');
  if (name !== undefined) {
    const lower = name.text.toLowerCase();
    if (!DNS_NAME.test(lower)) return invalid(name.key, `${quoteValue(name.text)} is not a DNS name`);
    tls.name = lower;
  }
  const depth = values.get('proxy-ssl-verify-depth');
  let verifyDepth = DEFAULT_VERIFY_DEPTH;
  if (depth !== undefined) {
    const n = /^[0-9]{1,3}$/.test(depth.text) ? Number(depth.text) : NaN;
    if (!(n >= 0 && n <= MAX_VERIFY_DEPTH)) return invalid(depth.key, `${quoteValue(depth.text)} is not a number from 0 to ${MAX_VERIFY_DEPTH}`);
    verifyDepth = n === 0 ? DEFAULT_VERIFY_DEPTH : n; // ingress-nginx reads 0 as its default
    if (verify !== true) report('AnnotationNoEffect', depth.key, `${quoteValue(depth.key)} has no effect: proxy-ssl-verify is not "on"`);
  }
  const protocols = values.get('proxy-ssl-protocols');
  if (protocols !== undefined) {
    const range = versionRange(protocols.text);
    if (typeof range === 'string') return invalid(protocols.key, range);
    if (range.dropped.length > 0) report('AnnotationNoEffect', protocols.key, `${quoteValue(protocols.key)}: ${range.dropped.join(' and ')} cannot be used (no supported TLS library speaks them) and ${range.dropped.length === 1 ? 'is' : 'are'} left out`);
    tls.minVersion = range.min;
    tls.maxVersion = range.max;
  }
  const ciphers = values.get('proxy-ssl-ciphers');
  if (ciphers !== undefined && ciphers.text !== 'DEFAULT') {
    if (!CIPHERS.test(ciphers.text)) return invalid(ciphers.key, `${quoteValue(ciphers.text)} is not an OpenSSL cipher list`);
    tls.ciphers = ciphers.text;
  }

  if (verify === true && secretValue === undefined) {
    return invalid(values.get('proxy-ssl-verify')!.key, `${quoteValue(keyOf('proxy-ssl-secret') ?? `${NGINX_PREFIX}proxy-ssl-secret`)} is not set, so there is no CA (ca.crt) to verify the backend with`);
  }
  if (secretValue !== undefined) {
    const slash = secretValue.text.indexOf('/');
    const namespace = slash < 0 ? ingress.metadata.namespace : secretValue.text.slice(0, slash);
    const secretName = slash < 0 ? secretValue.text : secretValue.text.slice(slash + 1);
    if (!DNS_LABEL.test(namespace) || secretName.length > 253 || !DNS_SUBDOMAIN.test(secretName)) {
      return invalid(secretValue.key, `${quoteValue(secretValue.text)} is not "namespace/name" or "name" of a Secret`);
    }
    const secretId = `${namespace}/${secretName}`;
    // A tenant must never present another namespace's client identity, nor trust its CA.
    if (namespace !== ingress.metadata.namespace && !options.allowCrossNamespaceSecrets) {
      return refuse('ProxySslSecretCrossNamespace', secretValue.key, `the Secret ${quoteValue(secretId)} is in another namespace than the Ingress, which needs --allow-cross-namespace-secrets`);
    }
    const secret = secrets.get(secretId);
    if (secret === undefined) return refuse('ProxySslSecretNotFound', secretValue.key, `the Secret ${quoteValue(secretId)} does not exist`);
    const bad = (why: string): ResolvedBackendProtocol => refuse('ProxySslSecretInvalid', secretValue.key, `the Secret ${quoteValue(secretId)} ${why}`);
    tls.secret = secretId;
    const ca = secret.data['ca.crt'];
    if (verify === true) {
      if (ca === undefined || ca.trim() === '') return bad('has no ca.crt to verify the backend with (proxy-ssl-verify is "on")');
      if (!ca.includes(PEM_CERTIFICATE)) return bad('has a ca.crt that holds no PEM certificate');
      tls.verify = { caPem: ca, depth: verifyDepth };
    }
    const cert = secret.data['tls.crt'];
    const key = secret.data['tls.key'];
    const hasCert = cert !== undefined && cert.trim() !== '';
    const hasKey = key !== undefined && key.trim() !== '';
    if (hasCert !== hasKey) return bad(`has ${hasCert ? 'tls.crt without tls.key' : 'tls.key without tls.crt'}: a client certificate needs both`);
    if (hasCert && hasKey) {
      if (options.inspectCertificate !== undefined) {
        const inspected = options.inspectCertificate(cert, key);
        if (!inspected.ok) return bad(`holds a client certificate that cannot be used: ${inspected.reason}`);
      } else if (!cert.includes(PEM_CERTIFICATE)) {
        return bad('has a tls.crt that holds no PEM certificate');
      }
      tls.clientCertificate = { certPem: cert, keyPem: key };
    }
    if (!hasCert && verify !== true) {
      report('AnnotationNoEffect', secretValue.key, `${quoteValue(secretValue.key)} has no effect: its Secret has no client certificate (tls.crt, tls.key) and proxy-ssl-verify is not "on"`);
    }
  }
  return { protocol, tls, diagnostics };
}

/**
 * proxy-ssl-protocols ("TLSv1.2 TLSv1.3") as a contiguous version range. A gap ("TLSv1 TLSv1.3")
 * cannot be expressed as the min/max Node takes and would allow versions not listed: refused.
 */
function versionRange(text: string): { min: TlsVersion; max: TlsVersion; dropped: string[] } | string {
  const words = text.split(/[ \t]+/).filter((w) => w.length > 0);
  if (words.length === 0) return 'it lists no protocol';
  const dropped: string[] = [];
  const indexes = new Set<number>();
  for (const w of words) {
    if (SSL_VERSIONS.has(w)) {
      if (!dropped.includes(w)) dropped.push(w);
      continue;
    }
    const i = TLS_VERSIONS.indexOf(w as TlsVersion);
    if (i < 0) return `${quoteValue(w)} is not one of SSLv2, SSLv3, ${TLS_VERSIONS.join(', ')}`;
    indexes.add(i);
  }
  if (indexes.size === 0) return `it lists only ${dropped.join(' and ')}, which no supported TLS library speaks`;
  const sorted = [...indexes].sort((a, b) => a - b);
  const min = sorted[0]!;
  const max = sorted[sorted.length - 1]!;
  if (max - min + 1 !== sorted.length) return 'its versions are not contiguous (a range from the lowest to the highest would allow versions it leaves out)';
  return { min: TLS_VERSIONS[min]!, max: TLS_VERSIONS[max]!, dropped };
}
