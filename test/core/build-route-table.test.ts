// The builder as a whole: merging, conflicts, ordering, default backends, legacy reporting,
// policies, and the "skip the bad part, serve the rest" rule.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIngressPolicy } from '../../src/core/annotations/parse-ingress-policy.ts';
import { buildRouteTable } from '../../src/core/build-route-table.ts';
import type { KubeObject } from '../../src/core/model.ts';
import { DEFAULT_POLICY } from '../../src/core/policy.ts';
import { CONTROLLER_DEFAULT_POLICY } from '../../src/core/resolve-default-backends.ts';
import type { BuildResult } from '../../src/core/route-table.ts';
import { endpoint, ingress, options, rule, service, serviceBackend, slice, snapshotOf } from './fixtures.ts';

const SERVICES: KubeObject[] = ['a', 'b', 'c', 'd', 'fallback'].flatMap((name, i) => [
  service(name, [{ name: 'http', port: 80 }]),
  slice(`${name}-1`, name, [{ name: 'http', port: 8080 }], [endpoint(`10.0.${i}.1`)]),
]);

function build(objects: KubeObject[], overrides = {}): BuildResult {
  return buildRouteTable(snapshotOf([...objects, ...SERVICES]), options(overrides));
}

function routesOf(result: BuildResult, host: string): string[] {
  const vhost = result.table.virtualHosts.find((v) => v.host === host);
  return (vhost?.routes ?? []).map((r) => `${r.match} ${r.path} → ${r.backend} (${r.id})`);
}

function codes(result: BuildResult): string[] {
  return result.diagnostics.map((d) => `${d.code} ${d.object.namespace}/${d.object.name} ${d.field ?? ''}`);
}

test('rules for one host from several Ingresses merge, most specific first', () => {
  const result = build([
    ingress('one', { created: '2024-01-01T00:00:00Z', rules: [rule('shop.example.com', ['/', 'Prefix', 'a', 80], ['/cart', 'Prefix', 'b', 80])] }),
    ingress('two', { created: '2024-01-02T00:00:00Z', rules: [rule('shop.example.com', ['/cart/items', 'Prefix', 'c', 80], ['/cart', 'Exact', 'd', 80])] }),
  ]);
  assert.deepEqual(routesOf(result, 'shop.example.com'), [
    'Prefix /cart/items → default/c:80 (default/two#r0.p0)',
    'Exact /cart → default/d:80 (default/two#r0.p1)',
    'Prefix /cart → default/b:80 (default/one#r0.p1)',
    'Prefix / → default/a:80 (default/one#r0.p0)',
  ]);
  assert.deepEqual(result.diagnostics, []);
});

test('same host + path + match from two Ingresses: the older wins, the loser gets PathConflict', () => {
  const result = build([
    ingress('young', { created: '2024-06-01T00:00:00Z', rules: [rule('x.example.com', ['/api', 'Prefix', 'b', 80])] }),
    ingress('old', { created: '2024-01-01T00:00:00Z', rules: [rule('X.Example.com', ['/api', 'Prefix', 'a', 80])] }),
  ]);
  assert.deepEqual(routesOf(result, 'x.example.com'), ['Prefix /api → default/a:80 (default/old#r0.p0)']);
  assert.deepEqual(codes(result), ['PathConflict default/young spec.rules[0].http.paths[0]']);
  assert.match(result.diagnostics[0]?.message ?? '', /older Ingress default\/old/);
  assert.equal(result.table.backends['default/b:80'], undefined, 'a backend no route uses is not in the table');
});

test('equal timestamps (or none) fall back to namespace/name order', () => {
  const result = build([ingress('b', { rules: [rule('x.example.com', ['/', 'Prefix', 'b', 80])] }), ingress('a', { rules: [rule('x.example.com', ['/', 'Prefix', 'a', 80])] })]);
  assert.deepEqual(routesOf(result, 'x.example.com'), ['Prefix / → default/a:80 (default/a#r0.p0)']);
  assert.deepEqual(codes(result), ['PathConflict default/b spec.rules[0].http.paths[0]']);
});

