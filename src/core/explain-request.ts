// "Where does this URL go, and why": the routing contract of docs/routing.md (resolve-request.ts)
// replayed step by step as data, for `gatehouse explain`, /debug/explain and the dashboard. Pure:
// the caller canonicalises the request target with the data plane's own canonicaliser and passes
// in the live endpoint health when it has one, so the answer here is the answer a client gets.

import { templateText } from './snippets/value-template.ts';
import { RE2JS } from 're2js';
import type { RouteCanary } from './canary/canary-split.ts';
import { chooseCanary, describeCanary, type CanaryReason, type CanarySide } from './canary/choose-canary.ts';
import type { Diagnostic } from './diagnostics.ts';
import { hostLookupOrder, normaliseHost } from './host-match.ts';
import { pathElements, pathMatches } from './path-match.ts';
import { DEFAULT_POLICY, UNLIMITED_BODY_SIZE, type RoutePolicy, type SourceRanges } from './policy.ts';
import { compileRegexPath } from './regex-path.ts';
import { rewriteApplies, rewritePath } from './rewrite-path.ts';
import type { Backend, Endpoint, Route, RouteTable, VirtualHost } from './route-table.ts';
import { formatByteSize, formatDuration } from './units.ts';

/** The request target after the data plane's canonicalisation (canonicalizeTarget's result). */
export type CanonicalRequestTarget = { ok: true; path: string; query: string } | { ok: false; status: number; reason: string };

export interface ExplainInput {
  scheme: 'http' | 'https';
  /** The Host as the client sends it ('foo.example.com:8080'); normalised here as the data plane does. */
  hostHeader: string;
  /** The request target as given, before canonicalisation (shown when it differs). */
  rawTarget: string;
  target: CanonicalRequestTarget;
  /** Request headers, lower-case names (affinity and hash keys read them). */
  headers?: Readonly<Record<string, string>>;
  clientIp?: string;
}

/** Live passive-health state of one endpoint ('address:port'), when explaining against a running Gatehouse. */
export interface EndpointHealthState {
  ejected: boolean;
  ejectedForMs?: number;
  inFlight?: number;
}

export interface ExplainContext {
  /** The HTTPS port in redirect Locations (443 is left out). */
  httpsPort: number;
  /** Controller-wide values that apply where the policy says nothing (the flags). */
  defaults: { connectTimeoutMs: number; readTimeoutMs: number; sendTimeoutMs: number; maxBodySize?: number };
  /** Diagnostics of the build; those about the objects involved are attached. */
  diagnostics?: readonly Diagnostic[];
  /** Endpoint 'address:port' → live health; absent offline. */
  health?: ReadonlyMap<string, EndpointHealthState>;
  /** Whether a client address passes a route's source ranges (the data plane's CIDR matcher, injected: the core does no address math). */
  admitsSource?: (ranges: SourceRanges, clientIp: string) => boolean;
}

/** The winner's own refusal (an unresolvable backend or an invalid path keeps its place and answers 503). */
function refusalOf(decision: Decision, virtualHost: RouteTable['virtualHosts'][number] | undefined, table: RouteTable): string | undefined {
  if (decision.kind === 'route') return virtualHost?.routes.find((r) => r.id === decision.route)?.refused;
  if (decision.kind === 'host-default') return virtualHost?.defaultBackend?.refused;
  if (decision.kind === 'table-default') return table.defaultBackend?.refused;
  return undefined;
}

export type HostMatchKind = 'exact' | 'wildcard' | 'catch-all' | 'none';

export interface HostStep {
  /** The normalised host the lookup used. */
  host: string;
  /** Patterns in lookup order; the first that exists is chosen, there is no fallthrough. */
  tried: { pattern: string; exists: boolean }[];
  match: HostMatchKind;
  virtualHost?: string;
  reason: string;
  /** The certificate the virtual host serves, when it has TLS. */
  tls?: { certificate?: string; ingress: string };
}

export type CandidateOutcome = 'matched' | 'no-match' | 'not-tried';

