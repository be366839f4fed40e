// The strict grammar of Exact/Prefix Ingress paths: a table of accepted and refused paths, and a
// property that every accepted path is already canonical (so routes compare like with like).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkIngressPath, MAX_INGRESS_PATH_LENGTH } from '../../src/core/path-grammar.ts';
import { canonicalizeTarget } from '../../src/dataplane/http/canonical-path.ts';
import { makePrng } from './prng.ts';

const ACCEPTED = [
  '/',
  '/foo',
  '/foo/',
  '/foo/bar',
  '/foo/bar/',
  '/kubia',
  '/api/v1.2/items',
  '/.well-known/acme-challenge',
  '/a.b/c..d/...',
  '/~user',
  '/a-b_c',
  '/a!b',
  '/a&b=c,d',
  '/user@host',
  '/a:b',
  '/caf%C3%A9',
  '/a%20b',
  '/a%7Cb',
  '/A/B/C',
  '/' + 'a'.repeat(MAX_INGRESS_PATH_LENGTH - 1),
];

const REFUSED: [string, RegExp][] = [
  ['', /absolute/],
  ['foo', /absolute/],
  [' /foo', /absolute/],
  ['/foo/bar/;xpto', /";"/],
  ['/foo;bar', /";"/],
  ['/foo\r\n', /CR/],
  ['/foo\nbar', /LF/],
  ['/foo\r', /CR/],
  ['/foo\u0000', /NUL/],
  ['/foo\tbar', /tab/],
  ['/foo\u000b', /0x0b/],
  ['/foo\u007f', /0x7f/],
  ['/foo bar', /space/],
  ['/foo#bar', /fragment/],
  ['/caf\u00e9', /non-ASCII/],
  ['/\u202e', /non-ASCII/],
  ['/foo/.*', /regular expression/],
  ['/foo(/|$)(.*)', /regular expression/],
  ['/api/v[0-9]+', /regular expression/],
  ['/^admin', /regular expression/],
  ['/a|b', /regular expression/],
  ['/a{2}', /regular expression/],
  ['/foo?', /regular expression/],
  ['/foo?bar=1', /regular expression/],
  ['/foo\\bar', /regular expression/],
  ['/foo$', /regular expression/],
  ['/c++', /regular expression/],
  ['/foo//bar', /empty segment/],
  ['//foo', /empty segment/],
  ['/foo//', /empty segment/],
  ['/./foo', /dot segment/],
  ['/foo/..', /dot segment/],
  ['/foo/../bar', /dot segment/],
  ['/foo/.', /dot segment/],
  ['/foo/./', /dot segment/],
  ['/%2e%2e/admin', /unreserved/],
  ['/%61dmin', /unreserved/],
  ['/a%7cb', /lower-case/],
  ['/a%2Fb', /forbidden/],
  ['/a%2fb', /forbidden/],
  ['/a%5C', /forbidden/],
  ['/a%00', /forbidden/],
  ['/a%0D%0A', /forbidden/],
  ['/a%25', /forbidden/],
  ['/a%3B', /forbidden/],
  ['/a%3F', /forbidden/],
  ['/a%23', /forbidden/],
  ['/a%', /malformed/],
  ['/a%4', /malformed/],
  ['/a%GG', /malformed/],
  ['/a"b', /not allowed/],
  ["/a'b", /not allowed/],
  ['/a<script>', /not allowed/],
  ['/a`b', /not allowed/],
  ['/${jndi:ldap://x}', /regular expression/],
  ['/' + 'a'.repeat(MAX_INGRESS_PATH_LENGTH), /longer than/],
];

test('accepted Ingress paths', () => {
  for (const p of ACCEPTED) {
    assert.equal(checkIngressPath(p, 'Exact'), undefined, JSON.stringify(p));
    assert.equal(checkIngressPath(p, 'Prefix'), undefined, JSON.stringify(p));
  }
});

test('refused Ingress paths, each with a reason', () => {
  for (const [p, reason] of REFUSED) {
    for (const match of ['Exact', 'Prefix'] as const) {
      const r = checkIngressPath(p, match);
      assert.ok(r !== undefined, `${JSON.stringify(p)} (${match}) should be refused`);
      assert.match(r, reason, JSON.stringify(p));
      // The reason is safe to log and to put in a diagnostic: no control bytes, bounded.
      assert.ok(!/[\x00-\x1f\x7f]/.test(r) && r.length < 200, `reason for ${JSON.stringify(p)}: ${JSON.stringify(r)}`);
    }
  }
});

test('property: every accepted path is its own canonical form (seed 7, 20,000 strings)', () => {
  const rng = makePrng(7);
  const alphabet = ['a', 'Z', '0', '-', '.', '_', '~', '!', '&', ',', '=', ':', '@', '/', '/', '%41', '%7C', '%7c', '%C3', '%2F', ';', '*', '(', ' ', '\n', 'é', '..', '%'];
  let accepted = 0;
  for (let k = 0; k < 20_000; k++) {
    let p = '/';
    const n = 1 + rng.int(8);
    for (let i = 0; i < n; i++) p += rng.pick(alphabet);
    if (checkIngressPath(p, 'Prefix') !== undefined) continue;
    accepted++;
    const c = canonicalizeTarget(p);
    assert.ok(c.ok, JSON.stringify(p));
    assert.equal(c.path, p, `accepted path ${JSON.stringify(p)} is not canonical`);
  }
  assert.ok(accepted > 1000, `only ${accepted} accepted`);
});