test('Prefix /foo and /foo/ match the same requests and conflict; Exact /foo and /foo/ do not', () => {
  const result = build([
    ingress('web', { rules: [rule('x.example.com', ['/foo', 'Prefix', 'a', 80], ['/foo/', 'ImplementationSpecific', 'b', 80], ['/foo', 'Exact', 'c', 80], ['/foo/', 'Exact', 'd', 80])] }),
  ]);
  assert.deepEqual(routesOf(result, 'x.example.com'), [
    'Exact /foo → default/c:80 (default/web#r0.p2)',
    'Exact /foo/ → default/d:80 (default/web#r0.p3)',
    'Prefix /foo → default/a:80 (default/web#r0.p0)',
  ]);
  assert.deepEqual(codes(result), ['PathConflict default/web spec.rules[0].http.paths[1]']);
});

test('the same path under two hosts is no conflict; Prefix and Exact on one path are no conflict', () => {
  const result = build([
    ingress('one', { rules: [rule('a.example.com', ['/', 'Prefix', 'a', 80]), rule('b.example.com', ['/', 'Prefix', 'b', 80])] }),
    ingress('two', { rules: [rule('a.example.com', ['/', 'Exact', 'c', 80])] }),
  ]);
  assert.equal(routesOf(result, 'a.example.com').length, 2);
  assert.equal(routesOf(result, 'b.example.com').length, 1);
  assert.deepEqual(result.diagnostics, []);
});

function refusedOf(result: BuildResult, host: string): string[] {
  const vhost = result.table.virtualHosts.find((v) => v.host === host);
  return (vhost?.routes ?? []).filter((r) => r.refused !== undefined).map((r) => `${r.path} ${r.refused}`);
}

test('a route whose Service is missing keeps its place: a newer Ingress cannot take its path', () => {
  const result = build([
    ingress('old', { created: '2024-01-01T00:00:00Z', rules: [rule('x.example.com', ['/api', 'Prefix', 'missing', 80])] }),
    ingress('new', { created: '2024-02-01T00:00:00Z', rules: [rule('x.example.com', ['/api', 'Prefix', 'a', 80])] }),
  ]);
  assert.deepEqual(routesOf(result, 'x.example.com'), ['Prefix /api → default/missing:80 (default/old#r0.p0)']);
  assert.deepEqual(refusedOf(result, 'x.example.com'), ['/api BackendServiceNotFound']);
  assert.equal(result.table.backends['default/missing:80'], undefined, 'a refused route names its backend as written; no such backend exists');
  assert.deepEqual(codes(result), ['PathConflict default/new spec.rules[0].http.paths[0]', 'BackendServiceNotFound default/old spec.rules[0].http.paths[0].backend.service.name']);
});

test("an invalid path's stand-in never displaces nor contests a real route, older or newer", () => {
  const result = build([
    ingress('old', { created: '2024-01-01T00:00:00Z', rules: [rule('x.example.com', ['/api/(.*)', 'Prefix', 'a', 80])] }),
    ingress('new', { created: '2024-02-01T00:00:00Z', rules: [rule('x.example.com', ['/api', 'Prefix', 'b', 80], ['/v2/.*', 'ImplementationSpecific', 'b', 80])] }),
  ]);
  assert.deepEqual(routesOf(result, 'x.example.com'), ['Prefix /api → default/b:80 (default/new#r0.p0)', 'Prefix /v2 → default/b:80 (default/new#r0.p1)']);
  assert.deepEqual(refusedOf(result, 'x.example.com'), ['/v2 PathInvalid']);
  assert.deepEqual(codes(result), ['PathInvalid default/new spec.rules[0].http.paths[1].path', 'PathInvalid default/old spec.rules[0].http.paths[0].path']);
});