export interface PathCandidate {
  route: string;
  ingress: string;
  path: string;
  pathType: Route['pathType'];
  match: Route['match'];
  backend: string;
  outcome: CandidateOutcome;
  /** Would this route match the path? (for 'not-tried': whether it lost only on specificity) */
  matches: boolean;
  reason: string;
}

export type Decision =
  | { kind: 'route'; route: string; ingress: string; reason: string }
  | { kind: 'host-default'; ingress: string; reason: string }
  | { kind: 'table-default'; ingress?: string; reason: string }
  | { kind: 'none'; reason: string };

export interface PolicyLine {
  /** The setting ('ssl-redirect', 'connect-timeout', ...), named after its annotation. */
  setting: string;
  value: string;
  /** 'annotation' when the Ingress set it, 'flag' for a controller-wide flag, 'default' otherwise. */
  source: 'annotation' | 'flag' | 'default';
  /** Does it act on this request? (HSTS on plain HTTP, a redirect without TLS: no.) */
  applies: boolean;
  note?: string;
}

export type EndpointState = 'ready' | 'serving' | 'terminating' | 'not-ready';

export interface EndpointExplanation {
  address: string;
  port: number;
  targetRef?: string;
  state: EndpointState;
  ejected: boolean;
  ejectedForMs?: number;
  inFlight?: number;
  /** Would this request be sent here (one of them, by the load-balancing choice)? */
  eligible: boolean;
  reason: string;
}

export interface BackendExplanation {
  id: string;
  namespace: string;
  service: string;
  servicePort: number | string;
  sessionAffinity: Backend['sessionAffinity'];
  endpoints: EndpointExplanation[];
  eligible: number;
  /** Every usable endpoint is ejected, so all are used anyway (panic mode). */
  panic: boolean;
  /** The backend id named by the route is missing from the table (never expected from the builder). */
  missing?: boolean;
}

export type Answer =
  | { kind: 'proxied'; status?: undefined; backend: string; summary: string; headers: string[] }
  | { kind: 'redirect'; status: 308; location: string; summary: string }
  | { kind: 'status'; status: number; summary: string };

/** The canary step: which side of a split route serves this request, and why. */
export interface CanaryExplanation {
  /** The canary Ingress and its route. */
  ingress: string;
  route: string;
  backend: string;
  side: CanarySide;
  reason: CanaryReason;
  summary: string;
}

export interface Explanation {
  canary?: CanaryExplanation;
  request: { scheme: 'http' | 'https'; hostHeader: string; rawTarget: string; path?: string; query?: string; clientIp?: string; headers: Record<string, string> };
  host?: HostStep;
  candidates: PathCandidate[];
  decision?: Decision;
  policy?: { id: string; lines: PolicyLine[] };
  backend?: BackendExplanation;
  answer: Answer;
  /** The request reaches a backend (the CLI's exit code 0). */
  served: boolean;
  /** Diagnostics about the Ingress(es), Service and Secret involved. */
  diagnostics: Diagnostic[];
}

