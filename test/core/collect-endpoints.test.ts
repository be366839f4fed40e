import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectEndpoints } from '../../src/core/collect-endpoints.ts';
import { endpoint, slice } from './fixtures.ts';

const HTTP = [{ name: 'http', port: 8080 }];

test('ready endpoints (conditions.ready not false) are used; not-ready ones are not', () => {
  const s = slice('web-1', 'web', HTTP, [
    endpoint('10.0.0.3', {}),
    endpoint('10.0.0.1', { ready: true }),
    endpoint('10.0.0.2', { ready: false }),
    endpoint('10.0.0.4', { ready: false, serving: true }),
    endpoint('10.0.0.5', { ready: false, terminating: true }),
  ]);
  const { endpoints } = collectEndpoints([s], 'http');
  assert.deepEqual(endpoints.map((e) => [e.address, e.ready]), [['10.0.0.1', true], ['10.0.0.3', true]]);
});

test('serving and terminating endpoints are kept with ready: false', () => {
  const s = slice('web-1', 'web', HTTP, [endpoint('10.0.0.9', { ready: false, serving: true, terminating: true }, 'web-abc')]);
  assert.deepEqual(collectEndpoints([s], 'http').endpoints, [
    { address: '10.0.0.9', port: 8080, ready: false, serving: true, terminating: true, targetRef: 'default/web-abc' },
  ]);
});

test('the port is the slice port with the Service port name; the unnamed port is ""', () => {
  const named = slice('a', 'web', [{ name: 'metrics', port: 9090 }, { name: 'http', port: 8080 }], [endpoint('10.0.0.1')]);
  assert.deepEqual(collectEndpoints([named], 'http').endpoints.map((e) => e.port), [8080]);
  assert.deepEqual(collectEndpoints([named], 'metrics').endpoints.map((e) => e.port), [9090]);
  assert.deepEqual(collectEndpoints([named], '').endpoints, []);
  const unnamed = slice('b', 'web', [{ port: 3000 }], [endpoint('10.0.0.1')]);
  assert.deepEqual(collectEndpoints([unnamed], '').endpoints.map((e) => e.port), [3000]);
  const emptyName = slice('c', 'web', [{ name: '', port: 3001 }], [endpoint('10.0.0.1')]);
  assert.deepEqual(collectEndpoints([emptyName], '').endpoints.map((e) => e.port), [3001]);
});

test('addresses are de-duplicated across slices, keeping the most usable state, and sorted', () => {
  const one = slice('web-1', 'web', HTTP, [endpoint('10.0.0.2', { ready: false, serving: true, terminating: true }), endpoint('10.0.0.10')]);
  const two = slice('web-2', 'web', HTTP, [endpoint('10.0.0.2', { ready: true }), endpoint('10.0.0.1')]);
  const { endpoints } = collectEndpoints([one, two], 'http');
  assert.deepEqual(endpoints.map((e) => [e.address, e.ready]), [['10.0.0.1', true], ['10.0.0.10', true], ['10.0.0.2', true]]);
  assert.deepEqual(collectEndpoints([two, one], 'http'), collectEndpoints([one, two], 'http'));
});

test('the same address on different ports is two endpoints', () => {
  const one = slice('web-1', 'web', [{ name: 'http', port: 8080 }], [endpoint('10.0.0.1')]);
  const two = slice('web-2', 'web', [{ name: 'http', port: 8081 }], [endpoint('10.0.0.1')]);
  assert.deepEqual(collectEndpoints([two, one], 'http').endpoints.map((e) => `${e.address}:${e.port}`), ['10.0.0.1:8080', '10.0.0.1:8081']);
});

test('only IPv4 and IPv6 slices are used; FQDN slices are reported', () => {
  const v6 = slice('v6', 'web', HTTP, [endpoint('FD00::1')], { addressType: 'IPv6' });
  const fqdn = slice('fqdn', 'web', HTTP, [endpoint('backend.example.com')], { addressType: 'FQDN' });
  const { endpoints, diagnostics } = collectEndpoints([v6, fqdn], 'http');
  assert.deepEqual(endpoints.map((e) => e.address), ['fd00::1']);
  assert.deepEqual(diagnostics.map((d) => [d.code, d.object.kind, d.object.name, d.field]), [['EndpointSliceAddressTypeUnsupported', 'EndpointSlice', 'fqdn', 'addressType']]);
});

test('an address that is not an IP of the slice type is skipped and reported', () => {
  const s = slice('web-1', 'web', HTTP, [endpoint('not-an-ip'), endpoint('::1'), endpoint('10.0.0.1')]);
  const { endpoints, diagnostics } = collectEndpoints([s], 'http');
  assert.deepEqual(endpoints.map((e) => e.address), ['10.0.0.1']);
  assert.deepEqual(diagnostics.map((d) => [d.code, d.field]), [['EndpointAddressInvalid', 'endpoints[0].addresses[0]'], ['EndpointAddressInvalid', 'endpoints[1].addresses[0]']]);
});

test('only the first address of an endpoint is used (addresses are fungible, as kube-proxy reads them)', () => {
  const s = slice('web-1', 'web', HTTP, [{ addresses: ['10.0.0.7', '10.0.0.8'], conditions: { ready: true } }, { addresses: [], conditions: {} }]);
  assert.deepEqual(collectEndpoints([s], 'http').endpoints.map((e) => e.address), ['10.0.0.7']);
});

test('no slices: no endpoints, no diagnostics', () => {
  assert.deepEqual(collectEndpoints([], 'http'), { endpoints: [], diagnostics: [] });
});