test('bad parts answer 503 alone, in their place: the rest of the Ingress keeps serving', () => {
  const result = build([
    ingress('web', {
      rules: [
        rule('ok.example.com', ['/good', 'Prefix', 'a', 80], ['relative', 'Prefix', 'a', 80], ['/typo', 'Prefx', 'a', 80], ['/gone', 'Prefix', 'nope', 80], ['/port', 'Prefix', 'a', 9999]),
        rule('bad_host.example.com', ['/', 'Prefix', 'a', 80]),
        rule('10.0.0.1', ['/', 'Prefix', 'a', 80]),
        rule(undefined, ['/', 'Prefix', 'b', 80]),
        rule('broken.example.com', ['/x(', 'Exact', 'a', 80], ['', 'Exact', 'a', 80]),
      ],
    }),
  ]);
  assert.deepEqual(result.table.virtualHosts.map((v) => v.host), ['*', 'broken.example.com', 'ok.example.com']);
  assert.deepEqual(routesOf(result, 'ok.example.com'), [
    'Prefix /gone → default/nope:80 (default/web#r0.p3)',
    'Prefix /good → default/a:80 (default/web#r0.p0)',
    'Prefix /port → default/a:9999 (default/web#r0.p4)',
    'Prefix /relative → default/a:80 (default/web#r0.p1)',
    'Prefix /typo → default/a:80 (default/web#r0.p2)',
  ]);
  assert.deepEqual(refusedOf(result, 'ok.example.com'), ['/gone BackendServiceNotFound', '/port BackendServicePortNotFound', '/relative PathInvalid', '/typo PathTypeInvalid']);
  // A host whose every path is broken keeps its virtual host: the catch-all never answers for it.
  assert.deepEqual(refusedOf(result, 'broken.example.com'), ['/ PathInvalid']);
  assert.deepEqual(codes(result), [
    'PathInvalid default/web spec.rules[0].http.paths[1].path',
    'PathTypeInvalid default/web spec.rules[0].http.paths[2].pathType',
    'BackendServiceNotFound default/web spec.rules[0].http.paths[3].backend.service.name',
    'BackendServicePortNotFound default/web spec.rules[0].http.paths[4].backend.service.port.number',
    'HostInvalid default/web spec.rules[1].host',
    'HostInvalid default/web spec.rules[2].host',
    'PathInvalid default/web spec.rules[4].http.paths[0].path',
    'PathInvalid default/web spec.rules[4].http.paths[1].path',
  ]);
  assert.deepEqual(result.status, [{ ingress: 'default/web', admitted: true }]);
});

test('the default-backend annotation answers for routes whose backend is missing or has no ready endpoint', () => {
  const result = buildRouteTable(
    snapshotOf([
      ...SERVICES,
      service('empty', [{ name: 'http', port: 80 }]),
      service('errors', [{ name: 'web', port: 8080 }, { name: 'other', port: 9090 }]),
      slice('errors-1', 'errors', [{ name: 'web', port: 8080 }], [endpoint('10.9.0.1')]),
      ingress('web', {
        annotations: { 'nginx.ingress.kubernetes.io/default-backend': 'errors' },
        defaultBackend: serviceBackend('gone', 80),
        rules: [rule('x.example.com', ['/ok', 'Prefix', 'a', 80], ['/gone', 'Prefix', 'nope', 80], ['/empty', 'Prefix', 'empty', 80], ['/bad(', 'Prefix', 'a', 80])],
      }),
    ]),
    options(),
  );
  assert.deepEqual(routesOf(result, 'x.example.com'), [
    'Prefix /empty → default/errors:8080 (default/web#r0.p2)',
    'Prefix /gone → default/errors:8080 (default/web#r0.p1)',
    'Prefix /ok → default/a:80 (default/web#r0.p0)',
    'Prefix / → default/a:80 (default/web#r0.p3)',
  ]);
  // '/bad(' has no valid element: its stand-in covers '/'. An invalid path is refused, never redirected to the annotation's Service.
  assert.deepEqual(refusedOf(result, 'x.example.com'), ['/ PathInvalid']);
  assert.equal(result.table.virtualHosts.find((v) => v.host === 'x.example.com')?.defaultBackend?.backend, 'default/errors:8080');
  assert.ok(result.diagnostics.every((d) => d.code !== 'AnnotationUnsupported'), 'the annotation is read');
  const bad = buildRouteTable(snapshotOf([...SERVICES, ingress('web', { annotations: { 'nginx.ingress.kubernetes.io/default-backend': 'Not_A_Name' }, rules: [rule('x.example.com', ['/gone', 'Prefix', 'nope', 80])] })]), options());
  assert.deepEqual(refusedOf(bad, 'x.example.com'), ['/gone BackendServiceNotFound']);
  assert.ok(bad.diagnostics.some((d) => d.code === 'AnnotationInvalid' && d.field === 'metadata.annotations["nginx.ingress.kubernetes.io/default-backend"]'));
});

