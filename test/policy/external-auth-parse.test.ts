// The pure parsing of external authentication (core/annotations/auth-template.ts and
// resolve-external-auth.ts): URL templates as typed parts (never evaluated), the nginx variables
// accepted and those refused by name, the signin redirect parameter, header lists, nginx cache
// durations, and the combinations that refuse the Ingress.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseAuthKeyTemplate, parseAuthTextTemplate, parseAuthUrlTemplate } from '../../src/core/annotations/auth-template.ts';
import { parseCacheDurations, resolveExternalAuth } from '../../src/core/annotations/resolve-external-auth.ts';
import type { Ingress } from '../../src/core/model.ts';
import type { AuthTemplatePart } from '../../src/core/policy.ts';

const N = 'nginx.ingress.kubernetes.io/';
const t = (text: string): AuthTemplatePart => ({ kind: 'text', text });
const v = (name: string): AuthTemplatePart => ({ kind: 'var', name } as AuthTemplatePart);

test('URL templates: literal parts and variable references', () => {
  const cases: [string, AuthTemplatePart[]][] = [
    ['http://auth.example.com/check', [t('http://auth.example.com/check')]],
    ['HTTPS://Auth.Example.com:8443/oauth2/auth', [t('https://auth.example.com:8443/oauth2/auth')]],
    ['https://$host/oauth2/auth', [t('https://'), v('host'), t('/oauth2/auth')]],
    ['$scheme://$http_host/auth', [v('scheme'), t('://'), v('http_host'), t('/auth')]],
    ['http://$host:4180/oauth2/auth', [t('http://'), v('host'), t(':4180/oauth2/auth')]],
    ['https://$host/oauth2/start?rd=$escaped_request_uri', [t('https://'), v('host'), t('/oauth2/start?rd='), v('escaped_request_uri')]],
    ['https://auth.example.com/?rm=$request_method&ip=$remote_addr&id=$req_id', [t('https://auth.example.com/?rm='), v('request_method'), t('&ip='), v('remote_addr'), t('&id='), v('req_id')]],
    ['http://10.0.0.7:9091/api/verify?u=$scheme://$best_http_host$request_uri', [t('http://10.0.0.7:9091/api/verify?u='), v('scheme'), t('://'), v('best_http_host'), v('request_uri')]],
    ['http://[::1]:8080/a%20b$is_args$args', [t('http://[::1]:8080/a%20b'), v('is_args'), v('args')]],
  ];
  for (const [text, parts] of cases) {
    const parsed = parseAuthUrlTemplate(text);
    assert.ok(parsed.ok, `${text}: ${parsed.ok ? '' : parsed.reason}`);
    assert.deepEqual(parsed.value, parts, text);
  }
});

