// ingress-nginx's limit-* annotations into the typed policy: its defaults (burst multiplier 5, 0 =
// no limit), both spellings, gatehouse.dev/ winning, and settings that cannot take effect reported.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIngressPolicy } from '../../src/core/annotations/parse-ingress-policy.ts';

const parse = (annotations: Record<string, string>) =>
  parseIngressPolicy({ kind: 'Ingress', metadata: { namespace: 'shop', name: 'web', labels: {}, annotations }, spec: {} });

test('limit-rps, limit-rpm, limit-connections with the default burst multiplier of 5', () => {
  const { policy, diagnostics } = parse({
    'nginx.ingress.kubernetes.io/limit-rps': '10',
    'nginx.ingress.kubernetes.io/limit-rpm': '300',
    'nginx.ingress.kubernetes.io/limit-connections': '4',
  });
  assert.deepEqual(diagnostics, []);
  assert.deepEqual(policy.rateLimit, { rps: 10, rpm: 300, connections: 4, burstMultiplier: 5 });
});

test('the multiplier and the whitelist (CIDRs and addresses, both families)', () => {
  const { policy, diagnostics } = parse({
    'nginx.ingress.kubernetes.io/limit-rps': '2',
    'nginx.ingress.kubernetes.io/limit-burst-multiplier': '3',
    'nginx.ingress.kubernetes.io/limit-whitelist': '10.0.0.0/8, 192.0.2.7,2001:db8::/32',
  });
  assert.deepEqual(diagnostics, []);
  assert.equal(policy.rateLimit?.burstMultiplier, 3);
  assert.deepEqual(policy.rateLimit?.whitelist?.map((b) => `${b.address}/${b.prefix}`), ['10.0.0.0/8', '192.0.2.7/32', '2001:db8::/32']);
});

test('0 is no limit, as in ingress-nginx; a multiplier or whitelist without a limit has no effect', () => {
  assert.equal(parse({ 'nginx.ingress.kubernetes.io/limit-rps': '0' }).policy.rateLimit, undefined);
  const { policy, diagnostics } = parse({ 'nginx.ingress.kubernetes.io/limit-burst-multiplier': '2', 'nginx.ingress.kubernetes.io/limit-whitelist': '10.0.0.0/8' });
  assert.equal(policy.rateLimit, undefined);
  assert.deepEqual(diagnostics.map((d) => `${d.code} ${d.field}`), [
    'AnnotationNoEffect metadata.annotations["nginx.ingress.kubernetes.io/limit-burst-multiplier"]',
    'AnnotationNoEffect metadata.annotations["nginx.ingress.kubernetes.io/limit-whitelist"]',
  ]);
  // limit-connections alone: the whitelist applies to it, the multiplier does not.
  const conn = parse({ 'nginx.ingress.kubernetes.io/limit-connections': '2', 'nginx.ingress.kubernetes.io/limit-whitelist': '10.0.0.0/8', 'nginx.ingress.kubernetes.io/limit-burst-multiplier': '2' });
  assert.equal(conn.policy.rateLimit?.connections, 2);
  assert.equal(conn.policy.rateLimit?.whitelist?.length, 1);
  assert.deepEqual(conn.diagnostics.map((d) => d.code), ['AnnotationNoEffect']);
});

test('gatehouse.dev/ wins over the ingress-nginx name, and says so', () => {
  const { policy, diagnostics } = parse({ 'gatehouse.dev/limit-rps': '20', 'nginx.ingress.kubernetes.io/limit-rps': '5' });
  assert.equal(policy.rateLimit?.rps, 20);
  assert.deepEqual(diagnostics.map((d) => d.code), ['AnnotationNoEffect']);
  assert.match(diagnostics[0]!.message, /gatehouse\.dev\/limit-rps/);
});
