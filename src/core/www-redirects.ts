// ingress-nginx from-to-www-redirect (its buildRedirects): for each host of an Ingress with the
// annotation, the other name — `www.` added or removed — gets a virtual host of its own whose one
// route answers 308 (ingress-nginx's default http-redirect-code) to `$scheme://<host>$request_uri`.
// As in ingress-nginx: no redirect host is made when the other name is already a host of some
// Ingress (that Ingress wins), and the host's certificate is used for the other name only when it
// covers it; otherwise HTTPS to the other name gets the default certificate (a warning says so),
// and only plain HTTP redirects cleanly. Wildcard hosts and rules without a host get none.
import { compareStrings } from './compare-strings.ts';
import type { Diagnostic } from './diagnostics.ts';
import { makeDiagnostic } from './diagnostic-codes.ts';
import { certificateNameCovers } from './host-match.ts';
import { DEFAULT_POLICY, type RoutePolicy } from './policy.ts';
import type { RouteTable, VirtualHost } from './route-table.ts';

export const WWW_REDIRECT_CODE = 308;
const FIELD = 'metadata.annotations["nginx.ingress.kubernetes.io/from-to-www-redirect"]';

export function addWwwRedirects(table: RouteTable): { table: RouteTable; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const existing = new Set(table.virtualHosts.map((vh) => vh.host));
  const added: VirtualHost[] = [];
  const sni = [...table.sni];
  const policies = { ...table.policies };
  for (const vh of table.virtualHosts) {
    if (vh.host === '*' || vh.host.startsWith('*.')) continue;
    // The route of the host's oldest Ingress asking for it (routes are sorted; any one will do: the
    // builder keeps one policy per Ingress).
    const route = vh.routes.find((r) => table.policies[r.policy]?.fromToWww === true && table.policies[r.policy]?.refused === undefined);
    if (route === undefined) continue;
    const to = vh.host;
    const from = to.startsWith('www.') ? to.slice(4) : `www.${to}`;
    const [namespace = '', name = ''] = route.ingress.split('/');
    const object = { kind: 'Ingress', namespace, name };
    if (existing.has(from)) {
      diagnostics.push(makeDiagnostic('AnnotationNoEffect', object, FIELD, `no redirect from "${from}" to "${to}": "${from}" is already a host of an Ingress, which wins (as in ingress-nginx)`));
      continue;
    }
    existing.add(from);
    // One policy per redirect host: the target differs for each host of the Ingress.
    const policyId = `${route.policy}#www-redirect:${from}`;
    const policy: RoutePolicy = {
      ...DEFAULT_POLICY,
      sslRedirect: false,
      redirect: { kind: 'permanent', code: WWW_REDIRECT_CODE, location: [{ kind: 'var', name: 'scheme' }, { kind: 'text', text: `://${to}` }, { kind: 'var', name: 'request_uri' }] },
    };
    policies[policyId] = policy;
    const redirectHost: VirtualHost = {
      host: from,
      routes: [{ id: `${route.ingress}#www`, ingress: route.ingress, path: '/', match: 'Prefix', pathType: 'Prefix', backend: route.backend, policy: policyId }],
    };
    const certificate = vh.tls?.certificate;
    if (certificate !== undefined) {
      const entry = table.certificates[certificate];
      if (entry !== undefined && entry.dnsNames.some((n) => certificateNameCovers(n.toLowerCase(), from))) {
        redirectHost.tls = { certificate, ingress: route.ingress };
        sni.push({ host: from, certificate, ingress: route.ingress });
      } else {
        diagnostics.push(makeDiagnostic('AnnotationNoEffect', object, FIELD, `HTTPS requests for "${from}" are not redirected cleanly: the certificate "${certificate}" of "${to}" does not cover "${from}", so they get the default certificate (as in ingress-nginx); plain HTTP is redirected`));
      }
    }
    added.push(redirectHost);
  }
  if (added.length === 0) return { table, diagnostics };
  return {
    table: {
      ...table,
      virtualHosts: [...table.virtualHosts, ...added].sort((a, b) => compareStrings(a.host, b.host)),
      sni: sni.sort((a, b) => compareStrings(a.host, b.host)),
      policies: Object.fromEntries(Object.entries(policies).sort(([a], [b]) => compareStrings(a, b))),
    },
    diagnostics,
  };
}
