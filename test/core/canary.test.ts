// Canary (ingress-nginx canary annotations): the precedence rules of its documentation and of
// balancer.lua's route_to_alternative_balancer as tables over chooseCanary; the annotation parser's
// values and refusals; and the builder's grouping, through the reference lookup and explain.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCanary } from '../../src/core/annotations/parse-canary.ts';
import { buildRouteTable } from '../../src/core/build-route-table.ts';
import type { RouteCanary } from '../../src/core/canary/canary-split.ts';
import { chooseCanary, type CanarySide } from '../../src/core/canary/choose-canary.ts';
import { diffRouteTables } from '../../src/core/diff-route-tables.ts';
import { explainRequest } from '../../src/core/explain-request.ts';
import { resolveRequest } from '../../src/core/resolve-request.ts';
import { endpoint, ingress, options, rule, service, slice, snapshotOf } from './fixtures.ts';

const N = 'nginx.ingress.kubernetes.io/';

interface Req {
  header?: string;
  cookie?: string;
  affinity?: CanarySide;
  /** The draw in 1..total; a test fails if the weight is consulted without one. */
  draw?: number;
}

function decide(split: Partial<RouteCanary>, req: Req): string {
  const canary: RouteCanary = { route: 'ns/c#r0.p0', ingress: 'ns/c', backend: 'ns/c:80', weight: 0, weightTotal: 100, ...split };
  const choice = chooseCanary(canary, {
    header: (name) => (name === canary.header?.name ? req.header : undefined),
    cookie: (name) => (name === canary.cookie ? req.cookie : undefined),
    affinity: () => req.affinity,
    draw: (total) => {
      assert.ok(req.draw !== undefined, 'the weight was consulted');
      assert.ok(req.draw >= 1 && req.draw <= total);
      return req.draw;
    },
    patternMatches: (value) => /^(eu|us)-/.test(value), // stands in for the RE2 matcher (the data plane's is tested end to end)
  });
  return `${choice.side} by ${choice.reason}`;
}

const header = { name: 'x-canary' };
const cookie = 'canary';

// [case, split, request, expected]
const PRECEDENCE: [string, Partial<RouteCanary>, Req, string][] = [
  ['header always', { header }, { header: 'always' }, 'canary by header'],
  ['header never', { header, weight: 100 }, { header: 'never' }, 'main by header'],
  ['header never beats cookie always', { header, cookie }, { header: 'never', cookie: 'always' }, 'main by header'],
  ['header always beats cookie never', { header, cookie }, { header: 'always', cookie: 'never' }, 'canary by header'],
  ['other header value falls to the cookie', { header, cookie }, { header: 'maybe', cookie: 'always' }, 'canary by cookie'],
  ['other header value falls to the weight', { header, weight: 30 }, { header: 'yes', draw: 30 }, 'canary by weight'],
  ['header value: exact match', { header: { name: 'x-canary', value: 'v2' } }, { header: 'v2' }, 'canary by header-value'],
  ['header value: always is just another value', { header: { name: 'x-canary', value: 'v2' } }, { header: 'always', draw: 1 }, 'main by weight'],
  ['header value: mismatch falls to the cookie', { header: { name: 'x-canary', value: 'v2' }, cookie }, { header: 'v3', cookie: 'always' }, 'canary by cookie'],
  ['header pattern: match', { header: { name: 'x-canary', pattern: '^(eu|us)-' } }, { header: 'eu-west-1' }, 'canary by header-pattern'],
  ['header pattern: no match falls to the cookie', { header: { name: 'x-canary', pattern: '^(eu|us)-' }, cookie }, { header: 'ap-1', cookie: 'never' }, 'main by cookie'],
  ['header pattern: never is just another value', { header: { name: 'x-canary', pattern: '^(eu|us)-' }, weight: 100 }, { header: 'never' }, 'canary by weight'],
  ['no header: cookie always', { header, cookie }, { cookie: 'always' }, 'canary by cookie'],
  ['cookie never beats weight 100', { cookie, weight: 100 }, { cookie: 'never' }, 'main by cookie'],
  ['other cookie value falls to the weight', { cookie, weight: 10 }, { cookie: 'yes', draw: 11 }, 'main by weight'],
  ['weight 0: never', { weight: 0 }, {}, 'main by weight'],
  ['weight 100 of 100: always', { weight: 100 }, {}, 'canary by weight'],
  ['weight: draw at the weight goes to the canary', { weight: 25 }, { draw: 25 }, 'canary by weight'],
  ['weight: draw above it stays', { weight: 25 }, { draw: 26 }, 'main by weight'],
  ['weight total 1000', { weight: 5, weightTotal: 1000 }, { draw: 5 }, 'canary by weight'],
  ['weight total 1000, above', { weight: 5, weightTotal: 1000 }, { draw: 6 }, 'main by weight'],
  ['affinity to main beats header always', { header, weight: 100 }, { affinity: 'main', header: 'always' }, 'main by affinity'],
  ['affinity to canary beats header never', { header }, { affinity: 'canary', header: 'never' }, 'canary by affinity'],
];