test('URL templates refused, with a reason that names the problem', () => {
  const cases: [string, RegExp][] = [
    ['https://auth.example.com/check?u=$remote_user', /\$remote_user is not a supported variable/],
    ['https://auth.example.com/$http_authorization', /\$http_authorization is not a supported variable/],
    ['https://auth.example.com/$server_name', /\$server_name is not a supported variable \(supported: \$scheme/],
    ['https://auth.example.com/a$', /a "\$" is not followed by a variable name/],
    ['ftp://auth.example.com/', /only http and https/],
    ['auth.example.com/check', /absolute URL/],
    ['https://user:pw@auth.example.com/', /user information/],
    ['https:///check', /no host/],
    ['https://auth_example.com/', /not a valid host name/],
    ['https://auth.example.com:99999/', /port/],
    ['https://$request_uri/', /cannot stand for the host/],
    ['$request_uri://auth.example.com/', /cannot stand for the scheme/],
    ['https://$host.evil.example/', /must be followed by/],
    ['https://auth.example.com/a b', /space/],
    ['https://auth.example.com/a%zz', /hexadecimal/],
    ['https://auth.example.com/#frag', /fragment/],
    ['https://auth.example.com/' + 'a'.repeat(2100), /longer than 2048/],
  ];
  for (const [text, reason] of cases) {
    const parsed = parseAuthUrlTemplate(text);
    assert.equal(parsed.ok, false, text);
    if (!parsed.ok) assert.match(parsed.reason, reason, text);
  }
});

test('cache key and request-redirect templates', () => {
  const key = parseAuthKeyTemplate('$remote_user$http_authorization:$cookie__oauth2_proxy');
  assert.ok(key.ok);
  assert.deepEqual(key.value, [v('remote_user'), { kind: 'header', name: 'authorization' }, t(':'), { kind: 'cookie', name: '_oauth2_proxy' }]);
  const xHeader = parseAuthKeyTemplate('$http_x_api_key');
  assert.ok(xHeader.ok);
  assert.deepEqual(xHeader.value, [{ kind: 'header', name: 'x-api-key' }]);
  const fixed = parseAuthKeyTemplate('constant');
  assert.equal(fixed.ok, false, 'a key without variables would share one answer between everyone');
  const bad = parseAuthKeyTemplate('$secret_thing');
  assert.ok(!bad.ok && /\$secret_thing is not a supported variable/.test(bad.reason));
  const redirect = parseAuthTextTemplate('$scheme://$host$request_uri');
  assert.ok(redirect.ok);
  assert.deepEqual(redirect.value, [v('scheme'), t('://'), v('host'), v('request_uri')]);
  assert.equal(parseAuthTextTemplate('$http_cookie').ok, false, 'headers only in the cache key');
});

test('cache durations as nginx proxy_cache_valid reads them', () => {
  assert.deepEqual(parseCacheDurations('200 202 401 5m'), { ok: true, value: [{ statuses: [200, 202, 401], ttlMs: 300_000 }] });
  assert.deepEqual(parseCacheDurations('200 202 10m, 401 1m'), { ok: true, value: [{ statuses: [200, 202], ttlMs: 600_000 }, { statuses: [401], ttlMs: 60_000 }] });
  assert.deepEqual(parseCacheDurations('1h 30m'), { ok: true, value: [{ statuses: [200, 301, 302], ttlMs: 5_400_000 }] }, 'no code: 200 301 302, times add up');
  assert.deepEqual(parseCacheDurations('200 500ms'), { ok: true, value: [{ statuses: [200], ttlMs: 500 }] });
  const any = parseCacheDurations('any 10s');
  assert.ok(any.ok && any.value[0]!.statuses.length === 100);
  for (const bad of ['200 202', '5m 200', '200 5 m', 'ten minutes', '200 5x', '']) assert.equal(parseCacheDurations(bad).ok, false, bad);
});

function ingress(annotations: Record<string, string>, host: string | null = 'app.example.com'): Ingress {
  return {
    kind: 'Ingress',
    metadata: { namespace: 'shop', name: 'web', labels: {}, annotations },
    spec: { rules: [host === null ? {} : { host }] },
  };
}

test('resolveExternalAuth: the oauth2-proxy example as written in its documentation', () => {
  const r = resolveExternalAuth(ingress({
    [`${N}auth-url`]: 'https://$host/oauth2/auth',
    [`${N}auth-signin`]: 'https://$host/oauth2/start?rd=$escaped_request_uri',
    [`${N}auth-response-headers`]: 'X-Auth-Request-User, X-Auth-Request-Email,x-auth-request-user',
  }));
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.refused, undefined);
  const a = r.externalAuth!;
  assert.deepEqual(a.url, [t('https://'), v('host'), t('/oauth2/auth')]);
  assert.equal(a.signinSeparator, 'none', 'rd is already in the signin URL');
  assert.deepEqual(a.responseHeaders, ['X-Auth-Request-User', 'X-Auth-Request-Email']);
  assert.equal(a.method, undefined);
  assert.equal(a.alwaysSetCookie, false);
  assert.deepEqual(a.cacheDurations, [{ statuses: [200, 202, 401], ttlMs: 300_000 }]);
});

test('resolveExternalAuth: the signin separator follows ingress-nginx buildAuthSignURL', () => {
  const sep = (signin: string, param?: string): string => {
    const a: Record<string, string> = { [`${N}auth-url`]: 'http://auth.example.com/', [`${N}auth-signin`]: signin };
    if (param !== undefined) a[`${N}auth-signin-redirect-param`] = param;
    return resolveExternalAuth(ingress(a)).externalAuth!.signinSeparator;
  };
  assert.equal(sep('https://auth.example.com/login'), '?');
  assert.equal(sep('https://auth.example.com/login?app=shop'), '&');
  assert.equal(sep('https://auth.example.com/login?rd=https://x.example.com/'), 'none');
  assert.equal(sep('https://auth.example.com/login?rd='), '&', 'an empty rd does not count, as url.Query().Get');
  assert.equal(sep('https://auth.example.com/login?redirect_url=$escaped_request_uri', 'redirect_url'), 'none');
  assert.equal(sep('https://auth.example.com/login?'), '');
});

