// The catalogue of diagnostic codes: one place that says what each code means and how bad it is.
// Every entry has a `## Code` section in docs/diagnostics.md, and every code literal under src/
// must be listed here (test/core/diagnostic-codes.test.ts enforces both). Other parts of
// Gatehouse add their codes to this table; keep it sorted by code.
//
// Severity convention: 'error' = something the user wrote is not served; 'warning' = it is served,
// but probably not as meant; 'info' = a choice Gatehouse made that the user may want to know.

import type { Diagnostic, ObjectRef, Severity } from './diagnostics.ts';

export interface DiagnosticCodeInfo {
  severity: Severity;
  summary: string;
  /** The annotation it is reported on makes every route of its Ingress answer 503 (fail closed). */
  refusesIngress?: true;
}

export const DIAGNOSTIC_CODES = {
  AnnotationActionInvalid: { severity: 'error', refusesIngress: true, summary: 'A redirect, CORS, rewrite or custom-http-errors annotation (which changes what the routes answer) has a value that does not parse: every route of the Ingress answers 503 rather than answer something the Ingress did not ask for.' },
  AnnotationForeignController: { severity: 'warning', summary: 'An annotation of another ingress controller (legacy ingress.kubernetes.io/, nginx.org/, haproxy.org/, Traefik, AWS ALB...) that asks for no protection; Gatehouse does not read it.' },
  AnnotationInvalid: { severity: 'error', summary: 'An annotation value does not parse as its type (duration, size, number, enum, cookie name...); it is ignored and the default applies.' },
  AnnotationNoEffect: { severity: 'warning', summary: 'A valid annotation cannot take effect with the other annotations of the Ingress (e.g. a session-cookie setting without cookie affinity).' },
  AnnotationProtectionInvalid: { severity: 'error', refusesIngress: true, summary: 'An annotation asks for a protection Gatehouse enforces, but its value does not parse: every route of the Ingress answers 503.' },
  AnnotationProtectionUnsupported: { severity: 'error', refusesIngress: true, summary: 'An annotation asks for a protection Gatehouse does not enforce (authentication, client certificates, rate limits, a WAF, a snippet...): every route of the Ingress answers 503.' },
  AnnotationUnknown: { severity: 'warning', summary: 'A gatehouse.dev/ annotation that Gatehouse does not know, often a typo; it is ignored.' },
  AnnotationUnsupported: { severity: 'warning', summary: 'An ingress-nginx annotation that only tunes and that Gatehouse does not read; it is ignored.' },
  AnnotationValueUnsafe: { severity: 'error', summary: 'An annotation value holds control characters, is very long or looks like injected configuration; it is refused and the default applies.' },
  BackendMissing: { severity: 'error', summary: 'An Ingress backend names neither a service nor a resource.' },
  BackendProtocolLegacy: { severity: 'warning', summary: 'The legacy secure-backends: "true" (removed from ingress-nginx in 0.21) is read as backend-protocol: HTTPS; write that instead.' },
  BackendProtocolUnsupported: { severity: 'error', refusesIngress: true, summary: 'backend-protocol names a protocol Gatehouse does not speak (FCGI, AJP, a typo...): every route of the Ingress answers 503.' },
  BackendServiceNotFound: { severity: 'error', summary: 'The Service named by a backend does not exist in the Ingress namespace.' },
  BackendServicePortNotFound: { severity: 'error', summary: 'The Service has no port with the number or name the backend gives.' },
  BackendTlsWithoutTls: { severity: 'error', refusesIngress: true, summary: 'proxy-ssl-verify: on or proxy-ssl-secret asks for TLS to the backend, but the backend protocol is cleartext (HTTP, GRPC, H2C): every route of the Ingress answers 503.' },
  BasicAuthHashUnsupported: { severity: 'error', refusesIngress: true, summary: 'The basic-auth Secret holds a password hash Gatehouse cannot verify (DES crypt, yescrypt...): every route of the Ingress answers 503.' },
  BasicAuthSecretCrossNamespace: { severity: 'error', refusesIngress: true, summary: 'auth-secret names a Secret in another namespace and --allow-cross-namespace-secrets is not set: every route of the Ingress answers 503.' },
  BasicAuthSecretInvalid: { severity: 'error', refusesIngress: true, summary: 'The basic-auth Secret lacks its key or has a malformed htpasswd line or hash, or is over the size caps: every route of the Ingress answers 503.' },
  BasicAuthSecretNotFound: { severity: 'error', refusesIngress: true, summary: 'The Secret named by auth-secret does not exist: every route of the Ingress answers 503.' },
  CanaryConflict: { severity: 'error', summary: 'A second canary Ingress for a host and path that already has one: as in ingress-nginx, only one canary splits a route; this one is not served.' },
  CanaryInvalid: { severity: 'error', summary: 'A canary annotation does not parse (a weight out of range, a bad header or cookie name, a header pattern RE2 refuses or over its caps): the split is not made and every request stays on the main Ingress.' },
  CanarySettingIgnored: { severity: 'warning', summary: 'A canary Ingress sets an annotation (or spec.defaultBackend) other than its canary ones: ignored, as in ingress-nginx; canary traffic gets the main Ingress\'s policy.' },
  CanarySplit: { severity: 'info', summary: 'A canary Ingress path splits the traffic of a main route: which requests it takes, and whose policy applies.' },
  CanaryWithoutMain: { severity: 'error', summary: 'A canary Ingress path has no main (non-canary) Ingress for the same host, path and pathType: as in ingress-nginx, it is not served.' },
  ClientCertSecretCrossNamespace: { severity: 'error', refusesIngress: true, summary: 'auth-tls-secret names a Secret in another namespace and --allow-cross-namespace-secrets is not set: every route of the Ingress answers 503.' },
  ClientCertSecretInvalid: { severity: 'error', refusesIngress: true, summary: 'The auth-tls Secret has no ca.crt, or its CA bundle or CRL does not parse: every route of the Ingress answers 503.' },
  ClientCertSecretNotFound: { severity: 'error', refusesIngress: true, summary: 'The Secret named by auth-tls-secret does not exist: every route of the Ingress answers 503.' },
  DefaultBackendConflict: { severity: 'error', summary: 'Another, older Ingress already provides the default backend for this host or for the whole controller.' },
  DuplicateObject: { severity: 'warning', summary: 'The same object (kind, namespace, name) is defined in two manifest files; the one read last is used.' },
  EndpointAddressInvalid: { severity: 'warning', summary: 'An EndpointSlice address is not an IP address of the slice addressType; that endpoint is skipped.' },
  EndpointSliceAddressTypeUnsupported: { severity: 'info', summary: 'An EndpointSlice whose addressType is not IPv4 or IPv6 (FQDN) is ignored.' },
  EndpointsPartiallyConverted: { severity: 'warning', summary: 'A v1 Endpoints object converts to several EndpointSlices; only the first was kept where one object was expected.' },
  ExternalNameServiceUnsupported: { severity: 'error', summary: 'A backend names an ExternalName Service, which Gatehouse does not proxy to.' },
  HostInvalid: { severity: 'error', summary: 'A host is not a valid lower-case DNS name (optionally with a leading "*." label); IP addresses are not allowed.' },
  IngressClassAnnotationIgnored: { severity: 'warning', summary: 'Both spec.ingressClassName and the legacy kubernetes.io/ingress.class annotation are set; the field wins.' },
  IngressClassNoDefault: { severity: 'warning', summary: 'Ingresses name no IngressClass and no IngressClass is the default; Gatehouse does not serve them (one diagnostic for all of them).' },
  IngressClassNotFound: { severity: 'info', summary: 'The Ingress names an IngressClass that does not exist; Gatehouse leaves it alone.' },
  IngressClassOtherController: { severity: 'info', summary: "The Ingress's class (or the default class) belongs to another controller; Gatehouse leaves it to that controller." },
  LegacyIngressAPIVersion: { severity: 'warning', summary: 'The Ingress was written in a removed API version and converted to networking.k8s.io/v1.' },
  ManifestParseError: { severity: 'error', summary: 'A manifest file is not valid YAML or JSON; the objects it held before keep serving.' },
  ManifestReadError: { severity: 'error', summary: 'A manifest file or folder cannot be read (or is too large); objects it held before keep serving.' },
  ObjectInvalid: { severity: 'error', summary: 'A manifest object is malformed (wrong type or missing required field); that object alone is skipped.' },
  PathConflict: { severity: 'error', summary: 'An older Ingress (or an earlier path of the same Ingress) already claims this host, path and pathType.' },
  PathInvalid: { severity: 'error', summary: 'A path is missing where required, or does not match the Ingress path grammar.' },
  PathMatchedAsRegex: { severity: 'warning', summary: "Another Ingress on this host asks for regex paths (use-regex or rewrite-target), so this Ingress's paths are matched as case-insensitive regexes anchored at the start, as ingress-nginx does." },
  PathRegexInvalid: { severity: 'error', summary: 'A regex path is refused by the RE2 engine, is longer than the cap, compiles to a program over the cap, or holds a character no path may hold.' },
  PathTypeInvalid: { severity: 'error', summary: 'pathType is missing or is not Exact, Prefix or ImplementationSpecific.' },
  ProxySslSecretCrossNamespace: { severity: 'error', refusesIngress: true, summary: 'proxy-ssl-secret names a Secret in another namespace and --allow-cross-namespace-secrets is not set: every route of the Ingress answers 503.' },
  ProxySslSecretInvalid: { severity: 'error', refusesIngress: true, summary: 'The proxy-ssl-secret Secret cannot be used as asked (no ca.crt with proxy-ssl-verify: on, tls.crt without tls.key, PEM that does not parse): every route of the Ingress answers 503.' },
  ProxySslSecretNotFound: { severity: 'error', refusesIngress: true, summary: 'The Secret named by proxy-ssl-secret does not exist: every route of the Ingress answers 503.' },
  ResourceBackendUnsupported: { severity: 'error', summary: 'A backend names a resource instead of a Service; Gatehouse only routes to Services.' },
  SecretDataInvalid: { severity: 'error', summary: 'A Secret data value is not valid base64; that key is ignored.' },
  SnippetDirectiveIgnored: { severity: 'warning', summary: 'A directive of a configuration-snippet or server-snippet parses but has no effect where it is, as in ingress-nginx (a server-level proxy_set_header, a second return).' },
  SnippetUnsupported: { severity: 'error', refusesIngress: true, summary: 'A configuration-snippet or server-snippet holds something outside the supported subset (another directive, a block, an option, an unknown variable): every route of the Ingress answers 503.' },
  SslPassthroughDisabled: { severity: 'error', refusesIngress: true, summary: 'ssl-passthrough asks for end-to-end TLS but Gatehouse runs without --enable-ssl-passthrough: every route of the Ingress answers 503 (never served terminated).' },
  SslPassthroughUnroutable: { severity: 'error', summary: 'An ssl-passthrough host has no "/" path of its own Ingress (or the rule has no host): TLS connections for it are closed.' },
  SslPassthroughWithProtection: { severity: 'error', refusesIngress: true, summary: 'ssl-passthrough is combined with a protection annotation that a TCP pipe cannot enforce: TLS connections for its hosts are closed and its routes answer 503.' },
  TLSCertificateExpired: { severity: 'warning', summary: 'The certificate is past its notAfter time; it is still served.' },
  TLSCertificateNameMismatch: { severity: 'warning', summary: 'The certificate names do not cover a host of the tls entry; it is still served for that host.' },
  TLSCertificateNotYetValid: { severity: 'warning', summary: 'The certificate notBefore time is in the future; it is still served.' },
  TLSEntryUnused: { severity: 'warning', summary: 'A tls entry lists no hosts and the Ingress has no rule hosts to apply it to.' },
  TLSHostConflict: { severity: 'error', summary: 'An older Ingress (or an earlier tls entry) already provides a certificate for this server name.' },
  TLSHostsDefaulted: { severity: 'info', summary: 'A tls entry lists no hosts; it applies to the hosts of the Ingress rules.' },
  TLSSecretInvalid: { severity: 'error', summary: 'The TLS Secret certificate or key does not parse, or the key does not match the certificate.' },
  TLSSecretMissingData: { severity: 'error', summary: 'The TLS Secret lacks a non-empty tls.crt or tls.key.' },
  TLSSecretNameMissing: { severity: 'info', summary: 'A tls entry has no secretName; its hosts are served with the default certificate.' },
  TLSSecretNotFound: { severity: 'error', summary: 'The TLS Secret does not exist in the Ingress namespace.' },
  TLSSecretWrongType: { severity: 'error', summary: 'The TLS Secret is not of type kubernetes.io/tls.' },
  UnknownField: { severity: 'warning', summary: 'A manifest object has a field Gatehouse does not know (often a typo); it is ignored.' },
  UnknownKind: { severity: 'info', summary: 'A manifest object is of a kind Gatehouse does not read; it is ignored.' },
  UnsupportedApiVersion: { severity: 'warning', summary: 'A manifest object uses an apiVersion Gatehouse does not read for its kind; it is ignored.' },
} as const satisfies Record<string, DiagnosticCodeInfo>;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** A diagnostic whose severity comes from the catalogue, so one code always means one severity. */
export function makeDiagnostic(code: DiagnosticCode, object: ObjectRef, field: string | undefined, message: string): Diagnostic {
  const severity = DIAGNOSTIC_CODES[code].severity;
  return field === undefined ? { code, severity, object, message } : { code, severity, object, field, message };
}