test("defaultBackend serves its own Ingress's hosts; the oldest is also the catch-all", () => {
  const result = build([
    ingress('old', { created: '2024-01-01T00:00:00Z', defaultBackend: serviceBackend('a', 80), rules: [rule('old.example.com', ['/x', 'Prefix', 'c', 80])] }),
    ingress('new', { created: '2024-02-01T00:00:00Z', defaultBackend: serviceBackend('b', 'http'), rules: [rule('new.example.com', ['/y', 'Prefix', 'c', 80]), rule('*.wild.example.com')] }),
    ingress('plain', { created: '2024-03-01T00:00:00Z', rules: [rule('plain.example.com', ['/', 'Prefix', 'c', 80])] }),
  ]);
  const defaults = Object.fromEntries(result.table.virtualHosts.map((v) => [v.host, v.defaultBackend?.backend ?? null]));
  assert.deepEqual(defaults, {
    '*.wild.example.com': 'default/b:http',
    'new.example.com': 'default/b:http',
    'old.example.com': 'default/a:80',
    'plain.example.com': null,
  });
  assert.deepEqual(result.table.defaultBackend, { backend: 'default/a:80', policy: 'default/old', ingress: 'default/old' });
  assert.deepEqual(result.diagnostics, []);
});

test('defaultBackend conflicts on a host: the older wins, the loser is reported', () => {
  const result = build([
    ingress('old', { created: '2024-01-01T00:00:00Z', defaultBackend: serviceBackend('a', 80), rules: [rule('x.example.com', ['/a', 'Prefix', 'a', 80])] }),
    ingress('new', { created: '2024-02-01T00:00:00Z', defaultBackend: serviceBackend('b', 80), rules: [rule('x.example.com', ['/b', 'Prefix', 'b', 80])] }),
    ingress('lonely', { created: '2024-03-01T00:00:00Z', defaultBackend: serviceBackend('c', 80) }),
  ]);
  assert.equal(result.table.virtualHosts[0]?.defaultBackend?.backend, 'default/a:80');
  assert.deepEqual(codes(result), ['DefaultBackendConflict default/lonely spec.defaultBackend', 'DefaultBackendConflict default/new spec.defaultBackend']);
  assert.equal(result.table.backends['default/c:80'], undefined);
});

test('an Ingress with only a defaultBackend is the catch-all; no virtual host is made for it', () => {
  const result = build([ingress('single', { defaultBackend: serviceBackend('a', 80) })]);
  assert.deepEqual(result.table.virtualHosts, []);
  assert.deepEqual(result.table.defaultBackend, { backend: 'default/a:80', policy: 'default/single', ingress: 'default/single' });
});

test('--default-backend is the catch-all only when no Ingress provides one', () => {
  const flag = { defaultBackend: { namespace: 'default', service: 'fallback', port: 80 } };
  const none = build([ingress('web', { rules: [rule('x.example.com', ['/', 'Prefix', 'a', 80])] })], flag);
  assert.deepEqual(none.table.defaultBackend, { backend: 'default/fallback:80', policy: CONTROLLER_DEFAULT_POLICY });
  assert.deepEqual(none.table.policies[CONTROLLER_DEFAULT_POLICY], { ...DEFAULT_POLICY });
  assert.ok(none.table.backends['default/fallback:80']);
  const some = build([ingress('web', { defaultBackend: serviceBackend('a', 80) })], flag);
  assert.equal(some.table.defaultBackend?.backend, 'default/a:80');
  assert.equal(some.table.backends['default/fallback:80'], undefined);
  assert.equal(some.table.policies[CONTROLLER_DEFAULT_POLICY], undefined);
});

test('a --default-backend that does not resolve is reported against the flag', () => {
  const result = build([], { defaultBackend: { namespace: 'ops', service: 'nothing', port: 'http' } });
  assert.equal(result.table.defaultBackend, undefined);
  assert.deepEqual(result.diagnostics.map((d) => [d.code, d.object.kind, d.object.namespace, d.object.name, d.field]), [['BackendServiceNotFound', 'Service', 'ops', 'nothing', undefined]]);
  assert.match(result.diagnostics[0]?.message ?? '', /^--default-backend: /);
});

