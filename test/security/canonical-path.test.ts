// The canonical request path: table tests for every rule of issue 6 "Paths", then fixed-seed
// property tests: idempotence, a differential check against a literal RFC 3986 implementation,
// and "no path reaches a route that its canonical form would not".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalizeTarget, type CanonicalTarget } from '../../src/dataplane/http/canonical-path.ts';
import { checkIngressPath } from '../../src/core/path-grammar.ts';
import { findMatchingRoute, compareMatchSpecificity, type PathMatcher } from '../../src/core/path-match.ts';
import { makePrng, type Prng } from './prng.ts';

function ok(target: string): { path: string; query: string } {
  const r = canonicalizeTarget(target);
  assert.ok(r.ok, `${JSON.stringify(target)} should be accepted, got ${JSON.stringify(r)}`);
  return { path: r.path, query: r.query };
}

function rejected(target: string, status: 400 | 414 = 400): string {
  const r = canonicalizeTarget(target);
  assert.ok(!r.ok, `${JSON.stringify(target)} should be rejected, got ${JSON.stringify(r)}`);
  assert.equal(r.status, status, `${JSON.stringify(target)}: ${r.reason}`);
  return r.reason;
}

test('the four spellings of /admin from the issue all canonicalise to /admin', () => {
  for (const t of ['/admin', '/public/../admin', '/public/%2e%2e/admin', '//admin', '/%61dmin']) {
    assert.equal(ok(t).path, '/admin', t);
  }
});

const CANONICAL_CASES: [string, string, string?][] = [
  // [target, canonical path, query]
  ['/', '/'],
  ['/a/b/c', '/a/b/c'],
  ['/a/b/', '/a/b/'],
  ['/a//b', '/a/b'],
  ['/a///b////', '/a/b/'],
  ['//', '/'],
  ['///a', '/a'],
  ['//evil.example.com/x', '/evil.example.com/x'],
  ['/.', '/'],
  ['/..', '/'],
  ['/../../..', '/'],
  ['/../a', '/a'],
  ['/a/..', '/'],
  ['/a/../', '/'],
  ['/a/b/..', '/a/'],
  ['/a/b/../', '/a/'],
  ['/a/./b', '/a/b'],
  ['/a/.', '/a/'],
  ['/a/b/../../../../c', '/c'],
  ['/a/%2e/b', '/a/b'],
  ['/a/%2E%2E/b', '/b'],
  ['/a/.%2e/b', '/b'],
  ['/a/%2e./b', '/b'],
  ['/.hidden/..file', '/.hidden/..file'],
  ['/a.../b', '/a.../b'],
  ['/...', '/...'],
  ['/%41%42%43', '/ABC'],
  ['/%7e%2D%5f%2e%30', '/~-_.0'],
  ['/a%7cb', '/a%7Cb'],
  ['/a%7Cb', '/a%7Cb'],
  ['/%c3%a9t%c3%a9', '/%C3%A9t%C3%A9'],
  ['/a%20b', '/a%20b'],
  ['/a%21b', '/a%21b'],
  ['/a!b', '/a!b'],
  ['/a|b', '/a%7Cb'],
  ['/a"b', '/a%22b'],
  ['/{x}', '/%7Bx%7D'],
  ['/a;jsessionid=1/b', '/a;jsessionid=1/b'],
  ["/$&'()*+,=:@", "/$&'()*+,=:@"],
  ['/a?', '/a', '?'],
  ['/a?b=c', '/a', '?b=c'],
  ['/a/../b?x=/../y', '/b', '?x=/../y'],
  ['/a?x=%2f%2F%00%zz', '/a', '?x=%2f%2F%00%zz'],
  ['/a?x=\\', '/a', '?x=\\'],
  ['/a%2e%2e?q', '/a..', '?q'],
];

test('canonical forms', () => {
  for (const [target, path, query = ''] of CANONICAL_CASES) {
    const r = ok(target);
    assert.equal(r.path, path, `path of ${JSON.stringify(target)}`);
    assert.equal(r.query, query, `query of ${JSON.stringify(target)}`);
  }
});

