// The backend-protocol annotations read by the core (resolve-backend-protocol.ts): each value and
// its policy, the gatehouse.dev/ spelling winning, ingress-nginx's upper-casing and defaults
// (verify depth 0 → 1, SSLv2/SSLv3 left out), and every way a value refuses the Ingress. The data
// plane's side is test/dataplane/backend-https.test.ts and backend-grpc.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveBackendProtocol, type ResolvedBackendProtocol } from '../../src/core/annotations/resolve-backend-protocol.ts';
import { collectPolicies } from '../../src/core/collect-policies.ts';
import type { Ingress, Secret } from '../../src/core/model.ts';
import { redactTable, emptyRouteTable } from '../../src/core/route-table.ts';

const N = 'nginx.ingress.kubernetes.io/';
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const SECRETS = new Map<string, Secret>([
  ['shop/ca', { kind: 'Secret', metadata: { namespace: 'shop', name: 'ca', labels: {}, annotations: {} }, type: 'Opaque', data: { 'ca.crt': CA } }],
  ['shop/client', { kind: 'Secret', metadata: { namespace: 'shop', name: 'client', labels: {}, annotations: {} }, type: 'Opaque', data: { 'ca.crt': CA, 'tls.crt': CA, 'tls.key': '-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n' } }],
  ['other/ca', { kind: 'Secret', metadata: { namespace: 'other', name: 'ca', labels: {}, annotations: {} }, type: 'Opaque', data: { 'ca.crt': CA } }],
]);

function ingress(annotations: Record<string, string>): Ingress {
  return { kind: 'Ingress', metadata: { namespace: 'shop', name: 'web', labels: {}, annotations }, spec: {} };
}

function resolve(annotations: Record<string, string>, allowCrossNamespaceSecrets = false): ResolvedBackendProtocol {
  return resolveBackendProtocol(ingress(annotations), SECRETS, { allowCrossNamespaceSecrets });
}

function refusal(r: ResolvedBackendProtocol): string | undefined {
  return r.refused?.code;
}

test('each protocol, in any case as ingress-nginx upper-cases it; HTTP is the default and leaves no trace', () => {
  assert.deepEqual(resolve({}), { diagnostics: [] });
  assert.deepEqual(resolve({ [`${N}backend-protocol`]: 'HTTP' }), { diagnostics: [] });
  assert.equal(resolve({ [`${N}backend-protocol`]: 'grpc' }).protocol, 'GRPC');
  assert.equal(resolve({ [`${N}backend-protocol`]: ' Https ' }).protocol, 'HTTPS');
  assert.equal(resolve({ [`${N}backend-protocol`]: 'GRPCS' }).protocol, 'GRPCS');
  assert.equal(resolve({ [`${N}backend-protocol`]: 'auto_http' }).protocol, 'AUTO_HTTP');
  assert.deepEqual(resolve({ [`${N}backend-protocol`]: 'HTTPS' }).tls, { sni: false }, 'no SNI and no verification by default');
});

test('H2C only as gatehouse.dev/backend-protocol, which wins over the ingress-nginx key', () => {
  const r = resolve({ 'gatehouse.dev/backend-protocol': 'h2c', [`${N}backend-protocol`]: 'HTTPS' });
  assert.equal(r.protocol, 'H2C');
  assert.deepEqual(r.diagnostics.map((d) => d.code), ['AnnotationNoEffect']);
  assert.equal(refusal(resolve({ [`${N}backend-protocol`]: 'H2C' })), 'BackendProtocolUnsupported');
});

test('FCGI, AJP and anything else refuse the Ingress (ingress-nginx would fall back to HTTP)', () => {
  for (const value of ['FCGI', 'AJP', 'HTTP2', '', 'HTTPS,GRPC']) {
    const r = resolve({ [`${N}backend-protocol`]: value });
    assert.equal(refusal(r), 'BackendProtocolUnsupported', value);
    assert.equal(r.diagnostics[0]!.severity, 'error');
  }
});

test('secure-backends: true is HTTPS with a warning; false and a backend-protocol next to it are no-ops', () => {
  const r = resolve({ [`${N}secure-backends`]: 'true' });
  assert.equal(r.protocol, 'HTTPS');
  assert.deepEqual(r.diagnostics.map((d) => [d.code, d.severity]), [['BackendProtocolLegacy', 'warning']]);
  assert.equal(resolve({ [`${N}secure-backends`]: 'false' }).protocol, undefined);
  const both = resolve({ [`${N}secure-backends`]: 'true', [`${N}backend-protocol`]: 'GRPC' });
  assert.equal(both.protocol, 'GRPC');
  assert.equal(refusal(resolve({ [`${N}secure-backends`]: 'yes please' })), 'AnnotationProtectionInvalid');
});

