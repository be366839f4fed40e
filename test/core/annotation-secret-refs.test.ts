// Which Secrets an Ingress's annotations name (what the Kubernetes source reads), and which Secret
// keys the source asks for per Ingress (annotations, tls entries, cross-namespace and
// --watch-namespace rules).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { annotationSecretRefs, parseSecretName } from '../../src/core/annotations/annotation-secret-refs.ts';
import { secretsNamedBy } from '../../src/sources/kube/secrets-named-by.ts';
import { ingress } from './fixtures.ts';

describe('annotationSecretRefs', () => {
  it('reads auth-secret, auth-tls-secret and proxy-ssl-secret under both prefixes, name or namespace/name', () => {
    const ing = ingress('web', {
      namespace: 'team-a',
      annotations: {
        'nginx.ingress.kubernetes.io/auth-secret': 'htpasswd',
        'nginx.ingress.kubernetes.io/auth-tls-secret': 'pki/client-ca',
        'gatehouse.dev/proxy-ssl-secret': 'backend-client',
        'nginx.ingress.kubernetes.io/auth-type': 'basic',
        'nginx.ingress.kubernetes.io/auth-url': 'https://auth.example.com/',
      },
    });
    assert.deepEqual(annotationSecretRefs(ing), [
      { namespace: 'team-a', name: 'backend-client', annotation: 'gatehouse.dev/proxy-ssl-secret' },
      { namespace: 'team-a', name: 'htpasswd', annotation: 'nginx.ingress.kubernetes.io/auth-secret' },
      { namespace: 'pki', name: 'client-ca', annotation: 'nginx.ingress.kubernetes.io/auth-tls-secret' },
    ]);
  });

  it('leaves out values that name no Secret (the resolver reports those)', () => {
    const cases: [string, { namespace: string; name: string } | undefined][] = [
      ['htpasswd', { namespace: 'ns', name: 'htpasswd' }],
      [' htpasswd ', { namespace: 'ns', name: 'htpasswd' }],
      ['other/auth.v1', { namespace: 'other', name: 'auth.v1' }],
      ['', undefined],
      ['a/b/c', undefined],
      ['/name', undefined],
      ['ns/', undefined],
      ['Upper', undefined],
      ['../etc', undefined],
      ['x'.repeat(254), undefined],
      ['bad_ns/name', undefined],
    ];
    for (const [text, want] of cases) assert.deepEqual(parseSecretName(text, 'ns'), want, JSON.stringify(text));
    assert.deepEqual(annotationSecretRefs(ingress('web', { annotations: { 'nginx.ingress.kubernetes.io/auth-secret': 'a/b/c' } })), []);
    assert.deepEqual(annotationSecretRefs(ingress('web')), []);
  });
});

describe('secretsNamedBy (the keys the Kubernetes source reads for one Ingress)', () => {
  const ing = ingress('web', {
    namespace: 'team-a',
    annotations: { 'nginx.ingress.kubernetes.io/auth-secret': 'htpasswd', 'nginx.ingress.kubernetes.io/auth-tls-secret': 'pki/client-ca' },
    tls: [{ hosts: ['a.example.com'], secretName: 'site-tls' }, { hosts: ['b.example.com'] }, { secretName: 'htpasswd' }],
  });
  it('own-namespace annotation Secrets and tls secretNames; another namespace only when allowed and watched', () => {
    assert.deepEqual(secretsNamedBy(ing, { allowCrossNamespace: false, readable: () => true }), ['team-a/htpasswd', 'team-a/site-tls']);
    assert.deepEqual(secretsNamedBy(ing, { allowCrossNamespace: true, readable: () => true }), ['pki/client-ca', 'team-a/htpasswd', 'team-a/site-tls']);
    assert.deepEqual(secretsNamedBy(ing, { allowCrossNamespace: true, readable: (ns) => ns === 'team-a' }), ['team-a/htpasswd', 'team-a/site-tls']);
  });
});
