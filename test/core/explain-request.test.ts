// The explanation of one request, step by step, over tables the real builder makes from objects:
// host choice, candidate paths and their reasons, decision, policy, endpoints and the answer. And
// a property: over generated tables its winner is resolveRequest's, and its redirect decision is
// the compiled data plane's.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildRouteTable } from '../../src/core/build-route-table.ts';
import { explainRequest, type ExplainContext, type ExplainInput, type Explanation } from '../../src/core/explain-request.ts';
import { resolveRequest } from '../../src/core/resolve-request.ts';
import type { RouteTable } from '../../src/core/route-table.ts';
import { compileTable } from '../../src/dataplane/compile-table.ts';
import { normalizeHost } from '../../src/dataplane/normalize-host.ts';
import { randomRouting } from '../support/random-routing.ts';
import { endpoint, fakeCert, ingress, options, rule, secret, service, serviceBackend, slice, snapshotOf } from './fixtures.ts';

const CONTEXT: ExplainContext = { httpsPort: 8443, defaults: { connectTimeoutMs: 5000, readTimeoutMs: 60_000, sendTimeoutMs: 60_000 } };

function input(url: string, extra: Partial<ExplainInput> = {}): ExplainInput {
  const m = /^(https?):\/\/([^/?]*)(.*)$/.exec(url)!;
  const raw = m[3] === '' ? '/' : m[3]!;
  const q = raw.indexOf('?');
  const target = { ok: true as const, path: q < 0 ? raw : raw.slice(0, q), query: q < 0 ? '' : raw.slice(q) };
  return { scheme: m[1] as 'http' | 'https', hostHeader: m[2]!, rawTarget: raw, target, ...extra };
}

const build = buildRouteTable(
  snapshotOf([
    ingress('shop', {
      created: '2024-01-01T00:00:00Z',
      annotations: { 'gatehouse.dev/hsts': 'true', 'gatehouse.dev/connect-timeout': '500ms', 'gatehouse.dev/load-balance': 'consistent-hash', 'gatehouse.dev/hash-key': 'header:x-user' },
      rules: [rule('shop.example.com', ['/api', 'Prefix', 'api', 80], ['/api/v1/status', 'Exact', 'status', 80], ['/', 'Prefix', 'web', 80])],
      tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
      defaultBackend: serviceBackend('web', 80),
    }),
    ingress('wild', { created: '2024-01-02T00:00:00Z', rules: [rule('*.example.com', ['/w', 'Prefix', 'web', 80])], annotations: { 'gatehouse.dev/retires': '2' } }),
    ingress('open', { created: '2024-01-03T00:00:00Z', rules: [rule(undefined, ['/open', 'ImplementationSpecific', 'api', 80])] }),
    service('api', [{ port: 80 }]),
    service('status', [{ port: 80 }]),
    service('web', [{ port: 80 }]),
    slice('api-1', 'api', [{ port: 8080 }], [endpoint('10.0.0.1', { ready: true }, 'api-a'), endpoint('10.0.0.2', { ready: false, serving: true, terminating: true }, 'api-b')]),
    slice('web-1', 'web', [{ port: 8080 }], [endpoint('10.0.1.1', { ready: false, serving: true, terminating: true })]),
    secret('shop-tls', fakeCert(['shop.example.com'])),
  ]),
  options(),
);
const table = build.table;
const context: ExplainContext = { ...CONTEXT, diagnostics: build.diagnostics };

function brief(e: Explanation): string {
  const a = e.answer;
  return `${e.host?.match ?? '-'} ${e.decision?.kind ?? '-'} ${a.kind === 'redirect' ? `308 ${a.location}` : a.kind === 'status' ? String(a.status) : `proxied ${a.backend}`}`;
}

test('exact host, the most specific matching path wins; less specific ones are not tried', () => {
  const e = explainRequest(table, input('https://shop.example.com/api/v1/status'), context);
  assert.equal(brief(e), 'exact route 503', 'status has no endpoints');
  assert.deepEqual(e.host?.tried, [{ pattern: 'shop.example.com', exists: true }]);
  assert.deepEqual(
    e.candidates.map((c) => [c.path, c.match, c.outcome]),
    [
      ['/api/v1/status', 'Exact', 'matched'],
      ['/api', 'Prefix', 'not-tried'],
      ['/', 'Prefix', 'not-tried'],
    ],
  );
  assert.equal(e.candidates[0]!.reason, 'Exact: equal byte for byte');
  assert.equal(e.candidates[1]!.reason, 'also matches, but a more specific path won');
  assert.equal(e.served, false);
});

