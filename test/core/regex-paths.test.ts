// Regex paths and rewrites with ingress-nginx's semantics, as tables through the real builder, the
// reference lookup (resolve-request.ts) and the data plane's compiled lookup and rewrite step:
// the rewrite page's `/something(/|$)(.*)` → `/$2` table, its "Path Priority" examples (location
// order), the host-wide quirk (an Ingress's use-regex turns the other Ingresses' Exact and Prefix
// paths on the host into regexes), refused patterns (refused stand-ins, never another route) and
// ReDoS-shaped patterns answering on the linear-time engine.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildRouteTable } from '../../src/core/build-route-table.ts';
import type { KubeObject } from '../../src/core/model.ts';
import { checkRegexPath, MAX_REGEX_PATH_LENGTH } from '../../src/core/regex-path.ts';
import { explainRequest } from '../../src/core/explain-request.ts';
import { resolveRequest } from '../../src/core/resolve-request.ts';
import type { BuildResult } from '../../src/core/route-table.ts';
import { compileTable } from '../../src/dataplane/compile-table.ts';
import { editUpstreamRequest } from '../../src/dataplane/steps/upstream-edits.ts';
import { endpoint, ingress, options, rule, service, slice, snapshotOf } from './fixtures.ts';

const N = 'nginx.ingress.kubernetes.io/';
const SERVICES: KubeObject[] = ['web', 'api', 'svc1', 'svc2', 'svc3'].flatMap((name, i) => [
  service(name, [{ name: 'http', port: 80 }]),
  slice(`${name}-1`, name, [{ name: 'http', port: 8080 }], [endpoint(`10.0.${i}.1`)]),
]);

function build(objects: KubeObject[]): BuildResult {
  return buildRouteTable(snapshotOf([...objects, ...SERVICES]), options());
}

/** The route id (or 'none' / 'default') both lookups give, asserting they agree, and the refusal. */
function route(result: BuildResult, host: string, path: string): string {
  const expected = resolveRequest(result.table, host, path);
  const compiled = compileTable(result.table).lookup(host, path);
  const id = expected.kind === 'route' ? expected.route.id : expected.kind;
  assert.equal(compiled?.routeId ?? 'none', expected.kind === 'route' ? expected.route.id : expected.kind === 'none' ? 'none' : compiled?.routeId, `${host}${path}`);
  const refused = expected.kind === 'route' ? expected.route.refused : undefined;
  return refused === undefined ? id : `${id} refused ${refused}`;
}

/** What the backend is sent for this request: path and query after the route's upstream edits. */
function upstream(result: BuildResult, host: string, pathAndQuery: string): { path: string; headers: string[] } {
  const q = pathAndQuery.indexOf('?');
  const path = q === -1 ? pathAndQuery : pathAndQuery.slice(0, q);
  const target = compileTable(result.table).lookup(host, path);
  assert.ok(target !== undefined, `${host}${path} is routed`);
  const headers = ['host', host];
  const sent = target.upstreamEdits === undefined ? pathAndQuery : editUpstreamRequest(target.upstreamEdits, path, pathAndQuery, headers);
  return { path: sent, headers };
}

const REWRITE_PAGE = ingress('rewrite', {
  annotations: { [`${N}use-regex`]: 'true', [`${N}rewrite-target`]: '/$2' },
  rules: [rule('rewrite.bar.com', ['/something(/|$)(.*)', 'ImplementationSpecific', 'web', 80])],
});

test('the rewrite page: /something(/|$)(.*) with rewrite-target /$2 (table)', () => {
  const result = build([REWRITE_PAGE]);
  assert.deepEqual(result.diagnostics, []);
  const cases: [string, string][] = [
    // ingress-nginx docs, "Rewrite Target" example.
    ['/something', '/'],
    ['/something/', '/'],
    ['/something/new', '/new'],
    // The query is kept (nginx appends the original arguments).
    ['/something/new?x=1&y=2', '/new?x=1&y=2'],
    ['/something?page=2', '/?page=2'],
    // Case-insensitive, as `~*` and the rewrite's `(?i)`.
    ['/SomeThing/Deep/Path', '/Deep/Path'],
  ];
  for (const [request, sent] of cases) {
    assert.equal(route(result, 'rewrite.bar.com', request.split('?')[0]!), 'default/rewrite#r0.p0', request);
    assert.equal(upstream(result, 'rewrite.bar.com', request).path, sent, request);
  }
  // Anchored at the start only: not a match in the middle, and `(/|$)` needs a boundary.
  assert.equal(route(result, 'rewrite.bar.com', '/x/something/new'), 'none');
  assert.equal(route(result, 'rewrite.bar.com', '/somethingelse'), 'none');
});

