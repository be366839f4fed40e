// The annotation parser: every annotation's valid and invalid values (table-driven, from the schema
// itself), hostile values, unknown names, the ingress-nginx mapping and the combinations that
// cannot take effect.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ANNOTATIONS, GATEHOUSE_PREFIX, NGINX_ANNOTATIONS, NGINX_PREFIX, type AnnotationSpec } from '../../src/core/annotations/annotation-schema.ts';
import { parseIngressPolicy } from '../../src/core/annotations/parse-ingress-policy.ts';
import { closestName, editDistance } from '../../src/core/annotations/closest-name.ts';
import { isCookiePath, isToken, maxValueLength, parseHashKey, parseNginxHashBy, parseValue, type ValueType } from '../../src/core/annotations/value-types.ts';
import { checkAnnotationValue } from '../../src/core/annotations/check-annotation-value.ts';
import type { Diagnostic } from '../../src/core/diagnostics.ts';
import type { Ingress } from '../../src/core/model.ts';
import { DEFAULT_POLICY, UNLIMITED_BODY_SIZE, type RoutePolicy } from '../../src/core/policy.ts';

function ingress(annotations: Record<string, string>): Ingress {
  return { kind: 'Ingress', metadata: { namespace: 'shop', name: 'web', labels: {}, annotations }, spec: {} };
}

function parse(annotations: Record<string, string>): { policy: RoutePolicy; diagnostics: Diagnostic[] } {
  return parseIngressPolicy(ingress(annotations));
}

function summary(ds: Diagnostic[]): string[] {
  return ds.map((d) => `${d.code} ${d.severity} ${d.field ?? ''}`);
}

/** The annotations another one depends on, so its own value can take effect. */
function companions(spec: AnnotationSpec): Record<string, string> {
  if (spec.name.startsWith('session-cookie-')) return { 'gatehouse.dev/affinity': 'cookie' };
  if (spec.name.startsWith('hsts-')) return { 'gatehouse.dev/hsts': 'true' };
  if (spec.name === 'hash-key') return { 'gatehouse.dev/load-balance': 'consistent-hash' };
  if (spec.name.startsWith('cors-')) return { 'gatehouse.dev/enable-cors': 'true' };
  if (spec.name === 'permanent-redirect-code') return { 'gatehouse.dev/permanent-redirect': 'https://example.com/' };
  if (spec.name === 'limit-burst-multiplier' || spec.name === 'limit-whitelist') return { 'gatehouse.dev/limit-rps': '10' };
  if (spec.name === 'temporal-redirect-code') return { 'gatehouse.dev/temporal-redirect': 'https://example.com/' };
  if (spec.name === 'x-forwarded-prefix') return { 'gatehouse.dev/rewrite-target': '/$1' };
  if (spec.name === 'proxy-redirect-from') return { 'gatehouse.dev/proxy-redirect-to': '/' };
  if (spec.name === 'proxy-redirect-to') return { 'gatehouse.dev/proxy-redirect-from': 'http://backend/' };
  if (spec.name === 'disable-proxy-intercept-errors') return { 'gatehouse.dev/custom-http-errors': '404' };
  return {};
}

