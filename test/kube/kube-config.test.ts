// Finding the cluster (--kubeconfig, $KUBECONFIG with several files, ~/.kube/config, --context)
// and parsing the publish flags: loud, specific errors, never a silent fallback.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { backoffDelay } from '../../src/kube/backoff.ts';
import { loadKubeConfig } from '../../src/kube/load-kube-config.ts';
import { addressesOfService, parsePublishAddress, parsePublishService } from '../../src/status/publish-addresses.ts';
import { microTime } from '../../src/status/micro-time.ts';

const dir = mkdtempSync(join(tmpdir(), 'gatehouse-kubeconfig-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function kubeconfig(file: string, server: string, context: string, extra: { contexts?: string[]; namespace?: string } = {}): string {
  const path = join(dir, file);
  const contexts = [context, ...(extra.contexts ?? [])];
  writeFileSync(path, JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: contexts.map((c) => ({ name: `cluster-${c}`, cluster: { server: `${server}/${c}` } })),
    users: contexts.map((c) => ({ name: `user-${c}`, user: { token: `token-${c}` } })),
    contexts: contexts.map((c) => ({ name: c, context: { cluster: `cluster-${c}`, user: `user-${c}`, ...(extra.namespace ? { namespace: extra.namespace } : {}) } })),
    'current-context': context,
  }));
  return path;
}

describe('loadKubeConfig', () => {
  const a = kubeconfig('a.json', 'https://a.example:6443', 'alpha', { contexts: ['beta'], namespace: 'team-a' });
  const b = kubeconfig('b.json', 'https://b.example:6443', 'gamma', { contexts: ['alpha'] });

  it('uses --kubeconfig, its current context and namespace', () => {
    const loaded = loadKubeConfig({ kubeconfig: a, env: {} });
    assert.equal(loaded.origin, a);
    assert.equal(loaded.kubeConfig.getCurrentCluster()?.server, 'https://a.example:6443/alpha');
    assert.equal(loaded.namespace, 'team-a');
  });

  it('switches with --context, and refuses an unknown one', () => {
    assert.equal(loadKubeConfig({ kubeconfig: a, context: 'beta', env: {} }).kubeConfig.getCurrentCluster()?.server, 'https://a.example:6443/beta');
    assert.throws(() => loadKubeConfig({ kubeconfig: a, context: 'nope', env: {} }), (err: Error & { code?: string }) => err.code === 'ERR_KUBECONFIG' && /no context named "nope"/.test(err.message));
  });

  it('merges $KUBECONFIG files, the first definition of a name winning', () => {
    const loaded = loadKubeConfig({ env: { KUBECONFIG: `${a}:${join(dir, 'missing.json')}:${b}` } });
    assert.equal(loaded.kubeConfig.getCurrentContext(), 'alpha');
    assert.equal(loaded.kubeConfig.getCurrentCluster()?.server, 'https://a.example:6443/alpha');
    assert.ok(loaded.kubeConfig.getContextObject('gamma'));
    assert.equal(loadKubeConfig({ context: 'gamma', env: { KUBECONFIG: `${a}:${b}` } }).kubeConfig.getCurrentCluster()?.server, 'https://b.example:6443/gamma');
  });

  it('falls back to ~/.kube/config, and fails loudly when there is nothing at all', () => {
    const home = join(dir, 'home');
    mkdirSync(join(home, '.kube'), { recursive: true });
    assert.throws(() => loadKubeConfig({ env: { HOME: home } }), (err: Error & { code?: string }) => err.code === 'ERR_KUBECONFIG' && /no Kubernetes configuration found/.test(err.message));
    kubeconfig(join('home', '.kube', 'config'), 'https://home.example:6443', 'home');
    assert.equal(loadKubeConfig({ env: { HOME: home } }).kubeConfig.getCurrentCluster()?.server, 'https://home.example:6443/home');
  });

  it('refuses a --kubeconfig that does not exist or does not parse', () => {
    assert.throws(() => loadKubeConfig({ kubeconfig: join(dir, 'nope.yaml'), env: {} }), /no such file/);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'clusters: [: not yaml');
    assert.throws(() => loadKubeConfig({ kubeconfig: broken, env: {} }), (err: Error & { code?: string }) => err.code === 'ERR_KUBECONFIG');
  });
});

describe('publish flags', () => {
  it('parses IPs and host names, and rejects anything else', () => {
    assert.deepEqual(parsePublishAddress('203.0.113.7'), { ip: '203.0.113.7' });
    assert.deepEqual(parsePublishAddress('2001:db8::1'), { ip: '2001:db8::1' });
    assert.deepEqual(parsePublishAddress('LB.Example.com.'), { hostname: 'lb.example.com' });
    for (const bad of ['', 'http://x', 'a b', 'x_y.example', '-x.example', '999.1.1.1.1', `${'a'.repeat(64)}.example`]) {
      assert.throws(() => parsePublishAddress(bad), (err: Error & { code?: string }) => err.code === 'ERR_PUBLISH_ADDRESS', bad);
    }
  });

  it('parses NAMESPACE/NAME', () => {
    assert.deepEqual(parsePublishService('gatehouse/gatehouse'), { namespace: 'gatehouse', name: 'gatehouse' });
    for (const bad of ['gatehouse', '/x', 'x/', 'a/b/c', 'A/b', 'a/b c']) assert.throws(() => parsePublishService(bad), /NAMESPACE\/NAME/, bad);
  });

  it("takes a Service's load-balancer ingress, else its external IPs", () => {
    assert.deepEqual(addressesOfService({ spec: { externalIPs: ['198.51.100.1'] }, status: { loadBalancer: { ingress: [{ hostname: 'lb.example' }, { ip: '198.51.100.9' }] } } }), [{ hostname: 'lb.example' }, { ip: '198.51.100.9' }]);
    assert.deepEqual(addressesOfService({ spec: { externalIPs: ['198.51.100.1', '198.51.100.1'] }, status: { loadBalancer: {} } }), [{ ip: '198.51.100.1' }]);
    assert.deepEqual(addressesOfService({ spec: {} }), []);
  });
});

describe('small pieces', () => {
  it('backs off exponentially up to the cap, with jitter only downwards', () => {
    const opts = { initialMs: 500, maxMs: 10_000, jitter: 0.2 };
    assert.deepEqual([1, 2, 3, 4, 5, 6, 50].map((n) => backoffDelay(n, opts, () => 0)), [500, 1000, 2000, 4000, 8000, 10_000, 10_000]);
    assert.equal(backoffDelay(3, opts, () => 1), 1600);
  });

  it('writes MicroTime with six fractional digits', () => {
    assert.equal(microTime(new Date('2026-01-02T03:04:05.678Z')), '2026-01-02T03:04:05.678000Z');
  });
});