test('path reasons: element-wise prefix, trailing slash on Exact, case', () => {
  const e = explainRequest(table, input('https://shop.example.com/api/v1/status/'), context);
  assert.equal(e.candidates[0]!.outcome, 'no-match');
  assert.equal(e.candidates[0]!.reason, 'Exact: differs in the trailing slash (it counts for Exact)');
  assert.equal(e.candidates[1]!.reason, 'Prefix: elements [api] are a prefix of [api, v1, status]');
  const upper = explainRequest(table, input('https://shop.example.com/API/x'), context);
  assert.equal(upper.candidates[1]!.reason, 'Prefix: element 1 is "api", the request has "API" (paths are case-sensitive)');
  assert.equal(upper.decision?.kind, 'route');
  assert.equal(upper.candidates[2]!.outcome, 'matched', '"/" catches it');
  const apix = explainRequest(table, input('https://shop.example.com/apix'), context);
  assert.equal(apix.candidates[1]!.reason, 'Prefix: element 1 is "api", the request has "apix"');
});

test('plain HTTP to a TLS host: 308 to the HTTPS port with path and query, not served', () => {
  const e = explainRequest(table, input('http://Shop.Example.com:8080/api/x?a=1'), context);
  assert.equal(brief(e), 'exact route 308 https://shop.example.com:8443/api/x?a=1');
  assert.equal(e.served, false);
  const ssl = e.policy!.lines.find((l) => l.setting === 'ssl-redirect')!;
  assert.deepEqual([ssl.value, ssl.applies, ssl.note], ['on', true, 'plain HTTP gets a 308 to HTTPS']);
  const on443 = explainRequest(table, input('http://shop.example.com/'), { ...context, httpsPort: 443 });
  assert.equal(on443.answer.kind === 'redirect' && on443.answer.location, 'https://shop.example.com/');
});

test('policy lines: annotations, flags and defaults, each with whether it applies', () => {
  const e = explainRequest(table, input('https://shop.example.com/api/x', { headers: { 'x-user': 'ann' } }), context);
  const lines = Object.fromEntries(e.policy!.lines.map((l) => [l.setting, `${l.value} [${l.source}]${l.applies ? '' : ' (no)'}`]));
  assert.deepEqual(lines, {
    'ssl-redirect': 'on [default] (no)',
    hsts: 'max-age=31536000 [annotation]',
    'load-balance': 'consistent-hash [annotation]',
    'hash-key': 'header:x-user [annotation]',
    retries: '1 [default]',
    'eject-on-5xx': 'off [default]',
    'connect-timeout': '500ms [annotation]',
    'read-timeout': '1m [flag]',
    'send-timeout': '1m [flag]',
    'max-body-size': 'no limit [flag]',
  });
  assert.equal(e.answer.kind, 'proxied');
  assert.deepEqual(e.answer.kind === 'proxied' && e.answer.headers, ['strict-transport-security: max-age=31536000']);
  assert.match(e.answer.summary, /consistent-hash on header x-user = "ann"/);
});

test('endpoints: ready ones are used; serving-but-terminating ones only when none is ready', () => {
  const api = explainRequest(table, input('https://shop.example.com/api'), context).backend!;
  assert.deepEqual(
    api.endpoints.map((ep) => [ep.address, ep.state, ep.eligible, ep.targetRef]),
    [
      ['10.0.0.1', 'ready', true, 'default/api-a'],
      ['10.0.0.2', 'terminating', false, 'default/api-b'],
    ],
  );
  const web = explainRequest(table, input('https://shop.example.com/other'), context);
  assert.equal(web.backend!.eligible, 1);
  assert.equal(web.backend!.endpoints[0]!.reason, 'serving while no endpoint is ready');
  const status = explainRequest(table, input('https://shop.example.com/api/v1/status'), context);
  assert.equal(status.backend!.endpoints.length, 0);
  assert.equal(status.answer.status, 503);
  assert.equal(status.answer.summary, '503 Service Unavailable: default/status:80 has no ready or serving endpoint');
  assert.equal(status.served, false);
});

test('live health: an ejected endpoint is skipped, unless every usable one is ejected (panic)', () => {
  const one = new Map([['10.0.0.1:8080', { ejected: true, ejectedForMs: 4000 }]]);
  const e = explainRequest(table, input('https://shop.example.com/api'), { ...context, health: one });
  assert.equal(e.backend!.panic, true);
  assert.equal(e.backend!.endpoints[0]!.eligible, true);
  assert.match(e.backend!.endpoints[0]!.reason, /used anyway/);
  assert.equal(e.backend!.endpoints[0]!.ejectedForMs, 4000);
  assert.match(e.answer.summary, /panic mode/);
});