const REJECTED_CASES: [string, RegExp][] = [
  ['/a%2fb', /%2F/],
  ['/a%2Fb', /%2F/],
  ['/a%5cb', /%5C/],
  ['/a%00b', /%00/],
  ['/a%25b', /%25/],
  ['/a%3bb', /%3B/],
  ['/a%3fb', /%3F/],
  ['/a%23b', /%23/],
  ['/a%0d%0aSet-Cookie:x', /%0D/],
  ['/a%0a', /%0A/],
  ['/a%7f', /%7F/],
  ['/a%09', /%09/],
  ['/%', /malformed/],
  ['/%2', /malformed/],
  ['/%zz', /malformed/],
  ['/%g0', /malformed/],
  ['/a%%30', /malformed/],
  ['/a\\b', /backslash/],
  ['/..\\admin', /backslash/],
  ['/a b', /space/],
  ['/a\tb', /control/],
  ['/a\rb', /control/],
  ['/a\nb', /control/],
  ['/a\x00b', /control/],
  ['/a\x7fb', /control/],
  ['/\u00e9', /non-ASCII/],
  ['/a\u2028', /non-ASCII/],
  ['/a#frag', /fragment/],
  ['/a?b#frag', /fragment/],
  ['/#', /fragment/],
  ['/a?b c', /query/],
  ['/a?\u00e9', /query/],
  ['/a?\r\n', /query/],
  ['/public/..;/admin', /dot segment/],
  ['/public/.;/admin', /dot segment/],
  ['/public/..;jsessionid=x/admin', /dot segment/],
  ['/public/%2e%2e;/admin', /dot segment/],
  ['', /empty/],
  ['admin', /origin-form/],
  ['../admin', /origin-form/],
  ['ftp://a/b', /origin-form/],
  ['javascript:alert(1)', /origin-form/],
];

test('rejected targets get 400 with a reason', () => {
  for (const [target, reason] of REJECTED_CASES) assert.match(rejected(target), reason, JSON.stringify(target));
});

test('a target longer than the limit gets 414; the limit is configurable', () => {
  const long = '/' + 'a'.repeat(8192);
  rejected(long, 414);
  assert.equal(ok('/' + 'a'.repeat(8191)).path.length, 8192);
  const r = canonicalizeTarget('/abcdef', { maxUrlLength: 4 });
  assert.deepEqual(r, { ok: false, status: 414, reason: 'request target too long' });
});

test('absolute-form: routed by its authority, scheme and userinfo checked (RFC 9112 §3.2.2)', () => {
  const r = canonicalizeTarget('http://Foo.Example.com:8080/a/../b/%61?x=1');
  assert.deepEqual(r, { ok: true, path: '/b/a', query: '?x=1', form: 'absolute', authority: 'foo.example.com:8080', host: 'foo.example.com', scheme: 'http' });
  const s = canonicalizeTarget('HTTPS://foo.example.com');
  assert.deepEqual(s, { ok: true, path: '/', query: '', form: 'absolute', authority: 'foo.example.com', host: 'foo.example.com', scheme: 'https' });
  assert.deepEqual(canonicalizeTarget('http://[::1]:80?q'), { ok: true, path: '/', query: '?q', form: 'absolute', authority: '[::1]:80', host: '[::1]', scheme: 'http' });
  assert.match(rejected('http://user:pass@foo.example.com/'), /userinfo/);
  assert.match(rejected('http://@foo.example.com/'), /userinfo/);
  assert.match(rejected('http://foo.example.com@evil.example/'), /userinfo/);
  assert.match(rejected('http:///x'), /authority/);
  assert.match(rejected('http://foo bar/'), /authority/);
  assert.match(rejected('http://foo.example.com:99999/'), /authority/);
  assert.match(rejected('http://foo.example.com:/'), /authority/);
  assert.match(rejected('http://foo%2eexample.com/'), /authority/);
  assert.match(rejected('http://foo.example.com#x'), /fragment/);
  assert.match(rejected('http://foo.example.com/a#x'), /fragment/);
  assert.match(rejected('http://foo.example.com/a%2fb'), /%2F/);
  assert.match(rejected('ws://foo.example.com/'), /origin-form/);
  assert.match(rejected('http:/foo'), /origin-form/);
});

test('asterisk-form is recognised (the method check is the request check\'s job)', () => {
  assert.deepEqual(canonicalizeTarget('*'), { ok: true, path: '*', query: '', form: 'asterisk' });
  rejected('**');
  rejected('*/a');
});

test('the fast path returns the very same text for an already-canonical target', () => {
  const target = '/api/v1/items/42?fields=a,b';
  const r = canonicalizeTarget(target);
  assert.ok(r.ok);
  assert.equal(r.path + r.query, target);
  assert.equal(r.form, 'origin');
});

// ---------------------------------------------------------------------------------------------
// Properties (fixed seed).

const UNRESERVED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~';

