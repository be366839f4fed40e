import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createObjectStore } from '../../src/store/object-store.ts';
import type { Ingress, Service } from '../../src/core/model.ts';

function ingress(name: string, extra: Partial<Ingress> = {}, rv = '1'): Ingress {
  return {
    kind: 'Ingress',
    metadata: { namespace: 'default', name, resourceVersion: rv, labels: {}, annotations: {} },
    spec: { rules: [{ host: `${name}.example.com` }] },
    ...extra,
  };
}

function service(name: string, port = 80): Service {
  return { kind: 'Service', metadata: { namespace: 'default', name, labels: {}, annotations: {} }, spec: { ports: [{ port }] } };
}

test('upsert: new objects and spec changes matter; no-op, resourceVersion and status-only updates do not', () => {
  const store = createObjectStore();
  assert.equal(store.apply({ type: 'upsert', object: ingress('a') }), true);
  assert.equal(store.apply({ type: 'upsert', object: ingress('a') }), false, 'identical');
  assert.equal(store.apply({ type: 'upsert', object: ingress('a', {}, '2') }), false, 'resourceVersion only');
  const withStatus = ingress('a', { status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } } }, '3');
  assert.equal(store.apply({ type: 'upsert', object: withStatus }), false, 'status only');
  // The newest object is stored all the same.
  assert.deepEqual(store.snapshot().ingresses.get('default/a')?.status, withStatus.status);
  const annotated = ingress('a', {}, '4');
  annotated.metadata.annotations = { 'gatehouse.dev/ssl-redirect': 'false' };
  assert.equal(store.apply({ type: 'upsert', object: annotated }), true, 'annotations matter');
  const moved = ingress('a', {}, '5');
  moved.metadata.annotations = { 'gatehouse.dev/ssl-redirect': 'false' };
  moved.spec.rules = [{ host: 'other.example.com' }];
  assert.equal(store.apply({ type: 'upsert', object: moved }), true, 'spec matters');
});

test('delete matters only when the object was there', () => {
  const store = createObjectStore();
  store.apply({ type: 'upsert', object: service('s') });
  assert.equal(store.apply({ type: 'delete', kind: 'Service', key: 'default/s' }), true);
  assert.equal(store.apply({ type: 'delete', kind: 'Service', key: 'default/s' }), false);
  assert.equal(store.apply({ type: 'delete', kind: 'Ingress', key: 'default/s' }), false);
  assert.equal(store.snapshot().services.size, 0);
});

test('replaceAll: replaces only the named kinds, and says whether anything relevant changed', () => {
  const store = createObjectStore();
  const kinds = ['Ingress', 'Service'] as const;
  assert.equal(store.apply({ type: 'replaceAll', kinds, objects: [ingress('a'), service('s')] }), true);
  assert.equal(store.apply({ type: 'replaceAll', kinds, objects: [service('s'), ingress('a', {}, '9')] }), false, 'same set');
  assert.equal(store.apply({ type: 'replaceAll', kinds, objects: [ingress('a')] }), true, 'a removal');
  assert.equal(store.snapshot().services.size, 0);
  assert.equal(store.apply({ type: 'replaceAll', kinds, objects: [ingress('a'), service('s', 81)] }), true, 'an addition');
  store.apply({ type: 'upsert', object: { kind: 'IngressClass', metadata: { namespace: '', name: 'gh', labels: {}, annotations: {} }, spec: {} } });
  assert.equal(store.apply({ type: 'replaceAll', kinds: ['Service'], objects: [service('s', 81), ingress('zzz')] }), false);
  assert.deepEqual(store.counts(), { Ingress: 1, IngressClass: 1, Service: 1, EndpointSlice: 0, Secret: 0 });
  assert.equal(store.apply({ type: 'synced' }), false);
});

test('snapshots are stable copies', () => {
  const store = createObjectStore();
  store.apply({ type: 'upsert', object: ingress('a') });
  const snap = store.snapshot();
  store.apply({ type: 'upsert', object: ingress('b') });
  assert.deepEqual([...snap.ingresses.keys()], ['default/a']);
  assert.deepEqual([...store.snapshot().ingresses.keys()], ['default/a', 'default/b']);
});
