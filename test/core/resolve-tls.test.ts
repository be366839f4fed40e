// TLS, builder side: Secrets checked, certificates and SNI names chosen, virtual hosts marked,
// and key material never in a diagnostic.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildRouteTable } from '../../src/core/build-route-table.ts';
import { safeReason } from '../../src/core/inspect-tls-secret.ts';
import type { KubeObject } from '../../src/core/model.ts';
import type { BuildResult } from '../../src/core/route-table.ts';
import type { BuildOptions } from '../../src/core/snapshot.ts';
import { fakeCert, fakeInspector, ingress, options, rule, secret, service, snapshotOf, type IngressInit } from './fixtures.ts';

const SVC = service('web', [{ port: 80 }]);

function web(name: string, init: IngressInit & { hosts?: string[] } = {}): KubeObject {
  const hosts = init.hosts ?? ['a.example.com'];
  return ingress(name, { rules: hosts.map((h) => rule(h, ['/', 'Prefix', 'web', 80])), ...init });
}

function build(objects: KubeObject[], overrides: Partial<BuildOptions> = {}): BuildResult {
  return buildRouteTable(snapshotOf([...objects, SVC]), options(overrides));
}

function codes(result: BuildResult): string[] {
  return result.diagnostics.map((d) => `${d.code} ${d.object.name} ${d.field ?? ''}`);
}

function tlsOf(result: BuildResult, host: string): unknown {
  return result.table.virtualHosts.find((v) => v.host === host)?.tls;
}

function assertNoKeyMaterial(result: BuildResult): void {
  const text = JSON.stringify(result.diagnostics);
  assert.doesNotMatch(text, /FAKE-KEY|FAKE-CERT|BEGIN|PRIVATE/);
}

test('a valid Secret: certificate, SNI name and the virtual host marked', () => {
  const result = build([web('shop', { tls: [{ hosts: ['A.example.com'], secretName: 'shop-tls' }] }), secret('shop-tls', fakeCert(['a.example.com']))]);
  assert.deepEqual(Object.keys(result.table.certificates), ['default/shop-tls']);
  const data = fakeCert(['a.example.com']);
  const inspection = fakeInspector(data['tls.crt'], data['tls.key']);
  assert.ok(inspection.ok);
  assert.deepEqual(result.table.certificates['default/shop-tls'], {
    id: 'default/shop-tls',
    certPem: data['tls.crt'],
    keyPem: data['tls.key'],
    fingerprint: inspection.fingerprint,
    keyType: 'ec',
    notAfter: '2030-01-01T00:00:00Z',
    dnsNames: ['a.example.com'],
  });
  assert.deepEqual(result.table.sni, [{ host: 'a.example.com', certificate: 'default/shop-tls', ingress: 'default/shop' }]);
  assert.deepEqual(tlsOf(result, 'a.example.com'), { certificate: 'default/shop-tls', ingress: 'default/shop' });
  assert.deepEqual(result.diagnostics, []);
});

test('a wildcard tls host covers one-label hosts, and an exact tls host is preferred to it', () => {
  const result = build([
    web('wild', { hosts: ['a.example.com', 'b.example.com', 'x.y.example.com'], tls: [{ hosts: ['*.example.com'], secretName: 'wild' }, { hosts: ['b.example.com'], secretName: 'b' }] }),
    secret('wild', fakeCert(['*.example.com'])),
    secret('b', fakeCert(['b.example.com'])),
  ]);
  assert.deepEqual(result.table.sni.map((s) => `${s.host}=${s.certificate}`), ['*.example.com=default/wild', 'b.example.com=default/b']);
  assert.deepEqual(tlsOf(result, 'a.example.com'), { certificate: 'default/wild', ingress: 'default/wild' });
  assert.deepEqual(tlsOf(result, 'b.example.com'), { certificate: 'default/b', ingress: 'default/wild' });
  assert.equal(tlsOf(result, 'x.y.example.com'), undefined);
  assert.deepEqual(result.diagnostics, []);
});

type BadCase = [name: string, objects: KubeObject[], code: string, message: RegExp, inspector?: BuildOptions['inspectCertificate']];

