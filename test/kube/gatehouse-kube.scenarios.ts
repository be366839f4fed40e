// The scenarios of gatehouse-kube.test.ts (run inside a private network namespace). Everything
// is real: kube-apiserver + etcd, kubectl, the built `gatehouse serve` running under the deploy/
// ServiceAccount (so every scenario also proves that RBAC is enough), echo backends at the
// EndpointSlice addresses, curl for HTTPS as in the tutorial.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { makeCa, makeSelfSigned, type TestCa } from '../support/certs.ts';
import { startEchoBackend, type EchoBackend, type EchoReply } from '../support/echo-backend.ts';
import { httpRequest, json } from '../support/http-client.ts';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';
import { startGatehouse, type GatehouseProcess } from './gatehouse-process.ts';
import { applyDeployRbac, endpointSliceYaml, eventually, ingressAddresses, REPO, serviceYaml, setIngressAddresses } from './kube-fixtures.ts';
import { ENDPOINT_PREFIX } from './private-netns.ts';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ECHO_PORT = 8080;
const LB_ADDRESS = '198.51.100.10'; // what a cloud would write into the gatehouse Service's status

/** The tutorial's example, in networking.k8s.io/v1 form, with class gatehouse. */
const TUTORIAL_INGRESSES = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: kubia
  namespace: default
spec:
  ingressClassName: gatehouse
  rules:
  - host: kubia.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: kubia-nodeport
            port:
              number: 80
      - path: /kubia
        pathType: Prefix
        backend:
          service:
            name: kubia
            port:
              number: 80
      - path: /bar
        pathType: Prefix
        backend:
          service:
            name: bar
            port:
              number: 80
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: foo-bar
  namespace: default
spec:
  ingressClassName: gatehouse
  rules:
  - host: foo.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: foo
            port:
              number: 80
  - host: bar.example.com
    http:
      paths:
      - path: /
        pathType: Prefix
        backend:
          service:
            name: bar
            port:
              number: 80
