// Table-driven tests of the compiled lookup: the Kubernetes documentation's path-matching and
// hostname-wildcard tables, host normalisation, host fall-through and default backends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTable } from '../../src/dataplane/compile-table.ts';
import { normalizeHost } from '../../src/dataplane/normalize-host.ts';
import type { EndpointPicker } from '../../src/dataplane/proxy/endpoint-picker.ts';
import { routeTable, type RouteSpec } from '../support/route-tables.ts';
import { resolveRequest } from '../../src/core/resolve-request.ts';
import { normaliseHost } from '../../src/core/host-match.ts';
import { randomRouting } from '../support/random-routing.ts';

const EP = ['127.0.0.2:80'];

function lookupBackend(routes: RouteSpec[], host: string, path: string, tableHost = 'foo.example.com'): string | undefined {
  const backends: Record<string, string[]> = { 'default/fallback:80': EP };
  for (const r of routes) backends[r.backend] = EP;
  const compiled = compileTable(routeTable({ hosts: { [tableHost]: { routes } }, backends, defaultBackend: 'default/fallback:80' }));
  const t = compiled.lookup(host, path);
  return t?.backend.id;
}

// https://kubernetes.io/docs/concepts/services-networking/ingress/#examples
const PATH_EXAMPLES: { kind: string; paths: RouteSpec[]; request: string; expect: string }[] = [
  { kind: 'Prefix', paths: [{ path: '/', backend: 'default/a:80' }], request: '/', expect: 'default/a:80' },
  { kind: 'Prefix', paths: [{ path: '/', backend: 'default/a:80' }], request: '/anything/at/all', expect: 'default/a:80' },
  { kind: 'Exact', paths: [{ path: '/foo', match: 'Exact', backend: 'default/a:80' }], request: '/foo', expect: 'default/a:80' },
  { kind: 'Exact', paths: [{ path: '/foo', match: 'Exact', backend: 'default/a:80' }], request: '/bar', expect: 'default/fallback:80' },
  { kind: 'Exact', paths: [{ path: '/foo', match: 'Exact', backend: 'default/a:80' }], request: '/foo/', expect: 'default/fallback:80' },
  { kind: 'Exact', paths: [{ path: '/foo/', match: 'Exact', backend: 'default/a:80' }], request: '/foo', expect: 'default/fallback:80' },
  { kind: 'Prefix', paths: [{ path: '/foo', backend: 'default/a:80' }], request: '/foo', expect: 'default/a:80' },
  { kind: 'Prefix', paths: [{ path: '/foo', backend: 'default/a:80' }], request: '/foo/', expect: 'default/a:80' },
  { kind: 'Prefix', paths: [{ path: '/foo/', backend: 'default/a:80' }], request: '/foo', expect: 'default/a:80' },
  { kind: 'Prefix', paths: [{ path: '/foo/', backend: 'default/a:80' }], request: '/foo/', expect: 'default/a:80' },
  { kind: 'Prefix', paths: [{ path: '/aaa/bb', backend: 'default/a:80' }], request: '/aaa/bbb', expect: 'default/fallback:80' },
  { kind: 'Prefix', paths: [{ path: '/aaa/bbb', backend: 'default/a:80' }], request: '/aaa/bbb', expect: 'default/a:80' },
  { kind: 'Prefix', paths: [{ path: '/aaa/bbb/', backend: 'default/a:80' }], request: '/aaa/bbb', expect: 'default/a:80' },
  { kind: 'Prefix', paths: [{ path: '/aaa/bbb', backend: 'default/a:80' }], request: '/aaa/bbb/', expect: 'default/a:80' },
  { kind: 'Prefix', paths: [{ path: '/aaa/bbb', backend: 'default/a:80' }], request: '/aaa/bbb/ccc', expect: 'default/a:80' },
  { kind: 'Prefix', paths: [{ path: '/aaa/bbb', backend: 'default/a:80' }], request: '/aaa/bbbxyz', expect: 'default/fallback:80' },
  {
    kind: 'Prefix',
    paths: [
      { path: '/', backend: 'default/root:80' },
      { path: '/aaa', backend: 'default/aaa:80' },
    ],
    request: '/aaa/ccc',
    expect: 'default/aaa:80',
  },
  {
    kind: 'Prefix',
    paths: [
      { path: '/', backend: 'default/root:80' },
      { path: '/aaa', backend: 'default/aaa:80' },
      { path: '/aaa/bbb', backend: 'default/bbb:80' },
    ],
    request: '/aaa/bbb',
    expect: 'default/bbb:80',
  },
  {
    kind: 'Prefix',
    paths: [
      { path: '/', backend: 'default/root:80' },
      { path: '/aaa', backend: 'default/aaa:80' },
      { path: '/aaa/bbb', backend: 'default/bbb:80' },
    ],
    request: '/ccc',
    expect: 'default/root:80',
  },
  { kind: 'Prefix', paths: [{ path: '/aaa', backend: 'default/aaa:80' }], request: '/ccc', expect: 'default/fallback:80' },
  {
    kind: 'Mixed',
    paths: [
      { path: '/foo', match: 'Prefix', backend: 'default/prefix:80' },
      { path: '/foo', match: 'Exact', backend: 'default/exact:80' },
    ],
    request: '/foo',
    expect: 'default/exact:80',
  },
];

