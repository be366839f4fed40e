// An Ingress's annotations → its typed RoutePolicy, driven by the tables in annotation-schema.ts.
// Each value passes the safety gate, then its typed parse; a bad value is reported against its
// annotation and the default applies. Unknown `gatehouse.dev/` keys are reported as likely typos,
// and ingress-nginx keys Gatehouse does not read are reported as unsupported, so nothing is
// silently ignored. An annotation (of ingress-nginx or another controller) that asks for a
// protection Gatehouse cannot honour sets `policy.refused`: the Ingress's routes answer 503.
// Nothing here is ever evaluated, templated or copied into a header.

import type { Diagnostic } from '../diagnostics.ts';
import { makeDiagnostic, type DiagnosticCode } from '../diagnostic-codes.ts';
import type { Ingress } from '../model.ts';
import { objectRef } from '../object-ref.ts';
import { DEFAULT_BACKEND_ANNOTATION } from '../resolve-annotation-default-backend.ts';
import { DEFAULT_POLICY, UNLIMITED_BODY_SIZE, type CookieAffinity, type PolicyRefusal, type RoutePolicy } from '../policy.ts';
import { quoteValue } from '../quote-value.ts';
import {
  ANNOTATIONS,
  CORS_DEFAULT_HEADERS,
  CORS_DEFAULT_MAX_AGE,
  CORS_DEFAULT_METHODS,
  DEFAULT_BURST_MULTIPLIER,
  GATEHOUSE_NAMES,
  GATEHOUSE_PREFIX,
  NGINX_ALREADY_SO,
  NGINX_ANNOTATIONS,
  NGINX_NOT_MAPPED,
  NGINX_PREFIX,
  type AnnotationField,
  type AnnotationValues,
} from './annotation-schema.ts';
import { checkAnnotationValue } from './check-annotation-value.ts';
import { closestName } from './closest-name.ts';
import { CANARY_KEYS } from './parse-canary.ts';
import { matchProtection } from './protection-annotations.ts';
import { BACKEND_PROTOCOL_KEYS } from './resolve-backend-protocol.ts';
import { BASIC_AUTH_KEYS } from './resolve-basic-auth.ts';
import { SNIPPET_KEYS } from '../snippets/resolve-snippets.ts';
import { EXTERNAL_AUTH_KEYS } from './resolve-external-auth.ts';
import { CLIENT_CERTIFICATE_KEYS } from './resolve-client-certificate.ts';
import { maxValueLength, parseValue, type ValueType } from './value-types.ts';

export const DEFAULT_COOKIE_NAME = 'GATEHOUSE';
export const DEFAULT_HSTS_MAX_AGE = 31_536_000;

/** tlsedge: the same literal as collect-passthrough.ts's SSL_PASSTHROUGH_ANNOTATION (no import cycle). */
const SSL_PASSTHROUGH_KEY = `${NGINX_PREFIX}ssl-passthrough`;
const GATEHOUSE_BY_NAME = new Map(ANNOTATIONS.map((a) => [a.name, a]));
const NGINX_BY_NAME = new Map(NGINX_ANNOTATIONS.map((m) => [m.name, m]));
const NGINX_WHY = new Map(NGINX_NOT_MAPPED.map((m) => [m.name, m.why]));
const NGINX_ALREADY = new Map(NGINX_ALREADY_SO.map((m) => [m.name, m.value]));

type RefusalCode = 'AnnotationProtectionInvalid' | 'AnnotationProtectionUnsupported' | 'AnnotationActionInvalid';

/** Which annotation key gave each field its value (for diagnostics about combinations). */
type Sources = Partial<Record<AnnotationField, string>>;

/**
 * custom-http-errors as parsed, with the key that set it: its error backend is resolved with the
 * Services (core/resolve-custom-errors.ts), so it joins the policy there.
 */
export interface CustomHttpErrorsSetting {
  codes: number[];
  key: string;
  /** disable-proxy-intercept-errors: the backend's answers are relayed; only Gatehouse's own are replaced. */
  ownAnswersOnly: boolean;
}

