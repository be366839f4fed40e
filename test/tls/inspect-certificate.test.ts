import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { inspectCertificate, inspectPemPair } from '../../src/dataplane/tls/inspect-certificate.ts';
import { makeCa, makeLeaf, makeSelfSigned } from '../support/certs.ts';
import type { TestCa } from '../support/certs.ts';

describe('inspectCertificate', () => {
  let ca: TestCa;
  before(() => {
    ca = makeCa();
  });
  after(() => ca.dispose());

  it('describes an RSA leaf: fingerprint, key type, validity, SAN names lower-cased', () => {
    const leaf = makeLeaf(ca, { names: ['Foo.Example.com', '*.apps.example.com'], keyType: 'rsa', days: 10 });
    const result = inspectCertificate(leaf.chainPem, leaf.keyPem);
    assert.ok(result.ok);
    assert.equal(result.fingerprint, leaf.fingerprint);
    assert.equal(result.keyType, 'rsa');
    assert.deepEqual(result.dnsNames, ['foo.example.com', '*.apps.example.com']);
    const days = (Date.parse(result.notAfter) - Date.parse(result.notBefore)) / 86_400_000;
    assert.ok(days > 10 && days < 10.1, `validity of ${days} days`);
  });

  it('describes an ECDSA leaf with an SEC1 key, and uses the leaf of a chain', () => {
    const leaf = makeLeaf(ca, { names: ['ec.example.com'], keyType: 'ec' });
    assert.match(leaf.keyPem, /BEGIN EC PRIVATE KEY/);
    const result = inspectCertificate(leaf.chainPem, leaf.keyPem);
    assert.ok(result.ok);
    assert.equal(result.keyType, 'ec');
    assert.equal(result.fingerprint, leaf.fingerprint);
    assert.deepEqual(result.dnsNames, ['ec.example.com']);
  });

  it('accepts PKCS#1 and PKCS#8 RSA keys and SEC1 and PKCS#8 EC keys alike', () => {
    for (const keyType of ['rsa', 'ec'] as const) {
      const leaf = makeLeaf(ca, { names: [`${keyType}.example.com`], keyType });
      const key = createPrivateKey(leaf.keyPem);
      const forms = [leaf.keyPem, key.export({ type: 'pkcs8', format: 'pem' }).toString()];
      forms.push(key.export({ type: keyType === 'rsa' ? 'pkcs1' : 'sec1', format: 'pem' }).toString());
      for (const form of forms) {
        const result = inspectCertificate(leaf.certPem, form);
        assert.ok(result.ok, `${keyType}: ${form.split('\n')[0]}`);
        assert.equal(result.fingerprint, leaf.fingerprint);
      }
    }
  });

  it('falls back to the CN when there is no SAN (the tutorial certificate)', () => {
    const self = makeSelfSigned(ca, 'Kubia.Example.com');
    const result = inspectCertificate(self.certPem, self.keyPem);
    assert.ok(result.ok);
    assert.deepEqual(result.dnsNames, ['kubia.example.com']);
    assert.equal(result.fingerprint, self.fingerprint);
  });

  it('reports an expired certificate as ok with its dates (the builder warns)', () => {
    const leaf = makeLeaf(ca, { names: ['old.example.com'], expired: true });
    const result = inspectCertificate(leaf.certPem, leaf.keyPem);
    assert.ok(result.ok);
    assert.ok(Date.parse(result.notAfter) < Date.now());
  });

  it('rejects what does not parse or does not match, with fixed reasons', () => {
    const a = makeLeaf(ca, { names: ['a.example.com'] });
    const b = makeLeaf(ca, { names: ['b.example.com'], keyType: 'ec' });
    const cases: [string, string, string, string][] = [
      ['garbage cert', 'not a certificate', a.keyPem, 'certificate PEM does not parse'],
      ['key in tls.crt', a.keyPem, a.keyPem, 'certificate PEM does not parse'],
      ['corrupt base64', a.certPem.replace(/\n[A-Za-z0-9+/]{20}/, '\n!!!!'), a.keyPem, 'certificate PEM does not parse'],
      ['bad chain cert', a.certPem + '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', a.keyPem, 'chain certificate 2 does not parse'],
      ['garbage key', a.certPem, 'not a key', 'private key does not parse'],
      ['cert in tls.key', a.certPem, a.certPem, 'private key does not parse'],
      ['mismatched key (same type)', a.certPem, makeLeaf(ca, { names: ['x'] }).keyPem, 'key does not match certificate'],
      ['mismatched key (other type)', a.certPem, b.keyPem, 'key does not match certificate'],
    ];
    for (const [name, cert, key, reason] of cases) {
      const result = inspectCertificate(cert, key);
      assert.deepEqual(result, { ok: false, code: 'TLSSecretInvalid', reason }, name);
    }
    assert.deepEqual(inspectCertificate('', a.keyPem), { ok: false, code: 'TLSSecretMissingData', reason: 'tls.crt is empty' });
    assert.deepEqual(inspectCertificate(a.certPem, ' \n'), { ok: false, code: 'TLSSecretMissingData', reason: 'tls.key is empty' });
  });

  it('never echoes key material, even when OpenSSL would quote it', () => {
    const a = makeLeaf(ca, { names: ['a.example.com'] });
    const body = a.keyPem.split('\n')[1]!;
    const mangled = a.keyPem.replace(body, body.slice(0, 30) + '%%%SECRET%%%');
    const result = inspectCertificate(a.certPem, mangled);
    assert.equal(result.ok, false);
    const text = JSON.stringify(result);
    assert.ok(!text.includes('SECRET') && !text.includes(body.slice(0, 16)), text);
  });

  it('refuses an encrypted key with a reason that says so', () => {
    const a = makeLeaf(ca, { names: ['a.example.com'] });
    const result = inspectCertificate(a.certPem, '-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n');
    assert.equal(result.ok, false);
    assert.match(!result.ok ? result.reason : '', /encrypted/);
  });

  it('is deterministic, and remembered answers are the uncached ones, in copies the caller owns', () => {
    const a = makeLeaf(ca, { names: ['a.example.com', 'b.example.com'] });
    const first = inspectCertificate(a.chainPem, a.keyPem);
    assert.deepEqual(first, inspectPemPair(a.chainPem, a.keyPem));
    assert.ok(first.ok);
    first.dnsNames.push('mutated.example.com');
    (first as { fingerprint: string }).fingerprint = 'mutated';
    const second = inspectCertificate(a.chainPem, a.keyPem);
    assert.deepEqual(second, inspectPemPair(a.chainPem, a.keyPem));
    assert.deepEqual(inspectCertificate(a.chainPem, 'junk'), inspectPemPair(a.chainPem, 'junk'));
  });
});
