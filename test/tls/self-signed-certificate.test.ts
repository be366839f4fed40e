import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { objectIdentifier, unsignedInteger, x509Time } from '../../src/dataplane/tls/der.ts';
import { inspectCertificate } from '../../src/dataplane/tls/inspect-certificate.ts';
import { DEFAULT_SELF_SIGNED_NAME, generateSelfSignedCertificate } from '../../src/dataplane/tls/self-signed-certificate.ts';

function opensslText(certPem: string): string {
  return execFileSync('openssl', ['x509', '-noout', '-text'], { input: certPem }).toString();
}

describe('generateSelfSignedCertificate', () => {
  for (const keyType of ['ec', 'rsa'] as const) {
    it(`makes a ${keyType} certificate that Node and openssl parse, with its key`, () => {
      const { certPem, keyPem } = generateSelfSignedCertificate({ keyType });
      const inspection = inspectCertificate(certPem, keyPem);
      assert.ok(inspection.ok, JSON.stringify(inspection));
      assert.equal(inspection.keyType, keyType);
      assert.deepEqual(inspection.dnsNames, [DEFAULT_SELF_SIGNED_NAME]);
      const text = opensslText(certPem);
      assert.match(text, /Version: 3 \(0x2\)/);
      assert.match(text, keyType === 'ec' ? /ecdsa-with-SHA256/ : /sha256WithRSAEncryption/);
      assert.match(text, /CA:FALSE/);
      assert.match(text, /TLS Web Server Authentication/);
      assert.match(text, /DNS:gatehouse-default\.invalid/);
      assert.match(text, /Subject: O = Gatehouse, CN = Gatehouse default certificate/);
      const x509 = new X509Certificate(certPem);
      assert.ok(x509.verify(x509.publicKey), 'self-signature verifies');
    });
  }

  it('sets the validity window it was asked for, across the UTCTime/GeneralizedTime boundary', () => {
    const now = new Date('2049-06-01T00:00:00Z');
    const { certPem } = generateSelfSignedCertificate({ now, days: 400 });
    const x509 = new X509Certificate(certPem);
    assert.equal(x509.validFromDate.toISOString(), '2049-05-31T23:00:00.000Z');
    assert.equal(x509.validToDate.toISOString(), '2050-07-06T00:00:00.000Z');
  });

  it('gives every certificate a fresh key and serial', () => {
    const a = generateSelfSignedCertificate();
    const b = generateSelfSignedCertificate();
    assert.notEqual(a.keyPem, b.keyPem);
    assert.notEqual(new X509Certificate(a.certPem).serialNumber, new X509Certificate(b.certPem).serialNumber);
  });
});

describe('der encoders', () => {
  it('encodes OIDs, integers and times per X.690', () => {
    assert.equal(objectIdentifier('1.2.840.113549.1.1.11').toString('hex'), '06092a864886f70d01010b');
    assert.equal(unsignedInteger(Buffer.from([0x00, 0x00, 0x7f])).toString('hex'), '02017f');
    assert.equal(unsignedInteger(Buffer.from([0x80])).toString('hex'), '02020080');
    assert.equal(unsignedInteger(Buffer.from([0, 0])).toString('hex'), '020100');
    assert.equal(x509Time(new Date('2030-01-02T03:04:05Z')).toString('latin1').slice(2), '300102030405Z');
    assert.equal(x509Time(new Date('2050-01-02T03:04:05Z')).toString('latin1').slice(2), '20500102030405Z');
  });
});
