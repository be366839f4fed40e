// Compiles a RouteTable into the structures the request path reads: a Map of exact hosts, a Map of
// wildcard suffixes (one label), the '*' virtual host, and per virtual host a PathMatcher. Every
// answer a lookup can give is a RouteTarget built here, so the request path allocates nothing to route.
//
// The routing contract is docs/routing.md (src/core/resolve-request.ts is its plain reference, and
// a property test holds this compiled form to it): the request's host picks ONE virtual host, the
// first that exists of exact name, one-label wildcard, '*'; there is no fall-through to the next.
// A path that matches none of its routes goes to that host's default backend, then the table's
// default backend, else 404. A refused route or default backend is still matched like any other:
// its target carries `refused`, and the request path answers 503 instead of forwarding.
import type { RouteCanary } from '../core/canary/canary-split.ts';
import type { Backend, Endpoint, Route, RouteTable, VirtualHost } from '../core/route-table.ts';
import { DEFAULT_POLICY, type HstsPolicy, type RoutePolicy } from '../core/policy.ts';
import { createPathMatcher, type PathMatcher } from './path-matcher.ts';
import { createEndpointPicker, type EndpointPicker, type EndpointPickerFactory } from './proxy/endpoint-picker.ts';
import { compileBasicAuth, type CompiledBasicAuth } from './steps/basic-auth.ts';
import { compileExternalAuth, type CompiledExternalAuth } from './steps/external-auth.ts';
import { compileCanary, type CompiledCanary } from './steps/canary.ts';
import { compileSourceRanges, type SourceRangeCheck } from './steps/source-range.ts';
import { compileUpstream, HTTP1_UPSTREAM, type CompiledUpstream } from './upstream/upstream-protocol.ts';
import { compileUpstreamEdits, type StandIn, type UpstreamEdits } from './steps/upstream-edits.ts';
import { compileRateLimit, type CompiledRateLimit } from './steps/rate-limits.ts';
import { compileClientCertificate, hostClientCertificate, type CompiledClientCertificate } from './steps/client-certificate.ts';
import { compileCustomErrors, compileSharedCustomErrors, type CompiledCustomErrors, type SharedCustomErrors } from './steps/custom-errors.ts';

/** What a request is sent to: a route (or a default backend) with everything needed to forward. */
export interface RouteTarget {
  /** Route id ('ns/ing#r0.p1'), or 'default:<ingress>' / 'default' for default backends: for logs. */
  readonly routeId: string;
  readonly backend: Backend;
  readonly policy: RoutePolicy;
  readonly picker: EndpointPicker;
  /** Plain-HTTP requests get a 308 to HTTPS: the host serves a certificate and the policy allows it. */
  readonly tlsRedirect: boolean;
  /** The Strict-Transport-Security value for HTTPS responses, when the policy asks for one. */
  readonly hsts: string | undefined;
  /**
   * Set when the route (or its Ingress's policy) is refused: the diagnostic code. The request is
   * answered 503 with this code in the access log, never forwarded (steps/check-route-access.ts).
   */
  readonly refused: string | undefined;
  /** The policy's client source ranges, compiled; undefined when every client is admitted. */
  readonly sourceRanges: SourceRangeCheck | undefined;
  /** The policy's basic authentication, compiled; undefined when none is asked (steps/basic-auth.ts). */
  readonly basicAuth: CompiledBasicAuth | undefined;
  /** The policy's external authentication (auth-url), compiled; undefined when none (steps/external-auth.ts). */
  readonly externalAuth: CompiledExternalAuth | undefined;
  /** How endpoints are reached (backend-protocol, proxy-ssl-*): upstream/upstream-protocol.ts. */
  readonly upstream: CompiledUpstream;
  /** rewrite-target, upstream-vhost, Location rewrite for this route; undefined when none (steps/upstream-edits.ts). */
  readonly upstreamEdits: UpstreamEdits | undefined;
  /** The policy's rate and connection limits, compiled; undefined when none (steps/rate-limits.ts). */
  readonly rateLimit: CompiledRateLimit | undefined;
  /** A canary splits this route: steps/canary.ts picks its target (same policy, the canary's backend) per request. */
  readonly canary?: CompiledCanary;
  /** mtls: the host asks for client certificates (steps/client-certificate.ts); per host, as nginx's ssl_verify_client. */
  readonly clientCertificate: CompiledClientCertificate | undefined;
  /** custom-http-errors: answers with these statuses come from the error backend (steps/custom-errors.ts); undefined when none. */
  readonly customErrors: CompiledCustomErrors | undefined;
}