export function parseIngressPolicy(ingress: Ingress): { policy: RoutePolicy; diagnostics: Diagnostic[]; customHttpErrors?: CustomHttpErrorsSetting } {
  const object = objectRef(ingress);
  const diagnostics: Diagnostic[] = [];
  const report = (code: DiagnosticCode, key: string, message: string): void => {
    diagnostics.push(makeDiagnostic(code, object, fieldOf(key), message));
  };
  const annotations = ingress.metadata.annotations;
  const values: Partial<AnnotationValues> = {};
  const sources: Sources = {};
  /** Fields whose annotation was present but did not parse (already reported): no second word on their companions. */
  const failed = new Set<AnnotationField>();
  let refused: PolicyRefusal | undefined;
  const refuse = (code: RefusalCode, key: string): void => {
    refused ??= { code, annotation: key };
  };

  // Sorted keys: the diagnostics come out in the same order whatever order the source gave.
  const keys = Object.keys(annotations).sort();
  // gatehouse.dev/ first, so it wins over an ingress-nginx key for the same setting.
  for (const key of keys) {
    if (!key.startsWith(GATEHOUSE_PREFIX)) continue;
    if (BACKEND_PROTOCOL_KEYS.has(key)) continue; // read with the Secrets by resolve-backend-protocol.ts
    const name = key.slice(GATEHOUSE_PREFIX.length);
    const spec = GATEHOUSE_BY_NAME.get(name);
    if (spec === undefined) {
      const suggestion = closestName(name, GATEHOUSE_NAMES);
      report('AnnotationUnknown', key, `${quoteValue(key)} is not a Gatehouse annotation and is ignored${suggestion === undefined ? '' : `; did you mean "${GATEHOUSE_PREFIX}${suggestion}"?`}`);
      continue;
    }
    const parsed = readValue(key, annotations[key]!, spec.type, report, refusalOf(spec, refuse));
    if (parsed !== undefined) set(values, sources, spec.field, parsed, key);
    else failed.add(spec.field);
  }
  // Mapped ingress-nginx keys in table order, which is their precedence.
  for (const mapping of NGINX_ANNOTATIONS) {
    const key = NGINX_PREFIX + mapping.name;
    const text = annotations[key];
    if (text === undefined || !Object.hasOwn(annotations, key)) continue;
    const winner = sources[mapping.field];
    if (winner !== undefined) {
      // A gatehouse.dev/ key or an earlier nginx key set it. For a protection, say which one applies.
      if (mapping.protection === true) report('AnnotationNoEffect', key, `${quoteValue(key)} has no effect: ${quoteValue(winner)} sets the same protection and wins`);
      continue;
    }
    const parsed = readValue(key, text, mapping.type, report, refusalOf(mapping, refuse));
    if (parsed !== undefined) set(values, sources, mapping.field, mapping.convert ? mapping.convert(parsed) : parsed, key);
    else failed.add(mapping.field);
  }
  // Other controllers' annotations (and ingress-nginx's unmapped ones): a protection Gatehouse does
  // not enforce refuses the Ingress; anything else is a warning that it is not read.
  for (const key of keys) {
    if (key.startsWith(NGINX_PREFIX) && NGINX_BY_NAME.has(key.slice(NGINX_PREFIX.length))) continue;
    if (key === DEFAULT_BACKEND_ANNOTATION) continue; // read by the route builder (resolve-annotation-default-backend.ts)
    if (BASIC_AUTH_KEYS.has(key)) continue; // read with the Secrets by resolve-basic-auth.ts
    if (SNIPPET_KEYS.has(key)) continue; // read by snippets/resolve-snippets.ts
    if (key.startsWith(NGINX_PREFIX) && NGINX_ALREADY.get(key.slice(NGINX_PREFIX.length)) === annotations[key]) continue;
    if (EXTERNAL_AUTH_KEYS.has(key)) continue; // read by resolve-external-auth.ts
    if (BACKEND_PROTOCOL_KEYS.has(key)) continue; // read with the Secrets by resolve-backend-protocol.ts
    if (CANARY_KEYS.has(key)) continue; // canary: read by parse-canary.ts
    if (CLIENT_CERTIFICATE_KEYS.has(key)) continue; // mtls: read with the Secrets by resolve-client-certificate.ts
    if (key === SSL_PASSTHROUGH_KEY) continue; // tlsedge: read by core/collect-passthrough.ts
    const match = matchProtection(key, annotations[key]!);
    if (match === undefined) continue;
    if (match.asks && match.rule !== undefined) {
      report('AnnotationProtectionUnsupported', key, `${quoteValue(key)} asks for ${match.rule.protects}, which Gatehouse does not enforce; every route of this Ingress answers 503 until it is removed (see docs/security.md, Fail closed)`);
      refuse('AnnotationProtectionUnsupported', key);
      continue;
    }
    if (key.startsWith(NGINX_PREFIX)) {
      const name = key.slice(NGINX_PREFIX.length);
      const why = NGINX_WHY.get(name) ?? (NGINX_ALREADY.has(name) ? `Gatehouse always streams; only "${NGINX_ALREADY.get(name)}" is honoured` : undefined) ?? (match.rule === undefined ? undefined : `this value asks for no ${match.rule.protects}`);
      report('AnnotationUnsupported', key, `${quoteValue(key)} is an ingress-nginx annotation Gatehouse does not read${why === undefined ? '' : `: ${why}`}; see docs/annotations.md`);
    } else {
      report('AnnotationForeignController', key, `${quoteValue(key)} is an annotation of ${match.controller.controller}, which Gatehouse does not read; it is ignored`);
    }
  }
  const policy = assemblePolicy(values, sources, report, failed);
  if (refused !== undefined) policy.refused = refused;
  const codes = values.customHttpErrors;
  if (codes === undefined) {
    const key = sources.disableProxyInterceptErrors;
    if (key !== undefined && !failed.has('customHttpErrors')) report('AnnotationNoEffect', key, `${quoteValue(key)} has no effect: there is no custom-http-errors`);
    return { policy, diagnostics };
  }
  return { policy, diagnostics, customHttpErrors: { codes, key: sources.customHttpErrors!, ownAnswersOnly: values.disableProxyInterceptErrors === true } };
}

