// auth-tls-* annotations and their Secret, resolved by the real core (collectPolicies) with the real
// CA inspector (dataplane/tls/inspect-client-ca.ts): what becomes a typed policy, and every way the
// protection cannot be enforced as written refusing the Ingress with its error diagnostic.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { collectPolicies } from '../../src/core/collect-policies.ts';
import type { Ingress, Secret } from '../../src/core/model.ts';
import { inspectClientCa } from '../../src/dataplane/tls/inspect-client-ca.ts';
import { makeCa, makeLeaf, revokeAndMakeCrl, type TestCa } from '../support/certs.ts';

const P = 'nginx.ingress.kubernetes.io/';
let ca: TestCa;
let crl: string;
let leafPem: string;

before(() => {
  ca = makeCa({ name: 'Client Root' });
  leafPem = makeLeaf(ca, { names: [], client: true, commonName: 'alice' }).certPem;
  crl = revokeAndMakeCrl(ca);
});
after(() => ca?.dispose());

function ingress(annotations: Record<string, string>, namespace = 'shop'): Ingress {
  return { kind: 'Ingress', metadata: { namespace, name: 'web', labels: {}, annotations }, spec: {} };
}
function secret(namespace: string, name: string, data: Record<string, string>): Secret {
  return { kind: 'Secret', metadata: { namespace, name, labels: {}, annotations: {} }, type: 'Opaque', data };
}
function resolve(annotations: Record<string, string>, secrets: Secret[] = [], allowCrossNamespaceSecrets = false) {
  const map = new Map(secrets.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));
  const { policies, diagnostics } = collectPolicies([ingress(annotations)], map, { allowCrossNamespaceSecrets, inspectClientCa });
  return { policy: policies.get('shop/web')!, diagnostics };
}

test('a Secret with ca.crt (and ca.crl) becomes a typed policy with ingress-nginx defaults', () => {
  const plain = resolve({ [`${P}auth-tls-secret`]: 'shop/ca' }, [secret('shop', 'ca', { 'ca.crt': ca.certPem })]);
  assert.deepEqual(plain.diagnostics, []);
  assert.deepEqual(plain.policy.clientCertificate, { verify: 'on', depth: 1, secret: 'shop/ca', caPem: ca.certPem, passCertificate: false });
  assert.equal(plain.policy.refused, undefined);

  const full = resolve(
    {
      [`${P}auth-tls-secret`]: 'ca',
      [`${P}auth-tls-verify-client`]: 'optional_no_ca',
      [`${P}auth-tls-verify-depth`]: '3',
      [`${P}auth-tls-pass-certificate-to-upstream`]: 'true',
      [`${P}auth-tls-error-page`]: 'https://errors.example.com/cert.html',
    },
    [secret('shop', 'ca', { 'ca.crt': ca.certPem, 'ca.crl': crl })],
  );
  assert.deepEqual(full.diagnostics, []);
  assert.deepEqual(full.policy.clientCertificate, {
    verify: 'optional_no_ca', depth: 3, secret: 'shop/ca', caPem: ca.certPem, crlPem: crl, passCertificate: true, errorPage: 'https://errors.example.com/cert.html',
  });
});

test('verify-client: off asks for nothing', () => {
  const r = resolve({ [`${P}auth-tls-verify-client`]: 'off', [`${P}auth-tls-secret`]: 'missing' });
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.policy.clientCertificate, undefined);
  assert.equal(r.policy.refused, undefined);
});

