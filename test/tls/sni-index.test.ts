import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createSecureContextCache } from '../../src/dataplane/tls/secure-context-cache.ts';
import { compileSniIndex, lookupSni } from '../../src/dataplane/tls/sni-index.ts';
import { makeCa, makeLeaf } from '../support/certs.ts';
import type { TestCa, TestLeaf } from '../support/certs.ts';
import { tlsTable } from './tls-tables.ts';

describe('SNI index', () => {
  let ca: TestCa;
  let foo: TestLeaf;
  let wild: TestLeaf;
  let bar: TestLeaf;
  before(() => {
    ca = makeCa();
    foo = makeLeaf(ca, { names: ['foo.example.com'], keyType: 'rsa' });
    wild = makeLeaf(ca, { names: ['*.example.com'], keyType: 'ec' });
    bar = makeLeaf(ca, { names: ['bar.example.com'], keyType: 'ec' });
  });
  after(() => ca.dispose());

  it('looks up the exact name, then a one-label wildcard, else nothing', () => {
    const cache = createSecureContextCache();
    const index = compileSniIndex(
      tlsTable([
        { id: 'a/foo', certPem: foo.chainPem, keyPem: foo.keyPem, hosts: ['foo.example.com'] },
        { id: 'b/wild', certPem: wild.chainPem, keyPem: wild.keyPem, hosts: ['*.example.com'] },
      ]),
      cache,
    );
    const pick = (name: string): string | undefined => lookupSni(index, name)?.certificate;
    assert.equal(pick('foo.example.com'), 'a/foo');
    assert.equal(pick('FOO.Example.COM'), 'a/foo', 'SNI is case-insensitive');
    assert.equal(pick('foo.example.com.'), 'a/foo', 'absolute name');
    assert.equal(pick('bar.example.com'), 'b/wild');
    assert.equal(pick('baz.bar.example.com'), undefined, 'a wildcard covers one label only');
    assert.equal(pick('example.com'), undefined, 'a wildcard needs a label');
    assert.equal(pick('.example.com'), undefined);
    assert.equal(pick('other.test'), undefined);
    assert.equal(pick(''), undefined);
    assert.equal(pick('localhost'), undefined);
    assert.notEqual(lookupSni(index, 'foo.example.com')!.context, lookupSni(index, 'bar.example.com')!.context);
  });

  it('reuses cached contexts across rebuilds and builds only what changed', () => {
    const cache = createSecureContextCache();
    const entries = [
      { id: 'a/foo', certPem: foo.chainPem, keyPem: foo.keyPem, hosts: ['foo.example.com'] },
      { id: 'b/bar', certPem: bar.chainPem, keyPem: bar.keyPem, hosts: ['bar.example.com', 'www.bar.example.com'] },
    ];
    const first = compileSniIndex(tlsTable(entries), cache);
    assert.equal(cache.built, 2, 'one context per certificate, not per name');
    const second = compileSniIndex(tlsTable(entries), cache);
    assert.equal(cache.built, 2, 'a rebuild with the same certificates builds nothing');
    assert.equal(lookupSni(first, 'foo.example.com')!.context, lookupSni(second, 'foo.example.com')!.context);

    // Rotation: the same Secret id with a new certificate gets a new context; the old one is dropped.
    const rotated = makeLeaf(ca, { names: ['foo.example.com'], keyType: 'ec' });
    const third = compileSniIndex(tlsTable([{ ...entries[0]!, certPem: rotated.chainPem, keyPem: rotated.keyPem }, entries[1]!]), cache);
    assert.equal(cache.built, 3);
    cache.retain(third.contextKeys);
    assert.equal(cache.size, 2);
    assert.notEqual(lookupSni(third, 'foo.example.com')!.context, lookupSni(first, 'foo.example.com')!.context);

    // The same leaf with a different chain is a different context (the chain is what clients get).
    compileSniIndex(tlsTable([{ ...entries[1]!, certPem: bar.certPem }]), cache);
    assert.equal(cache.built, 4);
  });

  it('leaves out entries whose certificate is missing or refused, and says why without PEM text', () => {
    const cache = createSecureContextCache();
    const table = tlsTable([{ id: 'a/foo', certPem: foo.chainPem, keyPem: foo.keyPem, hosts: ['foo.example.com'] }]);
    table.sni.push({ host: 'ghost.example.com', certificate: 'a/ghost', ingress: 'a/ing' });
    // A table entry OpenSSL refuses (the builder would not produce it; the data plane must survive it).
    const otherRsaKey = makeLeaf(ca, { names: ['x.example.com'], keyType: 'rsa' }).keyPem;
    table.certificates['a/broken'] = { ...table.certificates['a/foo']!, id: 'a/broken', keyPem: otherRsaKey };
    table.sni.push({ host: 'broken.example.com', certificate: 'a/broken', ingress: 'a/ing' });
    const index = compileSniIndex(table, cache);
    assert.equal(lookupSni(index, 'foo.example.com')?.certificate, 'a/foo');
    assert.equal(lookupSni(index, 'ghost.example.com'), undefined);
    assert.equal(lookupSni(index, 'broken.example.com'), undefined);
    assert.deepEqual(
      index.problems.map((p) => [p.host, p.certificate]),
      [['ghost.example.com', 'a/ghost'], ['broken.example.com', 'a/broken']],
    );
    assert.ok(!JSON.stringify(index.problems).includes('PRIVATE'));
    assert.match(index.problems[1]!.code, /^ERR_/);
  });
});