export interface CompiledTable {
  readonly table: RouteTable;
  /** host: as returned by normalizeHost; path: the canonical path (no query). */
  lookup(host: string, path: string): RouteTarget | undefined;
  /** 'address:port' of every endpoint the table can send to (pools for others may be closed). */
  readonly endpointKeys: ReadonlySet<string>;
  /** Pickers by backend+policy key, kept so the next compile can reuse unchanged ones. */
  readonly pickers: ReadonlyMap<string, PickerEntry>;
}

export interface PickerEntry {
  readonly picker: EndpointPicker;
  /** Endpoints and policy as JSON: a picker is reused only when this is unchanged. */
  readonly signature: string;
}

export interface CompileOptions {
  /** The table being replaced: pickers whose backend and policy did not change keep their state. */
  previous?: CompiledTable;
  createPicker?: EndpointPickerFactory;
}

interface CompiledHost {
  readonly matcher: PathMatcher<RouteTarget>;
  readonly defaultTarget: RouteTarget | undefined;
  /** This host serves its own certificate (decides the HTTP → HTTPS redirect). */
  readonly hasTls: boolean;
  readonly clientCertificate: CompiledClientCertificate | undefined;
}

/** The picker key of error backends: never a policy key (those are Ingress keys, with a '/'). */
const CUSTOM_ERRORS_POLICY = '--custom-http-errors';

export function endpointKey(e: Pick<Endpoint, 'address' | 'port'>): string {
  return `${e.address}:${e.port}`;
}

