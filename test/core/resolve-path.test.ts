import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HTTPIngressPath } from '../../src/core/model.ts';
import { resolvePath } from '../../src/core/resolve-path.ts';
import { ingress, serviceBackend } from './fixtures.ts';

const owner = ingress('web');
const FIELD = 'spec.rules[0].http.paths[0]';

type Ok = { path: string; match: 'Exact' | 'Prefix'; pathType: string };
type Err = { code: string; field: string; message: RegExp };

const CASES: [path: string | undefined, pathType: string | undefined, expected: Ok | Err][] = [
  ['/foo', 'Prefix', { path: '/foo', match: 'Prefix', pathType: 'Prefix' }],
  ['/foo', 'Exact', { path: '/foo', match: 'Exact', pathType: 'Exact' }],
  ['/foo', 'ImplementationSpecific', { path: '/foo', match: 'Prefix', pathType: 'ImplementationSpecific' }],
  ['', 'Prefix', { path: '/', match: 'Prefix', pathType: 'Prefix' }],
  [undefined, 'Prefix', { path: '/', match: 'Prefix', pathType: 'Prefix' }],
  [undefined, 'ImplementationSpecific', { path: '/', match: 'Prefix', pathType: 'ImplementationSpecific' }],
  ['/foo/', 'Prefix', { path: '/foo/', match: 'Prefix', pathType: 'Prefix' }],
  [undefined, 'Exact', { code: 'PathInvalid', field: `${FIELD}.path`, message: /Exact needs a path/ }],
  ['foo', 'Prefix', { code: 'PathInvalid', field: `${FIELD}.path`, message: /"foo" is not valid/ }],
  ['foo', 'Exact', { code: 'PathInvalid', field: `${FIELD}.path`, message: /absolute/ }],
  ['/foo', undefined, { code: 'PathTypeInvalid', field: `${FIELD}.pathType`, message: /pathType is required/ }],
  ['/foo', 'prefix', { code: 'PathTypeInvalid', field: `${FIELD}.pathType`, message: /"prefix" is not valid/ }],
  ['/foo', 'Regex', { code: 'PathTypeInvalid', field: `${FIELD}.pathType`, message: /"Regex"/ }],
  ['/foo', 'Prefix\nX', { code: 'PathTypeInvalid', field: `${FIELD}.pathType`, message: /"Prefix\\nX"/ }],
];

for (const [path, pathType, expected] of CASES) {
  test(`path ${JSON.stringify(path)} pathType ${JSON.stringify(pathType)}`, () => {
    const entry: HTTPIngressPath = { backend: serviceBackend('svc', 80) };
    if (path !== undefined) entry.path = path;
    if (pathType !== undefined) entry.pathType = pathType;
    const result = resolvePath(entry, owner, FIELD);
    if ('code' in expected) {
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.equal(result.diagnostic.code, expected.code);
      assert.equal(result.diagnostic.severity, 'error');
      assert.equal(result.diagnostic.field, expected.field);
      assert.deepEqual(result.diagnostic.object, { kind: 'Ingress', namespace: 'default', name: 'web' });
      assert.match(result.diagnostic.message, expected.message);
      assert.doesNotMatch(result.diagnostic.message, /[\r\n]/);
    } else {
      assert.deepEqual(result, { ok: true, ...expected });
    }
  });
}