export function explainRequest(table: RouteTable, input: ExplainInput, context: ExplainContext): Explanation {
  const headers = { ...(input.headers ?? {}) };
  const request: Explanation['request'] = { scheme: input.scheme, hostHeader: input.hostHeader, rawTarget: input.rawTarget, headers };
  if (input.clientIp !== undefined) request.clientIp = input.clientIp;
  if (!input.target.ok) {
    const { status, reason } = input.target;
    return {
      request,
      candidates: [],
      answer: { kind: 'status', status, summary: `${status}: the request target is refused before routing (${reason})` },
      served: false,
      diagnostics: [],
    };
  }
  const { path, query } = input.target;
  request.path = path;
  request.query = query;

  const host = normaliseHost(input.hostHeader);
  const hostStep = explainHost(table, host);
  const virtualHost = hostStep.virtualHost === undefined ? undefined : table.virtualHosts.find((v) => v.host === hostStep.virtualHost);
  const candidates = virtualHost === undefined ? [] : explainPaths(virtualHost, path);
  const winner = virtualHost?.routes.find((r) => candidates.some((c) => c.route === r.id && c.outcome === 'matched'));

  // Which target, as compile-table.ts computes it (RouteTarget: backend, policy, tlsRedirect).
  let decision: Decision;
  let canary: CanaryExplanation | undefined;
  let canaryRefused: string | undefined;
  let backendId: string | undefined;
  let policyId: string | undefined;
  const hostHasTls = virtualHost?.tls?.certificate !== undefined;
  if (winner !== undefined) {
    decision = { kind: 'route', route: winner.id, ingress: winner.ingress, reason: `path ${winner.path} (${winner.pathType}) of Ingress ${winner.ingress}` };
    backendId = winner.backend;
    policyId = winner.policy;
    if (winner.canary !== undefined) {
      canary = explainCanary(winner.canary, input);
      if (canary.side === 'canary') {
        backendId = winner.canary.backend;
        canaryRefused = winner.canary.refused;
      }
    }
  } else if (virtualHost?.defaultBackend !== undefined) {
    const d = virtualHost.defaultBackend;
    decision = { kind: 'host-default', ingress: d.ingress, reason: `no path of ${virtualHost.host} matches: the default backend of Ingress ${d.ingress}, which defines this host` };
    backendId = d.backend;
    policyId = d.policy;
  } else if (table.defaultBackend !== undefined) {
    const d = table.defaultBackend;
    const why = virtualHost === undefined ? 'no virtual host' : `no path of ${virtualHost.host} matches and it has no default backend`;
    const whose = d.ingress === undefined ? 'the controller-wide default backend (--default-backend)' : `the catch-all default backend of Ingress ${d.ingress}`;
    decision = { kind: 'table-default', reason: `${why}: ${whose}` };
    if (d.ingress !== undefined) decision.ingress = d.ingress;
    backendId = d.backend;
    policyId = d.policy;
  } else {
    const why = virtualHost === undefined ? 'no virtual host' : `no path of ${virtualHost.host} matches and it has no default backend`;
    decision = { kind: 'none', reason: `${why}, and there is no default backend (no Ingress defaultBackend, no --default-backend)` };
  }

  const explanation: Explanation = { request, host: hostStep, candidates, decision, answer: { kind: 'status', status: 404, summary: '' }, served: false, diagnostics: [] };
  if (canary !== undefined) explanation.canary = canary;
  if (backendId === undefined || policyId === undefined) {
    explanation.answer = { kind: 'status', status: 404, summary: `404 Not Found: ${decision.reason}` };
    explanation.diagnostics = relatedDiagnostics(context.diagnostics, virtualHost, undefined, undefined);
    return explanation;
  }

  const policy = table.policies[policyId] ?? DEFAULT_POLICY;
  // As compile-table.ts: the host's own certificate with ssl-redirect, or force-ssl-redirect alone.
  const tlsRedirect = (hostHasTls && policy.sslRedirect) || policy.forceSslRedirect === true;
  explanation.policy = { id: policyId, lines: [...explainPolicy(policy, context, input, hostHasTls), ...explainUpstreamEdits(policy, winner, path)] };
  const backend = table.backends[backendId];
  explanation.backend = explainBackend(backendId, backend, context.health);
  explanation.diagnostics = relatedDiagnostics(context.diagnostics, virtualHost, policyId, backend);

  // A snippet's `return` answers in nginx's rewrite phase, before the HTTPS redirect and access (steps/fixed-answer.ts).
  const fixed = policy.fixedAnswer;
  if (fixed !== undefined) {
    const what = fixed.status === 444 ? 'the connection is closed without an answer' : fixed.location !== undefined ? `Location ${templateText(fixed.location)}` : 'a text body';
    explanation.answer = { kind: 'status', status: fixed.status, summary: `${fixed.status}: answered by the snippet's return (${what}); never forwarded` };
    return explanation;
  }
  if (tlsRedirect && input.scheme === 'http' && host.length > 0) {
    const port = context.httpsPort === 443 ? '' : `:${context.httpsPort}`;
    const location = `https://${host}${port}${path}${query}`;
    const why = hostHasTls && policy.sslRedirect ? `${host} serves TLS and ssl-redirect is on` : 'force-ssl-redirect is on';
    explanation.answer = { kind: 'redirect', status: 308, location, summary: `308 Permanent Redirect to ${location}: ${why}` };
    return explanation;
  }
  // The access step (steps/check-route-access.ts) runs after the redirect: refused first, then source ranges.
  // The canary side is refused by its own backend, never by the main route's.
  const refused = (canary?.side === 'canary' ? canaryRefused : refusalOf(decision, virtualHost, table)) ?? policy.refused?.code;
  if (refused !== undefined) {
    const what = policy.refused !== undefined && refused === policy.refused.code ? ` (annotation ${policy.refused.annotation})` : '';
    explanation.answer = { kind: 'status', status: 503, summary: `503 Service Unavailable: refused by ${refused}${what}; never served by another rule (docs/security.md, Fail closed)` };
    return explanation;
  }
  if (policy.sourceRanges !== undefined && input.clientIp !== undefined && context.admitsSource !== undefined && !context.admitsSource(policy.sourceRanges, input.clientIp)) {
    explanation.answer = { kind: 'status', status: 403, summary: `403 Forbidden: client ${input.clientIp} is outside the route's source ranges` };
    return explanation;
  }
  const b = explanation.backend;
  if (b.missing === true || b.eligible === 0) {
    const why = b.missing === true ? `backend ${backendId} is not in the route table` : `${backendId} has no ready or serving endpoint`;
    explanation.answer = { kind: 'status', status: 503, summary: `503 Service Unavailable: ${why}` };
    return explanation;
  }
  const answerHeaders: string[] = [];
  if (input.scheme === 'https' && policy.hsts !== undefined) answerHeaders.push(`strict-transport-security: ${hstsValue(policy)}`);
  const how = balancing(policy, backend!, input);
  const count = b.eligible === 1 ? 'its one eligible endpoint' : `one of ${b.eligible} eligible endpoints`;
  explanation.answer = { kind: 'proxied', backend: backendId, summary: `proxied to ${backendId}: ${count} (${how})${b.panic ? ', every one ejected: panic mode uses them all' : ''}`, headers: answerHeaders };
  explanation.served = true;
  return explanation;
}