test('capture references: $1..$9, a missing or non-participating group is empty; a path written as the target is not rewritten', () => {
  const result = build([
    ingress('groups', {
      annotations: { [`${N}rewrite-target`]: '/v2/$1/x$3$9' },
      rules: [rule('g.example.com', ['/api/([a-z]+)(/(\\d+))?', 'ImplementationSpecific', 'web', 80], ['/keep', 'ImplementationSpecific', 'api', 80])],
    }),
    ingress('same', {
      annotations: { [`${N}rewrite-target`]: '/' },
      rules: [rule('same.example.com', ['/', 'Prefix', 'web', 80])],
    }),
  ]);
  assert.equal(upstream(result, 'g.example.com', '/api/users/42/rest').path, '/v2/users/x42');
  assert.equal(upstream(result, 'g.example.com', '/api/users').path, '/v2/users/x', 'group 3 took no part: empty');
  assert.equal(upstream(result, 'g.example.com', '/keep/this').path, '/v2//x', 'no groups at all: every reference is empty');
  // ingress-nginx's buildProxyPass: path == rewrite-target writes no rewrite at all.
  assert.equal(upstream(result, 'same.example.com', '/a/b?c=d').path, '/a/b?c=d');
});

test('x-forwarded-prefix goes with the rewrite; upstream-vhost replaces the Host sent', () => {
  const result = build([
    ingress('app', {
      annotations: { [`${N}rewrite-target`]: '/$2', [`${N}x-forwarded-prefix`]: '/app', [`${N}upstream-vhost`]: 'app.internal:8080' },
      rules: [rule('www.example.com', ['/app(/|$)(.*)', 'ImplementationSpecific', 'web', 80])],
    }),
  ]);
  assert.deepEqual(result.diagnostics, []);
  const sent = upstream(result, 'www.example.com', '/app/login?next=/');
  assert.equal(sent.path, '/login?next=/');
  assert.deepEqual(sent.headers, ['host', 'app.internal:8080', 'x-forwarded-prefix', '/app']);
});

test('ingress-nginx "Path Priority": locations in order of descending pattern length, first match wins', () => {
  // The documentation's first example: test-ingress-1 (Prefix /foo/bar and /foo/bar/) and
  // test-ingress-2 (rewrite-target, /foo/bar/(.+)) on one host.
  const result = build([
    ingress('test-ingress-1', { created: '2025-01-01T00:00:00Z', rules: [rule('test.com', ['/foo/bar', 'Prefix', 'svc1', 80], ['/foo/bar/', 'Prefix', 'svc2', 80])] }),
    ingress('test-ingress-2', { created: '2025-01-02T00:00:00Z', annotations: { [`${N}rewrite-target`]: '/$1' }, rules: [rule('test.com', ['/foo/bar/(.+)', 'ImplementationSpecific', 'svc3', 80])] }),
  ]);
  const vhost = result.table.virtualHosts.find((v) => v.host === 'test.com')!;
  assert.deepEqual(vhost.routes.map((r) => `${r.match} ${r.path}`), ['Regex /foo/bar/(.+)', 'Regex /foo/bar/', 'Regex /foo/bar']);
  assert.equal(route(result, 'test.com', '/foo/bar/baz'), 'default/test-ingress-2#r0.p0');
  assert.equal(route(result, 'test.com', '/foo/bar/'), 'default/test-ingress-1#r0.p1');
  assert.equal(route(result, 'test.com', '/foo/bar'), 'default/test-ingress-1#r0.p0');
  assert.equal(route(result, 'test.com', '/foo/barn'), 'default/test-ingress-1#r0.p0', 'Prefix /foo/bar became ^/foo/bar');
  // The second example, and its warning: /foo/bar/bar goes to the longer pattern.
  const third = build([
    ingress('test-ingress-3', {
      annotations: { [`${N}use-regex`]: 'true' },
      rules: [rule('test.com', ['/foo/bar/bar', 'Prefix', 'svc1', 80], ['/foo/bar/[A-Z0-9]{3}', 'ImplementationSpecific', 'svc2', 80])],
    }),
  ]);
  assert.deepEqual(third.table.virtualHosts[0]!.routes.map((r) => r.path), ['/foo/bar/[A-Z0-9]{3}', '/foo/bar/bar']);
  assert.equal(route(third, 'test.com', '/foo/bar/bar'), 'default/test-ingress-3#r0.p1');
  // Equal lengths: the greater text first (ingress-nginx sorts by path, descending, then by length).
  const ties = build([ingress('ties', { annotations: { [`${N}use-regex`]: 'true' }, rules: [rule('t.com', ['/a.c', 'ImplementationSpecific', 'svc1', 80], ['/ab.', 'ImplementationSpecific', 'svc2', 80])] })]);
  assert.deepEqual(ties.table.virtualHosts[0]!.routes.map((r) => r.path), ['/ab.', '/a.c']);
  assert.equal(route(ties, 't.com', '/abc'), 'default/ties#r0.p1');
});

