// What `gatehouse check` reports, computed from the builder's own output: for every Ingress, which
// annotations are honoured, ignored (and why) or refuse it, and what each of its routes answers.
// Nothing here re-parses an annotation: an annotation is refused or ignored exactly when the
// builder reported it (its diagnostic on metadata.annotations[...] says why), and honoured when the
// annotation schema reads it and the builder had nothing to say. Pure: same input, same report.

import { SSL_PASSTHROUGH_ANNOTATION } from './collect-passthrough.ts';
import { ANNOTATIONS, GATEHOUSE_PREFIX, NGINX_ALREADY_SO, NGINX_ANNOTATIONS, NGINX_PREFIX } from './annotations/annotation-schema.ts';
import { matchProtection } from './annotations/protection-annotations.ts';
import { EXTERNAL_AUTH_KEYS } from './annotations/resolve-external-auth.ts';
import { BACKEND_PROTOCOL_KEYS } from './annotations/resolve-backend-protocol.ts';
import { CANARY_KEY_DOCS, CANARY_KEYS } from './annotations/parse-canary.ts';
import { describeCanary } from './canary/choose-canary.ts';
import { CLIENT_CERTIFICATE_KEYS } from './annotations/resolve-client-certificate.ts';
import type { Diagnostic, Severity } from './diagnostics.ts';
import { DIAGNOSTIC_CODES, type DiagnosticCodeInfo } from './diagnostic-codes.ts';
import { BASIC_AUTH_KEYS } from './annotations/resolve-basic-auth.ts';
import { DEFAULT_CLASS_ANNOTATION, LEGACY_CLASS_ANNOTATION, objectKey, type Ingress } from './model.ts';
import type { AuthTemplatePart, CidrBlock, RoutePolicy } from './policy.ts';
import { quoteValue } from './quote-value.ts';
import { SNIPPET_KEYS } from './snippets/resolve-snippets.ts';
import { templateText } from './snippets/value-template.ts';
import { DEFAULT_BACKEND_ANNOTATION } from './resolve-annotation-default-backend.ts';
import type { BuildResult, RouteTable } from './route-table.ts';
import type { Snapshot } from './snapshot.ts';

/** The outcome of one annotation. `other` is not addressed to an ingress controller (cert-manager, Helm...). */
export type AnnotationOutcome = 'honoured' | 'ignored' | 'refuses' | 'other';

export interface AnnotationFinding {
  key: string;
  value: string;
  outcome: AnnotationOutcome;
  /** Why: the builder's diagnostic message, or what the schema says the annotation does. */
  reason: string;
  /** The diagnostic code behind an ignored or refusing annotation. */
  code?: string;
}

/** What a request matching a route gets. */
export type RouteAnswer = 'backend' | 'refused';

export interface RouteFinding {
  /** '*' for rules without a host. */
  host: string;
  /** The path as matched; '(default backend)' for a default backend. */
  path: string;
  /** Exact, Prefix, or 'default' for a default backend. */
  match: string;
  answer: RouteAnswer;
  /** Backend id ('ns/service:port') when it forwards; as written when refused. */
  backend: string;
  /** Ready endpoints of the backend now (0: such requests answer 503 until pods are ready). */
  endpoints?: number;
  /** Why it answers 503 (a diagnostic code) when refused. */
  refusedBy?: string;
  /** What happens before forwarding: redirects, HSTS, source ranges, in words. */
  notes: string[];
}

export interface OtherFinding {
  code: string;
  severity: Severity;
  field?: string;
  message: string;
}

export type IngressVerdict = 'honoured' | 'ignored' | 'refused' | 'skipped';

export interface IngressFinding {
  /** 'ns/name' */
  ingress: string;
  verdict: IngressVerdict;
  /** Why Gatehouse does not serve it (skipped only). */
  skipped?: string;
  annotations: AnnotationFinding[];
  routes: RouteFinding[];
  /** The builder's other diagnostics about this Ingress (paths, backends, TLS...). */
  diagnostics: OtherFinding[];
}

export interface CheckReport {
  /** Bumped when the JSON shape changes incompatibly (docs/check.md). */
  version: 1;
  verdict: 'honoured' | 'ignored' | 'refused';
  summary: { ingresses: number; honoured: number; ignored: number; refused: number; skipped: number };
  ingresses: IngressFinding[];
  /** What the reader skipped in the input (an unsupported apiVersion, an unknown field): ignored too. */
  input: OtherFinding[];
}

const GATEHOUSE_SPECS = new Map(ANNOTATIONS.map((a) => [a.name, a]));
const NGINX_MAPPINGS = new Map(NGINX_ANNOTATIONS.map((m) => [m.name, m]));