/**
 * The canary decision as the data plane makes it, offline: affinity cookies are not evaluated (their
 * values are keyed by the running process), and a weight strictly between 0 and the total is shown
 * as the share it is, with the request explained on the main side.
 */
function explainCanary(split: RouteCanary, input: ExplainInput): CanaryExplanation {
  const headers = input.headers ?? {};
  let compiled: RE2JS | undefined;
  const choice = chooseCanary(split, {
    header: (name) => headers[name],
    cookie: (name) => (headers.cookie === undefined ? undefined : cookieValue(headers.cookie, name)),
    affinity: () => undefined,
    draw: (total) => total + 1,
    patternMatches: (value) => {
      if (split.header?.pattern === undefined) return false;
      compiled ??= RE2JS.compile(split.header.pattern);
      return compiled.test(value);
    },
  });
  const rules = describeCanary(split);
  const to = choice.side === 'canary' ? `the canary ${split.ingress} (${split.backend})` : 'the main route';
  let why: string;
  if (choice.reason === 'weight') {
    why = split.weight <= 0 ? 'canary-weight is 0' : split.weight >= split.weightTotal ? `canary-weight is ${split.weight} of ${split.weightTotal}` : `no header or cookie decides: ${split.weight} of ${split.weightTotal} such requests go to the canary, the others (explained here) to the main route`;
  } else {
    why = `decided by ${choice.reason === 'cookie' ? 'the cookie' : 'the header'}`;
  }
  return { ingress: split.ingress, route: split.route, backend: split.backend, side: choice.side, reason: choice.reason, summary: `${to}: ${why} (split: ${rules}; canary requests get the main route's policy)` };
}