test('the host-wide quirk: use-regex on one Ingress makes the other Ingresses\' paths on the host regexes (and says so)', () => {
  const storefront = ingress('storefront', {
    created: '2025-01-01T00:00:00Z',
    rules: [rule('shop.example.com', ['/cart', 'Exact', 'web', 80], ['/app', 'Prefix', 'web', 80]), rule('plain.example.com', ['/cart', 'Exact', 'web', 80])],
  });
  const before = build([storefront]);
  assert.equal(route(before, 'shop.example.com', '/cart/items'), 'none', 'Exact, as the Ingress spec says');
  assert.equal(route(before, 'shop.example.com', '/application'), 'none', 'Prefix is element-wise');
  assert.equal(route(before, 'shop.example.com', '/CART'), 'none', 'case-sensitive');

  const api = ingress('api', { created: '2025-01-02T00:00:00Z', annotations: { [`${N}use-regex`]: 'true' }, rules: [rule('shop.example.com', ['/api/v[0-9]+', 'ImplementationSpecific', 'api', 80])] });
  const after = build([storefront, api]);
  assert.equal(route(after, 'shop.example.com', '/cart/items'), 'default/storefront#r0.p0', 'Exact /cart is now ^/cart');
  assert.equal(route(after, 'shop.example.com', '/CART'), 'default/storefront#r0.p0', 'case-insensitive');
  assert.equal(route(after, 'shop.example.com', '/application'), 'default/storefront#r0.p1', 'Prefix /app is now ^/app');
  assert.equal(route(after, 'shop.example.com', '/API/V2/x'), 'default/api#r0.p0');
  // Another host of the same Ingress is untouched.
  assert.equal(route(after, 'plain.example.com', '/cart/items'), 'none');
  assert.equal(route(after, 'plain.example.com', '/cart'), 'default/storefront#r1.p0');
  const warned = after.diagnostics.filter((d) => d.code === 'PathMatchedAsRegex');
  assert.deepEqual(warned.map((d) => `${d.object.name} ${d.field}`), ['storefront spec.rules[0].host'], 'one warning, for the Ingress that did not ask, on that host only');
  assert.match(warned[0]!.message, /default\/api sets use-regex or rewrite-target/);
  // Without regex, a regex-looking ImplementationSpecific path stays PathInvalid (today's behaviour).
  const plain = build([ingress('lone', { rules: [rule('x.example.com', ['/v1/.*', 'ImplementationSpecific', 'web', 80])] })]);
  assert.deepEqual(plain.diagnostics.map((d) => d.code), ['PathInvalid']);
});

