import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareIngressAge } from '../../src/core/ingress-age.ts';
import { ingress } from './fixtures.ts';

test('older creationTimestamp first; then namespace/name; no or bad timestamp counts as youngest', () => {
  const list = [
    ingress('no-stamp-b'),
    ingress('bad-stamp', { created: 'yesterday' }),
    ingress('new', { created: '2024-06-01T00:00:00Z' }),
    ingress('old-offset', { created: '2024-01-01T01:00:00+02:00' }), // 2023-12-31T23:00Z: oldest
    ingress('old', { created: '2024-01-01T00:00:00Z' }),
    ingress('same-time-a', { namespace: 'a', created: '2024-06-01T00:00:00Z' }),
    ingress('no-stamp-a'),
  ];
  const order = [...list].sort(compareIngressAge).map((i) => `${i.metadata.namespace}/${i.metadata.name}`);
  assert.deepEqual(order, ['default/old-offset', 'default/old', 'a/same-time-a', 'default/new', 'default/bad-stamp', 'default/no-stamp-a', 'default/no-stamp-b']);
});

test('keys compare unambiguously: a-b/c and a/b-c are different and ordered by code unit', () => {
  const x = ingress('c', { namespace: 'a-b' });
  const y = ingress('b-c', { namespace: 'a' });
  assert.ok(compareIngressAge(x, y) !== 0);
  assert.equal(compareIngressAge(x, y), -compareIngressAge(y, x));
});