const BAD: BadCase[] = [
  ['Secret does not exist', [], 'TLSSecretNotFound', /Secret "tls" does not exist in namespace default/],
  ['Secret in another namespace only', [secret('tls', fakeCert(['a.example.com']), 'kubernetes.io/tls', 'other')], 'TLSSecretNotFound', /does not exist in namespace default/],
  ['Secret of another type', [secret('tls', fakeCert(['a.example.com']), 'Opaque')], 'TLSSecretWrongType', /type "Opaque", not kubernetes.io\/tls/],
  ['Secret without tls.key', [secret('tls', { 'tls.crt': fakeCert(['a.example.com'])['tls.crt'] })], 'TLSSecretMissingData', /has no tls.key/],
  ['Secret without data', [secret('tls', {})], 'TLSSecretMissingData', /has no tls.crt and no tls.key/],
  ['Secret with empty tls.crt', [secret('tls', { 'tls.crt': '', 'tls.key': 'FAKE-KEY k' })], 'TLSSecretMissingData', /has no tls.crt/],
  ['certificate does not parse', [secret('tls', { 'tls.crt': 'garbage', 'tls.key': 'FAKE-KEY k' })], 'TLSSecretInvalid', /does not parse \(ERR_CERT_PARSE\)/],
  ['key does not match', [secret('tls', { ...fakeCert(['a.example.com']), 'tls.key': 'FAKE-KEY other' })], 'TLSSecretInvalid', /key does not match the certificate \(ERR_KEY_MISMATCH\)/],
  [
    'inspector echoes key material',
    [secret('tls', fakeCert(['a.example.com']))],
    'TLSSecretInvalid',
    /the certificate or key was rejected/,
    (_c, key) => ({ ok: false, code: 'ERR_LEAKY', reason: `bad key: ${key}` }),
  ],
  [
    'inspector throws',
    [secret('tls', fakeCert(['a.example.com']))],
    'TLSSecretInvalid',
    /could not be inspected/,
    (_c, key) => {
      throw new Error(`boom ${key}`);
    },
  ],
];

for (const [name, objects, code, message, inspector] of BAD) {
  test(`bad Secret: ${name} → ${code}; the host keeps serving with the default certificate`, () => {
    const result = build(
      [web('shop', { tls: [{ hosts: ['a.example.com'], secretName: 'tls' }] }), web('other', { hosts: ['b.example.com'], tls: [{ hosts: ['b.example.com'], secretName: 'good' }] }), secret('good', fakeCert(['b.example.com'])), ...objects],
      inspector ? { inspectCertificate: (c: string, k: string) => (c.includes('b.example.com') ? fakeInspector(c, k) : inspector(c, k)) } : {},
    );
    assert.deepEqual(codes(result), [`${code} shop spec.tls[0].secretName`]);
    assert.equal(result.diagnostics[0]?.severity, 'error');
    assert.match(result.diagnostics[0]?.message ?? '', message);
    assert.deepEqual(Object.keys(result.table.certificates), ['default/good']);
    assert.deepEqual(result.table.sni.map((s) => s.host), ['b.example.com']);
    assert.deepEqual(tlsOf(result, 'a.example.com'), { ingress: 'default/shop' });
    assert.equal(result.table.virtualHosts.find((v) => v.host === 'a.example.com')?.routes.length, 1);
    assertNoKeyMaterial(result);
  });
}

test('a secretName with "/" cannot reach another namespace', () => {
  const result = build([web('shop', { tls: [{ hosts: ['a.example.com'], secretName: 'other/tls' }] }), secret('tls', fakeCert(['a.example.com']), 'kubernetes.io/tls', 'other')]);
  assert.deepEqual(codes(result), ['TLSSecretNotFound shop spec.tls[0].secretName']);
  assert.match(result.diagnostics[0]?.message ?? '', /other namespaces cannot be referenced/);
});

test('expired, not yet valid and name-mismatched certificates are served and reported', () => {
  const result = build([
    web('shop', { hosts: ['a.example.com', 'b.example.com', 'c.example.com'], tls: [
      { hosts: ['a.example.com'], secretName: 'old' },
      { hosts: ['b.example.com'], secretName: 'future' },
      { hosts: ['c.example.com', 'a.b.example.com'], secretName: 'wrong' },
    ] }),
    secret('old', fakeCert(['a.example.com'], { notAfter: '2025-06-01T00:00:00Z' })),
    secret('future', fakeCert(['b.example.com'], { notBefore: '2027-01-01T00:00:00Z' })),
    secret('wrong', fakeCert(['*.example.com', 'z.example.com'])),
  ]);
  assert.deepEqual(codes(result), [
    'TLSCertificateExpired shop spec.tls[0].secretName',
    'TLSCertificateNotYetValid shop spec.tls[1].secretName',
    'TLSCertificateNameMismatch shop spec.tls[2].hosts[1]',
  ]);
  assert.ok(result.diagnostics.every((d) => d.severity === 'warning'));
  assert.deepEqual(result.table.sni.map((s) => `${s.host}=${s.certificate}`), ['a.b.example.com=default/wrong', 'a.example.com=default/old', 'b.example.com=default/future', 'c.example.com=default/wrong']);
});

