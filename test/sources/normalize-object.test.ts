import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { normalizeDocument, normalizeObject } from '../../src/sources/normalize-object.ts';
import type { EndpointSlice, Ingress, Secret, Service } from '../../src/core/model.ts';

function yamlDocs(text: string): unknown[] {
  return parseAllDocuments(text).map((d) => d.toJS());
}

function one(raw: unknown) {
  return normalizeObject(raw, 'test.yaml');
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

test('v1 Ingress: typed, namespace defaults to "default", no conversion flag', () => {
  const [raw] = yamlDocs(`
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: kubia
  annotations: { gatehouse.dev/ssl-redirect: "false" }
  creationTimestamp: "2024-05-01T10:00:00+02:00"
spec:
  ingressClassName: gatehouse
  defaultBackend: { service: { name: fallback, port: { name: http } } }
  rules:
  - host: kubia.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend: { service: { name: kubia, port: { number: 80 } } }
  tls:
  - hosts: [kubia.example.com]
    secretName: tls-secret
`);
  const { object, diagnostics } = one(raw);
  assert.deepEqual(diagnostics, []);
  const ing = object as Ingress;
  assert.equal(ing.kind, 'Ingress');
  assert.equal(ing.metadata.namespace, 'default');
  assert.equal(ing.metadata.creationTimestamp, '2024-05-01T08:00:00Z');
  assert.equal(ing.convertedFrom, undefined);
  assert.deepEqual(ing.metadata.annotations, { 'gatehouse.dev/ssl-redirect': 'false' });
  assert.deepEqual(ing.spec, {
    ingressClassName: 'gatehouse',
    defaultBackend: { service: { name: 'fallback', port: { name: 'http' } } },
    rules: [
      {
        host: 'kubia.example.com',
        http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'kubia', port: { number: 80 } } } }] },
      },
    ],
    tls: [{ hosts: ['kubia.example.com'], secretName: 'tls-secret' }],
  });
});

for (const apiVersion of ['extensions/v1beta1', 'networking.k8s.io/v1beta1']) {
  test(`legacy ${apiVersion} Ingress converts to v1 and records where it came from`, () => {
    const [raw] = yamlDocs(`
apiVersion: ${apiVersion}
kind: Ingress
metadata: { name: kubia, namespace: shop }
spec:
  backend: { serviceName: fallback, servicePort: http }
  rules:
  - host: kubia.example.com
    http:
      paths:
      - path: /kubia
        backend: { serviceName: kubia, servicePort: 80 }
      - path: /bar
        pathType: Exact
        backend: { serviceName: bar, servicePort: "8080" }
      - path: /nop
        backend: { serviceName: nop }
`);
    const { object, diagnostics } = one(raw);
    assert.deepEqual(diagnostics, []);
    const ing = object as Ingress;
    assert.equal(ing.convertedFrom, apiVersion);
    assert.equal(ing.metadata.namespace, 'shop');
    assert.deepEqual(ing.spec.defaultBackend, { service: { name: 'fallback', port: { name: 'http' } } });
    assert.deepEqual(ing.spec.rules?.[0]?.http?.paths, [
      { path: '/kubia', pathType: 'ImplementationSpecific', backend: { service: { name: 'kubia', port: { number: 80 } } } },
      { path: '/bar', pathType: 'Exact', backend: { service: { name: 'bar', port: { number: 8080 } } } },
      // A missing servicePort is left for the builder to report on that path alone.
      { path: '/nop', pathType: 'ImplementationSpecific', backend: { service: { name: 'nop', port: {} } } },
    ]);
  });
}

test('the tutorial typos become UnknownField warnings naming the field, and the object still loads', () => {
  const [raw] = yamlDocs(`
apiVersion: extensions/v1beta1
kind: Ingress
metadata: { name: kubia }
spec:
  rouls: []
  rules:
  - host: foo.example.com
    http:
      paths:
      - path: /
        backend: { serviceName: foo, serviceProt: 80 }
`);
  const { object, diagnostics } = one(raw);
  assert.ok(object);
  assert.deepEqual(
    diagnostics.map((d) => [d.code, d.severity, d.field]),
    [
      ['UnknownField', 'warning', 'spec.rouls'],
      ['UnknownField', 'warning', 'spec.rules[0].http.paths[0].backend.serviceProt'],
    ],
  );
  assert.match(diagnostics[0]!.message, /^test\.yaml: /);
});