/** A strict, independent statement of "canonical": what every successful result must look like. */
function isCanonical(path: string): boolean {
  if (!path.startsWith('/')) return false;
  const segments = path.slice(1).split('/');
  for (let k = 0; k < segments.length; k++) {
    const seg = segments[k] ?? '';
    if (seg === '' && !(k === segments.length - 1)) return false; // only a final empty segment (trailing slash)
    if (seg === '.' || seg === '..') return false;
    if (!/^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-F]{2})*$/.test(seg)) return false;
    for (const m of seg.matchAll(/%([0-9A-F]{2})/g)) {
      const ch = String.fromCharCode(parseInt(m[1] ?? '', 16));
      if (UNRESERVED.includes(ch)) return false;
    }
  }
  return true;
}

/** RFC 3986 §5.2.4 remove_dot_segments, written literally (input/output buffers), for differential testing. */
function removeDotSegments(input: string): string {
  let inp = input;
  let out = '';
  while (inp.length > 0) {
    if (inp.startsWith('../')) inp = inp.slice(3);
    else if (inp.startsWith('./')) inp = inp.slice(2);
    else if (inp.startsWith('/./')) inp = inp.slice(2);
    else if (inp === '/.') inp = '/';
    else if (inp.startsWith('/../')) {
      inp = inp.slice(3);
      out = out.slice(0, Math.max(0, out.lastIndexOf('/')));
    } else if (inp === '/..') {
      inp = '/';
      out = out.slice(0, Math.max(0, out.lastIndexOf('/')));
    } else if (inp === '.' || inp === '..') inp = '';
    else {
      const next = inp.indexOf('/', inp.startsWith('/') ? 1 : 0);
      const seg = next === -1 ? inp : inp.slice(0, next);
      out += seg;
      inp = next === -1 ? '' : inp.slice(next);
    }
  }
  return out === '' ? '/' : out;
}