test('the same server name from two Ingresses: the older wins; the same Secret twice is no conflict', () => {
  const result = build([
    web('young', { hosts: ['a.example.com'], tls: [{ hosts: ['a.example.com'], secretName: 'young' }, { hosts: ['a.example.com'], secretName: 'shared' }] }),
    web('old', { created: '2024-01-01T00:00:00Z', hosts: ['a.example.com'], tls: [{ hosts: ['a.example.com'], secretName: 'shared' }] }),
    web('again', { created: '2024-01-02T00:00:00Z', hosts: ['a.example.com'], tls: [{ hosts: ['a.example.com'], secretName: 'shared' }] }),
    secret('shared', fakeCert(['a.example.com'])),
    secret('young', fakeCert(['a.example.com'], { key: 'y' })),
  ]);
  assert.deepEqual(result.table.sni, [{ host: 'a.example.com', certificate: 'default/shared', ingress: 'default/old' }]);
  assert.deepEqual(Object.keys(result.table.certificates), ['default/shared']);
  const tlsCodes = codes(result).filter((c) => c.startsWith('TLS'));
  assert.deepEqual(tlsCodes, ['TLSHostConflict young spec.tls[0].hosts[0]']);
});

test('a broken older claim does not block a valid younger one', () => {
  const result = build([
    web('old', { created: '2024-01-01T00:00:00Z', tls: [{ hosts: ['a.example.com'], secretName: 'missing' }] }),
    web('new', { created: '2024-02-01T00:00:00Z', tls: [{ hosts: ['a.example.com'], secretName: 'good' }] }),
    secret('good', fakeCert(['a.example.com'])),
  ]);
  assert.deepEqual(result.table.sni.map((s) => s.ingress), ['default/new']);
  assert.deepEqual(codes(result).filter((c) => c.startsWith('TLS')), ['TLSSecretNotFound old spec.tls[0].secretName']);
});

test('a tls entry without hosts applies to the rule hosts; with none it is reported unused', () => {
  const result = build([
    web('shop', { hosts: ['a.example.com', 'b.example.com'], tls: [{ secretName: 'tls' }] }),
    ingress('hostless', { rules: [rule(undefined, ['/', 'Prefix', 'web', 80])], tls: [{ secretName: 'tls' }] }),
    secret('tls', fakeCert(['a.example.com', 'b.example.com'])),
  ]);
  assert.deepEqual(result.table.sni.map((s) => s.host), ['a.example.com', 'b.example.com']);
  assert.deepEqual(codes(result), ['TLSEntryUnused hostless spec.tls[0].hosts', 'TLSHostsDefaulted shop spec.tls[0].hosts']);
  assert.equal(tlsOf(result, '*'), undefined);
});

test('a tls entry without secretName: its hosts use the default certificate', () => {
  const result = build([web('shop', { tls: [{ hosts: ['a.example.com'] }] })]);
  assert.deepEqual(codes(result), ['TLSSecretNameMissing shop spec.tls[0].secretName']);
  assert.deepEqual(tlsOf(result, 'a.example.com'), { ingress: 'default/shop' });
  assert.deepEqual(result.table.sni, []);
});

test('invalid tls hosts are reported and skipped', () => {
  const result = build([web('shop', { tls: [{ hosts: ['a.example.com', '*', '10.1.2.3'], secretName: 'tls' }] }), secret('tls', fakeCert(['a.example.com']))]);
  assert.deepEqual(codes(result), ['HostInvalid shop spec.tls[0].hosts[1]', 'HostInvalid shop spec.tls[0].hosts[2]']);
  assert.deepEqual(result.table.sni.map((s) => s.host), ['a.example.com']);
});

test('one inspection per Secret, however many entries name it', () => {
  let calls = 0;
  const counting: BuildOptions['inspectCertificate'] = (c, k) => {
    calls++;
    return fakeInspector(c, k);
  };
  build(
    [web('one', { tls: [{ hosts: ['a.example.com'], secretName: 'tls' }, { hosts: ['b.example.com'], secretName: 'tls' }] }), web('two', { tls: [{ hosts: ['c.example.com'], secretName: 'tls' }] }), secret('tls', fakeCert(['*.example.com']))],
    { inspectCertificate: counting },
  );
  assert.equal(calls, 1);
});

test('TLS of Ingresses that are not ours is ignored entirely', () => {
  const result = build([web('theirs', { className: 'other', tls: [{ hosts: ['a.example.com'], secretName: 'tls' }] }), secret('tls', fakeCert(['a.example.com']))]);
  assert.deepEqual(result.table.sni, []);
  assert.deepEqual(result.table.certificates, {});
  // Only why it was skipped (no IngressClass "other" exists): nothing about its TLS.
  assert.deepEqual(result.diagnostics.map((d) => d.code), ['IngressClassNotFound']);
});

test('safeReason keeps ordinary reasons and hides anything that looks like key material', () => {
  const key = 'FAKE-KEY\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n';
  assert.equal(safeReason('ERR_X', 'the key does not match', key), 'the key does not match (ERR_X)');
  assert.equal(safeReason('ERR_X', 'got -----BEGIN PRIVATE KEY-----', key), 'the certificate or key was rejected (ERR_X)');
  assert.equal(safeReason('ERR_X', 'near MIIEvQIBADANBgkqhkiG9w0BAQEFAASC', key), 'the certificate or key was rejected (ERR_X)');
  assert.equal(safeReason('ERR\n<x>', 'line\r\nbreak', key), 'line  break (ERRx)');
});
