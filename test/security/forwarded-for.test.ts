// Trusted proxies, through the code the data plane runs: `--trusted-proxies` parsed by the config
// (parseCidr), matched by createTrustedProxyMatcher (node:net BlockList), the client address walked
// by resolveClientAddress, the forwarding headers written by buildUpstreamHeaders. The same flow
// over real sockets is in upstream-headers.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTrustedProxyMatcher } from '../../src/app/trusted-proxies.ts';
import type { Cidr } from '../../src/config/config.ts';
import { ConfigError } from '../../src/config/config-error.ts';
import { parseCommandLine } from '../../src/config/parse-command-line.ts';
import { parseCidr } from '../../src/config/parse-values.ts';
import { plainAddress, resolveClientAddress } from '../../src/dataplane/http/client-address.ts';
import { forwardedElement } from '../../src/dataplane/http/forwarded-element.ts';
import { buildUpstreamHeaders } from '../../src/dataplane/proxy/upstream-headers.ts';

/** `--trusted-proxies TEXT` as the command line parses it. */
function trustedProxies(text: string): Cidr[] {
  const r = parseCommandLine(['demo', '--trusted-proxies', text]);
  assert.equal(r.kind, 'run');
  return r.config.trustedProxies;
}

function matcher(text: string): (a: string) => boolean {
  const m = createTrustedProxyMatcher(trustedProxies(text));
  assert.ok(m, text);
  return m;
}

