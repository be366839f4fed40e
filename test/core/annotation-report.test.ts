// The check report, as a table: an Ingress's annotations and objects in, the builder run as serve
// runs it, and what the report says about each annotation and route.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { annotationReport, checkExitCode, type CheckReport } from '../../src/core/annotation-report.ts';
import { ANNOTATIONS, GATEHOUSE_PREFIX, NGINX_ANNOTATIONS, NGINX_PREFIX } from '../../src/core/annotations/annotation-schema.ts';
import { buildRouteTable } from '../../src/core/build-route-table.ts';
import type { KubeObject } from '../../src/core/model.ts';
import { CONTROLLER, endpoint, ingress, ingressClass, options, rule, secret, service, slice, snapshotOf } from './fixtures.ts';

const APP = service('app', [{ port: 80 }]);

/** `errorBackend`: --default-backend names the app Service (custom-http-errors needs an error backend). */
function report(objects: KubeObject[], watchIngressWithoutClass = true, errorBackend = false): CheckReport {
  const snapshot = snapshotOf(objects);
  const result = buildRouteTable(snapshot, options({ watchIngressWithoutClass, ...(errorBackend ? { defaultBackend: { namespace: 'default', service: 'app', port: 80 } } : {}) }));
  return annotationReport(snapshot, result, { controllerName: CONTROLLER, watchIngressWithoutClass });
}

function withAnnotations(annotations: Record<string, string>, errorBackend = false): CheckReport {
  return report([ingress('web', { annotations, rules: [rule('a.example.com', ['/', 'Prefix', 'app', 80])] }), APP], true, errorBackend);
}

