// ssl-passthrough in the core: hosts into table.passthrough with the backend of the host's '/' path,
// only with --enable-ssl-passthrough; every way it cannot be served as asked refuses (503 for the
// routes, closed connections for the hosts) with an error diagnostic.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildRouteTable } from '../../src/core/build-route-table.ts';
import type { KubeObject } from '../../src/core/model.ts';
import type { BuildResult } from '../../src/core/route-table.ts';
import { annotationReport } from '../../src/core/annotation-report.ts';
import { CONTROLLER, endpoint, ingress, options, rule, service, slice, snapshotOf } from './fixtures.ts';

const SERVICES: KubeObject[] = ['tls-app', 'other'].flatMap((name, i) => [
  service(name, [{ name: 'https', port: 443 }]),
  slice(`${name}-1`, name, [{ name: 'https', port: 8443 }], [endpoint(`10.0.${i}.1`)]),
]);
const PASS = { 'nginx.ingress.kubernetes.io/ssl-passthrough': 'true' };

function build(objects: KubeObject[], enabled = true): BuildResult {
  return buildRouteTable(snapshotOf([...objects, ...SERVICES]), options(enabled ? { enableSslPassthrough: true } : {}));
}

function codes(result: BuildResult): string[] {
  return result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.field ?? ''}`);
}

test('enabled: the host goes to table.passthrough with the backend of its "/" path; the Ingress is not refused', () => {
  const r = build([ingress('pass', { annotations: PASS, rules: [rule('secure.example.com', ['/', 'Prefix', 'tls-app', 443]), rule('*.wild.example.com', ['/', 'ImplementationSpecific', 'tls-app', 443])] })]);
  assert.deepEqual(codes(r), []);
  assert.deepEqual(r.table.passthrough, [
    { host: '*.wild.example.com', ingress: 'default/pass', backend: 'default/tls-app:443' },
    { host: 'secure.example.com', ingress: 'default/pass', backend: 'default/tls-app:443' },
  ]);
  assert.equal(r.table.policies['default/pass']!.refused, undefined);
  assert.deepEqual(r.table.backends['default/tls-app:443']!.endpoints.map((e) => `${e.address}:${e.port}`), ['10.0.0.1:8443']);
});

test('no Ingress asks: no passthrough field (tables without passthrough are unchanged)', () => {
  const r = build([ingress('web', { rules: [rule('a.example.com', ['/', 'Prefix', 'other', 443])] })]);
  assert.equal('passthrough' in r.table, false);
});

test('"false" and Go\'s other false words ask for nothing; a value that is not a boolean refuses', () => {
  for (const value of ['false', 'False', '0', 'f']) {
    const r = build([ingress('pass', { annotations: { 'nginx.ingress.kubernetes.io/ssl-passthrough': value }, rules: [rule('a.example.com', ['/', 'Prefix', 'tls-app', 443])] })]);
    assert.equal(r.table.passthrough, undefined, value);
    assert.deepEqual(codes(r), [], value);
  }
  const bad = build([ingress('pass', { annotations: { 'nginx.ingress.kubernetes.io/ssl-passthrough': 'yes' }, rules: [rule('a.example.com', ['/', 'Prefix', 'tls-app', 443])] })]);
  assert.deepEqual(codes(bad), ['AnnotationProtectionInvalid metadata.annotations["nginx.ingress.kubernetes.io/ssl-passthrough"]']);
  assert.equal(bad.table.policies['default/pass']!.refused?.code, 'AnnotationProtectionInvalid');
  assert.equal(bad.table.passthrough, undefined);
});

test('without --enable-ssl-passthrough the Ingress is refused (503), never served terminated', () => {
  const r = build([ingress('pass', { annotations: PASS, rules: [rule('a.example.com', ['/', 'Prefix', 'tls-app', 443])] })], false);
  assert.deepEqual(codes(r), ['SslPassthroughDisabled metadata.annotations["nginx.ingress.kubernetes.io/ssl-passthrough"]']);
  assert.deepEqual(r.table.policies['default/pass']!.refused, { code: 'SslPassthroughDisabled', annotation: 'nginx.ingress.kubernetes.io/ssl-passthrough' });
  assert.equal(r.table.passthrough, undefined);
  assert.ok(r.diagnostics.some((d) => d.message.includes('--enable-ssl-passthrough') && d.message.includes('503')));
});

test('combined with a protection annotation: refused, its hosts listed refused (connections closed)', () => {
  const extras: Record<string, string>[] = [
    { 'nginx.ingress.kubernetes.io/whitelist-source-range': '10.0.0.0/8' },
    { 'nginx.ingress.kubernetes.io/auth-type': 'basic', 'nginx.ingress.kubernetes.io/auth-secret': 'creds' },
    { 'nginx.ingress.kubernetes.io/auth-tls-verify-client': 'on' },
    { 'nginx.ingress.kubernetes.io/auth-url': 'http://auth.example.com/' },
    { 'gatehouse.dev/allowlist-source-range': '10.0.0.0/8' },
  ];
  for (const extra of extras) {
    const r = build([ingress('pass', { annotations: { ...PASS, ...extra }, rules: [rule('a.example.com', ['/', 'Prefix', 'tls-app', 443])] })]);
    const name = Object.keys(extra).join(',');
    assert.ok(codes(r).includes('SslPassthroughWithProtection metadata.annotations["nginx.ingress.kubernetes.io/ssl-passthrough"]'), `${name}: ${codes(r).join('; ')}`);
    assert.equal(r.table.passthrough?.[0]?.host, 'a.example.com', name);
    assert.ok(r.table.passthrough?.[0]?.refused !== undefined, name);
    assert.ok(r.table.policies['default/pass']!.refused !== undefined, name);
  }
  // A tuning annotation is not a protection: passthrough is served.
  const tuned = build([ingress('pass', { annotations: { ...PASS, 'nginx.ingress.kubernetes.io/proxy-read-timeout': '30' }, rules: [rule('a.example.com', ['/', 'Prefix', 'tls-app', 443])] })]);
  assert.equal(tuned.table.passthrough?.[0]?.refused, undefined);
});

test('a host without "/" path, a "/" path of another Ingress, a missing Service, a rule without host', () => {
  const noRoot = build([ingress('pass', { annotations: PASS, rules: [rule('a.example.com', ['/api', 'Prefix', 'tls-app', 443])] })]);
  assert.deepEqual(noRoot.table.passthrough, [{ host: 'a.example.com', ingress: 'default/pass', backend: '', refused: 'SslPassthroughUnroutable' }]);
  assert.deepEqual(codes(noRoot), ['SslPassthroughUnroutable spec.rules[0].host']);

  const older = ingress('older', { created: '2025-01-01T00:00:00Z', rules: [rule('a.example.com', ['/', 'Prefix', 'other', 443])] });
  const pass = ingress('pass', { created: '2025-06-01T00:00:00Z', annotations: PASS, rules: [rule('a.example.com', ['/', 'Prefix', 'tls-app', 443])] });
  const taken = build([older, pass]);
  assert.equal(taken.table.passthrough?.[0]?.refused, 'SslPassthroughUnroutable');
  assert.ok(codes(taken).includes('SslPassthroughUnroutable spec.rules[0].host'));

  const missing = build([ingress('pass', { annotations: PASS, rules: [rule('a.example.com', ['/', 'Prefix', 'nope', 443])] })]);
  assert.equal(missing.table.passthrough?.[0]?.refused, 'BackendServiceNotFound');

  const hostless = build([ingress('pass', { annotations: PASS, rules: [rule(undefined, ['/', 'Prefix', 'tls-app', 443])] })]);
  assert.deepEqual(codes(hostless), ['SslPassthroughUnroutable spec.rules[0].host']);
  assert.equal(hostless.table.passthrough, undefined);
});

test('gatehouse check: honoured with --enable-ssl-passthrough, refuses without it', () => {
  const objects = [...SERVICES, ingress('pass', { annotations: PASS, rules: [rule('a.example.com', ['/', 'Prefix', 'tls-app', 443])] })];
  const outcome = (enabled: boolean): string | undefined => {
    const snapshot = snapshotOf(objects);
    const result = buildRouteTable(snapshot, options(enabled ? { enableSslPassthrough: true } : {}));
    const report = annotationReport(snapshot, result, { controllerName: CONTROLLER, watchIngressWithoutClass: true });
    return report.ingresses.find((f) => f.ingress === 'default/pass')?.annotations.find((a) => a.key === 'nginx.ingress.kubernetes.io/ssl-passthrough')?.outcome;
  };
  assert.equal(outcome(true), 'honoured');
  assert.equal(outcome(false), 'refuses');
});