function explainHost(table: RouteTable, host: string): HostStep {
  const order = hostLookupOrder(host);
  const tried: HostStep['tried'] = [];
  let chosen: VirtualHost | undefined;
  for (const pattern of order) {
    const vh = table.virtualHosts.find((v) => v.host === pattern);
    tried.push({ pattern, exists: vh !== undefined });
    if (vh !== undefined) {
      chosen = vh;
      break;
    }
  }
  const shown = host === '' ? '(no Host)' : host;
  const missing = tried.filter((t) => !t.exists).map((t) => t.pattern);
  const none = missing.length === 0 ? '' : `no virtual host ${missing.join(' or ')}; `;
  if (chosen === undefined) {
    return { host, tried, match: 'none', reason: `no virtual host for ${shown} (tried ${order.join(', ')})` };
  }
  const step: HostStep = { host, tried, match: 'exact', virtualHost: chosen.host, reason: '' };
  if (chosen.host === '*') {
    step.match = 'catch-all';
    step.reason = `${none}the rules without a host (*) take every host`;
  } else if (chosen.host.startsWith('*.')) {
    step.match = 'wildcard';
    step.reason = `${none}${chosen.host} matches one label (${host.slice(0, host.indexOf('.'))})`;
  } else {
    step.reason = `exact host ${chosen.host}`;
  }
  if (chosen.tls !== undefined) step.tls = { ...chosen.tls };
  return step;
}

function explainPaths(vh: VirtualHost, path: string): PathCandidate[] {
  let won = false;
  return vh.routes.map((r) => {
    const matches = pathMatches(r, path);
    const base = { route: r.id, ingress: r.ingress, path: r.path, pathType: r.pathType, match: r.match, backend: r.backend, matches };
    if (won) {
      return { ...base, outcome: 'not-tried' as const, reason: matches ? 'also matches, but a more specific path won' : `not tried: ${pathReason(r, path)}` };
    }
    if (matches) won = true;
    return { ...base, outcome: matches ? ('matched' as const) : ('no-match' as const), reason: pathReason(r, path) };
  });
}

/** Why a route's path does or does not match, in the words of docs/routing.md. */
function pathReason(r: Route, path: string): string {
  if (r.match === 'Regex') {
    const how = `Regex (${r.pathType}, on a regex host: case-insensitive, anchored at the start only)`;
    return pathMatches(r, path) ? `${how}: ^${r.path} matches the start of ${path}` : `${how}: ^${r.path} does not match ${path}`;
  }
  const kind = r.pathType === 'ImplementationSpecific' ? 'ImplementationSpecific, matched as Prefix' : r.match;
  if (r.match === 'Exact') {
    if (r.path === path) return `${kind}: equal byte for byte`;
    if (r.path.toLowerCase() === path.toLowerCase()) return `${kind}: differs only in case (paths are case-sensitive)`;
    if (r.path.replace(/\/+$/, '') === path.replace(/\/+$/, '')) return `${kind}: differs in the trailing slash (it counts for Exact)`;
    return `${kind}: ${path} is not ${r.path}`;
  }
  const want = pathElements(r.path);
  const have = pathElements(path);
  const list = (xs: string[]): string => `[${xs.join(', ')}]`;
  if (want.length > have.length) return `${kind}: ${want.length} element${want.length === 1 ? '' : 's'}, the request has ${have.length}`;
  const i = want.findIndex((e, k) => e !== have[k]);
  if (i === -1) return `${kind}: elements ${list(want)} are a prefix of ${list(have)}`;
  const caseOnly = want[i]!.toLowerCase() === have[i]!.toLowerCase();
  return `${kind}: element ${i + 1} is "${want[i]}", the request has "${have[i]}"${caseOnly ? ' (paths are case-sensitive)' : ''}`;
}