test('Kubernetes path-matching examples', async (t) => {
  for (const row of PATH_EXAMPLES) {
    await t.test(`${row.kind} ${row.paths.map((p) => p.path).join(', ')} ← ${row.request}`, () => {
      assert.equal(lookupBackend(row.paths, 'foo.example.com', row.request), row.expect);
    });
  }
});

test('longest path wins in elements, and a trailing slash does not make a path longer', () => {
  const routes: RouteSpec[] = [
    { path: '/match/', backend: 'default/slash:80' },
    { path: '/match/deeper', backend: 'default/deeper:80' },
    { path: '/', backend: 'default/root:80' },
  ];
  assert.equal(lookupBackend(routes, 'foo.example.com', '/match/deeper/x'), 'default/deeper:80');
  assert.equal(lookupBackend(routes, 'foo.example.com', '/match/other'), 'default/slash:80');
  assert.equal(lookupBackend(routes, 'foo.example.com', '/matchx'), 'default/root:80');
  // An Exact path deeper than every prefix wins only on equality; the query never takes part.
  const exact: RouteSpec[] = [
    { path: '/a/b/c', match: 'Exact', backend: 'default/exact:80' },
    { path: '/a', backend: 'default/a:80' },
  ];
  assert.equal(lookupBackend(exact, 'foo.example.com', '/a/b/c'), 'default/exact:80');
  assert.equal(lookupBackend(exact, 'foo.example.com', '/a/b/c/d'), 'default/a:80');
  assert.equal(lookupBackend(exact, 'foo.example.com', '/A/b/c'), 'default/fallback:80', 'paths are case-sensitive');
});

// https://kubernetes.io/docs/concepts/services-networking/ingress/#hostname-wildcards
test('Kubernetes hostname-wildcard examples', async (t) => {
  const rows: { host: string; header: string; matches: boolean }[] = [
    { host: '*.foo.com', header: 'bar.foo.com', matches: true },
    { host: '*.foo.com', header: 'baz.bar.foo.com', matches: false },
    { host: '*.foo.com', header: 'foo.com', matches: false },
  ];
  for (const row of rows) {
    await t.test(`${row.host} ← ${row.header}`, () => {
      const got = lookupBackend([{ path: '/', backend: 'default/a:80' }], normalizeHost(row.header), '/', row.host);
      assert.equal(got, row.matches ? 'default/a:80' : 'default/fallback:80');
    });
  }
});

test('host normalisation: case, port, trailing dot, IPv6 literal, missing host', () => {
  const cases: [string | undefined, string][] = [
    ['Foo.Example.COM', 'foo.example.com'],
    ['foo.example.com:8080', 'foo.example.com'],
    ['foo.example.com.', 'foo.example.com'],
    ['FOO.example.com.:443', 'foo.example.com'],
    ['[::1]:8080', '[::1]'],
    ['[2001:DB8::1]', '[2001:db8::1]'],
    ['127.0.0.1:80', '127.0.0.1'],
    ['', ''],
    [undefined, ''],
  ];
  for (const [raw, want] of cases) assert.equal(normalizeHost(raw), want, String(raw));
});