export interface ReportOptions {
  controllerName: string;
  watchIngressWithoutClass: boolean;
  /** The source's warnings about the input (objects or fields it skipped). */
  input?: readonly Diagnostic[];
}

export function annotationReport(snapshot: Pick<Snapshot, 'ingresses' | 'ingressClasses'>, result: BuildResult, options: ReportOptions): CheckReport {
  const admitted = new Map(result.status.map((s) => [s.ingress, s.admitted]));
  const byIngress = new Map<string, Diagnostic[]>();
  for (const d of result.diagnostics) {
    if (d.object.kind !== 'Ingress') continue;
    const key = objectKey(d.object);
    byIngress.set(key, [...(byIngress.get(key) ?? []), d]);
  }
  const ingresses = [...snapshot.ingresses.values()].sort((a, b) => compare(objectKey(a.metadata), objectKey(b.metadata)));
  const findings = ingresses.map((ingress): IngressFinding => {
    const key = objectKey(ingress.metadata);
    if (admitted.get(key) !== true) {
      return { ingress: key, verdict: 'skipped', skipped: skipReason(ingress, snapshot, options), annotations: [], routes: [], diagnostics: [] };
    }
    const diagnostics = byIngress.get(key) ?? [];
    const { annotations, used } = classifyAnnotations(ingress, diagnostics);
    const routes = routesOf(key, result.table);
    const others = diagnostics.filter((d) => !used.has(d)).map(otherFinding);
    const verdict: IngressVerdict =
      annotations.some((a) => a.outcome === 'refuses') || routes.some((r) => r.answer === 'refused') ? 'refused' : annotations.some((a) => a.outcome === 'ignored') ? 'ignored' : 'honoured';
    return { ingress: key, verdict, annotations, routes, diagnostics: others };
  });
  const count = (v: IngressVerdict): number => findings.filter((f) => f.verdict === v).length;
  const summary = { ingresses: findings.length, honoured: count('honoured'), ignored: count('ignored'), refused: count('refused'), skipped: count('skipped') };
  const input = (options.input ?? []).map(otherFinding);
  const verdict = summary.refused > 0 ? 'refused' : summary.ignored > 0 || input.length > 0 ? 'ignored' : 'honoured';
  return { version: 1, verdict, summary, ingresses: findings, input };
}

function otherFinding({ code, severity, field, message }: Diagnostic): OtherFinding {
  return { code, severity, ...(field === undefined ? {} : { field }), message };
}

/** The exit code of `gatehouse check` for a report: 0 all honoured, 1 something ignored, 3 something refused. */
export function checkExitCode(report: CheckReport): 0 | 1 | 3 {
  return report.verdict === 'refused' ? 3 : report.verdict === 'ignored' ? 1 : 0;
}

function classifyAnnotations(ingress: Ingress, diagnostics: readonly Diagnostic[]): { annotations: AnnotationFinding[]; used: Set<Diagnostic> } {
  const used = new Set<Diagnostic>();
  const annotations = Object.keys(ingress.metadata.annotations)
    .sort()
    .map((key): AnnotationFinding => {
      const value = ingress.metadata.annotations[key]!;
      const field = `metadata.annotations[${quoteValue(key)}]`;
      const about = diagnostics.filter((d) => d.field === field || d.field?.startsWith(`${field}.`) === true);
      for (const d of about) used.add(d);
      const refusing = about.find((d) => refusesIngress(d.code));
      if (refusing !== undefined) return { key, value, outcome: 'refuses', reason: refusing.message, code: refusing.code };
      const problem = about.find((d) => d.severity !== 'info');
      if (problem !== undefined) return { key, value, outcome: 'ignored', reason: problem.message, code: problem.code };
      const honoured = honouredBecause(key);
      if (honoured !== undefined) return { key, value, outcome: 'honoured', reason: honoured };
      if (matchProtection(key, value) !== undefined) {
        // The builder reports every controller annotation it does not read; this is a safety net.
        return { key, value, outcome: 'ignored', reason: `${quoteValue(key)} is not read by Gatehouse` };
      }
      return { key, value, outcome: 'other', reason: 'not an ingress controller annotation; Gatehouse leaves it to the tool that reads it' };
    });
  return { annotations, used };
}

/** What the schema says an annotation Gatehouse reads does; undefined when it reads no such key. */
function refusesIngress(code: string): boolean {
  const info: DiagnosticCodeInfo | undefined = (DIAGNOSTIC_CODES as Record<string, DiagnosticCodeInfo>)[code];
  return info?.refusesIngress === true;
}