/** Values every parser of the kind must refuse (beyond the unsafe ones, tested separately). */
function invalidValues(type: ValueType): string[] {
  switch (type.kind) {
    case 'bool':
      return ['', 'yes', 'no', 'on', 'TRUE ', ' true', '2', 'tru'];
    case 'int':
      return ['', String(type.max + 1), '1.5', '-1', 'abc', '0x10', '1e3', ' 1', '+1', ...(type.min > 0 ? [String(type.min - 1)] : [])];
    case 'duration':
    case 'seconds-or-duration':
      return ['', '5 s', '-1s', '1d', '0s', 'fast', 's', '1.s', '25h', ...(type.kind === 'duration' ? ['5', '500'] : ['5.5'])];
    case 'byte-size':
      return ['', '1t', '-1', '1.5', 'ten', '1 m', 'm', '99999999999999999999'];
    case 'enum':
      return ['', 'bogus', ...type.values.map((v) => `${v}x`), ...(type.caseInsensitive ? [] : type.values.map((v) => v.toUpperCase()).filter((v) => !type.values.includes(v)))];
    case 'cookie-name':
      return ['', 'a b', 'a=b', 'a,b', 'a:b', 'a/b', 'a(b)', 'a@b', 'x'.repeat(129)];
    case 'cookie-path':
      return ['', 'shop', '/a b', '/a,b', '/%zz', '/%4', '/a?b', '/a#b', '/a[b]', '/a|b'];
    case 'hash-key':
      return ['', 'header', 'header:', 'cookie:', 'header:a b', 'query:x', 'ip', 'client_ip', 'header:a:b'];
    case 'nginx-hash-by':
      return ['', '$request_uri', '$http_', '$cookie_a-b', 'remote_addr', '$remote_addr$request_uri'];
    case 'redirect-url':
      return ['', '/relative', 'example.com', 'ftp://example.com', 'https://', 'https://a b.example.com', 'https://x.example.com/a b', 'https://user@x.example.com', 'https://x.example.com:0', 'https://x.example.com:99999', 'https://x_y.example.com', 'https://x.example.com/$remote_addr', 'https://x.example.com/$', 'https://$hostname/', 'https://x.example.com/%zz', 'https://x.example.com/a|b', `https://x.example.com/${'a'.repeat(2100)}`];
    case 'app-root':
      return ['', 'app', '//evil.example.com', '/a b', '/$request_uri', '/a#b', '/%4', '/a|b'];
    case 'cors-origins':
      return ['', ' ', 'example.com', 'https://', 'https://a.example.com/', 'ftp://a.example.com', 'https://a.example.com,', '*, https://a.example.com', 'https://a.*.example.com', 'https://*', 'https://a b.example.com', 'https://a.example.com:0'];
    case 'token-list':
      return ['', ' ', 'GET,', 'GET POST', 'X-A;', 'a b', 'X(Y)', ',GET', `${'A,'.repeat(64)}A`];
    case 'header-lines':
      return ['', ' ', 'X-A', ': v', 'X A: v', 'Content-Length: 5', 'Transfer-Encoding: chunked', 'X-A: $remote_user', 'X-A: $', 'X-A: a\u0000b', 'X-A: é', 'X-A: ${host', `${'X-A: 1\n'.repeat(40)}`];
    case 'header-names':
      return ['', ' ', 'X-A,', ',X-A', 'X A', '*', 'Connection', 'X-A;', 'X-A, X B'];
    case 'rewrite-target':
      return ['', '/$0', '/$host', '/$', '/a b', '/a?b=1', 'https://x.example.com/$1', '/a%20b', '/a|b', `/${'a'.repeat(1100)}`];
    case 'forwarded-prefix':
      return ['', '/a b', '/$1', '/a?b', '/a%20', '/a|b', `/${'a'.repeat(1100)}`];
    case 'upstream-vhost':
      return ['', 'a b', 'http://x.example.com', 'x.example.com/', 'x.example.com:0', 'x.example.com:99999', 'user@x.example.com', 'x_y.example.com', '[::1', '$host'];
    case 'proxy-redirect':
      return ['', 'a b', '~^http://(.*)$', '/$1', 'http://x/|y', '/a#b', `/${'a'.repeat(1100)}`];
    case 'status-codes':
      return ['', ' ', ',', ' , ', '200', '399', '600', '302', '4O4', '404 503', '0404', '-404', '404.0', '1e3', 'abc', '404;503', '40', '4044', `${'404,'.repeat(300)}404`];
    case 'cidr-list':
      return ['', ' ', '10.0.0.0/8,', ',10.0.0.1', '10.0.0.0/33', '10.0.0.256', '010.0.0.1', '10.0.0.0/', '10.0.0.0/8/8', 'fe80::1%eth0', '2001:db8::/129', 'example.com', '10.0.0.0/-1', '10.0.0.0 /8', '1.2.3', '::1::2', `${'10.0.0.1,'.repeat(2000)}10.0.0.1`];
  }
}

test('no annotations: exactly the default policy, no diagnostics', () => {
  const { policy, diagnostics } = parse({});
  assert.deepEqual(policy, DEFAULT_POLICY);
  assert.deepEqual(JSON.stringify(policy), JSON.stringify(DEFAULT_POLICY), 'same key order (golden files are byte for byte)');
  assert.deepEqual(diagnostics, []);
});