const NGINX = NGINX_PREFIX;
const cases: { name: string; annotations: Record<string, string>; key: string; outcome: string; code?: string; verdict: string }[] = [
  { name: 'a mapped ingress-nginx annotation', annotations: { [`${NGINX}proxy-body-size`]: '8m' }, key: `${NGINX}proxy-body-size`, outcome: 'honoured', verdict: 'honoured' },
  { name: 'a gatehouse.dev annotation', annotations: { 'gatehouse.dev/retries': '2' }, key: 'gatehouse.dev/retries', outcome: 'honoured', verdict: 'honoured' },
  { name: 'an enforced protection', annotations: { [`${NGINX}whitelist-source-range`]: '10.0.0.0/8' }, key: `${NGINX}whitelist-source-range`, outcome: 'honoured', verdict: 'honoured' },
  { name: 'an unread tuning annotation', annotations: { [`${NGINX}proxy-buffer-size`]: '16k' }, key: `${NGINX}proxy-buffer-size`, outcome: 'ignored', code: 'AnnotationUnsupported', verdict: 'ignored' },
  { name: 'proxy-buffering off: what Gatehouse always does', annotations: { [`${NGINX}proxy-buffering`]: 'off' }, key: `${NGINX}proxy-buffering`, outcome: 'honoured', verdict: 'honoured' },
  { name: 'a snippet inside the subset', annotations: { [`${NGINX}configuration-snippet`]: 'more_set_headers "X-A: 1";' }, key: `${NGINX}configuration-snippet`, outcome: 'honoured', verdict: 'honoured' },
  { name: 'a snippet outside the subset', annotations: { [`${NGINX}configuration-snippet`]: 'deny all;' }, key: `${NGINX}configuration-snippet`, outcome: 'refuses', code: 'SnippetUnsupported', verdict: 'refused' },
  { name: 'rewrite-target', annotations: { [`${NGINX}rewrite-target`]: '/$2' }, key: `${NGINX}rewrite-target`, outcome: 'honoured', verdict: 'honoured' },
  { name: 'x-forwarded-prefix without rewrite-target', annotations: { [`${NGINX}x-forwarded-prefix`]: '/app' }, key: `${NGINX}x-forwarded-prefix`, outcome: 'ignored', code: 'AnnotationNoEffect', verdict: 'ignored' },
  { name: 'a rewrite-target that is a URL', annotations: { [`${NGINX}rewrite-target`]: 'https://example.com/$1' }, key: `${NGINX}rewrite-target`, outcome: 'refuses', code: 'AnnotationActionInvalid', verdict: 'refused' },
  { name: 'a typo of a gatehouse.dev name', annotations: { 'gatehouse.dev/retires': '2' }, key: 'gatehouse.dev/retires', outcome: 'ignored', code: 'AnnotationUnknown', verdict: 'ignored' },
  { name: 'a value that does not parse', annotations: { 'gatehouse.dev/retries': 'many' }, key: 'gatehouse.dev/retries', outcome: 'ignored', code: 'AnnotationInvalid', verdict: 'ignored' },
  { name: 'a setting without effect', annotations: { 'gatehouse.dev/hsts-max-age': '60' }, key: 'gatehouse.dev/hsts-max-age', outcome: 'ignored', code: 'AnnotationNoEffect', verdict: 'ignored' },
  { name: 'another controller\'s tuning', annotations: { 'traefik.ingress.kubernetes.io/router.priority': '10' }, key: 'traefik.ingress.kubernetes.io/router.priority', outcome: 'ignored', code: 'AnnotationForeignController', verdict: 'ignored' },
  { name: 'external authentication', annotations: { [`${NGINX}auth-url`]: 'https://auth.example.com/check' }, key: `${NGINX}auth-url`, outcome: 'honoured', verdict: 'honoured' },
  { name: 'an auth-url with an unknown variable', annotations: { [`${NGINX}auth-url`]: 'https://auth.example.com/check?u=$remote_user' }, key: `${NGINX}auth-url`, outcome: 'refuses', code: 'AnnotationProtectionInvalid', verdict: 'refused' },
  { name: 'an auth snippet', annotations: { [`${NGINX}auth-snippet`]: 'proxy_set_header X-Foo 42;' }, key: `${NGINX}auth-snippet`, outcome: 'refuses', code: 'AnnotationProtectionUnsupported', verdict: 'refused' },
  { name: 'TLS to the backend', annotations: { [`${NGINX}backend-protocol`]: 'HTTPS' }, key: `${NGINX}backend-protocol`, outcome: 'honoured', verdict: 'honoured' },
  { name: 'backend-protocol HTTP', annotations: { [`${NGINX}backend-protocol`]: 'HTTP' }, key: `${NGINX}backend-protocol`, outcome: 'honoured', verdict: 'honoured' },
  { name: 'a FastCGI backend', annotations: { [`${NGINX}backend-protocol`]: 'FCGI' }, key: `${NGINX}backend-protocol`, outcome: 'refuses', code: 'BackendProtocolUnsupported', verdict: 'refused' },
  { name: 'backend verification without a Secret', annotations: { [`${NGINX}backend-protocol`]: 'HTTPS', [`${NGINX}proxy-ssl-verify`]: 'on' }, key: `${NGINX}proxy-ssl-verify`, outcome: 'refuses', code: 'AnnotationProtectionInvalid', verdict: 'refused' },
  { name: 'a source range that does not parse', annotations: { [`${NGINX}allowlist-source-range`]: '10.0.0.0/33' }, key: `${NGINX}allowlist-source-range`, outcome: 'refuses', code: 'AnnotationProtectionInvalid', verdict: 'refused' },
  { name: 'custom-http-errors with its error backend', annotations: { [`${NGINX}custom-http-errors`]: '404,503', [`${NGINX}default-backend`]: 'app' }, key: `${NGINX}custom-http-errors`, outcome: 'honoured', verdict: 'honoured' },
  { name: 'custom-http-errors without an error backend', annotations: { [`${NGINX}custom-http-errors`]: '404,503' }, key: `${NGINX}custom-http-errors`, outcome: 'ignored', code: 'AnnotationNoEffect', verdict: 'ignored' },
  { name: 'custom-http-errors that does not parse', annotations: { [`${NGINX}custom-http-errors`]: '404,200', [`${NGINX}default-backend`]: 'app' }, key: `${NGINX}custom-http-errors`, outcome: 'refuses', code: 'AnnotationActionInvalid', verdict: 'refused' },
  { name: 'cert-manager', annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt' }, key: 'cert-manager.io/cluster-issuer', outcome: 'other', verdict: 'honoured' },
];

for (const c of cases) {
  test(`check report: ${c.name} is ${c.outcome}`, () => {
    const r = withAnnotations(c.annotations);
    const finding = r.ingresses[0]!.annotations.find((a) => a.key === c.key);
    assert.ok(finding, c.key);
    assert.equal(finding.outcome, c.outcome);
    assert.equal(finding.code, c.code);
    assert.equal(finding.value, c.annotations[c.key]);
    assert.ok(finding.reason.length > 0);
    assert.equal(r.ingresses[0]!.verdict, c.verdict);
    assert.equal(checkExitCode(r), c.verdict === 'refused' ? 3 : c.verdict === 'ignored' ? 1 : 0);
  });
}

test('check report: every gatehouse.dev annotation of the schema, at its documented example, is honoured', () => {
  const annotations: Record<string, string> = {};
  for (const spec of ANNOTATIONS) annotations[GATEHOUSE_PREFIX + spec.name] = spec.example;
  annotations['gatehouse.dev/load-balance'] = 'consistent-hash'; // hash-key only takes effect with it
  // temporal-redirect wins over permanent-redirect when both are set (ingress-nginx): check it alone.
  const temporal = ['temporal-redirect', 'temporal-redirect-code'].map((n) => GATEHOUSE_PREFIX + n);
  const alone = Object.fromEntries(temporal.map((k) => [k, annotations[k]!]));
  for (const k of temporal) delete annotations[k];
  const r = withAnnotations(annotations, true);
  const notHonoured = r.ingresses[0]!.annotations.filter((a) => a.outcome !== 'honoured');
  assert.deepEqual(notHonoured, []);
  assert.equal(r.ingresses[0]!.annotations.length, ANNOTATIONS.length - temporal.length);
  assert.deepEqual(withAnnotations(alone).ingresses[0]!.annotations.filter((a) => a.outcome !== 'honoured'), []);
});

test('check report: every mapped ingress-nginx name is honoured and says which gatehouse.dev annotation reads it', () => {
  for (const mapping of NGINX_ANNOTATIONS) {
    const spec = ANNOTATIONS.find((a) => a.field === mapping.field)!;
    const value = mapping.name === 'load-balance' ? 'ewma' : mapping.name === 'upstream-hash-by' ? '$remote_addr' : mapping.name.endsWith('-timeout') ? '30' : spec.example;
    // Cookie settings only take effect with cookie affinity.
    const companions: Record<string, string> = mapping.field.startsWith('sessionCookie') ? { [`${NGINX}affinity`]: 'cookie' } : {};
    // A redirect code needs its redirect; CORS settings need enable-cors.
    if (mapping.name.endsWith('-redirect-code')) companions[NGINX + mapping.name.replace(/-code$/, '')] = 'https://example.com/';
    if (mapping.name.startsWith('cors-')) companions[`${NGINX}enable-cors`] = 'true';
    // X-Forwarded-Prefix goes with a rewrite; proxy_redirect needs both of its parameters.
    if (mapping.name === 'x-forwarded-prefix') companions[`${NGINX}rewrite-target`] = '/$1';
    if (mapping.name === 'proxy-redirect-from') companions[`${NGINX}proxy-redirect-to`] = '/';
    if (mapping.name === 'proxy-redirect-to') companions[`${NGINX}proxy-redirect-from`] = 'http://backend/';
    // The burst multiplier and the whitelist need a limit.
    if (mapping.name === 'limit-burst-multiplier' || mapping.name === 'limit-whitelist') companions[`${NGINX}limit-rps`] = '10';
    if (mapping.name === 'disable-proxy-intercept-errors') companions[`${NGINX}custom-http-errors`] = '404';
    const r = withAnnotations({ ...companions, [NGINX + mapping.name]: value }, true);
    const finding = r.ingresses[0]!.annotations.find((a) => a.key === NGINX + mapping.name)!;
    assert.equal(finding.outcome, 'honoured', `${mapping.name}: ${finding.reason}`);
    assert.match(finding.reason, new RegExp(`^read as gatehouse\\.dev/${spec.name} `));
  }
});

test('check report: routes say where they go, with endpoints, redirects and source ranges', () => {
  const objects: KubeObject[] = [
    ingress('web', {
      annotations: { [`${NGINX}force-ssl-redirect`]: 'true', [`${NGINX}allowlist-source-range`]: '10.0.0.0/8' },
      rules: [rule('a.example.com', ['/api', 'Prefix', 'app', 80], ['/missing', 'Exact', 'nothing', 80])],
      defaultBackend: { service: { name: 'app', port: { number: 80 } } },
    }),
    APP,
    slice('app-1', 'app', [{ port: 8080 }], [endpoint('10.1.0.1'), endpoint('10.1.0.2', { ready: false })]),
  ];
  const r = report(objects);
  const f = r.ingresses[0]!;
  assert.equal(f.verdict, 'refused'); // the route to a Service that does not exist answers 503
  const api = f.routes.find((x) => x.path === '/api')!;
  assert.deepEqual(api, { host: 'a.example.com', path: '/api', match: 'Prefix', answer: 'backend', backend: 'default/app:80', endpoints: 1, notes: ['http: 308 to https (forced)', '403 unless from 10.0.0.0/8'] });
  const missing = f.routes.find((x) => x.path === '/missing')!;
  assert.equal(missing.answer, 'refused');
  assert.equal(missing.refusedBy, 'BackendServiceNotFound');
  assert.ok(f.routes.some((x) => x.match === 'default' && x.answer === 'backend' && x.backend === 'default/app:80'));
  assert.ok(f.diagnostics.some((d) => d.code === 'BackendServiceNotFound'), 'the diagnostic is listed with the Ingress');
  assert.equal(checkExitCode(r), 3);
});

test('check report: a refused Ingress refuses every route and names the annotation', () => {
  const r = withAnnotations({ [`${NGINX}limit-rate`]: '100', [`${NGINX}proxy-body-size`]: '1m' });
  const f = r.ingresses[0]!;
  assert.deepEqual(f.routes.map((x) => [x.answer, x.refusedBy, x.notes]), [['refused', 'AnnotationProtectionUnsupported', [`refused by ${NGINX}limit-rate`]]]);
  assert.equal(f.annotations.find((a) => a.key === `${NGINX}proxy-body-size`)!.outcome, 'honoured');
});

test('check report: Ingresses of other classes are skipped with the reason, and do not change the exit code', () => {
  const objects: KubeObject[] = [
    ingress('mine', { rules: [rule('a.example.com', ['/', 'Prefix', 'app', 80])] }),
    ingress('theirs', { className: 'nginx', annotations: { [`${NGINX}auth-url`]: 'https://x.example.com' }, rules: [rule('b.example.com', ['/', 'Prefix', 'app', 80])] }),
    ingress('unknown', { className: 'haproxy', rules: [rule('c.example.com', ['/', 'Prefix', 'app', 80])] }),
    ingressClass('nginx', 'k8s.io/ingress-nginx', true),
    APP,
  ];
  const r = report(objects);
  assert.deepEqual(r.ingresses.map((f) => [f.ingress, f.verdict]), [['default/mine', 'honoured'], ['default/theirs', 'skipped'], ['default/unknown', 'skipped']]);
  assert.match(r.ingresses[1]!.skipped!, /class "nginx" \(the default class\) belongs to the controller "k8s.io\/ingress-nginx"/);
  assert.match(r.ingresses[2]!.skipped!, /class "haproxy" is not an IngressClass of gatehouse.dev\/ingress-controller/);
  assert.deepEqual(r.summary, { ingresses: 3, honoured: 1, ignored: 0, refused: 0, skipped: 2 });
  assert.equal(checkExitCode(r), 0);
  const classless = report([ingress('mine', { rules: [rule('a.example.com', ['/', 'Prefix', 'app', 80])] }), APP], false);
  assert.match(classless.ingresses[0]!.skipped!, /names no IngressClass.*--watch-ingress-without-class is off/);
});

test('check report: the worst Ingress decides the verdict', () => {
  const objects: KubeObject[] = [
    ingress('a', { annotations: { [`${NGINX}proxy-buffer-size`]: '16k' }, rules: [rule('a.example.com', ['/', 'Prefix', 'app', 80])] }),
    ingress('b', { rules: [rule('b.example.com', ['/', 'Prefix', 'app', 80])] }),
    APP,
  ];
  const r = report(objects);
  assert.equal(r.verdict, 'ignored');
  assert.equal(checkExitCode(r), 1);
  assert.deepEqual(r.summary, { ingresses: 2, honoured: 1, ignored: 1, refused: 0, skipped: 0 });
});

test('check report: what the reader skipped in the input is listed, and makes the verdict at least ignored', () => {
  const snapshot = snapshotOf([ingress('b', { rules: [rule('b.example.com', ['/', 'Prefix', 'app', 80])] }), APP]);
  const result = buildRouteTable(snapshot, options());
  const warning = { code: 'UnsupportedApiVersion', severity: 'warning' as const, object: { kind: 'Ingress', namespace: 'default', name: 'old' }, field: 'apiVersion', message: 'a.yaml:1: Ingress apiVersion "extensions/v1alpha1" is not supported; ignored' };
  const r = annotationReport(snapshot, result, { controllerName: CONTROLLER, watchIngressWithoutClass: true, input: [warning] });
  assert.deepEqual(r.input, [{ code: warning.code, severity: 'warning', field: 'apiVersion', message: warning.message }]);
  assert.equal(r.ingresses[0]!.verdict, 'honoured');
  assert.equal(r.verdict, 'ignored');
  assert.equal(checkExitCode(r), 1);
  assert.deepEqual(annotationReport(snapshot, result, { controllerName: CONTROLLER, watchIngressWithoutClass: true }).input, []);
});

test('check report: client certificates (auth-tls-*) are honoured with their Secret, refused without it', () => {
  const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const web = ingress('web', { annotations: { [`${NGINX}auth-tls-secret`]: 'client-ca', [`${NGINX}auth-tls-verify-client`]: 'optional' }, rules: [rule('a.example.com', ['/', 'Prefix', 'app', 80])] });
  const honoured = report([web, APP, secret('client-ca', { 'ca.crt': CA }, 'Opaque')]);
  assert.equal(honoured.verdict, 'honoured');
  for (const a of honoured.ingresses[0]!.annotations) assert.equal(a.outcome, 'honoured', a.key);
  const refused = report([web, APP]);
  assert.equal(refused.verdict, 'refused');
  const a = refused.ingresses[0]!.annotations.find((x) => x.key === `${NGINX}auth-tls-secret`)!;
  assert.deepEqual([a.outcome, a.code], ['refuses', 'ClientCertSecretNotFound']);
});

test('check report: a route with custom-http-errors says which statuses go to which error backend', () => {
  const r = withAnnotations({ [`${NGINX}custom-http-errors`]: '503,404' }, true);
  assert.deepEqual(r.ingresses[0]!.routes[0]!.notes, ['error pages for 404, 503 from default/app:80']);
});