/** What the backend is sent differently (rewrite-target, upstream-vhost, proxy-redirect), as the data plane does it. */
function explainUpstreamEdits(policy: RoutePolicy, route: Route | undefined, path: string): PolicyLine[] {
  const lines: PolicyLine[] = [];
  const rewrite = policy.rewrite;
  if (rewrite !== undefined) {
    const re = route?.match === 'Regex' ? compileRegexPath(route.path) : undefined;
    if (rewriteApplies(rewrite, route) && re !== undefined) {
      const sent = rewritePath(re, rewrite.parts, path);
      lines.push({ setting: 'rewrite-target', value: rewrite.target, source: 'annotation', applies: true, note: `the backend is sent the path ${sent} (the query kept)${rewrite.forwardedPrefix === undefined ? '' : `, with X-Forwarded-Prefix: ${rewrite.forwardedPrefix}`}` });
    } else {
      lines.push({ setting: 'rewrite-target', value: rewrite.target, source: 'annotation', applies: false, note: route === undefined ? 'a default backend is never rewritten' : 'this path is written as the target itself: not rewritten, as ingress-nginx' });
    }
  }
  if (policy.upstreamVhost !== undefined) lines.push({ setting: 'upstream-vhost', value: policy.upstreamVhost, source: 'annotation', applies: true, note: 'the Host header sent upstream' });
  if (policy.proxyRedirect !== undefined) lines.push({ setting: 'proxy-redirect', value: `${policy.proxyRedirect.from} → ${policy.proxyRedirect.to}`, source: 'annotation', applies: true, note: 'Location and Refresh headers starting with it are rewritten' });
  if (route?.standsInFor !== undefined) {
    lines.push({ setting: 'default-backend', value: route.backend, source: 'annotation', applies: true, note: `answers in the place of ${route.standsInFor.service}:${route.standsInFor.port} (no ready endpoint), told so with X-Code: 503` });
  }
  const errors = policy.customErrors;
  if (errors !== undefined) {
    const which = errors.ownAnswersOnly === true ? "Gatehouse's own answers (502, 503, 504)" : "the backend's answers and Gatehouse's own (502, 503, 504)";
    lines.push({ setting: 'custom-http-errors', value: errors.codes.join(','), source: 'annotation', applies: true, note: `${which} with these statuses are replaced by the answer of ${errors.backend}` });
  }
  return lines;
}