test('a v1 Ingress does not accept the v1beta1 backend fields', () => {
  const { object, diagnostics } = one({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'x' },
    spec: { backend: { serviceName: 'a', servicePort: 80 } },
  });
  assert.ok(object);
  assert.equal((object as Ingress).spec.defaultBackend, undefined);
  assert.deepEqual(diagnostics.map((d) => [d.code, d.field]), [['UnknownField', 'spec.backend']]);
});

const badFields: [string, unknown, string][] = [
  ['rules not a list', { rules: { host: 'a' } }, 'spec.rules'],
  ['host a number', { rules: [{ host: 42 }] }, 'spec.rules[0].host'],
  ['paths missing', { rules: [{ http: {} }] }, 'spec.rules[0].http.paths'],
  ['backend missing', { rules: [{ http: { paths: [{ path: '/' }] } }] }, 'spec.rules[0].http.paths[0].backend'],
  [
    'port number a string',
    { rules: [{ http: { paths: [{ path: '/', backend: { service: { name: 's', port: { number: '80' } } } }] } }] },
    'spec.rules[0].http.paths[0].backend.service.port.number',
  ],
  ['service name missing', { defaultBackend: { service: { port: { number: 80 } } } }, 'spec.defaultBackend.service.name'],
  ['tls hosts of numbers', { tls: [{ hosts: [1] }] }, 'spec.tls[0].hosts[0]'],
  ['pathType a boolean', { rules: [{ http: { paths: [{ pathType: true, backend: {} }] } }] }, 'spec.rules[0].http.paths[0].pathType'],
];
for (const [name, spec, field] of badFields) {
  test(`bad field (${name}) → ObjectInvalid naming ${field}, object skipped`, () => {
    const { object, diagnostics } = one({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'bad', namespace: 'ns' }, spec });
    assert.equal(object, undefined);
    const d = diagnostics.find((x) => x.code === 'ObjectInvalid');
    assert.ok(d, JSON.stringify(diagnostics));
    assert.equal(d.severity, 'error');
    assert.equal(d.field, field);
    assert.deepEqual(d.object, { kind: 'Ingress', namespace: 'ns', name: 'bad' });
    assert.ok(d.message.includes(field));
  });
}

test('metadata is checked: names and namespaces that would make keys ambiguous are rejected', () => {
  for (const [metadata, field] of [
    [{ name: 'a/b' }, 'metadata.name'],
    [{ name: 'UPPER' }, 'metadata.name'],
    [{}, 'metadata.name'],
    [{ name: 'ok', namespace: 'a/b' }, 'metadata.namespace'],
    [{ name: 'ok', labels: { a: 1 } }, 'metadata.labels["a"]'],
    [{ name: 'ok', annotations: { 'gatehouse.dev/ssl-redirect': false } }, 'metadata.annotations["gatehouse.dev/ssl-redirect"]'],
    [{ name: 'ok', creationTimestamp: 'yesterday' }, 'metadata.creationTimestamp'],
  ] as const) {
    const { object, diagnostics } = one({ apiVersion: 'v1', kind: 'Service', metadata, spec: {} });
    assert.equal(object, undefined, JSON.stringify(metadata));
    assert.equal(diagnostics[0]?.field, field);
  }
  assert.equal(one({ apiVersion: 'v1', kind: 'Service', spec: {} }).diagnostics[0]?.field, 'metadata');
});

test('typed client objects: Date timestamps, missing apiVersion, undefined-valued keys', () => {
  const { object, diagnostics } = one({
    kind: 'Ingress',
    metadata: { name: 'x', namespace: 'ns', creationTimestamp: new Date('2024-01-02T03:04:05Z'), labels: undefined },
    spec: { ingressClassName: undefined, rules: [{ host: 'a.example.com', http: undefined }] },
  });
  assert.deepEqual(diagnostics, []);
  assert.equal(object?.metadata.creationTimestamp, '2024-01-02T03:04:05Z');
  assert.equal((object as Ingress).convertedFrom, undefined);
});

test('IngressClass is cluster-scoped', () => {
  const { object, diagnostics } = one({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: 'gatehouse', namespace: 'ignored', annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } },
    spec: { controller: 'gatehouse.dev/ingress-controller' },
  });
  assert.deepEqual(diagnostics, []);
  assert.equal(object?.metadata.namespace, '');
  assert.deepEqual(object?.kind === 'IngressClass' && object.spec, { controller: 'gatehouse.dev/ingress-controller' });
});