export function compileTable(table: RouteTable, options: CompileOptions = {}): CompiledTable {
  const createPicker = options.createPicker ?? createEndpointPicker;
  const previousPickers = options.previous?.pickers;
  const pickers = new Map<string, PickerEntry>();
  const endpointKeys = new Set<string>();
  for (const b of Object.values(table.backends)) for (const e of b.endpoints) endpointKeys.add(endpointKey(e));

  const pickerFor = (backend: Backend, policyId: string, policy: RoutePolicy): EndpointPicker => {
    const key = `${backend.id}\u0000${policyId}`;
    const existing = pickers.get(key);
    if (existing) return existing.picker;
    const signature = JSON.stringify([backend.endpoints, backend.sessionAffinity, policy]);
    const prev = previousPickers?.get(key);
    const entry = prev && prev.signature === signature ? prev : { picker: createPicker(backend, policy), signature };
    pickers.set(key, entry);
    return entry.picker;
  };

  // One compiled check per policy: every route of an Ingress shares it.
  const rangeChecks = new Map<string, SourceRangeCheck | undefined>();
  const sourceRangesFor = (policyId: string, policy: RoutePolicy): SourceRangeCheck | undefined => {
    if (!rangeChecks.has(policyId)) rangeChecks.set(policyId, compileSourceRanges(policy.sourceRanges));
    return rangeChecks.get(policyId);
  };
  const rateLimits = new Map<string, CompiledRateLimit | undefined>();
  const rateLimitFor = (policyId: string, policy: RoutePolicy): CompiledRateLimit | undefined => {
    if (!rateLimits.has(policyId)) rateLimits.set(policyId, compileRateLimit(policyId, policy.rateLimit));
    return rateLimits.get(policyId);
  };
  const basicAuths = new Map<string, CompiledBasicAuth | undefined>();
  const basicAuthFor = (policyId: string, policy: RoutePolicy): CompiledBasicAuth | undefined => {
    if (!basicAuths.has(policyId)) basicAuths.set(policyId, compileBasicAuth(policy.basicAuth));
    return basicAuths.get(policyId);
  };
  const externalAuths = new Map<string, CompiledExternalAuth | undefined>();
  const externalAuthFor = (policyId: string, policy: RoutePolicy): CompiledExternalAuth | undefined => {
    if (!externalAuths.has(policyId)) externalAuths.set(policyId, compileExternalAuth(policy.externalAuth));
    return externalAuths.get(policyId);
  };

  // custom-http-errors: one error-backend picker per error backend, shared by the policies that use it.
  const customErrors = new Map<string, SharedCustomErrors | undefined>();
  const customErrorsFor = (policyId: string, policy: RoutePolicy, routeBackend: Backend): CompiledCustomErrors | undefined => {
    const ce = policy.customErrors;
    if (ce === undefined) return undefined;
    let shared = customErrors.get(policyId);
    if (shared === undefined) {
      const errorBackend = table.backends[ce.backend] ?? missingBackend(ce.backend);
      shared = compileSharedCustomErrors(ce, errorBackend, pickerFor(errorBackend, CUSTOM_ERRORS_POLICY, DEFAULT_POLICY));
      customErrors.set(policyId, shared);
    }
    return compileCustomErrors(shared, policyId, routeBackend);
  };

  // One compiled backend protocol per policy; settings the TLS library refuses refuse the routes.
  const upstreams = new Map<string, CompiledUpstream | { error: string }>();
  const upstreamFor = (policyId: string, policy: RoutePolicy): CompiledUpstream | { error: string } => {
    let u = upstreams.get(policyId);
    if (u === undefined) upstreams.set(policyId, (u = compileUpstream(policy)));
    return u;
  };

  const targetFor = (routeId: string, backendId: string, policyId: string, hostTls: boolean, refused: string | undefined, route?: Route, split?: RouteCanary, clientCertificate?: CompiledClientCertificate, defaultStandIn?: StandIn): RouteTarget => {
    const backend = table.backends[backendId] ?? missingBackend(backendId);
    const policy = table.policies[policyId] ?? DEFAULT_POLICY;
    const upstream = upstreamFor(policyId, policy);
    const upstreamError = 'error' in upstream ? 'ProxySslSecretInvalid' : undefined;
    // The canary's target: its own backend, the main route's policy (never its own).
    const canary = split === undefined ? undefined : compileCanary(split, targetFor(split.route, split.backend, policyId, hostTls, split.refused, route, undefined, clientCertificate));
    return {
      ...(canary === undefined ? {} : { canary }),
      routeId,
      backend,
      policy,
      picker: pickerFor(backend, policyId, policy),
      tlsRedirect: (hostTls && policy.sslRedirect) || policy.forceSslRedirect === true,
      hsts: policy.hsts ? hstsValue(policy.hsts) : undefined,
      // A route that cannot be served as written is refused before its policy's own refusal is asked.
      refused: refused ?? policy.refused?.code ?? upstreamError,
      sourceRanges: sourceRangesFor(policyId, policy),
      basicAuth: basicAuthFor(policyId, policy),
      externalAuth: externalAuthFor(policyId, policy),
      upstream: 'error' in upstream ? HTTP1_UPSTREAM : upstream,
      // The default-backend annotation's Service answering for the path: ingress-nginx's X-Code headers (not for a canary's target).
      upstreamEdits: compileUpstreamEdits(route, policy, route?.standsInFor !== undefined && route.backend === backendId ? { ingress: route.ingress, ...route.standsInFor } : defaultStandIn),
      rateLimit: rateLimitFor(policyId, policy),
      clientCertificate,
      customErrors: customErrorsFor(policyId, policy, backend),
    };
  };

  const compileHost = (vh: VirtualHost): CompiledHost => {
    const hasTls = vh.tls?.certificate !== undefined;
    const hostCertificate = hostClientCertificate(table, vh);
    const cc = hostCertificate === undefined ? undefined : compileClientCertificate(vh.host, hostCertificate);
    const matcher = createPathMatcher(
      vh.routes.map((r) => ({ path: r.path, match: r.match, value: targetFor(r.id, r.backend, r.policy, hasTls, r.refused, r, r.canary, cc) })),
    );
    const d = vh.defaultBackend;
    const defaultTarget = d ? targetFor(`default:${d.ingress}`, d.backend, d.policy, hasTls, d.refused, undefined, undefined, cc, standInOf(d)) : undefined;
    return { matcher, defaultTarget, hasTls, clientCertificate: cc };
  };

  const exact = new Map<string, CompiledHost>();
  const wildcard = new Map<string, CompiledHost>();
  let star: CompiledHost | undefined;
  for (const vh of table.virtualHosts) {
    const compiled = compileHost(vh);
    if (vh.host === '*') star = compiled;
    else if (vh.host.startsWith('*.')) wildcard.set(vh.host.slice(2), compiled);
    else exact.set(vh.host, compiled);
  }
  const td = table.defaultBackend;
  const tableDefault = td ? targetFor(td.ingress ? `default:${td.ingress}` : 'default', td.backend, td.policy, false, td.refused, undefined, undefined, undefined, standInOf(td)) : undefined;
  const hasWildcards = wildcard.size > 0;

  // The table's default backend reached from a TLS host still redirects to HTTPS: the twin target
  // carries the host's TLS flag. Built on first use, then reused.
  const tlsTwins = new WeakMap<RouteTarget, RouteTarget>();
  const withHostTls = (t: RouteTarget): RouteTarget => {
    if (t.tlsRedirect || !t.policy.sslRedirect) return t;
    let twin = tlsTwins.get(t);
    if (!twin) {
      twin = { ...t, tlsRedirect: true };
      tlsTwins.set(t, twin);
    }
    return twin;
  };
  // mtls: the catch-all reached from an mTLS host keeps the host's client-certificate requirement.
  const mtlsTwins = new Map<string, RouteTarget>();
  const withHostCertificate = (t: RouteTarget, h: CompiledHost): RouteTarget => {
    const cc = h.clientCertificate;
    if (cc === undefined) return t;
    let twin = mtlsTwins.get(cc.hostKey);
    if (!twin) {
      twin = { ...t, clientCertificate: cc };
      mtlsTwins.set(cc.hostKey, twin);
    }
    return twin;
  };

  return {
    table,
    endpointKeys,
    pickers,
    lookup(host: string, path: string): RouteTarget | undefined {
      let h = exact.get(host);
      if (h === undefined && hasWildcards) {
        const dot = host.indexOf('.');
        if (dot > 0) h = wildcard.get(host.slice(dot + 1));
      }
      if (h === undefined) h = star;
      if (h === undefined) return tableDefault;
      const t = h.matcher.match(path);
      if (t !== undefined) return t;
      if (h.defaultTarget !== undefined) return h.defaultTarget;
      // The catch-all serves a TLS host too: plain HTTP to that host still redirects.
      const fallback = tableDefault !== undefined && h.hasTls ? withHostTls(tableDefault) : tableDefault;
      return fallback === undefined ? undefined : withHostCertificate(fallback, h);
    },
  };
}

/** A default backend answered by the default-backend annotation's Service in its place. */
function standInOf(d: { ingress?: string; standsInFor?: { service: string; port: number | string } }): StandIn | undefined {
  return d.standsInFor === undefined || d.ingress === undefined ? undefined : { ingress: d.ingress, ...d.standsInFor };
}

function missingBackend(id: string): Backend {
  // The builder never emits a route to an unknown backend; if it did, answer 503 rather than crash.
  const colon = id.lastIndexOf(':');
  const slash = id.indexOf('/');
  return {
    id,
    namespace: slash === -1 ? '' : id.slice(0, slash),
    service: id.slice(slash + 1, colon === -1 ? undefined : colon),
    servicePort: colon === -1 ? '' : id.slice(colon + 1),
    endpoints: [],
    sessionAffinity: 'None',
  };
}

function hstsValue(h: HstsPolicy): string {
  return `max-age=${Math.max(0, Math.floor(h.maxAgeSeconds))}${h.includeSubDomains ? '; includeSubDomains' : ''}${h.preload ? '; preload' : ''}`;
}