test('a pattern the engine refuses is PathRegexInvalid; its literal prefix answers 503, never another route', () => {
  const refused: [string, RegExp][] = [
    ['/api/(?=v2)', /RE2 engine refuses/], // lookahead
    ['/api/(?<=v)2', /"<" is not allowed/], // lookbehind: "<" is outside ingress-nginx's path characters too
    ['/api/(\\w+)/\\1', /RE2 engine refuses/], // backreference
    ['/api/(unclosed', /RE2 engine refuses/],
    ['/api/a{1001}', /RE2 engine refuses/], // RE2's repeat limit
    ['/api/((a|b|c|d){50}){20}', /3047 instructions, more than the cap/], // program size cap
    [`/api/(${'a'.repeat(MAX_REGEX_PATH_LENGTH)})`, /at most 1024 characters/],
    ['/api/a b', /a space/],
    ['/api/"x"', /not allowed/],
    ['/api/x;y', /not allowed/],
    ['/api/\u00e9', /non-ASCII/],
  ];
  for (const [pattern, reason] of refused) {
    const checked = checkRegexPath(pattern);
    assert.equal(checked.ok, false, pattern.slice(0, 40));
    if (!checked.ok) assert.match(checked.reason, reason, pattern.slice(0, 40));
    const result = build([
      ingress('api', { created: '2025-01-01T00:00:00Z', annotations: { [`${N}use-regex`]: 'true' }, rules: [rule('r.example.com', [pattern, 'ImplementationSpecific', 'api', 80], ['/', 'Prefix', 'web', 80])] }),
    ]);
    assert.deepEqual(result.diagnostics.map((d) => `${d.code} ${d.field}`), ['PathRegexInvalid spec.rules[0].http.paths[0].path'], pattern.slice(0, 40));
    // The stand-in over /api takes the pattern's place: /api/... answers 503, never the / route.
    assert.equal(route(result, 'r.example.com', '/api/v2'), 'default/api#r0.p0 refused PathRegexInvalid', pattern.slice(0, 40));
    assert.equal(route(result, 'r.example.com', '/other'), 'default/api#r0.p1');
  }
  // A literal path too long for a regex: its stand-in is cut to fit, and still covers its requests.
  const long = `/api/${'a'.repeat(MAX_REGEX_PATH_LENGTH)}`;
  const result = build([ingress('long', { annotations: { [`${N}use-regex`]: 'true' }, rules: [rule('r.example.com', [long, 'Prefix', 'api', 80], ['/', 'Prefix', 'web', 80])] })]);
  assert.deepEqual(result.diagnostics.map((d) => d.code), ['PathRegexInvalid']);
  assert.equal(route(result, 'r.example.com', `${long}/x`), 'default/long#r0.p0 refused PathRegexInvalid');
  for (const ok of ['/foo/.*', '/api/v[0-9]+/(users|items)/([^/]+)', '/(?i)x', '/a{1000}']) assert.ok(checkRegexPath(ok).ok, ok);
});

test('ReDoS-shaped patterns answer on the linear-time engine (a generous deadline, not a performance figure)', () => {
  const result = build([
    ingress('redos', {
      annotations: { [`${N}use-regex`]: 'true' },
      rules: [rule('redos.example.com', ['/(a+)+$', 'ImplementationSpecific', 'web', 80], ['/(a|aa)*b', 'ImplementationSpecific', 'web', 80], ['/(.*a){20}$', 'ImplementationSpecific', 'web', 80])],
    }),
  ]);
  assert.deepEqual(result.diagnostics, []);
  const compiled = compileTable(result.table);
  // A backtracking engine takes longer than the age of the universe on these; RE2 is linear.
  const evil = `/${'a'.repeat(20_000)}!`;
  const started = Date.now();
  assert.equal(compiled.lookup('redos.example.com', evil), undefined);
  assert.equal(resolveRequest(result.table, 'redos.example.com', evil).kind, 'none');
  assert.ok(Date.now() - started < 60_000, 'answered (a hang would fail here)');
  assert.equal(compiled.lookup('redos.example.com', '/aaaa')?.routeId, 'default/redos#r0.p0');
});

test('explain names the regex match and the path the backend is sent', () => {
  const result = build([REWRITE_PAGE]);
  const target = { ok: true as const, path: '/something/new', query: '?x=1' };
  const e = explainRequest(result.table, { scheme: 'http', hostHeader: 'rewrite.bar.com', rawTarget: '/something/new?x=1', target }, {
    httpsPort: 443,
    defaults: { connectTimeoutMs: 5000, readTimeoutMs: 60_000, sendTimeoutMs: 60_000 },
  });
  assert.equal(e.decision?.kind, 'route');
  assert.equal(e.candidates[0]!.outcome, 'matched');
  assert.match(e.candidates[0]!.reason, /^Regex \(ImplementationSpecific, on a regex host: case-insensitive, anchored at the start only\): \^\/something\(\/\|\$\)\(\.\*\) matches/);
  const line = e.policy!.lines.find((l) => l.setting === 'rewrite-target')!;
  assert.equal(line.value, '/$2');
  assert.match(line.note!, /the backend is sent the path \/new \(the query kept\)/);
});