/** How an unparsable value of this annotation refuses the Ingress, if it does. */
interface Refusal {
  code: 'AnnotationProtectionInvalid' | 'AnnotationActionInvalid';
  asks: string;
  refuse: (code: RefusalCode, key: string) => void;
}

function refusalOf(spec: { protection?: true; action?: true }, refuse: (code: RefusalCode, key: string) => void): Refusal | undefined {
  if (spec.protection === true) return { code: 'AnnotationProtectionInvalid', asks: 'asks for a protection', refuse };
  if (spec.action === true) return { code: 'AnnotationActionInvalid', asks: 'changes what the routes answer', refuse };
  return undefined;
}

/**
 * The value through the safety gate and its typed parse. With `refusal` (the annotation asks for a
 * protection, or changes what the routes answer), a value that fails either refuses the Ingress,
 * never the default (which would be no protection at all, or an answer nobody asked for).
 */
function readValue(
  key: string,
  text: string,
  type: ValueType,
  report: (code: DiagnosticCode, key: string, message: string) => void,
  refusal?: Refusal,
): unknown {
  // Header lines carry ';' and quotes legitimately (Content-Security-Policy): their parser is the
  // gate (printable ASCII only, no line break inside a value, only the documented variables).
  const unsafe = type.kind === 'header-lines' ? checkHeaderLinesValue(text, maxValueLength(type)) : checkAnnotationValue(text, maxValueLength(type));
  const parsed = unsafe === undefined ? parseValue(type, text) : undefined;
  if (parsed?.ok === true) return parsed.value;
  if (refusal !== undefined) {
    const why = unsafe !== undefined ? `its value ${unsafe}` : `${quoteValue(text.length > 200 ? `${text.slice(0, 200)}...` : text)} is not valid: ${parsed!.ok ? '' : parsed!.reason}`;
    report(refusal.code, key, `${quoteValue(key)} ${refusal.asks}, but ${why}; every route of this Ingress answers 503 until it is corrected`);
    refusal.refuse(refusal.code, key);
    return undefined;
  }
  if (unsafe !== undefined) {
    report('AnnotationValueUnsafe', key, `the value of ${quoteValue(key)} ${unsafe}; it is ignored and the default applies`);
    return undefined;
  }
  report('AnnotationInvalid', key, `${quoteValue(text)} is not a valid value for ${quoteValue(key)}: ${parsed!.ok ? '' : parsed!.reason}; the default applies`);
  return undefined;
}