function explainPolicy(policy: RoutePolicy, context: ExplainContext, input: ExplainInput, hostHasTls: boolean): PolicyLine[] {
  const lines: PolicyLine[] = [];
  const add = (setting: string, value: string, source: PolicyLine['source'], applies: boolean, note?: string): void => {
    lines.push(note === undefined ? { setting, value, source, applies } : { setting, value, source, applies, note });
  };
  const https = input.scheme === 'https';
  // Only plain HTTP to a host with its own certificate is ever redirected (compile-table.ts: tlsRedirect).
  const redirectNote = !hostHasTls
    ? 'the host serves no certificate of its own'
    : https
      ? 'the request is already HTTPS'
      : policy.sslRedirect
        ? 'plain HTTP gets a 308 to HTTPS'
        : 'plain HTTP is served, not redirected';
  add('ssl-redirect', policy.sslRedirect ? 'on' : 'off', policy.sslRedirect === DEFAULT_POLICY.sslRedirect ? 'default' : 'annotation', hostHasTls && !https, redirectNote);
  if (policy.hsts !== undefined) add('hsts', hstsValue(policy), 'annotation', https, https ? undefined : 'sent on HTTPS responses only');
  if (policy.affinity !== undefined) {
    const a = policy.affinity;
    const has = input.headers?.cookie !== undefined && cookieValue(input.headers.cookie, a.cookieName) !== undefined;
    add('affinity', `cookie ${a.cookieName} (path ${a.path}${a.maxAgeSeconds === undefined ? '' : `, max-age ${a.maxAgeSeconds}`}${a.sameSite === undefined ? '' : `, SameSite=${a.sameSite}`})`, 'annotation', true,
      has ? 'the request carries the cookie: it sticks to the endpoint it names while that one is usable' : 'no cookie in the request: the response sets one');
  }
  const lb = policy.loadBalance;
  add('load-balance', lb, lb === DEFAULT_POLICY.loadBalance ? 'default' : 'annotation', policy.affinity === undefined);
  if (lb === 'consistent-hash') {
    const key = policy.hashKey ?? { kind: 'client-ip' as const };
    add('hash-key', key.kind === 'client-ip' ? 'client-ip' : `${key.kind}:${key.name}`, policy.hashKey === undefined ? 'default' : 'annotation', policy.affinity === undefined, `value for this request: ${hashKeyValue(key, input) ?? '(absent)'}`);
  }
  if (policy.forceSslRedirect === true) add('force-ssl-redirect', 'on', 'annotation', !https, https ? 'the request is already HTTPS' : 'plain HTTP gets a 308 to HTTPS');
  if (policy.sourceRanges !== undefined) {
    const r = policy.sourceRanges;
    const list = (blocks: SourceRanges['allow']): string => (blocks ?? []).map((b) => `${b.address}/${b.prefix}`).join(', ');
    const value = [r.allow !== undefined ? `allow ${list(r.allow)}` : '', r.deny !== undefined ? `deny ${list(r.deny)}` : ''].filter((x) => x.length > 0).join('; ');
    add('source-ranges', value, 'annotation', true, 'other clients answer 403');
  }
  add('retries', String(policy.retries), policy.retries === DEFAULT_POLICY.retries ? 'default' : 'annotation', true);
  add('eject-on-5xx', policy.ejectOn5xx ? 'on' : 'off', policy.ejectOn5xx === DEFAULT_POLICY.ejectOn5xx ? 'default' : 'annotation', true);
  const timeout = (setting: string, value: number | undefined, flag: number): void =>
    add(setting, formatDuration(value ?? flag), value === undefined ? 'flag' : 'annotation', true, value === undefined ? `--${setting}` : undefined);
  timeout('connect-timeout', policy.connectTimeoutMs, context.defaults.connectTimeoutMs);
  timeout('read-timeout', policy.readTimeoutMs, context.defaults.readTimeoutMs);
  timeout('send-timeout', policy.sendTimeoutMs, context.defaults.sendTimeoutMs);
  const body = policy.maxBodySize ?? context.defaults.maxBodySize;
  add('max-body-size', body === undefined || body === UNLIMITED_BODY_SIZE ? 'no limit' : formatByteSize(body), policy.maxBodySize === undefined ? 'flag' : 'annotation', true, policy.maxBodySize === undefined ? '--max-body-size' : undefined);
  return lines;
}

function explainBackend(id: string, backend: Backend | undefined, health: ExplainContext['health']): BackendExplanation {
  if (backend === undefined) {
    return { id, namespace: '', service: '', servicePort: '', sessionAffinity: 'None', endpoints: [], eligible: 0, panic: false, missing: true };
  }
  // usableEndpoints (endpoint-picker.ts): the ready ones; only when none is ready, the serving ones.
  const anyReady = backend.endpoints.some((e) => e.ready);
  const usable = (e: Endpoint): boolean => (anyReady ? e.ready : e.serving);
  const healthOf = (e: Endpoint): EndpointHealthState | undefined => health?.get(`${e.address}:${e.port}`);
  const usableCount = backend.endpoints.filter(usable).length;
  const ejectedUsable = backend.endpoints.filter((e) => usable(e) && healthOf(e)?.ejected === true).length;
  const panic = usableCount > 0 && ejectedUsable === usableCount;
  const endpoints = backend.endpoints.map((e): EndpointExplanation => {
    const h = healthOf(e);
    const state: EndpointState = e.ready ? 'ready' : e.terminating ? 'terminating' : e.serving ? 'serving' : 'not-ready';
    const ejected = h?.ejected === true;
    let eligible = usable(e) && (!ejected || panic);
    let reason: string;
    if (!usable(e)) reason = anyReady ? 'not ready: used only when no endpoint is ready' : 'neither ready nor serving';
    else if (ejected) reason = panic ? 'ejected by passive health, used anyway: every usable endpoint is ejected' : 'ejected by passive health';
    else reason = anyReady ? 'ready' : 'serving while no endpoint is ready';
    if (!usable(e)) eligible = false;
    const out: EndpointExplanation = { address: e.address, port: e.port, state, ejected, eligible, reason };
    if (e.targetRef !== undefined) out.targetRef = e.targetRef;
    if (h?.ejectedForMs !== undefined) out.ejectedForMs = h.ejectedForMs;
    if (h?.inFlight !== undefined) out.inFlight = h.inFlight;
    return out;
  });
  return {
    id,
    namespace: backend.namespace,
    service: backend.service,
    servicePort: backend.servicePort,
    sessionAffinity: backend.sessionAffinity,
    endpoints,
    eligible: endpoints.filter((e) => e.eligible).length,
    panic,
  };
}