test('a broken defaultBackend keeps its place and answers 503 there; the next Ingress does not take it', () => {
  const result = build([
    ingress('old', { created: '2024-01-01T00:00:00Z', defaultBackend: { resource: { kind: 'Bucket', name: 'b' } }, rules: [rule('old.example.com', ['/x', 'Prefix', 'a', 80])] }),
    ingress('new', { created: '2024-02-01T00:00:00Z', defaultBackend: serviceBackend('b', 80) }),
  ]);
  assert.deepEqual(result.table.defaultBackend, { backend: '', policy: 'default/old', ingress: 'default/old', refused: 'ResourceBackendUnsupported' });
  assert.deepEqual(result.table.virtualHosts.find((v) => v.host === 'old.example.com')?.defaultBackend, { backend: '', policy: 'default/old', ingress: 'default/old', refused: 'ResourceBackendUnsupported' });
  assert.deepEqual(codes(result), ['DefaultBackendConflict default/new spec.defaultBackend', 'ResourceBackendUnsupported default/old spec.defaultBackend.resource']);
});

test('a converted legacy Ingress serves and is reported with how to upgrade', () => {
  const result = build([ingress('kubia', { convertedFrom: 'extensions/v1beta1', rules: [rule('kubia.example.com', ['/', 'ImplementationSpecific', 'a', 80])] })]);
  assert.equal(routesOf(result, 'kubia.example.com').length, 1);
  assert.deepEqual(codes(result), ['LegacyIngressAPIVersion default/kubia apiVersion']);
  const message = result.diagnostics[0]?.message ?? '';
  assert.match(message, /extensions\/v1beta1/);
  assert.match(message, /networking\.k8s\.io\/v1/);
  assert.match(message, /pathType/);
  assert.equal(result.diagnostics[0]?.severity, 'warning');
});

test('every admitted Ingress has its parsed policy; the parser diagnostics pass through', () => {
  const annotated = ingress('tuned', {
    annotations: { 'gatehouse.dev/load-balance': 'bogus', 'gatehouse.dev/retries': '-3', 'gatehouse.dev/no-such-thing': 'x' },
    rules: [rule('x.example.com', ['/', 'Prefix', 'a', 80])],
  });
  const plain = ingress('plain', { rules: [rule('y.example.com', ['/', 'Prefix', 'a', 80])] });
  const result = build([annotated, plain]);
  assert.deepEqual(Object.keys(result.table.policies), ['default/plain', 'default/tuned']);
  assert.deepEqual(result.table.policies['default/tuned'], parseIngressPolicy(annotated).policy);
  for (const diagnostic of parseIngressPolicy(annotated).diagnostics) assert.ok(result.diagnostics.some((d) => JSON.stringify(d) === JSON.stringify(diagnostic)));
  for (const vhost of result.table.virtualHosts) for (const route of vhost.routes) assert.ok(result.table.policies[route.policy]);
});

test('routes and backends point at what exists: every route backend and policy is in the table', () => {
  const result = build([
    ingress('web', { defaultBackend: serviceBackend('d', 'http'), rules: [rule('x.example.com', ['/', 'Prefix', 'a', 80], ['/b', 'Exact', 'b', 'http'])] }),
  ]);
  const referenced = new Set<string>();
  for (const vhost of result.table.virtualHosts) {
    for (const route of vhost.routes) referenced.add(route.backend);
    if (vhost.defaultBackend) referenced.add(vhost.defaultBackend.backend);
  }
  assert.deepEqual(Object.keys(result.table.backends).sort(), [...referenced].sort());
  assert.deepEqual(result.table.backends['default/b:http']?.endpoints, [{ address: '10.0.1.1', port: 8080, ready: true, serving: true, terminating: false }]);
});

test('an empty snapshot builds an empty table', () => {
  const result = buildRouteTable(snapshotOf([]), options());
  assert.deepEqual(result, { table: { virtualHosts: [], backends: {}, policies: {}, certificates: {}, sni: [] }, diagnostics: [], status: [] });
});