test('the host picks one virtual host (exact, then wildcard, then host-less); no fall-through to the next', () => {
  const compiled = compileTable(
    routeTable({
      hosts: {
        'foo.example.com': { routes: [{ path: '/api', backend: 'default/exact:80' }] },
        '*.example.com': { routes: [{ path: '/api', backend: 'default/wild:80' }, { path: '/wild', backend: 'default/wild:80' }] },
        '*': { routes: [{ path: '/', backend: 'default/any:80' }] },
      },
      backends: { 'default/exact:80': EP, 'default/wild:80': EP, 'default/any:80': EP, 'default/global:80': EP },
      defaultBackend: 'default/global:80',
    }),
  );
  const cases: [string, string, string | undefined][] = [
    ['foo.example.com', '/api/x', 'default/exact:80'],
    ['bar.example.com', '/api/x', 'default/wild:80'],
    ['foo.example.com', '/wild', 'default/global:80'], // foo exists: the wildcard's /wild is not tried
    ['foo.example.com', '/other', 'default/global:80'], // nor the host-less '/'
    ['bar.example.com', '/other', 'default/global:80'],
    ['x.y.example.com', '/api', 'default/any:80'],
    ['example.com', '/api', 'default/any:80'],
    ['', '/', 'default/any:80'],
  ];
  for (const [host, path, want] of cases) assert.equal(compiled.lookup(host, path)?.backend.id, want, `${host}${path}`);
});

test('default backends: the host’s own, then the table’s, else no target (404)', () => {
  const withDefaults = compileTable(
    routeTable({
      hosts: { 'foo.example.com': { routes: [{ path: '/a', backend: 'default/a:80' }], defaultBackend: 'default/foo-default:80' }, 'bar.example.com': { routes: [{ path: '/b', backend: 'default/a:80' }] } },
      backends: { 'default/a:80': EP, 'default/foo-default:80': EP, 'default/global:80': EP },
      defaultBackend: 'default/global:80',
    }),
  );
  assert.equal(withDefaults.lookup('foo.example.com', '/zzz')?.backend.id, 'default/foo-default:80');
  assert.equal(withDefaults.lookup('bar.example.com', '/zzz')?.backend.id, 'default/global:80');
  assert.equal(withDefaults.lookup('unknown.test', '/')?.backend.id, 'default/global:80');
  assert.equal(withDefaults.lookup('unknown.test', '/')?.routeId, 'default:default/ing');
  const none = compileTable(routeTable({ hosts: { 'foo.example.com': { routes: [{ path: '/a', backend: 'default/a:80' }] } }, backends: { 'default/a:80': EP } }));
  assert.equal(none.lookup('foo.example.com', '/b'), undefined);
  assert.equal(none.lookup('other.example.com', '/a'), undefined);
});

test('TLS redirect flag: TLS host with sslRedirect, not without a certificate or when the policy opts out', () => {
  const compiled = compileTable(
    routeTable({
      hosts: {
        'secure.example.com': { tls: 'default/cert', routes: [{ path: '/', backend: 'default/a:80' }, { path: '/open', backend: 'default/a:80', policy: 'default/noredirect' }] },
        'plain.example.com': { routes: [{ path: '/', backend: 'default/a:80' }] },
        '*': { routes: [{ path: '/shared', backend: 'default/a:80' }] },
      },
      backends: { 'default/a:80': EP },
      policies: { 'default/noredirect': { sslRedirect: false, hsts: { maxAgeSeconds: 600, includeSubDomains: true, preload: false } } },
    }),
  );
  assert.equal(compiled.lookup('secure.example.com', '/x')?.tlsRedirect, true);
  assert.equal(compiled.lookup('secure.example.com', '/open')?.tlsRedirect, false);
  assert.equal(compiled.lookup('secure.example.com', '/open')?.hsts, 'max-age=600; includeSubDomains');
  assert.equal(compiled.lookup('plain.example.com', '/x')?.tlsRedirect, false);
  assert.equal(compiled.lookup('plain.example.com', '/shared')?.tlsRedirect, false);
  // secure.example.com has its own '/', so /shared stays on its own (redirecting) rule.
  assert.equal(compiled.lookup('secure.example.com', '/shared')?.routeId, 'default/ing#secure.example.com.p0');
  assert.equal(compiled.lookup('secure.example.com', '/shared')?.tlsRedirect, true);
});

