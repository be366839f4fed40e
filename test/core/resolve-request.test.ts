// The request-resolution contract (docs/routing.md): one virtual host per request (exact, then
// one-label wildcard, then '*'), no fallthrough to another virtual host's routes, then the
// virtual host's default backend, the controller-wide one, or 404.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildRouteTable } from '../../src/core/build-route-table.ts';
import { resolveRequest, type RequestTarget } from '../../src/core/resolve-request.ts';
import { ingress, options, rule, service, serviceBackend, snapshotOf } from './fixtures.ts';

const services = ['exact', 'wild', 'star', 'exact-default', 'wild-default', 'catch-all'].map((n) => service(n, [{ port: 80 }]));

const table = buildRouteTable(
  snapshotOf([
    ingress('catch-all', { created: '2024-01-01T00:00:00Z', defaultBackend: serviceBackend('catch-all', 80) }),
    ingress('exact', { created: '2024-01-02T00:00:00Z', defaultBackend: serviceBackend('exact-default', 80), rules: [rule('a.example.com', ['/a', 'Prefix', 'exact', 80])] }),
    ingress('wild', { created: '2024-01-03T00:00:00Z', rules: [rule('*.example.com', ['/w', 'Prefix', 'wild', 80], ['/a/deeper', 'Prefix', 'wild', 80])] }),
    ingress('wild-default', { created: '2024-01-04T00:00:00Z', defaultBackend: serviceBackend('wild-default', 80), rules: [rule('*.other.com', ['/o', 'Prefix', 'wild', 80])] }),
    ingress('star', { created: '2024-01-05T00:00:00Z', rules: [rule(undefined, ['/s', 'Prefix', 'star', 80])] }),
    ...services,
  ]),
  options(),
).table;

function describe(target: RequestTarget): string {
  if (target.kind === 'route') return `${target.virtualHost.host} ${target.route.backend}`;
  if (target.kind === 'default') return `${target.virtualHost?.host ?? '(none)'} default ${target.backend}`;
  return `${target.virtualHost?.host ?? '(none)'} 404`;
}

const CASES: [host: string, path: string, expected: string][] = [
  ['a.example.com', '/a/x', 'a.example.com default/exact:80'],
  ['A.Example.com:8080', '/a', 'a.example.com default/exact:80'],
  // No fallthrough: the exact vhost's default backend, never the wildcard's or '*''s routes.
  ['a.example.com', '/w', 'a.example.com default default/exact-default:80'],
  ['a.example.com', '/s', 'a.example.com default default/exact-default:80'],
  ['b.example.com', '/w/1', '*.example.com default/wild:80'],
  ['b.example.com', '/a/deeper/x', '*.example.com default/wild:80'],
  // A wildcard vhost without its own default backend falls back to the controller-wide one.
  ['b.example.com', '/s', '*.example.com default default/catch-all:80'],
  // The wildcard covers one label only: x.y.example.com is a '*' request.
  ['x.y.example.com', '/s', '* default/star:80'],
  ['x.y.example.com', '/w', '* default default/catch-all:80'],
  ['example.com', '/s', '* default/star:80'],
  ['x.other.com', '/nothing', '*.other.com default default/wild-default:80'],
  // '*' has no default of its own: the controller-wide default.
  ['unknown.test', '/nothing', '* default default/catch-all:80'],
];

for (const [host, path, expected] of CASES) {
  test(`request ${host} ${path} → ${expected}`, () => {
    assert.equal(describe(resolveRequest(table, host, path)), expected);
  });
}

test('no virtual host and no default backend anywhere: 404', () => {
  const bare = buildRouteTable(snapshotOf([ingress('one', { rules: [rule('a.example.com', ['/a', 'Prefix', 'exact', 80])] }), ...services]), options()).table;
  assert.equal(describe(resolveRequest(bare, 'b.example.com', '/a')), '(none) 404');
  assert.equal(describe(resolveRequest(bare, 'a.example.com', '/b')), 'a.example.com 404');
});