function balancing(policy: RoutePolicy, backend: Backend, input: ExplainInput): string {
  if (policy.affinity !== undefined) return `cookie affinity ${policy.affinity.cookieName}, else ${policy.loadBalance}`;
  if (backend.sessionAffinity === 'ClientIP') return `Service sessionAffinity ClientIP${input.clientIp === undefined ? '' : ` for ${input.clientIp}`}`;
  if (policy.loadBalance === 'consistent-hash') {
    const key = policy.hashKey ?? { kind: 'client-ip' as const };
    const value = hashKeyValue(key, input);
    return `consistent-hash on ${key.kind === 'client-ip' ? 'the client IP' : `${key.kind} ${key.name}`}${value === undefined ? ' (absent: any endpoint)' : ` = ${JSON.stringify(value)}`}`;
  }
  return policy.loadBalance;
}

function hashKeyValue(key: NonNullable<RoutePolicy['hashKey']>, input: ExplainInput): string | undefined {
  if (key.kind === 'client-ip') return input.clientIp;
  if (key.kind === 'header') return input.headers?.[key.name];
  const cookie = input.headers?.cookie;
  return cookie === undefined ? undefined : cookieValue(cookie, key.name);
}

function cookieValue(header: string, name: string): string | undefined {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function hstsValue(policy: RoutePolicy): string {
  const h = policy.hsts!;
  return `max-age=${Math.max(0, Math.floor(h.maxAgeSeconds))}${h.includeSubDomains ? '; includeSubDomains' : ''}${h.preload ? '; preload' : ''}`;
}

/** Diagnostics about the Ingresses of the virtual host, the policy's Ingress, the Service and TLS Secret. */
function relatedDiagnostics(all: readonly Diagnostic[] | undefined, vh: VirtualHost | undefined, policyId: string | undefined, backend: Backend | undefined): Diagnostic[] {
  if (all === undefined) return [];
  const ingresses = new Set<string>();
  for (const r of vh?.routes ?? []) {
    ingresses.add(r.ingress);
    if (r.canary !== undefined) ingresses.add(r.canary.ingress);
  }
  if (vh?.defaultBackend !== undefined) ingresses.add(vh.defaultBackend.ingress);
  if (vh?.tls !== undefined) ingresses.add(vh.tls.ingress);
  if (policyId !== undefined) ingresses.add(policyId);
  const secret = vh?.tls?.certificate;
  return all.filter((d) => {
    const key = `${d.object.namespace}/${d.object.name}`;
    if (d.object.kind === 'Ingress') return ingresses.has(key);
    if (d.object.kind === 'Service' || d.object.kind === 'EndpointSlice') return backend !== undefined && d.object.namespace === backend.namespace && (d.object.name === backend.service || d.object.name.startsWith(`${backend.service}-`));
    if (d.object.kind === 'Secret') return secret === key;
    return false;
  });
}