`;

/** The tutorial's second step: the same kubia Ingress, now with a tls section. */
function withTls(ingresses: string): string {
  return ingresses.replace('spec:\n  ingressClassName: gatehouse\n  rules:\n  - host: kubia.example.com',
    'spec:\n  ingressClassName: gatehouse\n  tls:\n  - hosts:\n    - kubia.example.com\n    secretName: tls-secret\n  rules:\n  - host: kubia.example.com');
}

function singlePathIngress(name: string, host: string, path: string, service: string, className = 'gatehouse'): string {
  return JSON.stringify({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { namespace: 'default', name },
    spec: {
      ingressClassName: className,
      rules: [{ host, http: { paths: [{ path, pathType: 'Prefix', backend: { service: { name: service, port: { number: 80 } } } }] } }],
    },
  });
}

/** One htpasswd line made by the real tool (apache2-utils), bcrypt as ingress-nginx's docs suggest. */
function htpasswdLine(user: string, password: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('htpasswd', ['-nbB', user, password], { timeout: 15_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout.trim())));
  });
}

const basicAuthHeader = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('curl', args, { timeout: 15_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** The fingerprint of the certificate served for this SNI name. */
function servedFingerprint(port: number, servername: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false }, () => {
      const fp = socket.getPeerCertificate().fingerprint256.replaceAll(':', '').toLowerCase();
      socket.end();
      resolve(fp);
    });
    socket.on('error', reject);
    socket.setTimeout(5_000, () => socket.destroy(new Error('TLS handshake timed out')));
  });
}

/** GET over HTTPS with SNI and Host set to `host` (the certificate is self-signed, as with curl -k). */
function httpsGet(port: number, host: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, servername: host, headers: { host }, rejectUnauthorized: false, agent: false, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('Gatehouse in Kubernetes mode (real API server, deploy/ RBAC)', { concurrency: false }, () => {
  let h: KubeHarness;
  let saKubeconfig: string;
  let ca: TestCa;
  const echo = new Map<string, EchoBackend>();
  const gatehouses: GatehouseProcess[] = [];
  let a: GatehouseProcess;
  let restartWindow: { from: number; to: number } | undefined;

  const gatehouseArgs = (): string[] => [`--kubeconfig=${saKubeconfig}`, '--publish-service=gatehouse/gatehouse'];
  const env = (pod: string): Record<string, string> => ({ POD_NAME: pod, POD_NAMESPACE: 'gatehouse' });

  const get = async (g: GatehouseProcess, host: string, path: string): Promise<{ status: number; name?: string }> => {
    const r = await httpRequest(g.ports.http, { host, path, timeoutMs: 5_000 });
    if (r.status !== 200) return { status: r.status };
    return { status: 200, name: json<EchoReply>(r).name };
  };

  /** GET / on guarded.example.com, with this Authorization header if given. */
  const guardedGet = (g: GatehouseProcess, authorization?: string): ReturnType<typeof httpRequest> =>
    httpRequest(g.ports.http, { host: 'guarded.example.com', path: '/', timeoutMs: 5_000, ...(authorization ? { headers: { authorization } } : {}) });

  const backendOf = async (g: GatehouseProcess, host: string, path: string): Promise<string | undefined> => (await get(g, host, path)).name;
  const tlsBackendOf = async (g: GatehouseProcess, host: string, path: string): Promise<string | undefined> => {
    const r = await httpsGet(g.ports.https, host, path);
    return r.status === 200 ? (JSON.parse(r.body) as EchoReply).name : undefined;
  };

  const waitReady = async (g: GatehouseProcess): Promise<void> => {
    await eventually(`${g.name} /readyz 200`, async () => (await httpRequest(g.ports.admin, { path: '/readyz' })).status === 200, { timeoutMs: 30_000 });
  };

  const leaseHolder = async (): Promise<string | undefined> => {
    const r = await h.kubectl(['get', 'lease', 'gatehouse-leader', '-n', 'gatehouse', '-o', 'jsonpath={.spec.holderIdentity}'], { allowFailure: true });
    return r.code === 0 ? r.stdout.trim() : undefined;
  };

  before(async () => {
    h = await startKubeHarness();
    await applyDeployRbac(h);
    await h.apply(readFileSync(join(REPO, 'deploy', '40-service.yaml'), 'utf8'));
    // No cloud controller runs here: write the load balancer's address as one would.
    await h.kubectl(['patch', 'service', 'gatehouse', '-n', 'gatehouse', '--subresource=status', '--type=merge',
      '-p', JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: LB_ADDRESS }] } } })]);

    const backends: [string, number][] = [['kubia-nodeport', 10], ['kubia-1', 11], ['kubia-2', 12], ['bar', 20], ['foo', 30], ['foo-2', 31]];
    for (const [name, host] of backends) {
      echo.set(name, await startEchoBackend({ name, address: `${ENDPOINT_PREFIX}${host}`, port: ECHO_PORT }));
    }
    const ip = (name: string): string => echo.get(name)!.address;

    // The tutorial's Services, and the EndpointSlices the endpoints controller would write.
    await h.apply(serviceYaml('default', 'kubia-nodeport', [{ name: 'http', port: 80 }], { type: 'NodePort' }));
    for (const svc of ['kubia', 'bar', 'foo']) await h.apply(serviceYaml('default', svc, [{ name: 'http', port: 80 }]));
    const slices: [string, string][] = [['kubia-nodeport', 'kubia-nodeport'], ['kubia', 'kubia-1'], ['bar', 'bar'], ['foo', 'foo']];
    for (const [svc, backend] of slices) {
      await h.apply(endpointSliceYaml('default', svc, 'http', [{ address: ip(backend), port: ECHO_PORT }]));
    }
    // The tutorial's TLS Secret, made the tutorial's way (openssl genrsa + req -x509, kubectl create secret tls).
    ca = makeCa();
    const cert = makeSelfSigned(ca, 'kubia.example.com');
    await h.kubectl(['create', 'secret', 'tls', 'tls-secret', `--cert=${cert.certPath}`, `--key=${cert.keyPath}`]);
    await h.apply(TUTORIAL_INGRESSES);

    saKubeconfig = await h.serviceAccountKubeconfig('gatehouse', 'gatehouse');
    a = await startGatehouse('gatehouse-a', gatehouseArgs(), env('gatehouse-a'));
    gatehouses.push(a);
    await waitReady(a);
  });

  after(async () => {
    for (const g of gatehouses) await g.stop('SIGTERM');
    for (const e of echo.values()) await e.close();
    ca?.dispose();
    await h?.stop();
  });

  it('routes the tutorial example over HTTP by host and path, straight to the endpoints', async () => {
    assert.equal(await backendOf(a, 'kubia.example.com', '/'), 'kubia-nodeport');
    assert.equal(await backendOf(a, 'kubia.example.com', '/kubia'), 'kubia-1');
    assert.equal(await backendOf(a, 'kubia.example.com', '/kubia/deeper?x=1'), 'kubia-1');
    assert.equal(await backendOf(a, 'kubia.example.com', '/bar'), 'bar');
    assert.equal(await backendOf(a, 'foo.example.com', '/anything'), 'foo');
    assert.equal(await backendOf(a, 'bar.example.com', '/'), 'bar');
    assert.equal((await get(a, 'nobody.example.com', '/')).status, 404);
    // The real curl, as the tutorial does it.
    const r = await curl(['-sS', '--resolve', `kubia.example.com:${a.ports.http}:127.0.0.1`, `http://kubia.example.com:${a.ports.http}/kubia`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as EchoReply).name, 'kubia-1');
  });

  it('adds TLS as the tutorial does: HTTPS with its Secret (curl -k), HTTP redirected, a rotated Secret followed', async () => {
    await h.apply(withTls(TUTORIAL_INGRESSES));
    await eventually('HTTP redirected to HTTPS for the TLS host', async () => (await get(a, 'kubia.example.com', '/kubia')).status === 308);
    const redirect = await httpRequest(a.ports.http, { host: 'kubia.example.com', path: '/kubia?x=1' });
    assert.equal(redirect.headers.location, `https://kubia.example.com:${a.ports.https}/kubia?x=1`);
    // A host without tls keeps plain HTTP.
    assert.equal(await backendOf(a, 'foo.example.com', '/'), 'foo');
    const r = await curl(['-sS', '-k', '--resolve', `kubia.example.com:${a.ports.https}:127.0.0.1`, `https://kubia.example.com:${a.ports.https}/kubia`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as EchoReply).name, 'kubia-1');

    const secret = await h.kubectlJson<{ data: Record<string, string> }>(['get', 'secret', 'tls-secret']);
    const before = await servedFingerprint(a.ports.https, 'kubia.example.com');
    const { X509Certificate } = await import('node:crypto');
    const fpOf = (pem: string): string => new X509Certificate(pem).fingerprint256.replaceAll(':', '').toLowerCase();
    assert.equal(before, fpOf(Buffer.from(secret.data['tls.crt']!, 'base64').toString('utf8')));

    const rotated = makeSelfSigned(ca, 'kubia.example.com');
    const yaml = await h.kubectl(['create', 'secret', 'tls', 'tls-secret', `--cert=${rotated.certPath}`, `--key=${rotated.keyPath}`, '--dry-run=client', '-o', 'yaml']);
    await h.apply(yaml.stdout);
    await eventually('the rotated certificate served', async () => (await servedFingerprint(a.ports.https, 'kubia.example.com')) === rotated.fingerprint);
    assert.notEqual(rotated.fingerprint, before);
  });

  it('publishes its address: kubectl get ingresses shows it; an Ingress of another class gets none and is not routed', async () => {
    await h.apply(singlePathIngress('other', 'other.example.com', '/', 'bar', 'someone-else'));
    await h.apply(JSON.stringify({ apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'someone-else' }, spec: { controller: 'example.com/another-controller' } }));
    for (const name of ['kubia', 'foo-bar']) {
      await eventually(`address on ${name}`, async () => (await ingressAddresses(h, 'default', name)).some((e) => e.ip === LB_ADDRESS));
    }
    const table = await h.kubectl(['get', 'ingresses', '-n', 'default']);
    const line = (name: string): string => table.stdout.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';
    assert.match(line('kubia'), new RegExp(`\\b${LB_ADDRESS.replaceAll('.', '\\.')}\\b`), table.stdout);
    assert.match(line('foo-bar'), new RegExp(`\\b${LB_ADDRESS.replaceAll('.', '\\.')}\\b`), table.stdout);
    // The other class: no address, no route, and our controller never wrote to it.
    assert.equal((await get(a, 'other.example.com', '/')).status, 404);
    assert.deepEqual(await ingressAddresses(h, 'default', 'other'), []);
    assert.doesNotMatch(line('other'), /198\.51\.100\.10/);
    assert.ok(!a.logged('ingress status updated').some((l) => l.ingress === 'default/other'));
    // Why it is skipped is said: an info diagnostic on /debug/diagnostics and in the log (and no
    // Event on it: checked in the next test, once an Event recorded after it has appeared).
    const diagnostics = await eventually('the skipped Ingress explained', async () => {
      const r = await fetch(`http://127.0.0.1:${a.ports.admin}/debug/diagnostics`);
      const { diagnostics: list } = (await r.json()) as { diagnostics: { code: string; severity: string; object: { name: string } }[] };
      return list.find((d) => d.code === 'IngressClassOtherController' && d.object.name === 'other');
    });
    assert.equal(diagnostics.severity, 'info');
    assert.ok(a.logged('diagnostic').some((l) => l.code === 'IngressClassOtherController' && l.level === 'info'));
  });

  it('records why a backend is rejected as an Event that kubectl describe shows', async () => {
    await h.apply(singlePathIngress('broken', 'broken.example.com', '/', 'ghost'));
    await eventually('BackendServiceNotFound event', async () => {
      const d = await h.kubectl(['describe', 'ingress', 'broken', '-n', 'default']);
      return /BackendServiceNotFound/.test(d.stdout) ? d : undefined;
    });
    // The Ingress of another class, skipped with an info diagnostic earlier, got no Event.
    const events = await h.kubectlJson<{ items: { involvedObject: { name: string }; reason: string }[] }>(['get', 'events', '-n', 'default']);
    assert.ok(events.items.some((e) => e.reason === 'BackendServiceNotFound'));
    assert.ok(!events.items.some((e) => e.involvedObject.name === 'other'), JSON.stringify(events.items.map((e) => [e.involvedObject.name, e.reason])));
  });

  it('refuses an Ingress whose annotation asks for a protection Gatehouse does not enforce: 503, and an Event naming it', async () => {
    const refused = JSON.parse(singlePathIngress('oauth', 'oauth.example.com', '/', 'kubia')) as { metadata: { annotations?: Record<string, string> } };
    // auth-url is enforced now; the auth-snippet next to it (an nginx snippet) is not, and refuses.
    refused.metadata.annotations = { 'nginx.ingress.kubernetes.io/auth-url': 'https://$host/oauth2/auth', 'nginx.ingress.kubernetes.io/auth-snippet': 'proxy_set_header X-Foo 42;' };
    await h.apply(JSON.stringify(refused));
    await eventually('503 on the refused host', async () => (await get(a, 'oauth.example.com', '/')).status === 503);
    await eventually('AnnotationProtectionUnsupported event', async () => {
      const d = await h.kubectl(['describe', 'ingress', 'oauth', '-n', 'default']);
      return /AnnotationProtectionUnsupported/.test(d.stdout) && /auth-snippet/.test(d.stdout) ? d : undefined;
    });
  });

  it('basic auth from an auth-secret: a Secret changed with kubectl apply takes effect within a second, a deleted one refuses (503)', async (t) => {
    // As ingress-nginx's basic-auth example does it: htpasswd -> file `auth` -> kubectl create secret generic.
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-basic-auth-'));
    const secretFrom = async (user: string, password: string): Promise<string> => {
      writeFileSync(join(dir, 'auth'), `${await htpasswdLine(user, password)}\n`);
      const r = await h.kubectl(['create', 'secret', 'generic', 'basic-auth', '-n', 'default', `--from-file=${join(dir, 'auth')}`, '--dry-run=client', '-o', 'yaml']);
      return r.stdout;
    };
    try {
      await h.apply(await secretFrom('alice', 'first'));
      const ingress = JSON.parse(singlePathIngress('guarded', 'guarded.example.com', '/', 'bar')) as { metadata: { annotations?: Record<string, string> } };
      ingress.metadata.annotations = {
        'nginx.ingress.kubernetes.io/auth-type': 'basic',
        'nginx.ingress.kubernetes.io/auth-secret': 'basic-auth',
        'nginx.ingress.kubernetes.io/auth-realm': 'Authentication Required - alice',
      };
      await h.apply(JSON.stringify(ingress));
      await eventually('the first password accepted', async () => (await guardedGet(a, basicAuthHeader('alice', 'first'))).status === 200);
      const challenge = await guardedGet(a);
      assert.equal(challenge.status, 401);
      assert.equal(challenge.headers['www-authenticate'], 'Basic realm="Authentication Required - alice"');
      assert.equal((await guardedGet(a, basicAuthHeader('alice', 'wrong'))).status, 401);
      // The real curl, as a user would.
      const viaCurl = await curl(['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-u', 'alice:first', '--resolve', `guarded.example.com:${a.ports.http}:127.0.0.1`, `http://guarded.example.com:${a.ports.http}/`]);
      assert.equal(viaCurl.stdout, '200', viaCurl.stderr);

      // The password changed with kubectl apply: the new one works within about a second, the old one no more.
      const changed = await secretFrom('alice', 'second');
      await h.apply(changed);
      const applied = performance.now();
      await eventually('the new password accepted', async () => (await guardedGet(a, basicAuthHeader('alice', 'second'))).status === 200, { timeoutMs: 10_000, intervalMs: 20 });
      const tookMs = Math.round(performance.now() - applied);
      assert.equal((await guardedGet(a, basicAuthHeader('alice', 'first'))).status, 401);
      t.diagnostic(`kubectl apply of a changed auth Secret -> new password accepted: ${tookMs} ms after apply returned`);
      process.stderr.write(`MEASURED auth Secret change -> new password accepted ${tookMs} ms after kubectl apply returned\n`);
      assert.ok(tookMs < 10_000);

      // Deleted: the Ingress is refused (fail closed), and says why.
      await h.kubectl(['delete', 'secret', 'basic-auth', '-n', 'default']);
      await eventually('503 once the Secret is gone', async () => (await guardedGet(a, basicAuthHeader('alice', 'second'))).status === 503);
      assert.equal((await guardedGet(a)).status, 503);
      await eventually('BasicAuthSecretNotFound event', async () => {
        const d = await h.kubectl(['describe', 'ingress', 'guarded', '-n', 'default']);
        return /BasicAuthSecretNotFound/.test(d.stdout) ? d : undefined;
      });

      // Back again (the outage scenario below relies on it).
      await h.apply(await secretFrom('alice', 'restored'));
      await eventually('served again once the Secret is back', async () => (await guardedGet(a, basicAuthHeader('alice', 'restored'))).status === 200);
      assert.equal((await guardedGet(a)).status, 401);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves a re-applied Ingress with a new path within about a second (measured)', async (t) => {
    const samples: { applyMs: number; afterApplyReturnedMs: number }[] = [];
    for (let i = 1; i <= 5; i++) {
      const path = `/fresh-${i}`;
      const started = performance.now();
      await h.apply(singlePathIngress('measure', 'measure.example.com', path, 'kubia'));
      const applied = performance.now();
      await eventually(`route ${path}`, async () => (await get(a, 'measure.example.com', path)).status === 200, { timeoutMs: 10_000, intervalMs: 5 });
      const serving = performance.now();
      samples.push({ applyMs: Math.round(serving - started), afterApplyReturnedMs: Math.round(serving - applied) });
      // The previous path is gone: the Ingress was replaced, not merged.
      if (i > 1) assert.equal((await get(a, 'measure.example.com', `/fresh-${i - 1}`)).status, 404);
    }
    const sorted = (k: 'applyMs' | 'afterApplyReturnedMs'): number[] => samples.map((s) => s[k]).sort((x, y) => x - y);
    const report = `kubectl apply -> new route serving: from the start of kubectl apply ${sorted('applyMs').join('/')} ms; from apply returning ${sorted('afterApplyReturnedMs').join('/')} ms (5 samples, sorted)`;
    t.diagnostic(report);
    process.stderr.write(`MEASURED ${report}\n`);
  });

  it('follows EndpointSlices scaled up, marked not ready, and scaled down', async () => {
    const ip = (name: string): string => echo.get(name)!.address;
    const seen = async (n: number): Promise<Set<string>> => {
      const names = new Set<string>();
      for (let i = 0; i < n; i++) {
        const name = await tlsBackendOf(a, 'kubia.example.com', '/kubia');
        if (name) names.add(name);
      }
      return names;
    };
    await h.apply(endpointSliceYaml('default', 'kubia', 'http', [{ address: ip('kubia-1'), port: ECHO_PORT }, { address: ip('kubia-2'), port: ECHO_PORT }]));
    await eventually('both endpoints answer', async () => (await seen(6)).size === 2);
    await h.apply(endpointSliceYaml('default', 'kubia', 'http', [{ address: ip('kubia-1'), port: ECHO_PORT, ready: false }, { address: ip('kubia-2'), port: ECHO_PORT }]));
    await eventually('only the ready endpoint answers', async () => [...(await seen(8))].join() === 'kubia-2');
    await h.apply(endpointSliceYaml('default', 'kubia', 'http', [{ address: ip('kubia-1'), port: ECHO_PORT }]));
    await eventually('scaled down to kubia-1', async () => [...(await seen(8))].join() === 'kubia-1');
  });

  it('keeps serving while the API server is down for 30 s, then converges on what changed', async (t) => {
    let ok = 0;
    const failures: string[] = [];
    let running = true;
    const traffic = (async () => {
      while (running) {
        try {
          const name = await backendOf(a, 'bar.example.com', '/');
          if (name === 'bar') ok++;
          else failures.push(`unexpected backend ${String(name)}`);
        } catch (err) {
          failures.push((err as Error).message);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    await h.stopApiServer();
    const downAt = Date.now();
    // The outage itself (a scenario length, not an assertion): every watch fails and backs off.
    while (Date.now() - downAt < 30_000) {
      await new Promise((r) => setTimeout(r, 1_000));
      assert.equal((await httpRequest(a.ports.admin, { path: '/readyz' })).status, 200, 'the last good configuration keeps Gatehouse ready');
      // ...its basic-auth Secret included (the Secret reader cannot reach the API server either).
      assert.equal((await guardedGet(a, basicAuthHeader('alice', 'restored'))).status, 200);
      assert.equal((await guardedGet(a)).status, 401);
    }
    assert.ok(a.logged('list/watch failed; retrying').length > 0, 'the outage was noticed');
    await h.startApiServer();
    const backAt = Date.now();
    restartWindow = { from: downAt, to: backAt + 10_000 };

    // Changes made while Gatehouse is still reconnecting.
    const ip = (name: string): string => echo.get(name)!.address;
    await h.apply(singlePathIngress('after-outage', 'after.example.com', '/', 'bar'));
    await h.apply(endpointSliceYaml('default', 'foo', 'http', [{ address: ip('foo-2'), port: ECHO_PORT }]));
    await eventually('new Ingress served', async () => (await backendOf(a, 'after.example.com', '/')) === 'bar', { timeoutMs: 90_000, intervalMs: 250 });
    await eventually('new endpoints used', async () => (await backendOf(a, 'foo.example.com', '/')) === 'foo-2', { timeoutMs: 30_000 });
    const convergedAfterMs = Date.now() - backAt;
    await eventually('address published on the new Ingress', async () => (await ingressAddresses(h, 'default', 'after-outage')).some((e) => e.ip === LB_ADDRESS), { timeoutMs: 60_000 });

    running = false;
    await traffic;
    t.diagnostic(`${ok} requests served during and after the outage, ${failures.length} failed; converged ${convergedAfterMs} ms after the API server was back`);
    assert.deepEqual(failures, []);
    assert.ok(ok > 100, `traffic kept flowing (${ok} requests)`);
  });

  it('two replicas: both serve, exactly one writes status, the other takes over when the leader is killed', async (t) => {
    const b = await startGatehouse('gatehouse-b', gatehouseArgs(), env('gatehouse-b'));
    gatehouses.push(b);
    await waitReady(b);
    assert.equal(await backendOf(b, 'bar.example.com', '/'), 'bar');
    assert.equal(await tlsBackendOf(b, 'kubia.example.com', '/bar'), 'bar');
    assert.equal(await leaseHolder(), 'gatehouse-a');

    // Someone wipes the status: the leader, and only the leader, writes it back.
    const writesBefore = { a: a.logged('ingress status updated').length, b: b.logged('ingress status updated').length };
    await setIngressAddresses(h, 'default', 'kubia', []);
    await eventually('status repaired', async () => (await ingressAddresses(h, 'default', 'kubia')).some((e) => e.ip === LB_ADDRESS));
    await eventually('the repair logged by a', () => a.logged('ingress status updated').length > writesBefore.a);
    assert.equal(b.logged('ingress status updated').length, 0, 'the follower never writes status');
    assert.equal(writesBefore.b, 0);

    // The leader dies without releasing the Lease: b takes over once the lease expires (15 s).
    const killedAt = Date.now();
    await a.stop('SIGKILL');
    await eventually('gatehouse-b holds the lease', async () => (await leaseHolder()) === 'gatehouse-b', { timeoutMs: 45_000, intervalMs: 250 });
    t.diagnostic(`takeover after SIGKILL of the leader: ${Date.now() - killedAt} ms (lease duration 15 s)`);
    await setIngressAddresses(h, 'default', 'kubia', [{ ip: '192.0.2.99' }]);
    await eventually('status repaired by the new leader', async () => {
      const addrs = await ingressAddresses(h, 'default', 'kubia');
      return addrs.length === 1 && addrs[0]!.ip === LB_ADDRESS;
    });
    assert.ok(b.logged('ingress status updated').length > 0);
    assert.equal(await tlsBackendOf(b, 'kubia.example.com', '/kubia'), 'kubia-1');
  });

  it('needed nothing beyond the deploy/ RBAC: no request was ever forbidden', async () => {
    // Right after an API server restart its RBAC authorizer answers 403 until it has loaded the
    // roles ("clusterrole ... not found"): that window says nothing about our RBAC, so it is left out.
    const all = gatehouses.flatMap((g) => g.logs).filter((l) => {
      const at = Date.parse(String(l.time));
      return !(restartWindow && at >= restartWindow.from && at <= restartWindow.to);
    });
    const forbidden = all.filter((l) => l.status === 403 || /forbidden/i.test(JSON.stringify(l)));
    assert.deepEqual(forbidden, []);
    // And the ServiceAccount really is that limited (no write access to Ingresses themselves).
    const can = async (...args: string[]): Promise<string> =>
      (await h.kubectl(['auth', 'can-i', ...args, '--as=system:serviceaccount:gatehouse:gatehouse'], { allowFailure: true })).stdout.trim();
    assert.equal(await can('update', 'ingresses', '--subresource=status'), 'yes');
    assert.equal(await can('update', 'ingresses'), 'no');
    assert.equal(await can('create', 'leases', '-n', 'default'), 'no');
    assert.equal(await can('update', 'leases', '-n', 'gatehouse'), 'yes');
    assert.equal(await can('delete', 'events'), 'no');
  });
});