test('Service ports and load-balancer status', () => {
  const { object, diagnostics } = one({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubia' },
    spec: { type: 'LoadBalancer', sessionAffinity: 'ClientIP', ports: [{ name: 'http', port: 80, targetPort: 'web' }, { port: 443, targetPort: 8443 }] },
    status: { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } },
  });
  assert.deepEqual(diagnostics, []);
  const svc = object as Service;
  assert.deepEqual(svc.spec.ports, [{ name: 'http', port: 80, targetPort: 'web' }, { port: 443, targetPort: 8443 }]);
  assert.equal(svc.spec.sessionAffinity, 'ClientIP');
  assert.deepEqual(svc.status, { loadBalancer: { ingress: [{ ip: '203.0.113.7' }] } });
  const bad = one({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'k' }, spec: { ports: [{ port: 80.5 }] } });
  assert.equal(bad.object, undefined);
  assert.equal(bad.diagnostics[0]?.field, 'spec.ports[0].port');
});

test('EndpointSlice: conditions kept as written, null lists are empty', () => {
  const { object, diagnostics } = one({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'kubia-abc', labels: { 'kubernetes.io/service-name': 'kubia' } },
    addressType: 'IPv4',
    endpoints: [
      { addresses: ['10.0.0.1'], conditions: { ready: true }, targetRef: { kind: 'Pod', namespace: 'default', name: 'kubia-1' } },
      { addresses: ['10.0.0.2'], conditions: { ready: false, terminating: true } },
      { addresses: ['10.0.0.3'] },
    ],
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  });
  assert.deepEqual(diagnostics, []);
  const slice = object as EndpointSlice;
  assert.deepEqual(slice.endpoints.map((e) => e.conditions), [{ ready: true }, { ready: false, terminating: true }, {}]);
  assert.deepEqual(slice.endpoints[0]?.targetRef, { kind: 'Pod', namespace: 'default', name: 'kubia-1' });
  const empty = one({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'e' }, addressType: 'IPv4', endpoints: null, ports: null });
  assert.deepEqual((empty.object as EndpointSlice).endpoints, []);
  const bad = one({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'e' }, addressType: 'IPv4', endpoints: [{ addresses: ['1.1.1.1'], conditions: { ready: 'yes' } }] });
  assert.equal(bad.diagnostics[0]?.field, 'endpoints[0].conditions.ready');
});

test('Endpoints convert to EndpointSlice form: ready and not-ready addresses, ports, service label', () => {
  const { object, diagnostics } = one({
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'kubia', namespace: 'shop' },
    subsets: [
      {
        addresses: [{ ip: '10.0.0.1', targetRef: { kind: 'Pod', name: 'kubia-1', namespace: 'shop' } }, { ip: '10.0.0.2' }],
        notReadyAddresses: [{ ip: '10.0.0.3' }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ],
  });
  assert.deepEqual(diagnostics, []);
  const slice = object as EndpointSlice;
  assert.equal(slice.kind, 'EndpointSlice');
  assert.equal(slice.metadata.name, 'kubia');
  assert.equal(slice.metadata.namespace, 'shop');
  assert.equal(slice.metadata.labels['kubernetes.io/service-name'], 'kubia');
  assert.equal(slice.addressType, 'IPv4');
  assert.deepEqual(slice.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  assert.deepEqual(
    slice.endpoints.map((e) => [e.addresses[0], e.conditions.ready]),
    [['10.0.0.1', true], ['10.0.0.2', true], ['10.0.0.3', false]],
  );
  assert.deepEqual(slice.endpoints[0]?.targetRef, { kind: 'Pod', name: 'kubia-1', namespace: 'shop' });
});

test('Endpoints with several port sets become several slices (normalizeDocument keeps them all)', () => {
  const raw = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'kubia' },
    subsets: [
      { addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] },
      { addresses: [{ ip: '10.0.0.2' }], ports: [{ port: 81 }] },
      { addresses: [{ ip: '10.0.0.3' }], ports: [{ port: 80 }] },
      { addresses: [{ ip: 'fd00::1' }], ports: [{ port: 80 }] },
    ],
  };
  const doc = normalizeDocument(raw, 'x.yaml');
  assert.deepEqual(doc.diagnostics, []);
  assert.deepEqual(
    doc.objects.map((o) => [o.metadata.name, (o as EndpointSlice).addressType, (o as EndpointSlice).endpoints.map((e) => e.addresses[0])]),
    [
      ['kubia-0', 'IPv4', ['10.0.0.1', '10.0.0.3']],
      ['kubia-1', 'IPv4', ['10.0.0.2']],
      ['kubia-2', 'IPv6', ['fd00::1']],
    ],
  );
  const single = normalizeObject(raw, 'x.yaml');
  assert.equal(single.object?.metadata.name, 'kubia-0');
  assert.deepEqual(single.diagnostics.map((d) => d.code), ['EndpointsPartiallyConverted']);
  const missingPort = normalizeObject({ ...raw, subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ name: 'x' }] }] }, 'x.yaml');
  assert.equal(missingPort.diagnostics[0]?.field, 'subsets[0].ports[0].port');
});