test('proxy-ssl-*: name, SNI, verification with the Secret\'s CA and depth, protocols, ciphers', () => {
  const r = resolve({
    [`${N}backend-protocol`]: 'HTTPS',
    [`${N}proxy-ssl-server-name`]: 'on',
    [`${N}proxy-ssl-name`]: 'Web.Shop.svc',
    [`${N}proxy-ssl-verify`]: 'on',
    [`${N}proxy-ssl-secret`]: 'shop/ca',
    [`${N}proxy-ssl-verify-depth`]: '0',
    [`${N}proxy-ssl-protocols`]: 'SSLv3 TLSv1.2 TLSv1.3',
    [`${N}proxy-ssl-ciphers`]: 'ECDHE-ECDSA-AES128-GCM-SHA256:!aNULL',
  });
  assert.equal(r.refused, undefined);
  assert.deepEqual(r.tls, {
    sni: true,
    name: 'web.shop.svc',
    secret: 'shop/ca',
    verify: { caPem: CA, depth: 1 },
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
    ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:!aNULL',
  });
  assert.deepEqual(r.diagnostics.map((d) => d.code), ['AnnotationNoEffect'], 'SSLv3 is left out, and said so');
  // A name-only Secret is in the Ingress's namespace; its client certificate is presented.
  const c = resolve({ [`${N}backend-protocol`]: 'GRPCS', [`${N}proxy-ssl-secret`]: 'client' });
  assert.equal(c.tls?.clientCertificate?.certPem, CA);
  assert.equal(c.tls?.verify, undefined, 'verification stays off unless asked');
});

test('whatever cannot be honoured as written refuses the Ingress', () => {
  const https = { [`${N}backend-protocol`]: 'HTTPS' };
  const cases: [Record<string, string>, string][] = [
    [{ ...https, [`${N}proxy-ssl-verify`]: 'on' }, 'AnnotationProtectionInvalid'],
    [{ ...https, [`${N}proxy-ssl-verify`]: 'yes' }, 'AnnotationProtectionInvalid'],
    [{ ...https, [`${N}proxy-ssl-server-name`]: 'true' }, 'AnnotationProtectionInvalid'],
    [{ ...https, [`${N}proxy-ssl-name`]: '*.shop.svc' }, 'AnnotationProtectionInvalid'],
    [{ ...https, [`${N}proxy-ssl-verify-depth`]: '-1' }, 'AnnotationProtectionInvalid'],
    [{ ...https, [`${N}proxy-ssl-protocols`]: 'TLSv1.4' }, 'AnnotationProtectionInvalid'],
    [{ ...https, [`${N}proxy-ssl-protocols`]: 'SSLv3' }, 'AnnotationProtectionInvalid'],
    [{ ...https, [`${N}proxy-ssl-protocols`]: 'TLSv1.1 TLSv1.3' }, 'AnnotationProtectionInvalid'],
    [{ ...https, [`${N}proxy-ssl-ciphers`]: 'HIGH;rm -rf' }, 'AnnotationProtectionInvalid'],
    [{ ...https, [`${N}proxy-ssl-secret`]: 'shop/ca/x' }, 'AnnotationProtectionInvalid'],
    [{ ...https, [`${N}proxy-ssl-secret`]: 'nothing' }, 'ProxySslSecretNotFound'],
    [{ ...https, [`${N}proxy-ssl-secret`]: 'other/ca', [`${N}proxy-ssl-verify`]: 'on' }, 'ProxySslSecretCrossNamespace'],
    [{ [`${N}proxy-ssl-secret`]: 'ca' }, 'BackendTlsWithoutTls'],
    [{ [`${N}backend-protocol`]: 'GRPC', [`${N}proxy-ssl-verify`]: 'on', [`${N}proxy-ssl-secret`]: 'ca' }, 'BackendTlsWithoutTls'],
  ];
  for (const [annotations, code] of cases) {
    const r = resolve(annotations);
    assert.equal(refusal(r), code, JSON.stringify(annotations));
    assert.ok(r.diagnostics.some((d) => d.code === code && d.severity === 'error' && d.message.includes('503')), JSON.stringify(r.diagnostics));
  }
  // --allow-cross-namespace-secrets lets the foreign Secret be read.
  assert.equal(resolve({ ...https, [`${N}proxy-ssl-secret`]: 'other/ca', [`${N}proxy-ssl-verify`]: 'on' }, true).tls?.secret, 'other/ca');
  // On a cleartext protocol the tuning settings are only reported.
  const tuning = resolve({ [`${N}proxy-ssl-name`]: 'web', [`${N}proxy-ssl-server-name`]: 'on' });
  assert.equal(tuning.refused, undefined);
  assert.deepEqual(tuning.diagnostics.map((d) => d.code), ['AnnotationNoEffect', 'AnnotationNoEffect']);
});

test('collectPolicies puts it on the policy, and /debug\'s redacted table hides the client key', () => {
  const { policies } = collectPolicies([ingress({ [`${N}backend-protocol`]: 'HTTPS', [`${N}proxy-ssl-secret`]: 'client' })], SECRETS, { allowCrossNamespaceSecrets: false });
  const policy = policies.get('shop/web')!;
  assert.equal(policy.backendProtocol, 'HTTPS');
  assert.ok(policy.backendTls?.clientCertificate?.keyPem.includes('secret'));
  const redacted = redactTable({ ...emptyRouteTable(), policies: { 'shop/web': policy } });
  assert.equal(redacted.policies['shop/web']!.backendTls?.clientCertificate?.keyPem, '<redacted>');
  assert.ok(!JSON.stringify(redacted).includes('PRIVATE KEY'));
});