/** The gate of header lines: printable ASCII and tabs, lines separated by LF only. */
function checkHeaderLinesValue(text: string, maxLength: number): string | undefined {
  if (text.length > maxLength) return `is longer than ${maxLength} characters`;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x09) continue;
    if (c === 0x0d) return 'contains a carriage return (CR): separate the lines with LF only';
    if (c === 0) return 'contains a NUL byte';
    if (c < 0x20 || c === 0x7f) return 'contains a control character';
    if (c > 0x7e) return 'contains a non-ASCII character';
  }
  return undefined;
}

function set(values: Partial<AnnotationValues>, sources: Sources, field: AnnotationField, value: unknown, key: string): void {
  // The type descriptor of the key decided the value's type; the table pairs each field with it.
  (values as Record<string, unknown>)[field] = value;
  sources[field] = key;
}

/** Combines the values into a policy, with defaults, and reports settings that cannot take effect. */
function assemblePolicy(v: Partial<AnnotationValues>, sources: Sources, report: (code: DiagnosticCode, key: string, message: string) => void, failed: ReadonlySet<AnnotationField>): RoutePolicy {
  const policy: RoutePolicy = { ...DEFAULT_POLICY };
  const noEffect = (field: AnnotationField, why: string): void => {
    const key = sources[field];
    if (key !== undefined) report('AnnotationNoEffect', key, `${quoteValue(key)} has no effect: ${why}`);
  };

  if (v.sslRedirect !== undefined) policy.sslRedirect = v.sslRedirect;
  if (v.forceSslRedirect === true) policy.forceSslRedirect = true;

  if (v.hsts === true) {
    policy.hsts = { maxAgeSeconds: v.hstsMaxAge ?? DEFAULT_HSTS_MAX_AGE, includeSubDomains: v.hstsIncludeSubdomains ?? false, preload: v.hstsPreload ?? false };
  } else {
    for (const f of ['hstsMaxAge', 'hstsIncludeSubdomains', 'hstsPreload'] as const) noEffect(f, `${GATEHOUSE_PREFIX}hsts is not "true"`);
  }

  if (v.affinity === 'cookie') {
    policy.affinity = cookieAffinity(v, sources, report, noEffect);
  } else {
    for (const f of ['sessionCookieName', 'sessionCookiePath', 'sessionCookieMaxAge', 'sessionCookieSameSite', 'sessionCookieSecure'] as const) {
      noEffect(f, 'cookie affinity is not on (affinity: "cookie")');
    }
  }

  const hashFromNginx = sources.hashKey?.startsWith(NGINX_PREFIX) === true;
  policy.loadBalance = v.loadBalance ?? (hashFromNginx ? 'consistent-hash' : DEFAULT_POLICY.loadBalance);
  if (policy.loadBalance === 'consistent-hash') policy.hashKey = v.hashKey ?? { kind: 'client-ip' };
  else noEffect('hashKey', `load balancing is ${policy.loadBalance}, not consistent-hash`);

  if (v.retries !== undefined) policy.retries = v.retries;
  if (v.connectTimeout !== undefined) policy.connectTimeoutMs = v.connectTimeout;
  if (v.readTimeout !== undefined) policy.readTimeoutMs = v.readTimeout;
  if (v.sendTimeout !== undefined) policy.sendTimeoutMs = v.sendTimeout;
  if (v.maxBodySize !== undefined) policy.maxBodySize = v.maxBodySize === 0 ? UNLIMITED_BODY_SIZE : v.maxBodySize;
  if (v.ejectOn5xx !== undefined) policy.ejectOn5xx = v.ejectOn5xx;
  if (v.allowSourceRange !== undefined || v.denySourceRange !== undefined) {
    policy.sourceRanges = {};
    if (v.allowSourceRange !== undefined) policy.sourceRanges.allow = v.allowSourceRange;
    if (v.denySourceRange !== undefined) policy.sourceRanges.deny = v.denySourceRange;
  }
  assembleRedirects(policy, v, sources, report, noEffect);
  assembleUpstreamEdits(policy, v, sources, report, (field, why) => {
    // A companion whose own annotation failed to parse was reported already.
    if (!(field === 'xForwardedPrefix' && failed.has('rewriteTarget')) && !(field === 'proxyRedirectTo' && failed.has('proxyRedirectFrom')) && !(field === 'proxyRedirectFrom' && failed.has('proxyRedirectTo'))) noEffect(field, why);
  });
  if (v.enableCors === true) {
    policy.cors = {
      origins: v.corsAllowOrigin ?? '*',
      allowMethods: v.corsAllowMethods ?? [...CORS_DEFAULT_METHODS],
      allowHeaders: v.corsAllowHeaders ?? [...CORS_DEFAULT_HEADERS],
      exposeHeaders: v.corsExposeHeaders ?? [],
      allowCredentials: v.corsAllowCredentials ?? true,
      maxAgeSeconds: v.corsMaxAge ?? CORS_DEFAULT_MAX_AGE,
    };
  } else {
    for (const f of ['corsAllowOrigin', 'corsAllowMethods', 'corsAllowHeaders', 'corsExposeHeaders', 'corsAllowCredentials', 'corsMaxAge'] as const) {
      noEffect(f, 'CORS is not on (enable-cors: "true")');
    }
  }
  if (v.requestHeaders !== undefined || v.responseHeaders !== undefined || v.removeResponseHeaders !== undefined) {
    policy.headerEdits = {
      request: v.requestHeaders ?? [],
      response: (v.responseHeaders ?? []).map((h) => ({ ...h, mode: 'set' as const, always: true })),
      hide: v.removeResponseHeaders ?? [],
    };
  }
  assembleRateLimit(policy, v, noEffect);
  return policy;
}