function honouredBecause(key: string): string | undefined {
  if (BASIC_AUTH_KEYS.has(key)) return "basic authentication with the Secret's credentials (401 without them)";
  if (key === DEFAULT_BACKEND_ANNOTATION) return "the Service that answers for this Ingress's paths whose own backend cannot be resolved or has no ready endpoint, and the error pages of custom-http-errors";
  if (SNIPPET_KEYS.has(key)) return 'read through the safe snippet subset: its header and return directives became typed settings';
  if (key.startsWith(NGINX_PREFIX)) {
    const already = NGINX_ALREADY_SO.find((m) => m.name === key.slice(NGINX_PREFIX.length));
    if (already !== undefined) return already.why;
  }
  if (EXTERNAL_AUTH_KEYS.has(key)) return 'external authentication: each request is checked with the auth service first (docs/security.md)';
  if (BACKEND_PROTOCOL_KEYS.has(key)) return 'how the endpoints are reached: protocol and TLS to the backend (docs/dataplane.md, Upstream protocols)';
  if (CANARY_KEYS.has(key)) return `canary: ${CANARY_KEY_DOCS[key]}`;
  // tlsedge: read by collect-passthrough.ts; without a diagnostic it is served.
  if (key === SSL_PASSTHROUGH_ANNOTATION) return "TLS connections for the Ingress's hosts are piped unchanged to the backend of the host's / path";
  // mtls: read by annotations/resolve-client-certificate.ts; without a diagnostic it is enforced.
  if (CLIENT_CERTIFICATE_KEYS.has(key)) return "client certificates (mTLS): the hosts' TLS handshakes ask for a certificate of the Secret's CA, and requests are refused without what auth-tls-verify-client asks";
  if (key.startsWith(GATEHOUSE_PREFIX)) {
    const spec = GATEHOUSE_SPECS.get(key.slice(GATEHOUSE_PREFIX.length));
    return spec === undefined ? undefined : firstSentence(spec.doc);
  }
  if (key.startsWith(NGINX_PREFIX)) {
    const mapping = NGINX_MAPPINGS.get(key.slice(NGINX_PREFIX.length));
    if (mapping === undefined) return undefined;
    const spec = ANNOTATIONS.find((a) => a.field === mapping.field)!;
    return `read as ${GATEHOUSE_PREFIX}${spec.name} (${mapping.note})`;
  }
  if (key === LEGACY_CLASS_ANNOTATION) return 'selects the IngressClass (spec.ingressClassName is preferred)';
  return undefined;
}

function firstSentence(text: string): string {
  const end = text.indexOf('. ');
  return end === -1 ? text.replace(/\.$/, '') : text.slice(0, end);
}

function routesOf(ingressKey: string, table: RouteTable): RouteFinding[] {
  const out: RouteFinding[] = [];
  for (const vhost of table.virtualHosts) {
    const tls = vhost.tls !== undefined;
    for (const route of vhost.routes) {
      if (route.ingress !== ingressKey) continue;
      out.push(finding(vhost.host, route.path, route.match, route.backend, route.refused, table.policies[route.policy], tls, table));
    }
    for (const route of vhost.routes) {
      const canary = route.canary;
      if (canary?.ingress !== ingressKey) continue;
      // A canary's path answers with the main route's policy (its own is ignored).
      const found = finding(vhost.host, route.path, route.match, canary.backend, canary.refused, table.policies[route.policy], tls, table);
      found.notes.unshift(`canary of ${route.id}: ${describeCanary(canary)}`);
      out.push(found);
    }
    const d = vhost.defaultBackend;
    if (d !== undefined && d.ingress === ingressKey) out.push(finding(vhost.host, '(default backend)', 'default', d.backend, d.refused, table.policies[d.policy], tls, table));
  }
  const catchAll = table.defaultBackend;
  if (catchAll !== undefined && catchAll.ingress === ingressKey) {
    out.push(finding('*', '(default backend)', 'default', catchAll.backend, catchAll.refused, table.policies[catchAll.policy], false, table));
  }
  return out;
}

function finding(host: string, path: string, match: string, backend: string, refused: string | undefined, policy: RoutePolicy | undefined, tls: boolean, table: RouteTable): RouteFinding {
  const refusedBy = refused ?? policy?.refused?.code;
  if (refusedBy !== undefined) {
    const notes = policy?.refused !== undefined && refused === undefined ? [`refused by ${policy.refused.annotation}`] : [];
    return { host, path, match, answer: 'refused', backend, refusedBy, notes };
  }
  const endpoints = table.backends[backend]?.endpoints.filter((e) => e.ready).length ?? 0;
  return { host, path, match, answer: 'backend', backend, endpoints, notes: policy === undefined ? [] : [...policyNotes(policy, tls), ...upstreamNotes(policy, path, match)] };
}