/** The reference: regex-based, slow, obviously following the rules of issue 6; undefined = reject. */
function reference(target: string): { path: string; query: string } | undefined {
  if (target.includes('#')) return undefined;
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? '' : target.slice(q);
  if (/[^\x21-\x7e]/.test(query)) return undefined;
  if (/[^\x21-\x7e]|\\/.test(rawPath)) return undefined;
  if (/%(?![0-9a-fA-F]{2})/.test(rawPath)) return undefined;
  if (/%(?:[01][0-9a-fA-F]|2[fF]|5[cC]|25|3[bB]|3[fF]|23|7[fF])/.test(rawPath)) return undefined;
  let p = rawPath.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => {
    const ch = String.fromCharCode(parseInt(h, 16));
    return UNRESERVED.includes(ch) ? ch : `%${h.toUpperCase()}`;
  });
  p = p.replace(/["<>[\]^`{|}]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  if (p.split('/').some((seg) => /^\.\.?;/.test(seg))) return undefined;
  p = p.replace(/\/{2,}/g, '/');
  return { path: removeDotSegments(p), query };
}

const PIECES = [
  'a', 'b', 'admin', 'public', 'api', 'v1', 'x.y', '~u', 'c-d', '_', '.', '..', '...', '.a', '%2e', '%2E', '%2e%2e', '.%2e',
  '%61', '%41', '%7e', '%7E', '%2f', '%2F', '%5c', '%00', '%0a', '%25', '%3b', '%3f', '%23', '%7c', '%7C', '%c3%a9', '%20',
  '%', '%z', '%4', ';', ';x', '..;', '.;', '!', '$', '*', '+', '(', ')', '@', ':', '=', ',', "'", '|', '"', '{', '}', '^',
  '`', '[', ']', '<', '>', '\\', ' ', '\t', '#', 'é', '/', '/', '/', '//', '?', '?x=1', '?x=/../%2f', '&',
];

function randomTarget(rng: Prng): string {
  let s = '/';
  const n = 1 + rng.int(10);
  for (let k = 0; k < n; k++) s += rng.pick(PIECES) + (rng.chance(0.5) ? '/' : '');
  return s;
}

test('property: differential against a literal RFC 3986 reference, and idempotent (seed 6, 20,000 targets)', () => {
  const rng = makePrng(6);
  let accepted = 0;
  for (let k = 0; k < 20_000; k++) {
    const target = randomTarget(rng);
    const ours = canonicalizeTarget(target);
    const ref = reference(target);
    if (ref === undefined) {
      assert.ok(!ours.ok, `reference rejects ${JSON.stringify(target)} but ours gave ${JSON.stringify(ours)}`);
      continue;
    }
    assert.ok(ours.ok, `reference accepts ${JSON.stringify(target)} as ${JSON.stringify(ref)} but ours gave ${JSON.stringify(ours)}`);
    accepted++;
    assert.equal(ours.path, ref.path, `path of ${JSON.stringify(target)}`);
    assert.equal(ours.query, ref.query, `query of ${JSON.stringify(target)}`);
    assert.ok(isCanonical(ours.path), `not canonical: ${JSON.stringify(ours.path)} from ${JSON.stringify(target)}`);
    const again = canonicalizeTarget(ours.path + ours.query) as CanonicalTarget;
    assert.deepEqual(again, ours, `not idempotent on ${JSON.stringify(target)}`);
  }
  // The generator must exercise both outcomes heavily, or the property says little.
  assert.ok(accepted > 3000 && accepted < 17_000, `accepted ${accepted} of 20,000`);
});

const ROUTE_WORDS = ['a', 'b', 'admin', 'public', 'api', 'v1', 'x.y', '~u', 'c-d', 'admin.x', 'adm', 'A'];

function randomRoutes(rng: Prng): PathMatcher[] {
  const routes: PathMatcher[] = [];
  const n = 1 + rng.int(6);
  for (let k = 0; k < n; k++) {
    let p = '';
    const depth = rng.int(4);
    for (let d = 0; d < depth; d++) p += '/' + rng.pick(ROUTE_WORDS);
    if (p === '' || rng.chance(0.2)) p += '/';
    const match = rng.chance(0.5) ? 'Exact' : 'Prefix';
    assert.equal(checkIngressPath(p, match), undefined, `generated route ${p} must satisfy the grammar`);
    routes.push({ path: p, match });
  }
  return routes.sort(compareMatchSpecificity);
}

/** Spells the same canonical path differently: encodings, detours through '..', '.', extra slashes. */
function obfuscate(rng: Prng, canonical: string): string {
  const trailing = canonical.length > 1 && canonical.endsWith('/');
  const segments = canonical.split('/').filter((s) => s !== '');
  let out = rng.chance(0.3) ? '//' : '/';
  for (let k = 0; k < segments.length; k++) {
    const seg = segments[k] ?? '';
    if (rng.chance(0.3)) out += rng.pick(['x/../', 'public/../', '%2e/', './', 'a/b/../../', 'q/%2e%2e/', '/']);
    for (const ch of seg) {
      out += rng.chance(0.3) ? `%${ch.charCodeAt(0).toString(16)[rng.chance(0.5) ? 'toUpperCase' : 'toLowerCase']()}` : ch;
    }
    if (k < segments.length - 1) out += rng.chance(0.2) ? '//' : '/';
  }
  if (trailing) out += rng.pick(['/', '//', '/./', '/x/../']);
  return out;
}

test('property: no spelling of a path reaches a route its canonical form would not (seed 66, 5,000 cases)', () => {
  const rng = makePrng(66);
  for (let k = 0; k < 5000; k++) {
    const routes = randomRoutes(rng);
    let canonical = '';
    const depth = rng.int(4);
    for (let d = 0; d < depth; d++) canonical += '/' + rng.pick(ROUTE_WORDS);
    if (canonical === '' || rng.chance(0.2)) canonical += '/';
    const spelled = obfuscate(rng, canonical);
    const r = canonicalizeTarget(spelled);
    assert.ok(r.ok, `${JSON.stringify(spelled)} rejected: ${JSON.stringify(r)}`);
    assert.equal(r.path, canonical, `${JSON.stringify(spelled)}`);
    assert.equal(findMatchingRoute(routes, r.path), findMatchingRoute(routes, canonical));
  }
});

test('property: for random targets the route chosen is the route of the canonical form (seed 666)', () => {
  const rng = makePrng(666);
  let routed = 0;
  for (let k = 0; k < 5000; k++) {
    const routes = randomRoutes(rng);
    const target = randomTarget(rng);
    const r = canonicalizeTarget(target);
    if (!r.ok) continue;
    const again = canonicalizeTarget(r.path);
    assert.ok(again.ok);
    const chosen = findMatchingRoute(routes, r.path);
    assert.equal(findMatchingRoute(routes, again.path), chosen);
    // The reference reading of the same bytes picks the same route.
    const ref = reference(target);
    assert.ok(ref !== undefined);
    assert.equal(findMatchingRoute(routes, ref.path), chosen, JSON.stringify(target));
    if (chosen !== undefined) routed++;
  }
  assert.ok(routed > 500, `only ${routed} targets matched a route`);
});