test('wildcard host, then "*" for hosts two labels down; no fallthrough between virtual hosts', () => {
  const w = explainRequest(table, input('http://b.example.com/w/1'), context);
  assert.equal(brief(w), 'wildcard route proxied default/web:80');
  assert.equal(w.host?.reason, 'no virtual host b.example.com; *.example.com matches one label (b)');
  // /open exists on '*', but b.example.com picked *.example.com: the catch-all default backend
  // (shop's, the oldest Ingress with one), never '*''s route.
  const open = explainRequest(table, input('http://b.example.com/open'), context);
  assert.equal(brief(open), 'wildcard table-default proxied default/web:80');
  assert.deepEqual(open.candidates.map((c) => c.path), ['/w']);
  const star = explainRequest(table, input('http://x.y.example.com/open/a'), context);
  assert.equal(brief(star), 'catch-all route proxied default/api:80');
  assert.equal(star.candidates[0]!.reason, 'ImplementationSpecific, matched as Prefix: elements [open] are a prefix of [open, a]');
});

test('host default backend when no path matches; controller default when there is no host; 404 without one', () => {
  // shop's "/" catches everything, so give it a request the virtual host has no route for.
  const t2 = buildRouteTable(
    snapshotOf([
      ingress('a', { created: '2024-01-01T00:00:00Z', rules: [rule('a.example.com', ['/a', 'Exact', 'web', 80])], defaultBackend: serviceBackend('web', 80) }),
      ingress('b', { created: '2024-01-02T00:00:00Z', rules: [rule('b.example.com', ['/b', 'Exact', 'web', 80])] }),
      service('web', [{ port: 80 }]),
      slice('web-1', 'web', [{ port: 8080 }], [endpoint('10.0.1.1')]),
    ]),
    options(),
  ).table;
  const hostDefault = explainRequest(t2, input('http://a.example.com/zzz'), CONTEXT);
  assert.equal(brief(hostDefault), 'exact host-default proxied default/web:80');
  const catchAll = explainRequest(t2, input('http://c.example.com/zzz'), CONTEXT);
  assert.equal(brief(catchAll), 'none table-default proxied default/web:80');
  assert.equal(catchAll.decision?.reason, 'no virtual host: the catch-all default backend of Ingress default/a');
  const noDefault = explainRequest({ ...t2, defaultBackend: undefined } as RouteTable, input('http://b.example.com/zzz'), CONTEXT);
  assert.equal(brief(noDefault), 'exact none 404');
  assert.equal(noDefault.answer.summary, '404 Not Found: no path of b.example.com matches and it has no default backend, and there is no default backend (no Ingress defaultBackend, no --default-backend)');
});

test('a target the canonicaliser refused is answered before routing', () => {
  const e = explainRequest(table, { scheme: 'http', hostHeader: 'shop.example.com', rawTarget: '/a/%2e%2e%2f', target: { ok: false, status: 400, reason: 'forbidden percent-encoding %2F in path' } }, context);
  assert.equal(e.answer.status, 400);
  assert.equal(e.host, undefined);
  assert.equal(e.served, false);
});

test('diagnostics about the objects involved are attached, others are not', () => {
  const e = explainRequest(table, input('http://b.example.com/w'), context);
  assert.deepEqual(e.diagnostics.map((d) => `${d.code} ${d.object.name}`), ['AnnotationUnknown wild']);
  const shop = explainRequest(table, input('https://shop.example.com/'), context);
  assert.deepEqual(shop.diagnostics, []);
});