/** What reaches the backend differently: the rewritten path, the Host sent, the Location rewrite. */
function upstreamNotes(policy: RoutePolicy, path: string, match: string): string[] {
  const notes: string[] = [];
  if (match === 'Regex' && policy.rewrite !== undefined && policy.rewrite.target !== path) {
    notes.push(`path rewritten to ${policy.rewrite.target}${policy.rewrite.forwardedPrefix === undefined ? '' : `, X-Forwarded-Prefix ${policy.rewrite.forwardedPrefix}`}`);
  }
  if (policy.upstreamVhost !== undefined) notes.push(`Host sent upstream: ${policy.upstreamVhost}`);
  if (policy.proxyRedirect !== undefined) notes.push(`Location ${policy.proxyRedirect.from}… → ${policy.proxyRedirect.to}…`);
  return notes;
}

function policyNotes(policy: RoutePolicy, tls: boolean): string[] {
  const notes: string[] = [];
  if (policy.forceSslRedirect === true) notes.push('http: 308 to https (forced)');
  else if (tls && policy.sslRedirect) notes.push('http: 308 to https');
  else if (tls) notes.push('http and https served');
  const ranges = policy.sourceRanges;
  if (ranges?.allow !== undefined) notes.push(`403 unless from ${cidrs(ranges.allow)}`);
  if (ranges?.deny !== undefined) notes.push(`403 from ${cidrs(ranges.deny)}`);
  if (policy.hsts !== undefined) notes.push(`HSTS max-age=${policy.hsts.maxAgeSeconds}`);
  if (policy.affinity !== undefined) notes.push(`cookie affinity (${policy.affinity.cookieName})`);
  const fixed = policy.fixedAnswer;
  if (fixed !== undefined) notes.push(`answers ${fixed.status}${fixed.location === undefined ? '' : ` to ${templateText(fixed.location)}`} (snippet return), never forwarded`);
  const edits = policy.headerEdits;
  if (edits !== undefined) {
    const parts = [
      edits.request.length > 0 ? `request ${edits.request.map((h) => h.name).join(', ')}` : '',
      edits.response.length > 0 ? `response ${edits.response.map((h) => h.name).join(', ')}` : '',
      edits.hide.length > 0 ? `removes ${edits.hide.join(', ')}` : '',
    ].filter((p) => p.length > 0);
    notes.push(`headers: ${parts.join('; ')}`);
  }
  if (policy.externalAuth !== undefined) notes.push(`external authentication by ${authTemplateText(policy.externalAuth.url)}`);
  if (policy.customErrors !== undefined) notes.push(`error pages for ${policy.customErrors.codes.join(', ')} from ${policy.customErrors.backend}`);
  return notes;
}

/** A parsed template written back as nginx text ('https://$host/oauth2/auth'). */
function authTemplateText(parts: readonly AuthTemplatePart[]): string {
  return parts.map((p) => (p.kind === 'text' ? p.text : p.kind === 'var' ? `$${p.name}` : p.kind === 'header' ? `$http_${p.name.replaceAll('-', '_')}` : `$cookie_${p.name}`)).join('');
}

function cidrs(blocks: readonly CidrBlock[]): string {
  const shown = blocks.slice(0, 3).map((b) => `${b.address}/${b.prefix}`);
  return blocks.length > 3 ? `${shown.join(', ')} and ${blocks.length - 3} more` : shown.join(', ');
}

function skipReason(ingress: Ingress, snapshot: Pick<Snapshot, 'ingressClasses'>, options: ReportOptions): string {
  const className = ingress.spec.ingressClassName ?? ingress.metadata.annotations[LEGACY_CLASS_ANNOTATION];
  if (className === undefined || className === '') {
    return `it names no IngressClass, and no default IngressClass of ${options.controllerName} exists${options.watchIngressWithoutClass ? '' : ' (--watch-ingress-without-class is off)'}`;
  }
  const ingressClass = snapshot.ingressClasses.get(className);
  if (ingressClass === undefined) return `its class ${quoteValue(className)} is not an IngressClass of ${options.controllerName} (no such IngressClass in the input; --ingress-class ${className} checks it as Gatehouse would serve it)`;
  const controller = ingressClass.spec.controller ?? '';
  const isDefault = ingressClass.metadata.annotations[DEFAULT_CLASS_ANNOTATION] === 'true' ? ' (the default class)' : '';
  return `its class ${quoteValue(className)}${isDefault} belongs to the controller ${quoteValue(controller)}, not ${options.controllerName} (--ingress-class ${className} checks it as Gatehouse would serve it)`;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