for (const [name, split, req, expected] of PRECEDENCE) {
  test(`chooseCanary: ${name}`, () => assert.equal(decide(split, req), expected));
}

const canaryIngress = (annotations: Record<string, string>) => ingress('c', { annotations: { [`${N}canary`]: 'true', ...annotations } });

test('parseCanary: values, defaults and what each refusal says', () => {
  const ok = parseCanary(canaryIngress({ [`${N}canary-by-header`]: 'X-Canary', [`${N}canary-by-header-value`]: 'v2', [`${N}canary-by-cookie`]: 'c', [`${N}canary-weight`]: '7' }));
  assert.deepEqual(ok, { canary: true, rules: { weight: 7, weightTotal: 100, header: { name: 'x-canary', value: 'v2' }, cookie: 'c' }, diagnostics: [] });
  const bad: [Record<string, string>, string][] = [
    [{ [`${N}canary-weight`]: '101' }, 'canary-weight'],
    [{ [`${N}canary-weight`]: '-1' }, 'canary-weight'],
    [{ [`${N}canary-weight`]: '50', [`${N}canary-weight-total`]: '40' }, 'canary-weight'],
    [{ [`${N}canary-weight-total`]: '0' }, 'canary-weight-total'],
    [{ [`${N}canary-by-header`]: 'X Canary' }, 'canary-by-header'],
    [{ [`${N}canary-by-cookie`]: 'a;b' }, 'canary-by-cookie'],
    [{ [`${N}canary-by-header`]: 'x', [`${N}canary-by-header-pattern`]: '(a' }, 'canary-by-header-pattern'],
    [{ [`${N}canary-by-header`]: 'x', [`${N}canary-by-header-pattern`]: '(?=a)' }, 'canary-by-header-pattern'],
    [{ [`${N}canary-by-header`]: 'x', [`${N}canary-by-header-pattern`]: 'a'.repeat(257) }, 'canary-by-header-pattern'],
    // Small text, large program: a counted repetition expands past the cap.
    [{ [`${N}canary-by-header`]: 'x', [`${N}canary-by-header-pattern`]: '((a{1,100}){1,100}){1,100}' }, 'canary-by-header-pattern'],
  ];
  for (const [annotations, key] of bad) {
    const parsed = parseCanary(canaryIngress(annotations));
    assert.equal(parsed.canary, true);
    assert.equal(parsed.canary && parsed.rules, undefined, JSON.stringify(annotations));
    assert.ok(parsed.diagnostics.some((d) => d.code === 'CanaryInvalid' && d.field === `metadata.annotations["${N}${key}"]`), JSON.stringify(parsed.diagnostics));
  }
  // Value wins over pattern, as ingress-nginx reads it.
  const both = parseCanary(canaryIngress({ [`${N}canary-by-header`]: 'x', [`${N}canary-by-header-value`]: 'v', [`${N}canary-by-header-pattern`]: 'v.*' }));
  assert.deepEqual(both.canary && both.rules?.header, { name: 'x', value: 'v' });
  assert.deepEqual(both.diagnostics.map((d) => d.code), ['AnnotationNoEffect']);
  // Not a canary: its canary-* keys have no effect.
  const off = parseCanary(ingress('m', { annotations: { [`${N}canary`]: 'false', [`${N}canary-weight`]: '50' } }));
  assert.equal(off.canary, false);
  assert.deepEqual(off.diagnostics.map((d) => d.code), ['AnnotationNoEffect']);
});