test('resolveExternalAuth: what refuses the Ingress, each naming its annotation', () => {
  const url = { [`${N}auth-url`]: 'http://auth.example.com/check' };
  const cases: [Record<string, string>, string, RegExp, string?][] = [
    [{ [`${N}auth-url`]: 'http://auth.example.com/check?u=$remote_user' }, 'auth-url', /\$remote_user is not a supported variable/],
    [{ [`${N}auth-url`]: 'gopher://auth.example.com/' }, 'auth-url', /only http and https/],
    [{ [`${N}auth-url`]: 'http://auth.example.com/;x' }, 'auth-url', /contains ";"/],
    [{ [`${N}auth-signin`]: 'https://login.example.com/' }, 'auth-signin', /auth-url" is not set/],
    [{ [`${N}auth-response-headers`]: 'X-User' }, 'auth-response-headers', /auth-url" is not set/],
    [{ ...url, [`${N}auth-method`]: 'get' }, 'auth-method', /expected one of GET/],
    [{ ...url, [`${N}auth-method`]: 'CONNECT' }, 'auth-method', /expected one of/],
    [{ ...url, [`${N}auth-signin`]: 'https://login.example.com/?u=$cookie_x' }, 'auth-signin', /\$cookie_x is not a supported variable/],
    [{ ...url, [`${N}auth-signin-redirect-param`]: 'r d' }, 'auth-signin-redirect-param', /query parameter name/],
    [{ ...url, [`${N}auth-response-headers`]: 'X-User, X User' }, 'auth-response-headers', /is not a header name/],
    [{ ...url, [`${N}auth-response-headers`]: 'Content-Length' }, 'auth-response-headers', /frames or routes/],
    [{ ...url, [`${N}auth-response-headers`]: ' , ' }, 'auth-response-headers', /no header name/],
    [{ ...url, [`${N}auth-request-redirect`]: '$unknown' }, 'auth-request-redirect', /\$unknown is not a supported variable/],
    [{ ...url, [`${N}auth-cache-key`]: '$remote_user$nope' }, 'auth-cache-key', /\$nope is not a supported variable/],
    [{ ...url, [`${N}auth-cache-key`]: '$remote_user', [`${N}auth-cache-duration`]: '200' }, 'auth-cache-duration', /has no time/],
    [{ ...url, [`${N}auth-always-set-cookie`]: 'yes' }, 'auth-always-set-cookie', /expected true or false/],
  ];
  for (const [annotations, key, reason] of cases) {
    const r = resolveExternalAuth(ingress(annotations));
    assert.equal(r.externalAuth, undefined, key);
    assert.deepEqual(r.refused, { code: 'AnnotationProtectionInvalid', annotation: N + key }, `${key}: ${JSON.stringify(r.diagnostics)}`);
    const d = r.diagnostics.find((x) => x.code === 'AnnotationProtectionInvalid')!;
    assert.equal(d.severity, 'error');
    assert.equal(d.field, `metadata.annotations["${N}${key}"]`);
    assert.match(d.message, reason, key);
    assert.match(d.message, /503/);
  }
});

test('resolveExternalAuth: $host as the auth service host is refused where the client chooses the host', () => {
  const a = { [`${N}auth-url`]: 'https://$host/oauth2/auth' };
  assert.ok(resolveExternalAuth(ingress(a)).externalAuth, 'an exact host: $host is that host');
  for (const host of [null, '*.example.com']) {
    const r = resolveExternalAuth(ingress(a, host));
    assert.equal(r.refused?.annotation, `${N}auth-url`, String(host));
    assert.match(r.diagnostics[0]!.message, /could choose where the authentication request goes/);
  }
  assert.ok(resolveExternalAuth(ingress({ [`${N}auth-url`]: 'https://auth.example.com/check?h=$host' }, null)).externalAuth, '$host in the query is only data');
});

test('resolveExternalAuth: tuning-only and no-effect annotations are warnings', () => {
  const r = resolveExternalAuth(ingress({
    [`${N}auth-url`]: 'http://auth.example.com/check',
    [`${N}auth-keepalive`]: '10',
    [`${N}auth-cache-duration`]: '200 1m',
    [`${N}auth-signin-redirect-param`]: 'next',
  }));
  assert.ok(r.externalAuth);
  assert.equal(r.refused, undefined);
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.severity, d.field]).sort(), [
    ['AnnotationNoEffect', 'warning', `metadata.annotations["${N}auth-cache-duration"]`],
    ['AnnotationNoEffect', 'warning', `metadata.annotations["${N}auth-signin-redirect-param"]`],
    ['AnnotationUnsupported', 'warning', `metadata.annotations["${N}auth-keepalive"]`],
  ]);
  const only = resolveExternalAuth(ingress({ [`${N}auth-keepalive`]: '10' }));
  assert.equal(only.refused, undefined, 'keepalive alone asks for nothing');
  assert.equal(only.externalAuth, undefined);
});
