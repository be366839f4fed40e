// The custom-http-errors decision as a table: which answers go to the error backend, and the
// request that asks it (method, path, the headers of ingress-nginx's @custom_ locations).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_POLICY } from '../../src/core/policy.ts';
import type { Backend } from '../../src/core/route-table.ts';
import { createEndpointPicker } from '../../src/dataplane/proxy/endpoint-picker.ts';
import { customErrorRequest, type CustomErrorFacts } from '../../src/dataplane/proxy/custom-error-request.ts';
import { compileCustomErrors, compileSharedCustomErrors } from '../../src/dataplane/steps/custom-errors.ts';

const pagesBackend: Backend = { id: 'default/error-pages:80', namespace: 'default', service: 'error-pages', servicePort: 80, endpoints: [], sessionAffinity: 'None' };
const routeBackend: Backend = { id: 'shop/web:http', namespace: 'shop', service: 'web', servicePort: 'http', endpoints: [], sessionAffinity: 'None' };
const shared = compileSharedCustomErrors({ codes: [404, 500, 503], backend: pagesBackend.id }, pagesBackend, createEndpointPicker(pagesBackend, DEFAULT_POLICY));
const ce = compileCustomErrors(shared, 'shop/storefront', routeBackend);

const BASE: CustomErrorFacts = {
  status: 404,
  fromBackend: true,
  method: 'GET',
  upgrade: false,
  contentType: undefined,
  accept: 'text/html',
  path: '/cart/items',
  query: '?page=2',
  authority: 'shop.example.com',
  clientIp: '192.0.2.7',
  requestId: 'rid-1',
  upstreamHeaders: ['host', 'internal.example.com', 'Accept', 'text/html', 'Cookie', 'a=1', 'content-length', '12', 'X-Forwarded-For', '198.51.100.1, 192.0.2.7', 'x-request-id', 'rid-1', 'X-Code', 'spoofed', 'x-forwarded-proto', 'https'],
};

function fields(headers: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 0; i + 1 < headers.length; i += 2) (out[headers[i]!.toLowerCase()] ??= []).push(headers[i + 1]!);
  return out;
}

test('which answers are replaced', () => {
  const cases: [string, Partial<CustomErrorFacts>, boolean][] = [
    ['a listed status', {}, true],
    ['another listed status', { status: 503 }, true],
    ['not listed', { status: 502 }, false],
    ['a success', { status: 200 }, false],
    ['out of range', { status: 600 }, false],
    ['1xx', { status: 100 }, false],
    ['POST', { method: 'POST' }, true],
    ['HEAD', { method: 'HEAD' }, true],
    ['an upgrade', { upgrade: true }, false],
    ['gRPC', { contentType: 'application/grpc' }, false],
    ['gRPC with a subtype', { contentType: 'application/grpc+proto' }, false],
    ['gRPC-Web', { contentType: 'Application/GRPC-web-text' }, false],
    ['JSON', { contentType: 'application/json' }, true],
    ["Gatehouse's own answer", { fromBackend: false, status: 503 }, true],
  ];
  for (const [name, facts, replaced] of cases) assert.equal(customErrorRequest(ce, { ...BASE, ...facts }) !== undefined, replaced, name);
  // disable-proxy-intercept-errors: the backend's answers are relayed, Gatehouse's own still replaced.
  const own = compileCustomErrors(compileSharedCustomErrors({ codes: [404, 502, 503], backend: pagesBackend.id, ownAnswersOnly: true }, pagesBackend, createEndpointPicker(pagesBackend, DEFAULT_POLICY)), 'shop/storefront', routeBackend);
  assert.equal(customErrorRequest(own, { ...BASE, status: 404, fromBackend: true }), undefined);
  assert.equal(customErrorRequest(own, { ...BASE, status: 502, fromBackend: true }), undefined);
  assert.equal(customErrorRequest(own, { ...BASE, status: 502, fromBackend: false })?.method, 'GET');
  assert.equal(customErrorRequest(own, { ...BASE, status: 504, fromBackend: false }), undefined, 'not listed');
});

test('the request: GET (HEAD for HEAD) of / with the query, and ingress-nginx\'s headers', () => {
  const r = customErrorRequest(ce, BASE)!;
  assert.equal(r.method, 'GET');
  assert.equal(r.path, '/?page=2');
  assert.deepEqual(r.headers.slice(0, 2), ['host', 'shop.example.com'], "Host first: the request's, not upstream-vhost's");
  const h = fields(r.headers);
  assert.deepEqual(h['x-code'], ['404'], "the client's X-Code never passes");
  assert.deepEqual(h['x-format'], ['text/html']);
  assert.deepEqual(h['x-original-uri'], ['/cart/items?page=2']);
  assert.deepEqual(h['x-namespace'], ['shop']);
  assert.deepEqual(h['x-ingress-name'], ['storefront']);
  assert.deepEqual(h['x-service-name'], ['web']);
  assert.deepEqual(h['x-service-port'], ['http']);
  assert.deepEqual(h['x-request-id'], ['rid-1']);
  assert.deepEqual(h['x-forwarded-for'], ['192.0.2.7'], '$remote_addr, as the template sets it');
  assert.deepEqual(h['content-length'], undefined, 'no body, no framing');
  assert.deepEqual(h['cookie'], ['a=1']);
  assert.deepEqual(h['x-forwarded-proto'], ['https']);
  assert.deepEqual(h['host'], ['shop.example.com'], 'one Host');

  assert.equal(customErrorRequest(ce, { ...BASE, method: 'HEAD' })!.method, 'HEAD');
  assert.equal(customErrorRequest(ce, { ...BASE, method: 'DELETE' })!.method, 'GET');
  assert.equal(customErrorRequest(ce, { ...BASE, query: '' })!.path, '/');
  assert.equal(fields(customErrorRequest(ce, { ...BASE, accept: undefined })!.headers)['x-format'], undefined, 'no Accept, no X-Format (nginx sends no empty header)');
  assert.equal(fields(customErrorRequest(ce, { ...BASE, clientIp: '' })!.headers)['x-forwarded-for'], undefined);
  assert.deepEqual(fields(customErrorRequest(ce, { ...BASE, status: 503, upstreamHeaders: undefined })!.headers)['x-code'], ['503']);
});

test('route facts that are not Kubernetes names are sent empty, never as written', () => {
  const odd: Backend = { ...routeBackend, service: 'web\r\nX-Evil: 1', servicePort: 'http port' };
  const h = fields(customErrorRequest(compileCustomErrors(shared, 'shop/store front', odd), BASE)!.headers);
  assert.deepEqual(h['x-service-name'], ['']);
  assert.deepEqual(h['x-service-port'], ['']);
  assert.deepEqual(h['x-ingress-name'], ['']);
  assert.deepEqual(h['x-namespace'], ['shop']);
  assert.deepEqual(h['x-evil'], undefined);
});
