// The Kubernetes documentation's hostname-wildcard table (Ingress concepts page, "Hostname
// wildcards"), plus the Host header normalisation and lookup order the data plane relies on.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { certificateNameCovers, hostLookupOrder, hostMatchesPattern, normaliseHost } from '../../src/core/host-match.ts';

const WILDCARD_TABLE: [pattern: string, hostHeader: string, matches: boolean, note: string][] = [
  ['*.foo.com', 'bar.foo.com', true, 'Matches based on shared suffix'],
  ['*.foo.com', 'baz.bar.foo.com', false, 'No match, wildcard only covers a single DNS label'],
  ['*.foo.com', 'foo.com', false, 'No match, wildcard only covers a single DNS label'],
];

for (const [pattern, hostHeader, matches, note] of WILDCARD_TABLE) {
  test(`hostname wildcards: ${pattern} vs ${hostHeader}: ${note}`, () => {
    assert.equal(hostMatchesPattern(normaliseHost(hostHeader), pattern), matches);
  });
}

const MORE: [pattern: string, hostHeader: string, matches: boolean][] = [
  ['foo.bar.com', 'foo.bar.com', true],
  ['foo.bar.com', 'FOO.Bar.COM', true],
  ['foo.bar.com', 'foo.bar.com:8080', true],
  ['foo.bar.com', 'foo.bar.com.', true],
  ['foo.bar.com', 'bar.com', false],
  ['foo.bar.com', 'xfoo.bar.com', false],
  ['*.foo.com', '.foo.com', false],
  ['*.foo.com', 'BAR.foo.com:443', true],
  ['*.foo.com', 'barfoo.com', false],
  ['*', 'anything.example', true],
  ['*', '', true],
];

for (const [pattern, hostHeader, matches] of MORE) {
  test(`host match: ${pattern} vs ${JSON.stringify(hostHeader)} → ${matches}`, () => {
    assert.equal(hostMatchesPattern(normaliseHost(hostHeader), pattern), matches);
  });
}

test('normaliseHost: lower-case, no port, no trailing dot, IPv6 brackets kept', () => {
  const cases: [string, string][] = [
    ['Example.COM', 'example.com'],
    ['example.com:8080', 'example.com'],
    ['example.com.', 'example.com'],
    ['[::1]:8443', '[::1]'],
    ['[FE80::1]', '[fe80::1]'],
    ['127.0.0.1:80', '127.0.0.1'],
  ];
  for (const [input, expected] of cases) assert.equal(normaliseHost(input), expected, input);
});

test('hostLookupOrder: exact, then one-label wildcard, then *', () => {
  assert.deepEqual(hostLookupOrder('a.b.example.com'), ['a.b.example.com', '*.b.example.com', '*']);
  assert.deepEqual(hostLookupOrder('localhost'), ['localhost', '*']);
});

test('certificateNameCovers: exact names and one-label wildcards', () => {
  const cases: [string, string, boolean][] = [
    ['foo.example.com', 'foo.example.com', true],
    ['*.example.com', 'foo.example.com', true],
    ['*.example.com', 'a.foo.example.com', false],
    ['*.example.com', 'example.com', false],
    ['*.example.com', '*.example.com', true],
    ['foo.example.com', '*.example.com', false],
  ];
  for (const [name, host, covers] of cases) assert.equal(certificateNameCovers(name, host), covers, `${name} ${host}`);
});