test('every annotation in the schema accepts its documented example without a diagnostic', () => {
  for (const spec of ANNOTATIONS) {
    const key = GATEHOUSE_PREFIX + spec.name;
    const { diagnostics } = parse({ ...companions(spec), [key]: spec.example });
    assert.deepEqual(summary(diagnostics), [], `${key}: ${spec.example}`);
    assert.ok(parseValue(spec.type, spec.example).ok, key);
  }
});

test('every annotation: each invalid value is one AnnotationInvalid naming it, and the default applies', () => {
  let cases = 0;
  for (const spec of ANNOTATIONS) {
    const key = GATEHOUSE_PREFIX + spec.name;
    const baseline = parse(companions(spec)).policy;
    for (const bad of invalidValues(spec.type)) {
      const { policy, diagnostics } = parse({ ...companions(spec), [key]: bad });
      // A protection is never left at its default (none): an unparsable value refuses the Ingress.
      const code = spec.protection === true ? 'AnnotationProtectionInvalid' : spec.action === true ? 'AnnotationActionInvalid' : 'AnnotationInvalid';
      // A redirect code that is a number out of 300..30x falls back to the default, as in ingress-nginx.
      const fallback = spec.type.kind === 'int' && spec.action === true && /^[0-9]+$/.test(bad) && Number(bad) <= spec.type.max;
      const shown = fallback ? 'AnnotationInvalid' : code;
      assert.deepEqual(summary(diagnostics), [`${shown} error metadata.annotations["${key}"]`], `${key}: ${JSON.stringify(bad).slice(0, 80)}`);
      assert.ok(diagnostics[0]!.message.includes(key), 'the message names the annotation');
      const expected = (spec.protection === true || spec.action === true) && !fallback ? { ...baseline, refused: { code, annotation: key } } : baseline;
      assert.deepEqual(policy, expected, `${key}: ${JSON.stringify(bad).slice(0, 80)} leaves the default, or refuses`);
      cases++;
    }
  }
  assert.ok(cases > 150, `${cases} cases`);
});

test('every ingress-nginx mapping: invalid values are reported against the nginx key', () => {
  for (const mapping of NGINX_ANNOTATIONS) {
    const key = NGINX_PREFIX + mapping.name;
    for (const bad of invalidValues(mapping.type).filter((v) => !(mapping.type.kind === 'int' && v === '0'))) {
      const { diagnostics } = parse({ 'nginx.ingress.kubernetes.io/affinity': 'cookie', 'nginx.ingress.kubernetes.io/enable-cors': 'true', 'nginx.ingress.kubernetes.io/permanent-redirect': 'https://example.com/', 'nginx.ingress.kubernetes.io/temporal-redirect': 'https://example.com/', [key]: bad });
      const outOfRange = mapping.type.kind === 'int' && mapping.action === true && /^[0-9]+$/.test(bad) && Number(bad) <= mapping.type.max;
      const code = mapping.protection === true ? 'AnnotationProtectionInvalid' : mapping.action === true && !outOfRange ? 'AnnotationActionInvalid' : 'AnnotationInvalid';
      assert.ok(
        diagnostics.some((d) => d.code === code && d.field === `metadata.annotations["${key}"]`),
        `${key}: ${JSON.stringify(bad)} → ${JSON.stringify(summary(diagnostics))}`,
      );
    }
  }
});

