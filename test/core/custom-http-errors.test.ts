// custom-http-errors in the core: the value's grammar (ingress-nginx's: codes 400 to 599, comma
// separated, entries trimmed, empty entries skipped) and the choice of the error backend (the
// default-backend annotation's Service when it has a ready endpoint, else --default-backend, else
// none with a warning), as tables.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseStatusCodes } from '../../src/core/annotations/parse-status-codes.ts';
import { buildRouteTable } from '../../src/core/build-route-table.ts';
import { explainRequest, type ExplainContext } from '../../src/core/explain-request.ts';
import type { KubeObject } from '../../src/core/model.ts';
import { endpoint, ingress, options, rule, service, slice, snapshotOf } from './fixtures.ts';

const N = 'nginx.ingress.kubernetes.io/';

test('custom-http-errors values: what parses, to what', () => {
  const cases: [string, number[] | undefined][] = [
    ['404', [404]],
    ['404,503', [404, 503]],
    ['503,404', [404, 503]],
    ['404, 503', [404, 503]], // ingress-nginx trims each entry
    [' 404 ,503 ', [404, 503]],
    ['404,503,', [404, 503]], // and skips empty ones
    ['404,,503', [404, 503]],
    ['404,404', [404]],
    ['400,599', [400, 599]],
    ['500,501,502,503,504', [500, 501, 502, 503, 504]],
    ['', undefined],
    [',', undefined],
    ['399', undefined],
    ['600', undefined],
    ['200,404', undefined], // one bad entry refuses the whole value, never a part of it
    ['404 503', undefined],
    ['4o4', undefined],
    ['0404', undefined],
    ['+404', undefined],
    ['404.0', undefined],
    ['5xx', undefined],
  ];
  for (const [text, expected] of cases) {
    const parsed = parseStatusCodes(text);
    if (expected === undefined) assert.equal(parsed.ok, false, JSON.stringify(text));
    else assert.deepEqual(parsed, { ok: true, value: expected }, JSON.stringify(text));
  }
  // Every code a list may hold fits the value's length cap.
  const all = Array.from({ length: 200 }, (_, i) => String(400 + i)).join(', ');
  assert.deepEqual(parseStatusCodes(all), { ok: true, value: Array.from({ length: 200 }, (_, i) => 400 + i) });
});

const APP: KubeObject[] = [
  service('app', [{ port: 80 }]),
  slice('app-1', 'app', [{ port: 80 }], [endpoint('10.0.0.1')]),
  service('error-pages', [{ name: 'http', port: 8080 }, { name: 'metrics', port: 9090 }]),
  slice('error-pages-1', 'error-pages', [{ name: 'http', port: 8080 }], [endpoint('10.0.0.9')]),
  service('idle-pages', [{ port: 80 }]),
  service('global-errors', [{ port: 80 }], { namespace: 'ops' }),
  slice('global-errors-1', 'global-errors', [{ port: 80 }], [endpoint('10.0.0.8')], { namespace: 'ops' }),
];

function build(annotations: Record<string, string>, extra: { flag?: boolean; objects?: KubeObject[] } = {}) {
  const objects = [...APP, ...(extra.objects ?? []), ingress('web', { annotations, rules: [rule('a.example.com', ['/', 'Prefix', 'app', 80])] })];
  return buildRouteTable(snapshotOf(objects), options(extra.flag === true ? { defaultBackend: { namespace: 'ops', service: 'global-errors', port: 80 } } : {}));
}

test('the error backend: the annotation Service with a ready endpoint, else --default-backend, else none', () => {
  const cases: [string, Record<string, string>, boolean, string | undefined][] = [
    ['annotation', { [`${N}custom-http-errors`]: '404,503', [`${N}default-backend`]: 'error-pages' }, false, 'default/error-pages:8080'],
    ['annotation wins over the flag', { [`${N}custom-http-errors`]: '404,503', [`${N}default-backend`]: 'error-pages' }, true, 'default/error-pages:8080'],
    ['flag', { [`${N}custom-http-errors`]: '404,503' }, true, 'ops/global-errors:80'],
    ['annotation without a ready endpoint: the flag, as ingress-nginx', { [`${N}custom-http-errors`]: '404', [`${N}default-backend`]: 'idle-pages' }, true, 'ops/global-errors:80'],
    ['annotation without a ready endpoint and no flag: the annotation (asked, finds none: original answers)', { [`${N}custom-http-errors`]: '404', [`${N}default-backend`]: 'idle-pages' }, false, 'default/idle-pages:80'],
    ['annotation naming no Service: the flag', { [`${N}custom-http-errors`]: '404', [`${N}default-backend`]: 'missing' }, true, 'ops/global-errors:80'],
    ['gatehouse.dev spelling', { 'gatehouse.dev/custom-http-errors': '500', [`${N}default-backend`]: 'error-pages' }, false, 'default/error-pages:8080'],
    ['none', { [`${N}custom-http-errors`]: '404,503' }, false, undefined],
  ];
  for (const [name, annotations, flag, backend] of cases) {
    const result = build(annotations, { flag });
    const policy = result.table.policies['default/web']!;
    assert.equal(policy.customErrors?.backend, backend, name);
    if (backend !== undefined) {
      assert.ok(result.table.backends[backend] !== undefined, `${name}: the error backend is in the table`);
      assert.ok(!result.diagnostics.some((d) => d.code === 'AnnotationNoEffect'), name);
    }
  }
});

