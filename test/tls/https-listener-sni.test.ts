// Certificate choice per handshake, against the real listener with real TLS clients.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Secret } from '../../src/core/model.ts';
import { emptyRouteTable } from '../../src/core/route-table.ts';
import { makeCa, makeLeaf } from '../support/certs.ts';
import type { TestCa, TestLeaf } from '../support/certs.ts';
import { handshake } from './tls-client.ts';
import { startTlsFixture, tlsSecret } from './tls-fixture.ts';
import { tlsTable } from './tls-tables.ts';

describe('HTTPS listener: certificate by SNI', () => {
  let ca: TestCa;
  let rsaFoo: TestLeaf;
  let ecBar: TestLeaf;
  let ecWild: TestLeaf;
  let rsaMulti: TestLeaf;
  before(() => {
    ca = makeCa();
    rsaFoo = makeLeaf(ca, { names: ['foo.example.com'], keyType: 'rsa' });
    ecBar = makeLeaf(ca, { names: ['bar.example.com'], keyType: 'ec' });
    ecWild = makeLeaf(ca, { names: ['*.apps.example.com'], keyType: 'ec' });
    rsaMulti = makeLeaf(ca, { names: ['one.example.org', 'two.example.org'], keyType: 'rsa' });
  });
  after(() => ca.dispose());

  const table = () =>
    tlsTable([
      { id: 'team-a/foo-tls', certPem: rsaFoo.chainPem, keyPem: rsaFoo.keyPem, hosts: ['foo.example.com'] },
      { id: 'team-b/bar-tls', certPem: ecBar.chainPem, keyPem: ecBar.keyPem, hosts: ['bar.example.com'] },
      { id: 'team-b/wild-tls', certPem: ecWild.chainPem, keyPem: ecWild.keyPem, hosts: ['*.apps.example.com'] },
      { id: 'team-c/multi', certPem: rsaMulti.chainPem, keyPem: rsaMulti.keyPem, hosts: ['one.example.org', 'two.example.org'] },
    ]);

  for (const defaultKeyType of ['ec', 'rsa'] as const) {
    for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
      it(`serves RSA and ECDSA certificates side by side (default ${defaultKeyType}, ${maxVersion})`, async () => {
        const f = await startTlsFixture(table(), { listener: { selfSignedKeyType: defaultKeyType } });
        try {
          const defaultFp = f.https.status().defaultCertificate.fingerprint;
          assert.equal(f.https.status().defaultCertificate.keyType, defaultKeyType);
          const expectations: [string | undefined, string, string][] = [
            ['foo.example.com', rsaFoo.fingerprint, 'team-a/foo-tls'],
            ['FOO.example.COM', rsaFoo.fingerprint, 'team-a/foo-tls'],
            ['bar.example.com', ecBar.fingerprint, 'team-b/bar-tls'],
            ['x.apps.example.com', ecWild.fingerprint, 'team-b/wild-tls'],
            ['one.example.org', rsaMulti.fingerprint, 'team-c/multi'],
            ['two.example.org', rsaMulti.fingerprint, 'team-c/multi'],
            ['y.x.apps.example.com', defaultFp, 'self-signed'], // wildcards cover one label
            ['apps.example.com', defaultFp, 'self-signed'],
            ['unknown.example.net', defaultFp, 'self-signed'],
            [undefined, defaultFp, 'self-signed'], // no SNI at all
          ];
          for (const [servername, fingerprint, id] of expectations) {
            const opts = servername === undefined ? { maxVersion } : { servername, ca: ca.certPem, maxVersion };
            const r = await handshake(f.httpsPort, opts);
            assert.equal(r.fingerprint, fingerprint, `certificate for ${servername ?? '(no SNI)'}`);
            assert.equal(r.protocol, maxVersion);
            if (fingerprint !== defaultFp) {
              assert.ok(r.authorized, `${servername} verifies with the test CA: ${r.authorizationError}`);
              assert.equal(r.issuerCN, ca.name, 'the chain in tls.crt is sent');
            } else {
              assert.equal(r.authorized, false, 'the self-signed default is not trusted by the test CA');
            }
            assert.equal(f.https.certificateFor(servername), id);
          }
        } finally {
          await f.stop();
        }
      });
    }
  }

  it('TLS 1.2 clients that only accept ECDSA get the ECDSA certificate, never the RSA default', async () => {
    const f = await startTlsFixture(table(), { listener: { selfSignedKeyType: 'rsa' } });
    try {
      const r = await handshake(f.httpsPort, {
        servername: 'bar.example.com',
        ca: ca.certPem,
        maxVersion: 'TLSv1.2',
        ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256',
      });
      assert.equal(r.fingerprint, ecBar.fingerprint);
      assert.equal(r.cipher, 'ECDHE-ECDSA-AES128-GCM-SHA256');
      // And an RSA-only client asking for the ECDSA host is refused rather than handed another cert.
      await assert.rejects(
        handshake(f.httpsPort, { servername: 'bar.example.com', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }),
        /handshake failure|no shared cipher|alert/i,
      );
    } finally {
      await f.stop();
    }
  });

  it('uses --default-tls-secret for unknown names and no SNI, keeps the last good one when it breaks', async () => {
    const ops = makeLeaf(ca, { names: ['ingress.ops.example'], keyType: 'ec' });
    const ops2 = makeLeaf(ca, { names: ['ingress.ops.example'], keyType: 'rsa' });
    const good = (leaf: TestLeaf): Map<string, Secret> =>
      new Map([['ops/default-cert', tlsSecret('ops', 'default-cert', { 'tls.crt': leaf.chainPem, 'tls.key': leaf.keyPem })]]);

    // Missing at start: the self-signed one serves, and the status says why.
    const f = await startTlsFixture(table(), { listener: { defaultTlsSecret: 'ops/default-cert' }, secrets: new Map() });
    try {
      const selfSigned = f.https.status().defaultCertificate;
      assert.equal(selfSigned.source, 'self-signed');
      assert.equal(selfSigned.problem?.code, 'TLSSecretNotFound');
      assert.equal((await handshake(f.httpsPort, { servername: 'nope.example' })).fingerprint, selfSigned.fingerprint);

      f.apply(table(), good(ops));
      assert.deepEqual(
        { id: f.https.status().defaultCertificate.id, problem: f.https.status().defaultCertificate.problem },
        { id: 'ops/default-cert', problem: undefined },
      );
      for (const servername of ['nope.example', undefined]) {
        const r = await handshake(f.httpsPort, servername === undefined ? {} : { servername, ca: ca.certPem });
        assert.equal(r.fingerprint, ops.fingerprint, `default for ${servername ?? '(no SNI)'}`);
      }
      assert.equal((await handshake(f.httpsPort, { servername: 'foo.example.com' })).fingerprint, rsaFoo.fingerprint);

      // Broken in each way: the last good default keeps serving, the status names the problem.
      const broken: [string, Secret | undefined][] = [
        ['TLSSecretNotFound', undefined],
        ['TLSSecretWrongType', tlsSecret('ops', 'default-cert', { 'tls.crt': ops.chainPem, 'tls.key': ops.keyPem }, 'Opaque')],
        ['TLSSecretMissingData', tlsSecret('ops', 'default-cert', { 'tls.crt': ops.chainPem })],
        ['TLSSecretInvalid', tlsSecret('ops', 'default-cert', { 'tls.crt': ops.chainPem, 'tls.key': ops2.keyPem })],
        ['TLSSecretInvalid', tlsSecret('ops', 'default-cert', { 'tls.crt': 'garbage', 'tls.key': ops.keyPem })],
      ];
      for (const [code, secret] of broken) {
        f.apply(table(), new Map(secret === undefined ? [] : [['ops/default-cert', secret]]));
        const status = f.https.status().defaultCertificate;
        assert.equal(status.problem?.code, code);
        assert.equal(status.fingerprint, ops.fingerprint);
        assert.equal((await handshake(f.httpsPort, {})).fingerprint, ops.fingerprint, `still the last good default after ${code}`);
      }

      // Rotated to an RSA default: new handshakes see it at once.
      f.apply(table(), good(ops2));
      assert.equal((await handshake(f.httpsPort, {})).fingerprint, ops2.fingerprint);
      assert.equal((await handshake(f.httpsPort, { servername: 'bar.example.com' })).fingerprint, ecBar.fingerprint);

      const text = f.lines.join('\n');
      assert.match(text, /TLSSecretWrongType/);
      assert.doesNotMatch(text, /PRIVATE KEY|BEGIN CERTIFICATE/);
      assert.ok(!text.includes(ops.keyPem.split('\n')[1]!), 'no key material in logs');
    } finally {
      await f.stop();
    }
  });

  it('lists table entries it cannot serve in status(), and gives those names the default', async () => {
    const t = table();
    t.sni.push({ host: 'ghost.example.com', certificate: 'team-z/ghost', ingress: 'team-z/ing' });
    const f = await startTlsFixture(t);
    try {
      assert.deepEqual(f.https.status().problems, [{ host: 'ghost.example.com', certificate: 'team-z/ghost', code: 'ERR_TLS_CERTIFICATE_NOT_IN_TABLE' }]);
      assert.equal(f.https.certificateFor('ghost.example.com'), 'self-signed');
      assert.equal((await handshake(f.httpsPort, { servername: 'ghost.example.com' })).fingerprint, f.https.status().defaultCertificate.fingerprint);
      assert.equal(f.https.status().sniNames, 5);
      assert.equal(f.https.status().contexts, 5, 'four certificates and the default');
      assert.ok(f.logs().some((l) => l.msg === 'certificate not served; its names get the default certificate' && l.host === 'ghost.example.com'));
    } finally {
      await f.stop();
    }
  });

  it('serves only the default certificate before any table, and from an empty table', async () => {
    const f = await startTlsFixture(emptyRouteTable());
    try {
      const r = await handshake(f.httpsPort, { servername: 'foo.example.com' });
      assert.equal(r.fingerprint, f.https.status().defaultCertificate.fingerprint);
      assert.equal(r.subjectAltName, 'DNS:gatehouse-default.invalid', 'the default belongs to no tenant host');
    } finally {
      await f.stop();
    }
  });
});