test('Secret: data base64-decoded, stringData merged over it, bad base64 named without its value', () => {
  const { object, diagnostics } = one({
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name: 'tls-secret' },
    data: { 'tls.crt': b64('-----BEGIN CERTIFICATE-----\nabc\n'), 'tls.key': 'not*base64!', wrapped: b64('hello world').replace(/(.{4})/g, '$1\n') },
    stringData: { extra: 'plain', wrapped: 'override' },
  });
  const secret = object as Secret;
  assert.equal(secret.type, 'kubernetes.io/tls');
  assert.deepEqual(secret.data, { 'tls.crt': '-----BEGIN CERTIFICATE-----\nabc\n', extra: 'plain', wrapped: 'override' });
  assert.deepEqual(diagnostics.map((d) => [d.code, d.severity, d.field]), [['SecretDataInvalid', 'error', 'data["tls.key"]']]);
  assert.ok(!diagnostics[0]!.message.includes('not*base64'));
  const opaque = one({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: b64('x') } });
  assert.equal((opaque.object as Secret).type, 'Opaque');
  assert.equal(one({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 5 } }).diagnostics[0]?.code, 'ObjectInvalid');
  for (const bad of ['abc', 'ab=c', 'YQ==YQ==', '-_-_']) {
    const r = one({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: bad } });
    assert.deepEqual((r.object as Secret).data, {}, bad);
    assert.equal(r.diagnostics[0]?.code, 'SecretDataInvalid', bad);
  }
});

test('unknown kinds are ignored with an info diagnostic; unsupported apiVersions warn', () => {
  const a = one({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'kubia' } });
  assert.equal(a.object, undefined);
  assert.deepEqual(a.diagnostics.map((d) => [d.code, d.severity]), [['UnknownKind', 'info']]);
  assert.deepEqual(a.diagnostics[0]?.object, { kind: 'Deployment', namespace: 'default', name: 'kubia' });
  const b = one({ apiVersion: 'networking.k8s.io/v2', kind: 'Ingress', metadata: { name: 'x' } });
  assert.deepEqual(b.diagnostics.map((d) => [d.code, d.severity]), [['UnsupportedApiVersion', 'warning']]);
  for (const raw of ['a string', 42, [1, 2], { metadata: { name: 'nokind' } }]) {
    const r = one(raw);
    assert.equal(r.object, undefined);
    assert.equal(r.diagnostics[0]?.code, 'ObjectInvalid');
  }
});

test('normalizeDocument expands List and typed *List documents, and skips empty documents', () => {
  const doc = normalizeDocument(
    {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'a' }, spec: { ports: [{ port: 80 }] } },
        { apiVersion: 'networking.k8s.io/v1', kind: 'IngressList', items: [{ metadata: { name: 'i1' }, spec: {} }, { metadata: { name: 'i2' }, spec: {} }] },
        { apiVersion: 'v1', kind: 'Widget', metadata: { name: 'w' } },
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'b' }, spec: { ports: 'nope' } },
      ],
    },
    'list.yaml',
  );
  assert.deepEqual(doc.objects.map((o) => `${o.kind}/${o.metadata.name}`), ['Service/a', 'Ingress/i1', 'Ingress/i2']);
  assert.deepEqual(doc.diagnostics.map((d) => d.code), ['UnknownKind', 'ObjectInvalid']);
  assert.match(doc.diagnostics[1]!.message, /^list\.yaml items\[3\]: spec\.ports/);
  assert.deepEqual(normalizeDocument(null, 'empty.yaml'), { objects: [], diagnostics: [] });
  assert.deepEqual(normalizeDocument({ kind: 'List', items: null }, 'e.yaml'), { objects: [], diagnostics: [] });
  assert.equal(normalizeDocument({ kind: 'ServiceList', items: 3 }, 'e.yaml').diagnostics[0]?.field, 'items');
});

test('hostile strings are bounded and flattened in messages', () => {
  const r = one({ apiVersion: 'v1', kind: `Evil\nKind${'x'.repeat(500)}`, metadata: { name: 'n' } });
  assert.equal(r.diagnostics[0]?.code, 'UnknownKind');
  assert.ok(!r.diagnostics[0]!.message.includes('\n'));
  assert.ok(r.diagnostics[0]!.message.length < 200);
});
