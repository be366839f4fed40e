import assert from 'node:assert/strict';
import { test } from 'node:test';
import { indexEndpointSlices } from '../../src/core/index-endpoint-slices.ts';
import type { IngressBackend, KubeObject, Service } from '../../src/core/model.ts';
import { resolveIngressBackend, type BackendContext } from '../../src/core/resolve-backend.ts';
import { endpoint, serviceBackend, service, slice } from './fixtures.ts';

const OWNER = { kind: 'Ingress', namespace: 'default', name: 'web' };
const FIELD = 'spec.rules[0].http.paths[0].backend';

function context(objects: KubeObject[]): BackendContext {
  const services = new Map<string, Service>();
  for (const o of objects) if (o.kind === 'Service') services.set(`${o.metadata.namespace}/${o.metadata.name}`, o);
  return { services, slicesByService: indexEndpointSlices(objects.filter((o) => o.kind === 'EndpointSlice')) };
}

const WORLD = context([
  service('web', [{ name: 'http', port: 80, targetPort: 8080 }, { port: 81 }], { sessionAffinity: 'ClientIP' }),
  slice('web-a', 'web', [{ name: 'http', port: 8080 }, { port: 9000 }], [endpoint('10.0.0.2'), endpoint('10.0.0.1')]),
  slice('web-b', 'web', [{ name: 'http', port: 8080 }], [endpoint('10.0.0.1')]),
  slice('other-ns', 'web', [{ name: 'http', port: 8080 }], [endpoint('10.9.9.9')], { namespace: 'other' }),
  service('empty', [{ port: 80 }]),
  service('ext', [{ port: 80 }], { type: 'ExternalName' }),
]);

type Expect = { id: string; ports: number[]; addresses: string[]; affinity: string } | { code: string; field: string };

const CASES: [name: string, ref: IngressBackend, expected: Expect][] = [
  ['port by number maps to the slice port of the same name', serviceBackend('web', 80), { id: 'default/web:80', ports: [8080], addresses: ['10.0.0.1', '10.0.0.2'], affinity: 'ClientIP' }],
  ['port by name', serviceBackend('web', 'http'), { id: 'default/web:http', ports: [8080], addresses: ['10.0.0.1', '10.0.0.2'], affinity: 'ClientIP' }],
  ['unnamed Service port maps to the unnamed slice port', serviceBackend('web', 81), { id: 'default/web:81', ports: [9000], addresses: ['10.0.0.1', '10.0.0.2'], affinity: 'ClientIP' }],
  ['a Service with no endpoints is still a backend', serviceBackend('empty', 80), { id: 'default/empty:80', ports: [], addresses: [], affinity: 'None' }],
  ['unknown Service', serviceBackend('nope', 80), { code: 'BackendServiceNotFound', field: `${FIELD}.service.name` }],
  ['unknown port number', serviceBackend('web', 8080), { code: 'BackendServicePortNotFound', field: `${FIELD}.service.port.number` }],
  ['unknown port name', serviceBackend('web', 'https'), { code: 'BackendServicePortNotFound', field: `${FIELD}.service.port.name` }],
  ['no port at all', { service: { name: 'web', port: {} } }, { code: 'BackendServicePortNotFound', field: `${FIELD}.service.port` }],
  ['ExternalName Service', serviceBackend('ext', 80), { code: 'ExternalNameServiceUnsupported', field: `${FIELD}.service.name` }],
  ['resource backend', { resource: { apiGroup: 'k8s.example.com', kind: 'StorageBucket', name: 'static' } }, { code: 'ResourceBackendUnsupported', field: `${FIELD}.resource` }],
  ['empty backend', {}, { code: 'BackendMissing', field: FIELD }],
];

for (const [name, ref, expected] of CASES) {
  test(`backend: ${name}`, () => {
    const result = resolveIngressBackend(ref, 'default', OWNER, FIELD, WORLD);
    if ('code' in expected) {
      assert.equal(result.backend, undefined);
      assert.deepEqual(result.diagnostics.map((d) => [d.code, d.field, d.severity]), [[expected.code, expected.field, 'error']]);
      return;
    }
    assert.ok(result.backend);
    assert.deepEqual(result.diagnostics, []);
    assert.equal(result.backend.id, expected.id);
    assert.deepEqual([...new Set(result.backend.endpoints.map((e) => e.port))], expected.ports);
    assert.deepEqual(result.backend.endpoints.map((e) => e.address), expected.addresses);
    assert.equal(result.backend.sessionAffinity, expected.affinity);
  });
}

test('a backend only sees Services and slices of the Ingress namespace', () => {
  const result = resolveIngressBackend(serviceBackend('web', 80), 'other', OWNER, FIELD, WORLD);
  assert.deepEqual(result.diagnostics.map((d) => d.code), ['BackendServiceNotFound']);
});