test('CIDR parsing: the network each value means, host bits ignored, IPv4-mapped IPv6 matches IPv4', () => {
  // [value, as the config keeps it, first and last address of the network, neighbours outside it]
  const v4 = (address: string, prefix: number): Cidr => ({ address, prefix, family: 'ipv4' });
  const v6 = (address: string, prefix: number): Cidr => ({ address, prefix, family: 'ipv6' });
  const cases: [string, Cidr, string[], string[]][] = [
    ['10.0.0.0/8', v4('10.0.0.0', 8), ['10.0.0.0', '10.255.255.255'], ['9.255.255.255', '11.0.0.0']],
    ['10.1.2.3/8', v4('10.1.2.3', 8), ['10.0.0.0', '10.255.255.255'], ['9.255.255.255', '11.0.0.0']],
    ['192.168.1.10', v4('192.168.1.10', 32), ['192.168.1.10'], ['192.168.1.9', '192.168.1.11']],
    ['0.0.0.0/0', v4('0.0.0.0', 0), ['0.0.0.0', '255.255.255.255', '::ffff:203.0.113.7'], ['::', '2001:db8::1']],
    ['::1', v6('::1', 128), ['::1', '0:0:0:0:0:0:0:1'], ['::', '::2', '127.0.0.1']],
    ['fd00::/8', v6('fd00::', 8), ['fd00::', 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'], ['fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'fe00::']],
    ['2001:db8::1:2/64', v6('2001:db8::1:2', 64), ['2001:db8::', '2001:db8::ffff:ffff:ffff:ffff'], ['2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', '2001:db8:0:1::']],
    // BlockList checks IPv4 addresses against IPv6 rules as ::ffff:a.b.c.d, so ::/0 is everyone.
    ['::/0', v6('::', 0), ['::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '10.0.0.1'], []],
    ['::ffff:10.0.0.1/104', v6('::ffff:10.0.0.1', 104), ['10.0.0.0', '10.255.255.255', '::ffff:10.1.2.3'], ['9.255.255.255', '11.0.0.0', '::10.0.0.1']],
    ['1:2:3:4:5:6:7:8', v6('1:2:3:4:5:6:7:8', 128), ['1:2:3:4:5:6:7:8'], ['1:2:3:4:5:6:7:7', '1:2:3:4:5:6:7:9']],
    ['::ffff:192.0.2.1', v6('::ffff:192.0.2.1', 128), ['192.0.2.1', '::ffff:192.0.2.1'], ['192.0.2.0', '192.0.2.2']],
  ];
  for (const [value, cidr, inside, outside] of cases) {
    assert.deepEqual(parseCidr('trusted-proxies', value), cidr, value);
    const m = matcher(value);
    for (const a of inside) assert.ok(m(a), `${value} should contain ${a}`);
    for (const a of outside) assert.ok(!m(a), `${value} should not contain ${a}`);
  }
});

test('CIDR parsing refuses anything that is not an address or a network', () => {
  for (const bad of ['', '10.0.0.0/33', '10.0.0/8', '10.0.0.256', '010.0.0.1', '10.0.0.1/', '10.0.0.1/x', '10.0.0.1/-1', '::1/129', '1::2::3', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8:9', 'fe80::1%eth0', 'fe80::1%eth0/64', '[::1]', 'localhost', '10.0.0.1 ', '*', '12345::', '::g']) {
    assert.throws(() => parseCidr('trusted-proxies', bad), (err) => err instanceof ConfigError && /^--trusted-proxies: expected /.test(err.message), JSON.stringify(bad));
  }
  assert.throws(() => trustedProxies('10.0.0.0/8, nope'), (err) => err instanceof ConfigError && /"nope"/.test(err.message));
  // A trailing comma is an empty value: refused rather than read as "trust no one more".
  assert.throws(() => trustedProxies(' 10.0.0.0/8 , ::1 ,'), /empty value/);
  assert.deepEqual(trustedProxies(' 10.0.0.0/8 , ::1 '), [
    { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
    { address: '::1', prefix: 128, family: 'ipv6' },
  ]);
});

test('matching: IPv4, IPv6, mapped addresses, boundaries; without the flag no one is trusted', () => {
  const m = matcher('10.0.0.0/8,192.168.1.10,fd00::/8,2001:db8::/127');
  for (const yes of ['10.0.0.0', '10.255.255.255', '192.168.1.10', '::ffff:10.1.2.3', 'fd00::1', 'fdff:ffff::1', '2001:db8::', '2001:db8::1']) assert.ok(m(yes), yes);
  for (const no of ['11.0.0.0', '9.255.255.255', '192.168.1.11', 'fe00::1', '2001:db8::2', '::1', '127.0.0.1', '', 'garbage', '10.0.0.1:80', 'fe80::1%eth0']) assert.ok(!m(no), no);
  const none = parseCommandLine(['demo']);
  assert.equal(none.kind, 'run');
  assert.equal(createTrustedProxyMatcher(none.config.trustedProxies), undefined);
  assert.equal(resolveClientAddress('10.0.0.1', '1.2.3.4', undefined), '10.0.0.1', 'no matcher: the peer is the client');
  assert.ok(matcher('0.0.0.0/0')('203.0.113.7'));
  assert.ok(!matcher('0.0.0.0/0')('2001:db8::1'));
});

interface Forwarding {
  clientAddress: string;
  headers: Record<string, string>;
}

/** What ProxyExchange and UpgradeExchange do with a request: trust the peer or not, find the client, build the upstream headers. */
function forward(peerAddress: string, isTrusted: ((a: string) => boolean) | undefined, scheme: 'http' | 'https', host: string, raw: [string, string][] = []): Forwarding {
  const peer = plainAddress(peerAddress);
  const trusted = isTrusted !== undefined && peer.length > 0 && isTrusted(peer);
  const xff = raw.filter(([n]) => n.toLowerCase() === 'x-forwarded-for').map(([, v]) => v);
  const clientAddress = trusted ? resolveClientAddress(peer, xff.length === 0 ? undefined : xff, isTrusted) : peer;
  const out = buildUpstreamHeaders(raw.flat(), undefined, {
    scheme,
    peerAddress: peer,
    clientAddress,
    trustedPeer: trusted,
    host,
    localPort: 8080,
    requestId: 'r-1',
    contentLength: undefined,
    joinCookies: false,
  });
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < out.length; i += 2) {
    const name = out[i]!;
    assert.equal(headers[name], undefined, `${name} sent twice`);
    headers[name] = out[i + 1]!;
  }
  return { clientAddress, headers };
}

const FORWARDING = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip', 'forwarded'];

function forwardingHeaders(f: Forwarding): Record<string, string | undefined> {
  return Object.fromEntries(FORWARDING.map((n) => [n, f.headers[n]]));
}

test('untrusted peer: every client-supplied forwarding value is replaced', () => {
  const r = forward('203.0.113.9', matcher('10.0.0.0/8'), 'http', 'app.example', [
    ['X-Forwarded-For', '1.2.3.4'],
    ['X-Forwarded-Proto', 'https'],
    ['X-Forwarded-Host', 'evil.example'],
    ['X-Forwarded-Port', '1'],
    ['X-Real-IP', '1.2.3.4'],
    ['Forwarded', 'for=1.2.3.4;proto=https'],
  ]);
  assert.equal(r.clientAddress, '203.0.113.9');
  assert.deepEqual(forwardingHeaders(r), {
    'x-forwarded-for': '203.0.113.9',
    'x-forwarded-proto': 'http',
    'x-forwarded-host': 'app.example',
    'x-forwarded-port': '8080',
    'x-real-ip': '203.0.113.9',
    forwarded: 'for=203.0.113.9;proto=http;host=app.example',
  });
});

test('trusted peer: chains appended, client is the right-most untrusted hop', () => {
  const r = forward('10.0.0.5', matcher('10.0.0.0/8'), 'https', 'app.example:8443', [
    ['X-Forwarded-For', '6.6.6.6, 198.51.100.7, 10.0.0.4'],
    ['X-Forwarded-Proto', 'https'],
    ['X-Forwarded-Host', 'app.example'],
    ['Forwarded', 'for=198.51.100.7'],
  ]);
  assert.equal(r.clientAddress, '198.51.100.7', 'not the spoofable left-most 6.6.6.6');
  assert.equal(r.headers['x-real-ip'], '198.51.100.7');
  assert.equal(r.headers['x-forwarded-for'], '6.6.6.6, 198.51.100.7, 10.0.0.4, 10.0.0.5');
  assert.equal(r.headers['x-forwarded-proto'], 'https');
  assert.equal(r.headers['x-forwarded-host'], 'app.example');
  assert.equal(r.headers['forwarded'], 'for=198.51.100.7, for=10.0.0.5;proto=https;host="app.example:8443"');
  // Repeated X-Forwarded-For fields are one list, in order.
  const split = forward('::ffff:10.0.0.5', matcher('10.0.0.0/8'), 'http', 'h', [
    ['X-Forwarded-For', '6.6.6.6, 198.51.100.7'],
    ['x-forwarded-for', '10.0.0.4'],
  ]);
  assert.equal(split.clientAddress, '198.51.100.7');
  assert.equal(split.headers['x-forwarded-for'], '6.6.6.6, 198.51.100.7, 10.0.0.4, 10.0.0.5');
});

test('trusted peer without a chain, or with junk in it', () => {
  const isTrusted = matcher('10.0.0.0/8,::1');
  assert.equal(forward('10.0.0.5', isTrusted, 'http', 'h').clientAddress, '10.0.0.5');
  assert.equal(resolveClientAddress('10.0.0.3', '10.0.0.1, 10.0.0.2', isTrusted), '10.0.0.1', 'all trusted: the left-most');
  assert.equal(resolveClientAddress('10.0.0.3', '1.1.1.1, unknown, 10.0.0.2', isTrusted), '10.0.0.2', 'junk ends the walk');
  assert.equal(resolveClientAddress('10.0.0.3', '1.1.1.1, , 10.0.0.2', isTrusted), '1.1.1.1', 'empty items are skipped');
  assert.equal(resolveClientAddress('::1', '::ffff:1.2.3.4', isTrusted), '1.2.3.4');
  assert.equal(resolveClientAddress('203.0.113.9', '1.2.3.4', isTrusted), '203.0.113.9', 'an untrusted peer is the client');
  // A trusted proxy speaks for the request's scheme and host: its values are passed on as sent
  // (Node's parser has already refused CR, LF and NUL; see upstream-headers.test.ts).
  const odd = forward('::1', isTrusted, 'http', 'h', [
    ['X-Forwarded-Proto', 'gopher'],
    ['X-Forwarded-Host', 'other.example'],
  ]);
  assert.equal(odd.headers['x-forwarded-proto'], 'gopher');
  assert.equal(odd.headers['x-forwarded-host'], 'other.example');
  assert.equal(odd.headers['forwarded'], 'for="[::1]";proto=http;host=h');
});

test('Forwarded elements quote IPv6 and non-token hosts (RFC 7239)', () => {
  assert.equal(forwardedElement('2001:db8::1', 'https', 'a.example'), 'for="[2001:db8::1]";proto=https;host=a.example');
  assert.equal(forwardedElement('192.0.2.1', 'http', 'a.example:8080'), 'for=192.0.2.1;proto=http;host="a.example:8080"');
  assert.equal(forwardedElement('', 'http', 'a'), 'for=unknown;proto=http;host=a');
});
