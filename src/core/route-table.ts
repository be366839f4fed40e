// The route table: the pure core's output and the data plane's only input.
// Plain, sorted, JSON-serialisable data. Same snapshot in, same bytes out.

import type { RouteCanary } from './canary/canary-split.ts';
import type { Diagnostic } from './diagnostics.ts';
import { redactHash, type PasswordHash } from './password-hash.ts';
import type { RoutePolicy } from './policy.ts';

/**
 * 'Regex': the path is an RE2 pattern matched case-insensitively at the start of the request path
 * (ingress-nginx's `location ~* "^<path>"`), on hosts where an Ingress asks for regex paths
 * (core/regex-hosts.ts); compiled by core/regex-path.ts.
 */
export type MatchType = 'Exact' | 'Prefix' | 'Regex';

export interface Endpoint {
  address: string; // pod IP (v4 or v6), never a ClusterIP
  port: number;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  /** `ns/pod` from targetRef when known: a stable name for logs and affinity. */
  targetRef?: string;
}

export interface Backend {
  id: string; // 'ns/service:port' with the port as the Ingress wrote it (number or name)
  namespace: string;
  service: string;
  servicePort: number | string;
  /** Endpoints to use, sorted by address then port, de-duplicated across slices. */
  endpoints: Endpoint[];
  sessionAffinity: 'None' | 'ClientIP';
}

export interface Route {
  id: string; // 'ns/ingress#r0.p1'
  /**
   * Set when this route cannot be served as written (its Service, port or resource backend does not
   * resolve, or its path is invalid): the code of the error diagnostic. The route keeps its place, so
   * the requests meant for it answer 503 and never reach another route (docs/routing.md).
   */
  refused?: string;
  ingress: string; // 'ns/name'
  path: string; // '/' for an empty Prefix path
  match: MatchType; // ImplementationSpecific is compiled as Prefix (as Regex on a regex host)
  /** The pathType the Ingress wrote, kept for /debug and diagnostics. */
  pathType: 'Exact' | 'Prefix' | 'ImplementationSpecific';
  backend: string; // Backend id; for a refused route the id as written ('' when none), absent from backends
  policy: string; // key into RouteTable.policies (the Ingress 'ns/name')
  /** A canary Ingress for the same host and path takes some of this route's requests (canary/). */
  canary?: RouteCanary;
  /**
   * The Service (and port, as written) the path names, when the `default-backend` annotation's
   * Service answers in its place (it cannot be resolved or has no ready endpoint): ingress-nginx then
   * tells that Service with X-Code: 503 and the path's X-Service-Name/-Port (dataplane/steps/upstream-edits.ts).
   */
  standsInFor?: { service: string; port: number | string };
}

/** A default backend claim; `refused` and `standsInFor` as on Route. */
export interface DefaultBackendRef {
  backend: string;
  policy: string;
  ingress: string;
  refused?: string;
  standsInFor?: { service: string; port: number | string };
}

export interface VirtualHost {
  /** Lower-case: 'foo.example.com', '*.example.com', or '*' for rules without a host. */
  host: string;
  /**
   * Most specific first: longer path (in elements), then Exact before Prefix, then older Ingress.
   * On a regex host (every route 'Regex'): ingress-nginx's location order, longer pattern text
   * first, then the greater text; the first route that matches wins.
   */
  routes: Route[];
  /** The default backend of the Ingress(es) that define this host, if any. */
  defaultBackend?: DefaultBackendRef;
  /** Certificate id ('ns/secret') chosen for this host, when TLS is configured for it. */
  tls?: { certificate?: string; ingress: string };
}

export interface CertificateEntry {
  id: string; // 'ns/secret'
  /** PEM. Serialised as '<redacted>' by redactTable(); never logged. */
  certPem: string;
  keyPem: string;
  fingerprint: string; // sha256 of the leaf certificate DER, hex
  keyType?: string; // 'rsa' | 'ec' | 'ed25519' ...
  notAfter?: string;
  dnsNames: string[];
}

/**
 * A host whose TLS connections are piped unchanged to `backend` (ssl-passthrough, see
 * core/collect-passthrough.ts). With `refused` (a diagnostic code) its connections are closed.
 */
export interface PassthroughHost {
  /** Lower-case exact ('foo.example.com') or one-label wildcard ('*.example.com') server name. */
  host: string;
  ingress: string; // 'ns/name'
  backend: string; // Backend id of the host's '/' path ('' when there is none)
  refused?: string;
}

export interface RouteTable {
  /** Exact hosts, wildcard hosts and '*' together, sorted by host. */
  virtualHosts: VirtualHost[];
  backends: Record<string, Backend>;
  policies: Record<string, RoutePolicy>;
  certificates: Record<string, CertificateEntry>;
  /**
   * SNI server names from every admitted spec.tls entry ('foo.example.com' or '*.example.com'),
   * sorted by host, each with the certificate it gets. The data plane looks up exact, then wildcard,
   * then falls back to the default certificate. A host whose Secret is broken has no entry here.
   */
  sni: { host: string; certificate: string; ingress: string }[];
  /** SSL passthrough hosts, sorted by host; absent when no Ingress asks for passthrough. */
  passthrough?: PassthroughHost[];
  /** Catch-all for requests matching no virtual host: oldest Ingress defaultBackend, else --default-backend. */
  defaultBackend?: { backend: string; policy: string; ingress?: string; refused?: string; standsInFor?: { service: string; port: number | string } };
}

export interface IngressStatusIntent {
  ingress: string; // 'ns/name'
  /** true: publish our address; false: an Ingress that is not ours (clear our address if present). */
  admitted: boolean;
}

export interface BuildResult {
  table: RouteTable;
  diagnostics: Diagnostic[];
  status: IngressStatusIntent[];
}

export function emptyRouteTable(): RouteTable {
  return { virtualHosts: [], backends: {}, policies: {}, certificates: {}, sni: [] };
}

/** A copy safe to serialise: key material and password hashes replaced (user names stay, for /debug). */
export function redactTable(table: RouteTable): RouteTable {
  const certificates: Record<string, CertificateEntry> = {};
  for (const [id, c] of Object.entries(table.certificates)) {
    certificates[id] = { ...c, certPem: '<redacted>', keyPem: '<redacted>' };
  }
  const policies: Record<string, RoutePolicy> = {};
  for (const [id, p] of Object.entries(table.policies)) {
    let redacted = p;
    if (p.basicAuth !== undefined) {
      const users: Record<string, PasswordHash> = {};
      for (const [user, hash] of Object.entries(p.basicAuth.users)) users[user] = redactHash(hash);
      redacted = { ...redacted, basicAuth: { ...p.basicAuth, users } };
    }
    const client = p.backendTls?.clientCertificate;
    if (client !== undefined) redacted = { ...redacted, backendTls: { ...p.backendTls!, clientCertificate: { certPem: client.certPem, keyPem: '<redacted>' } } };
    policies[id] = redacted;
  }
  return { ...table, certificates, policies };
}