test('pickers are reused across compiles when backend and policy are unchanged, replaced otherwise', () => {
  let created = 0;
  const createPicker = (): EndpointPicker => {
    created++;
    return { pick: () => undefined };
  };
  const spec = {
    hosts: { 'a.test': { routes: [{ path: '/', backend: 'default/a:80' }] }, 'b.test': { routes: [{ path: '/', backend: 'default/b:80' }] } },
    backends: { 'default/a:80': ['127.0.0.2:80'], 'default/b:80': ['127.0.0.3:80'] },
  };
  const first = compileTable(routeTable(spec), { createPicker });
  assert.equal(created, 2);
  const second = compileTable(routeTable(spec), { createPicker, previous: first });
  assert.equal(created, 2);
  assert.equal(second.lookup('a.test', '/')?.picker, first.lookup('a.test', '/')?.picker);
  const changed = compileTable(routeTable({ ...spec, backends: { ...spec.backends, 'default/b:80': ['127.0.0.3:80', '127.0.0.4:80'] } }), { createPicker, previous: second });
  assert.equal(created, 3);
  assert.equal(changed.lookup('a.test', '/')?.picker, first.lookup('a.test', '/')?.picker);
  assert.notEqual(changed.lookup('b.test', '/')?.picker, first.lookup('b.test', '/')?.picker);
  assert.deepEqual([...changed.endpointKeys].sort(), ['127.0.0.2:80', '127.0.0.3:80', '127.0.0.4:80']);
});

test('a TLS host whose request goes to the table’s default backend still redirects', () => {
  const compiled = compileTable(
    routeTable({
      hosts: { 'secure.example.com': { tls: 'default/cert', routes: [{ path: '/app', backend: 'default/a:80' }] }, 'plain.example.com': { routes: [{ path: '/app', backend: 'default/a:80' }] } },
      backends: { 'default/a:80': EP, 'default/global:80': EP },
      defaultBackend: 'default/global:80',
    }),
  );
  const secure = compiled.lookup('secure.example.com', '/other');
  assert.equal(secure?.backend.id, 'default/global:80');
  assert.equal(secure?.tlsRedirect, true);
  assert.equal(compiled.lookup('plain.example.com', '/other')?.tlsRedirect, false);
  assert.equal(compiled.lookup('unknown.example.com', '/other')?.tlsRedirect, false);
  assert.equal(compiled.lookup('secure.example.com', '/more'), secure, 'the TLS twin is reused');
});

// The compiled lookup against the routing contract's plain reference (src/core/resolve-request.ts)
// on generated tables and requests: same route or default backend for every request, fixed seed.
test('property: compiled lookup agrees with resolveRequest on generated tables (fixed seed)', () => {
  const gen = randomRouting(0x5eed1234);
  let compared = 0;
  for (let round = 0; round < 200; round++) {
    const table = gen.table(round);
    const compiled = compileTable(table);
    for (let q = 0; q < 40; q++) {
      const { hostHeader, path } = gen.request();
      const expected = resolveRequest(table, hostHeader, path);
      const got = compiled.lookup(normalizeHost(hostHeader), path);
      const want = expected.kind === 'route' ? expected.route.backend : expected.kind === 'default' ? expected.backend : undefined;
      assert.equal(normalizeHost(hostHeader), normaliseHost(hostHeader), `host normalisation of ${hostHeader}`);
      assert.equal(got?.backend.id, want, `round ${round}: ${hostHeader}${path}`);
      if (expected.kind === 'route') assert.equal(got?.routeId, expected.route.id);
      const refused = expected.kind === 'route' ? expected.route.refused : expected.kind === 'default' ? expected.refused : undefined;
      assert.equal(got?.refused, refused, `round ${round}: ${hostHeader}${path} refused`);
      compared++;
    }
  }
  assert.equal(compared, 8000);
});