/**
 * ingress-nginx's ratelimit annotation: a limit of 0 is no limit; the multiplier and the whitelist
 * only matter with a rate (or, for the whitelist, a connection limit).
 */
function assembleRateLimit(policy: RoutePolicy, v: Partial<AnnotationValues>, noEffect: (field: AnnotationField, why: string) => void): void {
  const rps = v.limitRps ?? 0;
  const rpm = v.limitRpm ?? 0;
  const connections = v.limitConnections ?? 0;
  if (rps === 0 && rpm === 0) noEffect('limitBurstMultiplier', 'neither limit-rps nor limit-rpm is set');
  if (rps === 0 && rpm === 0 && connections === 0) {
    noEffect('limitWhitelist', 'no limit-rps, limit-rpm or limit-connections is set');
    return;
  }
  const limit: NonNullable<RoutePolicy['rateLimit']> = { burstMultiplier: v.limitBurstMultiplier ?? DEFAULT_BURST_MULTIPLIER };
  if (rps > 0) limit.rps = rps;
  if (rpm > 0) limit.rpm = rpm;
  if (connections > 0) limit.connections = connections;
  if (v.limitWhitelist !== undefined) limit.whitelist = v.limitWhitelist;
  policy.rateLimit = limit;
}

/**
 * ingress-nginx's redirect annotation (internal/ingress/annotations/redirect): temporal-redirect is
 * read first and wins; a code outside its range falls back to the default (302 for temporal, within
 * 300..307; 301 for permanent, within 300..308). app-root is independent (its own server-level rule).
 */
function assembleRedirects(
  policy: RoutePolicy,
  v: Partial<AnnotationValues>,
  sources: Sources,
  report: (code: DiagnosticCode, key: string, message: string) => void,
  noEffect: (field: AnnotationField, why: string) => void,
): void {
  const codeOf = (field: 'permanentRedirectCode' | 'temporalRedirectCode', max: number, fallback: number): number => {
    const code = v[field];
    if (code === undefined) return fallback;
    if (code >= 300 && code <= max) return code;
    const key = sources[field]!;
    report('AnnotationInvalid', key, `${quoteValue(String(code))} is not a valid value for ${quoteValue(key)}: outside 300 to ${max}; ${fallback} applies, as in ingress-nginx`);
    return fallback;
  };
  if (v.temporalRedirect !== undefined) {
    policy.redirect = { kind: 'temporal', code: codeOf('temporalRedirectCode', 307, 302), location: v.temporalRedirect };
    noEffect('permanentRedirect', 'temporal-redirect is set and wins, as in ingress-nginx');
    noEffect('permanentRedirectCode', 'temporal-redirect is set and wins, as in ingress-nginx');
  } else {
    noEffect('temporalRedirectCode', 'there is no temporal-redirect');
    if (v.permanentRedirect !== undefined) policy.redirect = { kind: 'permanent', code: codeOf('permanentRedirectCode', 308, 301), location: v.permanentRedirect };
    else noEffect('permanentRedirectCode', 'there is no permanent-redirect');
  }
  if (v.appRoot !== undefined) policy.appRoot = v.appRoot;
  if (v.fromToWwwRedirect === true) policy.fromToWww = true;
}

