// A URL as people type it → what the data plane would route: scheme, Host, the raw target and its
// canonical form (the data plane's canonicaliser), headers; and the one-line refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainInput, ExplainInputError } from '../../src/app/explain-input.ts';

test('URL forms: scheme optional (http), fragment dropped, query kept, target canonicalised', () => {
  const cases: [string, { scheme: string; hostHeader: string; rawTarget: string; target: unknown }][] = [
    ['shop.example.com/a/./b', { scheme: 'http', hostHeader: 'shop.example.com', rawTarget: '/a/./b', target: { ok: true, path: '/a/b', query: '' } }],
    ['HTTPS://Shop.Example.com:8443', { scheme: 'https', hostHeader: 'Shop.Example.com:8443', rawTarget: '/', target: { ok: true, path: '/', query: '' } }],
    ['http://a.example.com?x=1#frag', { scheme: 'http', hostHeader: 'a.example.com', rawTarget: '/?x=1', target: { ok: true, path: '/', query: '?x=1' } }],
    ['http://[::1]:8080//x/%7Euser/../y', { scheme: 'http', hostHeader: '[::1]:8080', rawTarget: '//x/%7Euser/../y', target: { ok: true, path: '/x/y', query: '' } }],
    ['http://a.example.com/a/%2F', { scheme: 'http', hostHeader: 'a.example.com', rawTarget: '/a/%2F', target: { ok: false, status: 400, reason: 'forbidden percent-encoding %2F in path' } }],
  ];
  for (const [url, want] of cases) {
    const got = explainInput(url);
    assert.deepEqual({ scheme: got.scheme, hostHeader: got.hostHeader, rawTarget: got.rawTarget, target: got.target }, want, url);
  }
});

test('headers: names lower-cased, repeats joined as a proxy sees them; client IP checked', () => {
  const input = explainInput('http://a.example.com/', ['X-User: ann', 'Cookie: a=1', 'cookie: b=2', 'x-user:bob'], '2001:db8::1');
  assert.deepEqual(input.headers, { 'x-user': 'ann, bob', cookie: 'a=1; b=2' });
  assert.equal(input.clientIp, '2001:db8::1');
});

test('refusals are ExplainInputErrors with one line', () => {
  const bad: [string, string[], string | undefined, RegExp][] = [
    ['', [], undefined, /the URL is empty/],
    ['ws://a/', [], undefined, /scheme must be http or https, got "ws"/],
    ['http:///x', [], undefined, /the URL has no host/],
    ['http://user:pw@a.example.com/', [], undefined, /user name or password/],
    ['http://a_b..c/', [], undefined, /not a valid host\[:port\]/],
    ['http://a/', ['bad header: x'], undefined, /not a valid header name/],
    ['http://a/', ['x: a\u0001b'], undefined, /control characters/],
    ['http://a/', [], '300.1.1.1', /not an IP address/],
  ];
  for (const [url, headers, ip, pattern] of bad) {
    assert.throws(() => explainInput(url, headers, ip), (err: unknown) => err instanceof ExplainInputError && pattern.test(err.message) && !err.message.includes('\n'), url);
  }
});