test('every way it cannot be enforced as written refuses the Ingress (503) with an error naming the annotation', () => {
  const good = [secret('shop', 'ca', { 'ca.crt': ca.certPem })];
  const cases: [string, Record<string, string>, Secret[], string, string][] = [
    ['no Secret named', { [`${P}auth-tls-verify-client`]: 'on' }, [], 'AnnotationProtectionInvalid', `${P}auth-tls-verify-client`],
    ['pass-certificate without a Secret', { [`${P}auth-tls-pass-certificate-to-upstream`]: 'true' }, [], 'AnnotationProtectionInvalid', `${P}auth-tls-pass-certificate-to-upstream`],
    ['unknown verify value', { [`${P}auth-tls-secret`]: 'ca', [`${P}auth-tls-verify-client`]: 'required' }, good, 'AnnotationProtectionInvalid', `${P}auth-tls-verify-client`],
    ['depth 0', { [`${P}auth-tls-secret`]: 'ca', [`${P}auth-tls-verify-depth`]: '0' }, good, 'AnnotationProtectionInvalid', `${P}auth-tls-verify-depth`],
    ['depth 11', { [`${P}auth-tls-secret`]: 'ca', [`${P}auth-tls-verify-depth`]: '11' }, good, 'AnnotationProtectionInvalid', `${P}auth-tls-verify-depth`],
    ['depth not a number', { [`${P}auth-tls-secret`]: 'ca', [`${P}auth-tls-verify-depth`]: '1; ssl_verify_client off' }, good, 'AnnotationProtectionInvalid', `${P}auth-tls-verify-depth`],
    ['error page not a URL', { [`${P}auth-tls-secret`]: 'ca', [`${P}auth-tls-error-page`]: '/errors' }, good, 'AnnotationProtectionInvalid', `${P}auth-tls-error-page`],
    ['error page with a variable', { [`${P}auth-tls-secret`]: 'ca', [`${P}auth-tls-error-page`]: 'https://$host/err' }, good, 'AnnotationProtectionInvalid', `${P}auth-tls-error-page`],
    ['bad Secret name', { [`${P}auth-tls-secret`]: 'shop/../ca' }, good, 'AnnotationProtectionInvalid', `${P}auth-tls-secret`],
    ['missing Secret', { [`${P}auth-tls-secret`]: 'nope' }, good, 'ClientCertSecretNotFound', `${P}auth-tls-secret`],
    ['another namespace', { [`${P}auth-tls-secret`]: 'other/ca' }, [secret('other', 'ca', { 'ca.crt': ca.certPem })], 'ClientCertSecretCrossNamespace', `${P}auth-tls-secret`],
    ['no ca.crt', { [`${P}auth-tls-secret`]: 'ca' }, [secret('shop', 'ca', { 'tls.crt': ca.certPem })], 'ClientCertSecretInvalid', `${P}auth-tls-secret`],
    ['ca.crt not PEM', { [`${P}auth-tls-secret`]: 'ca' }, [secret('shop', 'ca', { 'ca.crt': 'hello' })], 'ClientCertSecretInvalid', `${P}auth-tls-secret`],
    ['ca.crt corrupt', { [`${P}auth-tls-secret`]: 'ca' }, [secret('shop', 'ca', { 'ca.crt': ca.certPem.replace(/[A-Za-z]{20}/, 'A'.repeat(20)) })], 'ClientCertSecretInvalid', `${P}auth-tls-secret`],
    ['ca.crt a leaf, not a CA', { [`${P}auth-tls-secret`]: 'ca' }, [secret('shop', 'ca', { 'ca.crt': leafPem })], 'ClientCertSecretInvalid', `${P}auth-tls-secret`],
    ['ca.crl not a CRL', { [`${P}auth-tls-secret`]: 'ca' }, [secret('shop', 'ca', { 'ca.crt': ca.certPem, 'ca.crl': ca.certPem })], 'ClientCertSecretInvalid', `${P}auth-tls-secret`],
    ['ca.crl corrupt', { [`${P}auth-tls-secret`]: 'ca' }, [secret('shop', 'ca', { 'ca.crt': ca.certPem, 'ca.crl': crl.replace(/[A-Za-z]{20}/, 'A'.repeat(20)) })], 'ClientCertSecretInvalid', `${P}auth-tls-secret`],
  ];
  for (const [name, annotations, secrets, code, key] of cases) {
    const r = resolve(annotations, secrets);
    assert.deepEqual(r.policy.refused, { code, annotation: key }, name);
    assert.equal(r.policy.clientCertificate, undefined, name);
    assert.equal(r.diagnostics.length, 1, name);
    const d = r.diagnostics[0]!;
    assert.equal(d.code, code, name);
    assert.equal(d.severity, 'error', name);
    assert.ok(d.message.includes('503'), name);
    assert.ok(!d.message.includes('BEGIN'), `${name}: no PEM in the message`);
  }
});

test('--allow-cross-namespace-secrets admits a Secret of another namespace', () => {
  const r = resolve({ [`${P}auth-tls-secret`]: 'other/ca' }, [secret('other', 'ca', { 'ca.crt': ca.certPem })], true);
  assert.equal(r.policy.refused, undefined);
  assert.equal(r.policy.clientCertificate?.secret, 'other/ca');
});

test('auth-tls-match-cn still refuses (a regular expression in ingress-nginx)', () => {
  const r = resolve({ [`${P}auth-tls-secret`]: 'ca', [`${P}auth-tls-match-cn`]: 'CN=alice' }, [secret('shop', 'ca', { 'ca.crt': ca.certPem })]);
  assert.deepEqual(r.policy.refused, { code: 'AnnotationProtectionUnsupported', annotation: `${P}auth-tls-match-cn` });
});