/**
 * use-regex, rewrite-target, x-forwarded-prefix, upstream-vhost and proxy-redirect-from/-to, with
 * ingress-nginx's template logic: X-Forwarded-Prefix only with a rewrite; proxy_redirect written
 * only for `off`, `default`, or a FROM with a TO that is not `off`.
 */
function assembleUpstreamEdits(
  policy: RoutePolicy,
  v: Partial<AnnotationValues>,
  sources: Sources,
  report: (code: DiagnosticCode, key: string, message: string) => void,
  noEffect: (field: AnnotationField, why: string) => void,
): void {
  if (v.useRegex === true || v.rewriteTarget !== undefined) policy.regexPaths = true;
  if (v.rewriteTarget !== undefined) {
    const target = v.rewriteTarget.map((p) => (p.kind === 'text' ? p.text : `$${p.index}`)).join('');
    policy.rewrite = { target, parts: v.rewriteTarget };
    if (v.xForwardedPrefix !== undefined) policy.rewrite.forwardedPrefix = v.xForwardedPrefix;
  } else {
    noEffect('xForwardedPrefix', 'ingress-nginx sends X-Forwarded-Prefix only with rewrite-target, and there is none');
  }
  if (v.upstreamVhost !== undefined) policy.upstreamVhost = v.upstreamVhost;
  const from = v.proxyRedirectFrom;
  const to = v.proxyRedirectTo;
  if (from === undefined || from.kind === 'off') {
    noEffect('proxyRedirectTo', from === undefined ? 'there is no proxy-redirect-from' : 'proxy-redirect-from is off');
  } else if (from.kind === 'default') {
    const key = sources.proxyRedirectFrom!;
    report('AnnotationNoEffect', key, `${quoteValue(key)} has no effect: "default" is nginx's proxy_redirect default, which under ingress-nginx only rewrites URLs naming its internal upstream (http://upstream_balancer/), which no backend sends; Gatehouse rewrites nothing`);
    noEffect('proxyRedirectTo', 'proxy-redirect-from is "default"');
  } else if (to === undefined || to.kind !== 'text') {
    noEffect('proxyRedirectFrom', to === undefined ? 'there is no proxy-redirect-to (ingress-nginx writes no proxy_redirect then)' : `proxy-redirect-to is "${to.kind}", so ingress-nginx writes no proxy_redirect`);
    if (to !== undefined && to.kind === 'default') noEffect('proxyRedirectTo', '"default" is not a replacement');
  } else {
    policy.proxyRedirect = { from: from.text, to: to.text };
  }
}

function cookieAffinity(
  v: Partial<AnnotationValues>,
  sources: Sources,
  report: (code: DiagnosticCode, key: string, message: string) => void,
  noEffect: (field: AnnotationField, why: string) => void,
): CookieAffinity {
  const cookieName = v.sessionCookieName ?? DEFAULT_COOKIE_NAME;
  let path = v.sessionCookiePath ?? '/';
  // Cookie name prefixes (RFC 6265bis §4.1.3): browsers drop such cookies without these attributes.
  const hostPrefix = cookieName.startsWith('__Host-');
  if (hostPrefix && path !== '/') {
    const key = sources.sessionCookiePath!;
    report('AnnotationInvalid', key, `${quoteValue(path)} is not a valid value for ${quoteValue(key)}: a __Host- cookie must have the path /; the default applies`);
    path = '/';
  }
  const affinity: CookieAffinity = { cookieName, path };
  if (v.sessionCookieMaxAge !== undefined) affinity.maxAgeSeconds = v.sessionCookieMaxAge;
  if (v.sessionCookieSameSite !== undefined) affinity.sameSite = v.sessionCookieSameSite;
  const secureRequired = v.sessionCookieSameSite === 'None' ? 'SameSite=None' : hostPrefix || cookieName.startsWith('__Secure-') ? 'the cookie name prefix' : undefined;
  if (secureRequired !== undefined) {
    if (v.sessionCookieSecure === false) noEffect('sessionCookieSecure', `${secureRequired} requires the Secure attribute, so it is always set`);
    affinity.secure = true;
  } else if (v.sessionCookieSecure !== undefined) {
    affinity.secure = v.sessionCookieSecure;
  }
  return affinity;
}

function fieldOf(key: string): string {
  return `metadata.annotations[${quoteValue(key)}]`;
}