test('custom-http-errors: the codes land in the policy sorted; a bad value refuses the Ingress', () => {
  const ok = build({ [`${N}custom-http-errors`]: '503, 404', [`${N}default-backend`]: 'error-pages' });
  assert.deepEqual(ok.table.policies['default/web']!.customErrors, { codes: [404, 503], backend: 'default/error-pages:8080' });
  assert.equal(ok.table.policies['default/web']!.refused, undefined);

  const bad = build({ [`${N}custom-http-errors`]: '404,200', [`${N}default-backend`]: 'error-pages' });
  const policy = bad.table.policies['default/web']!;
  assert.deepEqual(policy.refused, { code: 'AnnotationActionInvalid', annotation: `${N}custom-http-errors` });
  assert.equal(policy.customErrors, undefined);
  const d = bad.diagnostics.find((x) => x.code === 'AnnotationActionInvalid')!;
  assert.equal(d.field, `metadata.annotations["${N}custom-http-errors"]`);
  assert.match(d.message, /"200" is not a status code from 400 to 599/);
});

test('without an error backend, or on a gRPC backend, custom-http-errors is a warning and answers are relayed', () => {
  const none = build({ [`${N}custom-http-errors`]: '404' });
  const d = none.diagnostics.filter((x) => x.code === 'AnnotationNoEffect');
  assert.equal(d.length, 1);
  assert.equal(d[0]!.severity, 'warning');
  assert.equal(d[0]!.field, `metadata.annotations["${N}custom-http-errors"]`);
  assert.match(d[0]!.message, /there is no error backend \(no usable default-backend annotation on this Ingress, no --default-backend\); the route's answers are relayed as they are/);

  const brokenFlag = buildRouteTable(snapshotOf([...APP, ingress('web', { annotations: { [`${N}custom-http-errors`]: '404' }, rules: [rule('a.example.com', ['/', 'Prefix', 'app', 80])] })]), options({ defaultBackend: { namespace: 'ops', service: 'nothing', port: 80 } }));
  assert.match(brokenFlag.diagnostics.find((x) => x.code === 'AnnotationNoEffect')!.message, /the --default-backend Service ops\/nothing cannot be resolved/);

  const grpc = build({ [`${N}custom-http-errors`]: '503', [`${N}default-backend`]: 'error-pages', [`${N}backend-protocol`]: 'GRPC' });
  assert.equal(grpc.table.policies['default/web']!.customErrors, undefined);
  assert.match(grpc.diagnostics.find((x) => x.code === 'AnnotationNoEffect')!.message, /GRPC, whose errors travel as grpc-status trailers/);
});

test('disable-proxy-intercept-errors: only Gatehouse\'s own answers; alone, it has no effect', () => {
  const on = build({ [`${N}custom-http-errors`]: '404,502', [`${N}default-backend`]: 'error-pages', [`${N}disable-proxy-intercept-errors`]: 'true' });
  assert.deepEqual(on.table.policies['default/web']!.customErrors, { codes: [404, 502], backend: 'default/error-pages:8080', ownAnswersOnly: true });
  const off = build({ [`${N}custom-http-errors`]: '404', [`${N}default-backend`]: 'error-pages', [`${N}disable-proxy-intercept-errors`]: 'false' });
  assert.deepEqual(off.table.policies['default/web']!.customErrors, { codes: [404], backend: 'default/error-pages:8080' });
  const alone = build({ [`${N}disable-proxy-intercept-errors`]: 'true' });
  assert.deepEqual(alone.diagnostics.map((d) => `${d.code} ${d.field}`), [`AnnotationNoEffect metadata.annotations["${N}disable-proxy-intercept-errors"]`]);
  // With a custom-http-errors that does not parse, no second word about it.
  const broken = build({ [`${N}custom-http-errors`]: 'x', [`${N}disable-proxy-intercept-errors`]: 'true' });
  assert.deepEqual(broken.diagnostics.map((d) => d.code), ['AnnotationActionInvalid']);
});

test('a canary Ingress cannot set its own error pages: its requests get the main Ingress\'s', () => {
  const objects: KubeObject[] = [
    ...APP,
    service('app-v2', [{ port: 80 }]),
    slice('app-v2-1', 'app-v2', [{ port: 80 }], [endpoint('10.0.0.2')]),
    ingress('web', { annotations: { [`${N}custom-http-errors`]: '404', [`${N}default-backend`]: 'error-pages' }, rules: [rule('a.example.com', ['/', 'Prefix', 'app', 80])] }),
    ingress('web-canary', { annotations: { [`${N}canary`]: 'true', [`${N}canary-weight`]: '50', [`${N}custom-http-errors`]: '500' }, rules: [rule('a.example.com', ['/', 'Prefix', 'app-v2', 80])] }),
  ];
  const result = buildRouteTable(snapshotOf(objects), options());
  assert.equal(result.table.policies['default/web-canary'], undefined);
  assert.deepEqual(result.table.policies['default/web']!.customErrors, { codes: [404], backend: 'default/error-pages:8080' });
  assert.ok(result.diagnostics.some((d) => d.code === 'CanarySettingIgnored' && d.field === `metadata.annotations["${N}custom-http-errors"]`));
});

test('gatehouse explain says which statuses go to which error backend, and when the default-backend stands in', () => {
  const objects: KubeObject[] = [
    ...APP,
    service('empty', [{ port: 80 }]),
    ingress('web', {
      annotations: { [`${N}custom-http-errors`]: '503,404', [`${N}default-backend`]: 'error-pages' },
      rules: [rule('a.example.com', ['/', 'Prefix', 'app', 80], ['/empty', 'Prefix', 'empty', 80])],
    }),
  ];
  const build = buildRouteTable(snapshotOf(objects), options());
  const context: ExplainContext = { httpsPort: 443, defaults: { connectTimeoutMs: 5000, readTimeoutMs: 60_000, sendTimeoutMs: 60_000 }, diagnostics: build.diagnostics };
  const ask = (path: string) =>
    explainRequest(build.table, { scheme: 'http', hostHeader: 'a.example.com', rawTarget: path, target: { ok: true, path, query: '' } }, context).policy!.lines.filter((l) => l.setting === 'custom-http-errors' || l.setting === 'default-backend');
  assert.deepEqual(ask('/'), [
    { setting: 'custom-http-errors', value: '404,503', source: 'annotation', applies: true, note: "the backend's answers and Gatehouse's own (502, 503, 504) with these statuses are replaced by the answer of default/error-pages:8080" },
  ]);
  assert.deepEqual(ask('/empty').map((l) => `${l.setting}: ${l.note ?? ''}`), [
    'default-backend: answers in the place of empty:80 (no ready endpoint), told so with X-Code: 503',
    "custom-http-errors: the backend's answers and Gatehouse's own (502, 503, 504) with these statuses are replaced by the answer of default/error-pages:8080",
  ]);
});

test("the default-backend annotation's Service standing in records what it stands in for, on paths and on spec.defaultBackend", () => {
  const objects: KubeObject[] = [
    ...APP,
    service('empty', [{ name: 'web', port: 80 }]),
    ingress('web', {
      annotations: { [`${N}default-backend`]: 'error-pages' },
      defaultBackend: { service: { name: 'empty', port: { name: 'web' } } },
      rules: [rule('a.example.com', ['/', 'Prefix', 'app', 80], ['/empty', 'Prefix', 'empty', 'web'], ['/gone', 'Prefix', 'gone', 8080])],
    }),
  ];
  const { table } = buildRouteTable(snapshotOf(objects), options());
  const vhost = table.virtualHosts.find((v) => v.host === 'a.example.com')!;
  const standIns = vhost.routes.map((r) => `${r.path} → ${r.backend}${r.standsInFor === undefined ? '' : ` for ${r.standsInFor.service}:${r.standsInFor.port}`}`);
  assert.deepEqual(standIns.sort(), ['/ → default/app:80', '/empty → default/error-pages:8080 for empty:web', '/gone → default/error-pages:8080 for gone:8080']);
  assert.deepEqual(vhost.defaultBackend, { backend: 'default/error-pages:8080', policy: 'default/web', ingress: 'default/web', standsInFor: { service: 'empty', port: 'web' } });
  assert.deepEqual(table.defaultBackend?.standsInFor, { service: 'empty', port: 'web' }, 'the catch-all copy too');
});