test('property: the winner is resolveRequest\'s and the redirect the compiled table\'s, on generated tables', () => {
  const gen = randomRouting(0x0e7a1a17);
  let compared = 0;
  const seen = new Map<string, number>();
  for (let round = 0; round < 150; round++) {
    const t = gen.table(round);
    // Give some virtual hosts a certificate and some policies ssl-redirect off, to exercise redirects.
    for (const [i, vh] of t.virtualHosts.entries()) if ((round + i) % 3 === 0) vh.tls = { certificate: 'default/cert', ingress: 'default/ing' };
    if (round % 2 === 0) t.policies['default/ing'] = { ...t.policies['default/ing']!, sslRedirect: false };
    const compiled = compileTable(t);
    for (let q = 0; q < 40; q++) {
      const { hostHeader, path } = gen.request();
      const scheme = q % 2 === 0 ? 'http' : 'https';
      const expected = resolveRequest(t, hostHeader, path);
      const e = explainRequest(t, { scheme, hostHeader, rawTarget: path, target: { ok: true, path, query: '' } }, CONTEXT);
      const where = `round ${round}: ${scheme} ${hostHeader}${path}`;
      const decision = e.decision!;
      if (expected.kind === 'route') {
        assert.equal(decision.kind === 'route' && decision.route, expected.route.id, where);
        assert.equal(e.candidates.filter((c) => c.outcome === 'matched').length, 1, where);
      } else if (expected.kind === 'default') {
        assert.ok(decision.kind === 'host-default' || decision.kind === 'table-default', where);
        assert.equal(e.backend?.id, expected.backend, where);
        assert.ok(e.candidates.every((c) => c.outcome === 'no-match'), where);
      } else {
        assert.equal(decision.kind, 'none', where);
        assert.equal(e.answer.status, 404, where);
      }
      assert.equal(e.host?.virtualHost, expected.virtualHost?.host, where);
      const target = compiled.lookup(normalizeHost(hostHeader), path);
      const redirects = target !== undefined && target.tlsRedirect && scheme === 'http' && normalizeHost(hostHeader) !== '';
      assert.equal(e.answer.kind === 'redirect', redirects, where);
      const refused = target !== undefined && !redirects && target.refused !== undefined;
      assert.equal(e.served, target !== undefined && !redirects && !refused, where);
      // A refused route or default backend answers 503 as the data plane does (steps/check-route-access.ts).
      if (refused) assert.equal(e.answer.status, 503, where);
      const kind = `${decision.kind} ${e.answer.kind}`;
      seen.set(kind, (seen.get(kind) ?? 0) + 1);
      compared++;
    }
  }
  assert.equal(compared, 6000);
  // The generator reaches every kind of outcome, so the comparisons above are not vacuous.
  for (const kind of ['route proxied', 'route redirect', 'route status', 'host-default proxied', 'table-default proxied', 'none status']) assert.ok((seen.get(kind) ?? 0) > 20, `${kind}: ${seen.get(kind) ?? 0}`);
});

// Fail closed (docs/security.md) as explain tells it: refused Ingresses, force-ssl-redirect, source ranges.
test('refusals, force-ssl-redirect and source ranges: explain answers what the data plane answers', () => {
  const b = buildRouteTable(
    snapshotOf([
      ingress('locked', { created: '2024-01-01T00:00:00Z', annotations: { 'nginx.ingress.kubernetes.io/auth-snippet': 'proxy_set_header X-Auth 1;' }, rules: [rule('locked.example.com', ['/', 'Prefix', 'api', 80])] }),
      ingress('ranged', {
        created: '2024-01-02T00:00:00Z',
        annotations: { 'nginx.ingress.kubernetes.io/whitelist-source-range': '10.0.0.0/8', 'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true' },
        rules: [rule('ranged.example.com', ['/', 'Prefix', 'api', 80])],
      }),
      service('api', [{ port: 80 }]),
      slice('api-1', 'api', [{ port: 8080 }], [endpoint('10.0.0.1', { ready: true }, 'api-a')]),
    ]),
    options(),
  );
  const admitsSource = (ranges: { allow?: { address: string; prefix: number }[] }, ip: string): boolean =>
    ranges.allow === undefined || ranges.allow.some((c) => c.address === '10.0.0.0' && c.prefix === 8 && ip.startsWith('10.'));
  const ctx: ExplainContext = { ...CONTEXT, diagnostics: b.diagnostics, admitsSource };

  const locked = explainRequest(b.table, input('https://locked.example.com/x'), ctx);
  assert.equal(brief(locked), 'exact route 503');
  assert.match(locked.answer.summary, /refused by \w+ \(annotation nginx\.ingress\.kubernetes\.io\/auth-snippet\)/);
  assert.equal(locked.served, false);

  const plain = explainRequest(b.table, input('http://ranged.example.com/x'), ctx);
  assert.equal(brief(plain), 'exact route 308 https://ranged.example.com:8443/x', 'force-ssl-redirect without a certificate');
  assert.match(plain.answer.summary, /force-ssl-redirect/);

  const outside = explainRequest(b.table, input('https://ranged.example.com/x', { clientIp: '192.0.2.7' }), ctx);
  assert.equal(brief(outside), 'exact route 403');
  const inside = explainRequest(b.table, input('https://ranged.example.com/x', { clientIp: '10.1.2.3' }), ctx);
  assert.equal(brief(inside), 'exact route proxied default/api:80');
  assert.ok(inside.policy?.lines.some((l) => l.setting === 'source-ranges' && l.value === 'allow 10.0.0.0/8'));
});
