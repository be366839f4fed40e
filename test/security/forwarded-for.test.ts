// Trusted proxies: the CIDR parser and matcher, and the forwarding values computed from them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeForwarding, createTrustedProxyMatcher, forwardedElement, parseCidr, parseTrustedProxies, rightmostUntrusted } from '../../src/dataplane/http/forwarded-for.ts';

function matcher(text: string): (a: string) => boolean {
  const r = parseTrustedProxies(text);
  assert.ok(r.ok, text);
  return createTrustedProxyMatcher(r.cidrs);
}

test('CIDR parsing: canonical text, host bits cleared, IPv4-mapped IPv6 is IPv4', () => {
  const cases: [string, string][] = [
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['10.1.2.3/8', '10.0.0.0/8'],
    ['192.168.1.10', '192.168.1.10/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['::1', '0:0:0:0:0:0:0:1/128'],
    ['fd00::/8', 'fd00:0:0:0:0:0:0:0/8'],
    ['2001:db8::1:2/64', '2001:db8:0:0:0:0:0:0/64'],
    ['::/0', '0:0:0:0:0:0:0:0/0'],
    ['::ffff:10.0.0.1/104', '10.0.0.0/8'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8/128'],
    ['::ffff:192.0.2.1', '192.0.2.1/32'],
  ];
  for (const [input, text] of cases) assert.equal(parseCidr(input)?.text, text, input);
});

test('CIDR parsing refuses anything that is not an address or a network', () => {
  for (const bad of ['', '10.0.0.0/33', '10.0.0/8', '10.0.0.256', '010.0.0.1', '10.0.0.1/', '10.0.0.1/x', '10.0.0.1/-1', '::1/129', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8:9', 'fe80::1%eth0', '[::1]', 'localhost', '10.0.0.1 ', '*', '12345::', '::g']) {
    assert.equal(parseCidr(bad), undefined, JSON.stringify(bad));
  }
  const r = parseTrustedProxies('10.0.0.0/8, nope');
  assert.ok(!r.ok);
  assert.match(r.error, /nope/);
  assert.deepEqual(parseTrustedProxies(''), { ok: true, cidrs: [] });
  assert.equal(parseTrustedProxies(' 10.0.0.0/8 , ::1 ,').ok, true);
});

test('matching: IPv4, IPv6, mapped addresses, boundaries', () => {
  const m = matcher('10.0.0.0/8,192.168.1.10,fd00::/8,2001:db8::/127');
  for (const yes of ['10.0.0.0', '10.255.255.255', '192.168.1.10', '::ffff:10.1.2.3', 'fd00::1', 'fdff:ffff::1', '2001:db8::', '2001:db8::1']) assert.ok(m(yes), yes);
  for (const no of ['11.0.0.0', '9.255.255.255', '192.168.1.11', 'fe00::1', '2001:db8::2', '::1', '127.0.0.1', '', 'garbage', '10.0.0.1:80']) assert.ok(!m(no), no);
  assert.ok(!matcher('')('10.0.0.1'));
  assert.ok(matcher('0.0.0.0/0')('203.0.113.7'));
  assert.ok(!matcher('0.0.0.0/0')('2001:db8::1'));
});

test('untrusted peer: every client-supplied forwarding value is replaced', () => {
  const r = computeForwarding({
    peer: '203.0.113.9',
    isTrusted: matcher('10.0.0.0/8'),
    scheme: 'http',
    host: 'app.example',
    xForwardedFor: '1.2.3.4',
    xForwardedProto: 'https',
    xForwardedHost: 'evil.example',
    forwarded: 'for=1.2.3.4;proto=https',
  });
  assert.deepEqual(r, {
    clientAddress: '203.0.113.9',
    xForwardedFor: '203.0.113.9',
    xForwardedProto: 'http',
    xForwardedHost: 'app.example',
    xRealIp: '203.0.113.9',
    forwarded: 'for=203.0.113.9;proto=http;host=app.example',
  });
});

test('trusted peer: chains appended, client is the right-most untrusted hop', () => {
  const isTrusted = matcher('10.0.0.0/8');
  const r = computeForwarding({
    peer: '10.0.0.5',
    isTrusted,
    scheme: 'https',
    host: 'app.example:8443',
    xForwardedFor: '6.6.6.6, 198.51.100.7, 10.0.0.4',
    xForwardedProto: 'https',
    xForwardedHost: 'app.example',
    forwarded: 'for=198.51.100.7',
  });
  assert.equal(r.clientAddress, '198.51.100.7', 'not the spoofable left-most 6.6.6.6');
  assert.equal(r.xRealIp, '198.51.100.7');
  assert.equal(r.xForwardedFor, '6.6.6.6, 198.51.100.7, 10.0.0.4, 10.0.0.5');
  assert.equal(r.xForwardedProto, 'https');
  assert.equal(r.xForwardedHost, 'app.example');
  assert.equal(r.forwarded, 'for=198.51.100.7, for=10.0.0.5;proto=https;host="app.example:8443"');
});

test('trusted peer without a chain, or with junk in it', () => {
  const isTrusted = matcher('10.0.0.0/8,::1');
  assert.equal(computeForwarding({ peer: '10.0.0.5', isTrusted, scheme: 'http', host: 'h' }).clientAddress, '10.0.0.5');
  assert.equal(rightmostUntrusted(['10.0.0.1', '10.0.0.2'], '10.0.0.3', isTrusted), '10.0.0.1', 'all trusted: the left-most');
  assert.equal(rightmostUntrusted(['1.1.1.1', 'unknown', '10.0.0.2'], '10.0.0.3', isTrusted), '10.0.0.2', 'junk ends the walk');
  assert.equal(rightmostUntrusted(['::ffff:1.2.3.4'], '::1', isTrusted), '1.2.3.4');
  const odd = computeForwarding({ peer: '::1', isTrusted, scheme: 'http', host: 'h', xForwardedProto: 'gopher', xForwardedHost: 'a\r\nb', forwarded: 'for=x\r\nInjected: 1' });
  assert.equal(odd.xForwardedProto, 'http');
  assert.equal(odd.xForwardedHost, 'h');
  assert.equal(odd.forwarded, 'for="[::1]";proto=http;host=h');
});

test('Forwarded elements quote IPv6 and non-token hosts (RFC 7239)', () => {
  assert.equal(forwardedElement('2001:db8::1', 'https', 'a.example'), 'for="[2001:db8::1]";proto=https;host=a.example');
  assert.equal(forwardedElement('192.0.2.1', 'http', 'a.example:8080'), 'for=192.0.2.1;proto=http;host="a.example:8080"');
  assert.equal(forwardedElement('', 'http', 'a'), 'for=unknown;proto=http;host=a');
});