const UNSAFE = [
  ['cookie\r\nSet-Cookie: admin=1', /line break/],
  ['a\nb', /line break/],
  ['x\u0000', /NUL/],
  ['a\tb', /control/],
  ['a\u007fb', /control/],
  ['é', /non-ASCII/],
  ['x'.repeat(257), /longer than 256/],
  ['${jndi:ldap://x}', /substitution|"\{"/],
  ['$(reboot)', /substitution/],
  ['1; more_set_headers "x"', /";"/],
  ['}', /"}"/],
  ['`id`', /"`"/],
  ["'x'", /"'"/],
  ['"x"', /"\\""/],
  ['<script>', /"<"/],
  ['a\\b', /"\\\\"/],
] as const;

test('hostile values are refused for every annotation with AnnotationValueUnsafe, the default applies', () => {
  for (const spec of ANNOTATIONS) {
    const key = GATEHOUSE_PREFIX + spec.name;
    const baseline = parse(companions(spec)).policy;
    for (const [value, reason] of UNSAFE) {
      // Lists and URLs may be longer than 256 characters: those are only refused by their grammar.
      if (maxValueLength(spec.type) > 256 && value.length > 256) continue;
      // Header lines allow quotes, ';', '<' and tabs (a Content-Security-Policy has them); their own test is below.
      if (spec.type.kind === 'header-lines') continue;
      const { policy, diagnostics } = parse({ ...companions(spec), [key]: value });
      const refuses = spec.protection === true || spec.action === true;
      const code = spec.protection === true ? 'AnnotationProtectionInvalid' : spec.action === true ? 'AnnotationActionInvalid' : 'AnnotationValueUnsafe';
      assert.deepEqual(summary(diagnostics), [`${code} error metadata.annotations["${key}"]`], `${key}: ${JSON.stringify(value)}`);
      assert.match(diagnostics[0]!.message, reason);
      assert.ok(!/[\r\n\u0000]/.test(diagnostics[0]!.message), 'the message never carries raw control bytes');
      assert.ok(diagnostics[0]!.message.length < 400, 'the message is short');
      assert.deepEqual(policy, refuses ? { ...baseline, refused: { code, annotation: key } } : baseline);
    }
  }
  for (const mapping of NGINX_ANNOTATIONS) {
    const { diagnostics } = parse({ [NGINX_PREFIX + mapping.name]: 'x\r\ny' });
    const code = mapping.protection === true ? 'AnnotationProtectionInvalid' : mapping.action === true ? 'AnnotationActionInvalid' : 'AnnotationValueUnsafe';
    assert.deepEqual(summary(diagnostics), [`${code} error metadata.annotations["${NGINX_PREFIX + mapping.name}"]`]);
  }
});

test('the safety gate lets legitimate values through', () => {
  for (const ok of ['5s', '/shop/cart', '10m', 'header:x-user-id', '$remote_addr', '$http_x_user', 'Lax', 'true', '__Host-sid', '/a%20b']) {
    assert.equal(checkAnnotationValue(ok), undefined, ok);
  }
});

test('each annotation sets its policy field', () => {
  const cases: [Record<string, string>, Partial<RoutePolicy>][] = [
    [{ 'gatehouse.dev/ssl-redirect': 'false' }, { sslRedirect: false }],
    [{ 'gatehouse.dev/ssl-redirect': 'False' }, { sslRedirect: false }],
    [{ 'gatehouse.dev/hsts': 'true' }, { hsts: { maxAgeSeconds: 31536000, includeSubDomains: false, preload: false } }],
    [
      { 'gatehouse.dev/hsts': 'true', 'gatehouse.dev/hsts-max-age': '600', 'gatehouse.dev/hsts-include-subdomains': 'true', 'gatehouse.dev/hsts-preload': '1' },
      { hsts: { maxAgeSeconds: 600, includeSubDomains: true, preload: true } },
    ],
    [{ 'gatehouse.dev/affinity': 'cookie' }, { affinity: { cookieName: 'GATEHOUSE', path: '/' } }],
    [{ 'gatehouse.dev/affinity': 'none' }, {}],
    [
      {
        'gatehouse.dev/affinity': 'cookie',
        'gatehouse.dev/session-cookie-name': 'route',
        'gatehouse.dev/session-cookie-path': '/shop',
        'gatehouse.dev/session-cookie-max-age': '3600',
        'gatehouse.dev/session-cookie-samesite': 'lax',
        'gatehouse.dev/session-cookie-secure': 'false',
      },
      { affinity: { cookieName: 'route', path: '/shop', maxAgeSeconds: 3600, sameSite: 'Lax', secure: false } },
    ],
    [{ 'gatehouse.dev/load-balance': 'least-request' }, { loadBalance: 'least-request' }],
    [{ 'gatehouse.dev/load-balance': 'random' }, { loadBalance: 'random' }],
    [{ 'gatehouse.dev/load-balance': 'consistent-hash' }, { loadBalance: 'consistent-hash', hashKey: { kind: 'client-ip' } }],
    [{ 'gatehouse.dev/load-balance': 'consistent-hash', 'gatehouse.dev/hash-key': 'header:X-User' }, { loadBalance: 'consistent-hash', hashKey: { kind: 'header', name: 'x-user' } }],
    [{ 'gatehouse.dev/load-balance': 'consistent-hash', 'gatehouse.dev/hash-key': 'cookie:Sid' }, { loadBalance: 'consistent-hash', hashKey: { kind: 'cookie', name: 'Sid' } }],
    [{ 'gatehouse.dev/retries': '0' }, { retries: 0 }],
    [{ 'gatehouse.dev/retries': '5' }, { retries: 5 }],
    [{ 'gatehouse.dev/connect-timeout': '500ms' }, { connectTimeoutMs: 500 }],
    [{ 'gatehouse.dev/read-timeout': '1m30s' }, { readTimeoutMs: 90_000 }],
    [{ 'gatehouse.dev/send-timeout': '2m' }, { sendTimeoutMs: 120_000 }],
    [{ 'gatehouse.dev/max-body-size': '1k' }, { maxBodySize: 1024 }],
    [{ 'gatehouse.dev/max-body-size': '10m' }, { maxBodySize: 10 * 1024 * 1024 }],
    [{ 'gatehouse.dev/max-body-size': '1g' }, { maxBodySize: 1024 ** 3 }],
    [{ 'gatehouse.dev/max-body-size': '12345' }, { maxBodySize: 12345 }],
    [{ 'gatehouse.dev/max-body-size': '0' }, { maxBodySize: UNLIMITED_BODY_SIZE }],
    [{ 'gatehouse.dev/eject-on-5xx': 'true' }, { ejectOn5xx: true }],
  ];
  for (const [annotations, expected] of cases) {
    const { policy, diagnostics } = parse(annotations);
    assert.deepEqual(summary(diagnostics), [], JSON.stringify(annotations));
    assert.deepEqual(policy, { ...DEFAULT_POLICY, ...expected }, JSON.stringify(annotations));
  }
});

test('ingress-nginx annotations map onto the same policy', () => {
  const n = (name: string): string => NGINX_PREFIX + name;
  const cases: [Record<string, string>, Partial<RoutePolicy>][] = [
    [
      { [n('affinity')]: 'cookie', [n('session-cookie-name')]: 'INGRESSCOOKIE', [n('session-cookie-path')]: '/app', [n('session-cookie-max-age')]: '172800', [n('session-cookie-samesite')]: 'Strict', [n('session-cookie-secure')]: 'true' },
      { affinity: { cookieName: 'INGRESSCOOKIE', path: '/app', maxAgeSeconds: 172800, sameSite: 'Strict', secure: true } },
    ],
    [{ [n('affinity')]: 'cookie', [n('session-cookie-expires')]: '60' }, { affinity: { cookieName: 'GATEHOUSE', path: '/', maxAgeSeconds: 60 } }],
    [{ [n('affinity')]: 'cookie', [n('session-cookie-expires')]: '60', [n('session-cookie-max-age')]: '90' }, { affinity: { cookieName: 'GATEHOUSE', path: '/', maxAgeSeconds: 90 } }],
    [{ [n('ssl-redirect')]: 'false' }, { sslRedirect: false }],
    [{ [n('proxy-connect-timeout')]: '5' }, { connectTimeoutMs: 5000 }],
    [{ [n('proxy-read-timeout')]: '120' }, { readTimeoutMs: 120_000 }],
    [{ [n('proxy-send-timeout')]: '30s' }, { sendTimeoutMs: 30_000 }],
    [{ [n('proxy-body-size')]: '8m' }, { maxBodySize: 8 * 1024 * 1024 }],
    [{ [n('proxy-body-size')]: '0' }, { maxBodySize: UNLIMITED_BODY_SIZE }],
    [{ [n('proxy-next-upstream-tries')]: '3' }, { retries: 2 }],
    [{ [n('proxy-next-upstream-tries')]: '1' }, { retries: 0 }],
    [{ [n('proxy-next-upstream-tries')]: '0' }, { retries: 5 }],
    [{ [n('proxy-next-upstream-tries')]: '50' }, { retries: 5 }],
    [{ [n('load-balance')]: 'round_robin' }, { loadBalance: 'round-robin' }],
    [{ [n('load-balance')]: 'ewma' }, { loadBalance: 'least-request' }],
    [{ [n('load-balance')]: 'least_conn' }, { loadBalance: 'least-request' }],
    [{ [n('upstream-hash-by')]: '$remote_addr' }, { loadBalance: 'consistent-hash', hashKey: { kind: 'client-ip' } }],
    [{ [n('upstream-hash-by')]: '$http_x_user_id' }, { loadBalance: 'consistent-hash', hashKey: { kind: 'header', name: 'x-user-id' } }],
    [{ [n('upstream-hash-by')]: '$cookie_sid' }, { loadBalance: 'consistent-hash', hashKey: { kind: 'cookie', name: 'sid' } }],
  ];
  for (const [annotations, expected] of cases) {
    const { policy, diagnostics } = parse(annotations);
    assert.deepEqual(summary(diagnostics), [], JSON.stringify(annotations));
    assert.deepEqual(policy, { ...DEFAULT_POLICY, ...expected }, JSON.stringify(annotations));
  }
});

test('a gatehouse.dev/ annotation wins over its ingress-nginx equivalent', () => {
  const { policy, diagnostics } = parse({
    'gatehouse.dev/retries': '0',
    'nginx.ingress.kubernetes.io/proxy-next-upstream-tries': '4',
    'gatehouse.dev/read-timeout': '2s',
    'nginx.ingress.kubernetes.io/proxy-read-timeout': 'not-even-parsed',
  });
  assert.equal(policy.retries, 0);
  assert.equal(policy.readTimeoutMs, 2000);
  assert.deepEqual(diagnostics, []);
});

test('an unknown gatehouse.dev/ annotation is a warning with the closest known name', () => {
  const { policy, diagnostics } = parse({ 'gatehouse.dev/retires': '3', 'gatehouse.dev/hsts-maxage': '5', 'gatehouse.dev/totally-different': 'x' });
  assert.deepEqual(policy, DEFAULT_POLICY);
  assert.deepEqual(summary(diagnostics), [
    'AnnotationUnknown warning metadata.annotations["gatehouse.dev/hsts-maxage"]',
    'AnnotationUnknown warning metadata.annotations["gatehouse.dev/retires"]',
    'AnnotationUnknown warning metadata.annotations["gatehouse.dev/totally-different"]',
  ]);
  assert.match(diagnostics[0]!.message, /did you mean "gatehouse\.dev\/hsts-max-age"\?/);
  assert.match(diagnostics[1]!.message, /did you mean "gatehouse\.dev\/retries"\?/);
  assert.doesNotMatch(diagnostics[2]!.message, /did you mean/);
});

test('unread ingress-nginx annotations that only tune are warnings; a snippet refuses the Ingress', () => {
  const { policy, diagnostics } = parse({
    'nginx.ingress.kubernetes.io/stream-snippet': 'more_set_headers "X: y";',
    'nginx.ingress.kubernetes.io/service-upstream': 'true',
    'nginx.ingress.kubernetes.io/some-future-thing': 'x',
    'kubernetes.io/ingress.class': 'gatehouse',
    'example.com/other': 'ignored silently',
  });
  assert.deepEqual(policy, { ...DEFAULT_POLICY, refused: { code: 'AnnotationProtectionUnsupported', annotation: 'nginx.ingress.kubernetes.io/stream-snippet' } });
  assert.deepEqual(summary(diagnostics), [
    'AnnotationUnsupported warning metadata.annotations["nginx.ingress.kubernetes.io/service-upstream"]',
    'AnnotationUnsupported warning metadata.annotations["nginx.ingress.kubernetes.io/some-future-thing"]',
    'AnnotationProtectionUnsupported error metadata.annotations["nginx.ingress.kubernetes.io/stream-snippet"]',
  ]);
  assert.match(diagnostics[2]!.message, /does not enforce/);
  assert.ok(!diagnostics[2]!.message.includes('more_set_headers'), 'the snippet text is never quoted');
});

test('settings that cannot take effect are reported with AnnotationNoEffect', () => {
  const cases: [Record<string, string>, string[]][] = [
    [{ 'gatehouse.dev/session-cookie-name': 'x' }, ['gatehouse.dev/session-cookie-name']],
    [{ 'nginx.ingress.kubernetes.io/session-cookie-path': '/x' }, ['nginx.ingress.kubernetes.io/session-cookie-path']],
    [{ 'gatehouse.dev/hash-key': 'client-ip' }, ['gatehouse.dev/hash-key']],
    [{ 'gatehouse.dev/load-balance': 'random', 'nginx.ingress.kubernetes.io/upstream-hash-by': '$remote_addr' }, ['nginx.ingress.kubernetes.io/upstream-hash-by']],
    [{ 'gatehouse.dev/hsts-max-age': '10', 'gatehouse.dev/hsts': 'false' }, ['gatehouse.dev/hsts-max-age']],
    [{ 'gatehouse.dev/affinity': 'cookie', 'gatehouse.dev/session-cookie-samesite': 'None', 'gatehouse.dev/session-cookie-secure': 'false' }, ['gatehouse.dev/session-cookie-secure']],
  ];
  for (const [annotations, keys] of cases) {
    const { diagnostics } = parse(annotations);
    assert.deepEqual(summary(diagnostics), keys.map((k) => `AnnotationNoEffect warning metadata.annotations["${k}"]`), JSON.stringify(annotations));
  }
});

test('cookie name prefixes and SameSite=None force Secure; __Host- needs the path /', () => {
  assert.deepEqual(parse({ 'gatehouse.dev/affinity': 'cookie', 'gatehouse.dev/session-cookie-samesite': 'none' }).policy.affinity, { cookieName: 'GATEHOUSE', path: '/', sameSite: 'None', secure: true });
  assert.deepEqual(parse({ 'gatehouse.dev/affinity': 'cookie', 'gatehouse.dev/session-cookie-name': '__Secure-s' }).policy.affinity, { cookieName: '__Secure-s', path: '/', secure: true });
  const host = parse({ 'gatehouse.dev/affinity': 'cookie', 'gatehouse.dev/session-cookie-name': '__Host-s', 'gatehouse.dev/session-cookie-path': '/app' });
  assert.deepEqual(host.policy.affinity, { cookieName: '__Host-s', path: '/', secure: true });
  assert.deepEqual(summary(host.diagnostics), ['AnnotationInvalid error metadata.annotations["gatehouse.dev/session-cookie-path"]']);
});

test('the result does not depend on the order of the annotations', () => {
  const entries: [string, string][] = [
    ['gatehouse.dev/retires', '1'],
    ['gatehouse.dev/read-timeout', 'x'],
    ['nginx.ingress.kubernetes.io/rewrite-target', '/'],
    ['gatehouse.dev/affinity', 'cookie'],
    ['nginx.ingress.kubernetes.io/session-cookie-name', 'A'],
    ['gatehouse.dev/session-cookie-name', 'B'],
  ];
  const forward = parse(Object.fromEntries(entries));
  const backward = parse(Object.fromEntries([...entries].reverse()));
  assert.deepEqual(backward, forward);
  assert.equal(forward.policy.affinity?.cookieName, 'B');
});

test('value grammars: tokens, cookie paths, hash keys, nginx hash-by', () => {
  assert.ok(isToken('X-User_Id.1'));
  assert.ok(isToken("!#$%&'*+-.^_`|~"));
  for (const bad of ['', 'a b', 'a;b', 'a"b', 'é', 'a\u0000']) assert.ok(!isToken(bad), bad);
  assert.ok(isCookiePath('/'));
  assert.ok(isCookiePath('/a/b-c_d.e~f/%41:@!$&()*+='));
  for (const bad of ['', 'a', '/a;b', '/a b', '/%4g', '/a,b', "/a'b"]) assert.ok(!isCookiePath(bad), bad);
  assert.deepEqual(parseHashKey('header:X-Api-Key'), { ok: true, value: { kind: 'header', name: 'x-api-key' } });
  assert.deepEqual(parseHashKey('cookie:Sid'), { ok: true, value: { kind: 'cookie', name: 'Sid' } });
  assert.deepEqual(parseHashKey('client-ip'), { ok: true, value: { kind: 'client-ip' } });
  assert.equal(parseHashKey('Client-IP').ok, false);
  assert.deepEqual(parseNginxHashBy('$binary_remote_addr'), { ok: true, value: { kind: 'client-ip' } });
  assert.equal(parseNginxHashBy('$http_x$').ok, false);
});

test('closest names: edit distance with transpositions, a typo threshold', () => {
  assert.equal(editDistance('retries', 'retires'), 1);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(closestName('load-balancing', ['load-balance', 'retries']), 'load-balance');
  assert.equal(closestName('affinty', ['affinity', 'hsts']), 'affinity');
  assert.equal(closestName('zzz', ['affinity', 'hsts']), undefined);
  assert.equal(closestName('x'.repeat(1000), ['affinity']), undefined);
});