function splitTable(mainAnnotations: Record<string, string>, canaryAnnotations: Record<string, string>) {
  return buildRouteTable(
    snapshotOf([
      ingress('main', { created: '2026-01-02T00:00:00Z', annotations: mainAnnotations, rules: [rule('a.example.com', ['/', 'Prefix', 'web', 80])] }),
      // Older than main: age does not make a canary win the route.
      ingress('canary', { created: '2026-01-01T00:00:00Z', annotations: { [`${N}canary`]: 'true', ...canaryAnnotations }, rules: [rule('a.example.com', ['/', 'Prefix', 'web-canary', 80])] }),
      service('web', [{ port: 80 }]),
      service('web-canary', [{ port: 80 }]),
      slice('web-a', 'web', [{ port: 80 }], [endpoint('10.0.0.1')]),
      slice('web-canary-a', 'web-canary', [{ port: 80 }], [endpoint('10.0.0.2')]),
    ]),
    options(),
  );
}

test('the builder splits the main route; the reference lookup and explain choose the same side', () => {
  const result = splitTable({ [`${N}whitelist-source-range`]: '10.0.0.0/8' }, { [`${N}canary-by-header`]: 'X-Canary', [`${N}whitelist-source-range`]: '0.0.0.0/0' });
  const route = result.table.virtualHosts[0]!.routes[0]!;
  assert.equal(route.ingress, 'default/main');
  assert.equal(route.canary?.backend, 'default/web-canary:80');
  assert.equal(route.policy, 'default/main');
  assert.equal(result.table.policies['default/canary'], undefined, 'a canary has no policy of its own');
  assert.ok(result.diagnostics.some((d) => d.code === 'CanarySettingIgnored' && d.object.name === 'canary'));
  assert.ok(!result.diagnostics.some((d) => d.code === 'PathConflict'));

  const req = (value: string | undefined) => ({ header: (n: string) => (n === 'x-canary' ? value : undefined), cookie: () => undefined, affinity: () => undefined, draw: () => 1, patternMatches: () => false });
  const always = resolveRequest(result.table, 'a.example.com', '/x', req('always'));
  assert.equal(always.kind === 'route' && always.canary?.side, 'canary');
  const plain = resolveRequest(result.table, 'a.example.com', '/x', req(undefined));
  assert.equal(plain.kind === 'route' && plain.canary?.side, 'main');

  const context = { httpsPort: 443, defaults: { connectTimeoutMs: 1, readTimeoutMs: 1, sendTimeoutMs: 1 }, admitsSource: () => false };
  const explained = explainRequest(result.table, { scheme: 'http', hostHeader: 'a.example.com', rawTarget: '/x', target: { ok: true, path: '/x', query: '' }, headers: { 'x-canary': 'always' }, clientIp: '192.0.2.1' }, context);
  assert.equal(explained.canary?.side, 'canary');
  assert.equal(explained.backend?.id, 'default/web-canary:80');
  // The main Ingress's source range applies to canary traffic (the canary's own 0.0.0.0/0 is ignored).
  assert.equal(explained.answer.status, 403);
});

test('a canary without a main Ingress is not served, and says so', () => {
  const result = buildRouteTable(
    snapshotOf([ingress('lonely', { annotations: { [`${N}canary`]: 'true' }, rules: [rule('b.example.com', ['/', 'Prefix', 'web', 80])] }), service('web', [{ port: 80 }])]),
    options(),
  );
  assert.deepEqual(result.table.virtualHosts, []);
  assert.deepEqual(result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code), ['CanaryWithoutMain']);
  assert.equal(resolveRequest(result.table, 'b.example.com', '/').kind, 'none');
});

test('a weight step (as Flagger makes them) shows in the table diff of the build history', () => {
  const at = (weight: string) => splitTable({}, { [`${N}canary-weight`]: weight }).table;
  const diff = diffRouteTables(at('10'), at('20'));
  assert.deepEqual(diff.changed, [
    'a.example.com Prefix /: default/web:80 (default/main) + canary default/web-canary:80 (default/canary: weight 10 of 100) → default/web:80 (default/main) + canary default/web-canary:80 (default/canary: weight 20 of 100)',
  ]);
  assert.deepEqual(diffRouteTables(at('20'), at('20')).changed, []);
});
