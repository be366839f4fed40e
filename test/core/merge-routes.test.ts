import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RouteCandidate } from '../../src/core/collect-routes.ts';
import { mergeRoutes } from '../../src/core/merge-routes.ts';
import type { MatchType } from '../../src/core/route-table.ts';

function candidate(host: string, ingress: string, index: number, path: string, match: MatchType, rank: number): RouteCandidate {
  const [namespace = '', name = ''] = ingress.split('/');
  const id = `${ingress}#r0.p${index}`;
  return {
    host,
    rank,
    owner: { kind: 'Ingress', namespace, name },
    field: `spec.rules[0].http.paths[${index}]`,
    route: { id, ingress, path, match, pathType: match === 'Regex' ? 'ImplementationSpecific' : match, backend: `${namespace}/svc:80`, policy: ingress },
  };
}

test('routes are grouped by host and ordered: elements, Exact first, then path', () => {
  const { byHost, diagnostics } = mergeRoutes([
    candidate('h', 'ns/a', 0, '/', 'Prefix', 0),
    candidate('h', 'ns/a', 1, '/b/c', 'Prefix', 0),
    candidate('h', 'ns/a', 2, '/z', 'Prefix', 0),
    candidate('h', 'ns/b', 0, '/a', 'Prefix', 1),
    candidate('h', 'ns/b', 1, '/z', 'Exact', 1),
    candidate('other', 'ns/b', 2, '/', 'Exact', 1),
  ]);
  assert.deepEqual(diagnostics, []);
  assert.deepEqual([...byHost.keys()], ['h', 'other']);
  assert.deepEqual(byHost.get('h')?.map((r) => `${r.match} ${r.path}`), ['Prefix /b/c', 'Exact /z', 'Prefix /a', 'Prefix /z', 'Prefix /']);
});

test('the first candidate (precedence order) keeps a conflicting path; each loser is reported once', () => {
  const { byHost, diagnostics } = mergeRoutes([
    candidate('h', 'ns/old', 0, '/x', 'Prefix', 0),
    candidate('h', 'ns/old', 1, '/x/', 'Prefix', 0),
    candidate('h', 'ns/new', 0, '/x', 'Prefix', 1),
    candidate('h', 'ns/new', 1, '/x', 'Exact', 1),
  ]);
  assert.deepEqual(byHost.get('h')?.map((r) => r.id), ['ns/new#r0.p1', 'ns/old#r0.p0']);
  assert.deepEqual(diagnostics.map((d) => [d.code, `${d.object.namespace}/${d.object.name}`, d.field]), [
    ['PathConflict', 'ns/old', 'spec.rules[0].http.paths[1]'],
    ['PathConflict', 'ns/new', 'spec.rules[0].http.paths[0]'],
  ]);
  assert.match(diagnostics[0]?.message ?? '', /an earlier path of this Ingress/);
  assert.match(diagnostics[1]?.message ?? '', /the older Ingress ns\/old/);
});

test('Exact paths differing by a trailing slash do not conflict', () => {
  const { byHost, diagnostics } = mergeRoutes([candidate('h', 'ns/a', 0, '/x', 'Exact', 0), candidate('h', 'ns/a', 1, '/x/', 'Exact', 0)]);
  assert.equal(byHost.get('h')?.length, 2);
  assert.deepEqual(diagnostics, []);
});
