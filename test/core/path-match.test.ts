// The Kubernetes documentation's path-matching examples table (Ingress concepts page,
// "Examples"), row by row, through the pure matchers and through the builder's route order.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildRouteTable } from '../../src/core/build-route-table.ts';
import { compareMatchSpecificity, exactMatches, findMatchingRoute, pathElements, prefixMatches, type PathMatcher } from '../../src/core/path-match.ts';
import { ingress, options, service, snapshotOf, type IngressInit } from './fixtures.ts';

type Row = { kind: string; paths: PathMatcher[]; requests: string[]; matched: PathMatcher | undefined; note: string };

const P = (path: string): PathMatcher => ({ path, match: 'Prefix' });
const E = (path: string): PathMatcher => ({ path, match: 'Exact' });

const EXAMPLES: Row[] = [
  { kind: 'Prefix', paths: [P('/')], requests: ['/', '/foo', '/aaa/bbb/ccc', '/x/'], matched: P('/'), note: 'Yes (all paths)' },
  { kind: 'Exact', paths: [E('/foo')], requests: ['/foo'], matched: E('/foo'), note: 'Yes' },
  { kind: 'Exact', paths: [E('/foo')], requests: ['/bar'], matched: undefined, note: 'No' },
  { kind: 'Exact', paths: [E('/foo')], requests: ['/foo/'], matched: undefined, note: 'No' },
  { kind: 'Exact', paths: [E('/foo/')], requests: ['/foo'], matched: undefined, note: 'No' },
  { kind: 'Prefix', paths: [P('/foo')], requests: ['/foo', '/foo/'], matched: P('/foo'), note: 'Yes' },
  { kind: 'Prefix', paths: [P('/foo/')], requests: ['/foo', '/foo/'], matched: P('/foo/'), note: 'Yes' },
  { kind: 'Prefix', paths: [P('/aaa/bb')], requests: ['/aaa/bbb'], matched: undefined, note: 'No' },
  { kind: 'Prefix', paths: [P('/aaa/bbb')], requests: ['/aaa/bbb'], matched: P('/aaa/bbb'), note: 'Yes' },
  { kind: 'Prefix', paths: [P('/aaa/bbb/')], requests: ['/aaa/bbb'], matched: P('/aaa/bbb/'), note: 'Yes, ignores trailing slash' },
  { kind: 'Prefix', paths: [P('/aaa/bbb')], requests: ['/aaa/bbb/'], matched: P('/aaa/bbb'), note: 'Yes, matches trailing slash' },
  { kind: 'Prefix', paths: [P('/aaa/bbb')], requests: ['/aaa/bbb/ccc'], matched: P('/aaa/bbb'), note: 'Yes, matches subpath' },
  { kind: 'Prefix', paths: [P('/aaa/bbb')], requests: ['/aaa/bbbxyz'], matched: undefined, note: 'No, does not match string prefix' },
  { kind: 'Prefix', paths: [P('/'), P('/aaa')], requests: ['/aaa/ccc'], matched: P('/aaa'), note: 'Yes, matches /aaa prefix' },
  { kind: 'Prefix', paths: [P('/'), P('/aaa'), P('/aaa/bbb')], requests: ['/aaa/bbb'], matched: P('/aaa/bbb'), note: 'Yes, matches /aaa/bbb prefix' },
  { kind: 'Prefix', paths: [P('/'), P('/aaa'), P('/aaa/bbb')], requests: ['/ccc'], matched: P('/'), note: 'Yes, matches / prefix' },
  { kind: 'Prefix', paths: [P('/aaa')], requests: ['/ccc'], matched: undefined, note: 'No, uses default backend' },
  { kind: 'Mixed', paths: [P('/foo'), E('/foo')], requests: ['/foo'], matched: E('/foo'), note: 'Yes, prefers Exact' },
];

function describeRow(row: Row, request: string): string {
  return `${row.kind} ${row.paths.map((p) => `${p.path} (${p.match})`).join(', ')} ← ${request}: ${row.note}`;
}

for (const row of EXAMPLES) {
  for (const request of row.requests) {
    test(`matchers: ${describeRow(row, request)}`, () => {
      const sorted = [...row.paths].sort(compareMatchSpecificity);
      // Listed in both orders: the outcome must come from specificity, not from input order.
      assert.deepEqual(findMatchingRoute(sorted, request), row.matched);
      assert.deepEqual(findMatchingRoute([...sorted].reverse().sort(compareMatchSpecificity), request), row.matched);
    });

    test(`builder: ${describeRow(row, request)}`, () => {
      const paths = row.paths.map((p, i) => ({ path: p.path, pathType: p.match, backend: { service: { name: `svc${i}`, port: { number: 80 } } } }));
      const init: IngressInit = { rules: [{ host: 'example.com', http: { paths } }] };
      const services = row.paths.map((_, i) => service(`svc${i}`, [{ port: 80 }]));
      const { table } = buildRouteTable(snapshotOf([ingress('examples', init), ...services]), options());
      const routes = table.virtualHosts[0]?.routes ?? [];
      assert.equal(routes.length, row.paths.length);
      const found = findMatchingRoute(routes, request);
      assert.deepEqual(found && { path: found.path, match: found.match }, row.matched);
    });
  }
}

test('pathElements ignores empty elements (trailing and repeated slashes)', () => {
  const cases: [string, string[]][] = [
    ['/', []],
    ['', []],
    ['/foo', ['foo']],
    ['/foo/', ['foo']],
    ['/foo//bar/', ['foo', 'bar']],
    ['/a/b/c', ['a', 'b', 'c']],
  ];
  for (const [path, elements] of cases) assert.deepEqual(pathElements(path), elements, path);
});

test('matching is case-sensitive for both match types', () => {
  assert.equal(exactMatches('/Foo', '/foo'), false);
  assert.equal(prefixMatches('/Foo', '/foo/bar'), false);
  assert.equal(prefixMatches('/foo', '/foo/Bar'), true);
});

test('specificity counts elements, not characters: /match/ is not longer than /match', () => {
  assert.equal(compareMatchSpecificity(P('/match/'), P('/match')), 0);
  assert.ok(compareMatchSpecificity(P('/a/b'), P('/verylongelement')) < 0);
  assert.ok(compareMatchSpecificity(E('/a'), P('/a')) < 0);
});
