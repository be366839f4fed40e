// The Kubernetes source against a real kube-apiserver + etcd, in process, running under the
// deploy/ ServiceAccount: initial lists and `synced`, live watch events, the TLS-only Secret
// filter, Secrets read only while an Ingress's annotation names them, --watch-namespace, and an
// API server outage that loses nothing and converges after.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Ingress, Secret } from '../../src/core/model.ts';
import { createLogger, type Logger } from '../../src/observability/logger.ts';
import { createKubeSource } from '../../src/sources/kube/create-kube-source.ts';
import type { ClusterStateSource, ObjectChange } from '../../src/sources/object-change.ts';
import { createObjectStore, type ObjectStore } from '../../src/store/object-store.ts';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';
import { applyDeployRbac, endpointSliceYaml, eventually, serviceYaml } from './kube-fixtures.ts';

interface Run {
  source: ClusterStateSource;
  store: ObjectStore;
  changes: ObjectChange[];
  logs: Record<string, unknown>[];
  synced: () => boolean;
  /** The Secrets in the store when `synced` arrived. */
  secretsAtSynced: () => string[] | undefined;
}

function basicAuthIngressYaml(namespace: string, name: string, authSecret: string | undefined): string {
  const ingress = JSON.parse(ingressYaml(namespace, name, '/')) as { metadata: { annotations?: Record<string, string> } };
  if (authSecret !== undefined) ingress.metadata.annotations = { 'nginx.ingress.kubernetes.io/auth-type': 'basic', 'nginx.ingress.kubernetes.io/auth-secret': authSecret };
  return JSON.stringify(ingress);
}

function opaqueSecretYaml(namespace: string, name: string, data: Record<string, string>): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { namespace, name }, type: 'Opaque', stringData: data });
}

function ingressYaml(namespace: string, name: string, path: string, service = 'web'): string {
  return JSON.stringify({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { namespace, name },
    spec: {
      ingressClassName: 'gatehouse',
      rules: [{ host: `${name}.example.com`, http: { paths: [{ path, pathType: 'Prefix', backend: { service: { name: service, port: { number: 80 } } } }] } }],
    },
  });
}

const PEM_LIKE = 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t'; // content is irrelevant to the source

describe('Kubernetes source (real API server)', () => {
  let h: KubeHarness;
  let saKubeconfig: string;
  const runs: Run[] = [];

  const start = async (options: { watchNamespaces?: string[]; allowCrossNamespaceSecrets?: boolean } = {}): Promise<Run> => {
    const logs: Record<string, unknown>[] = [];
    const logger: Logger = createLogger({ level: 'debug', write: (line) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
    const store = createObjectStore();
    const changes: ObjectChange[] = [];
    let synced = false;
    let secretsAtSynced: string[] | undefined;
    const source = createKubeSource({
      logger,
      kubeconfig: saKubeconfig,
      ...(options.watchNamespaces ? { watchNamespaces: options.watchNamespaces } : {}),
      ...(options.allowCrossNamespaceSecrets ? { allowCrossNamespaceSecrets: true } : {}),
      backoff: { initialMs: 200, maxMs: 2_000, jitter: 0.2 },
    });
    await source.start((change) => {
      changes.push(change);
      store.apply(change);
      if (change.type === 'synced') {
        synced = true;
        secretsAtSynced = [...store.snapshot().secrets.keys()].sort();
      }
    });
    const run = { source, store, changes, logs, synced: () => synced, secretsAtSynced: () => secretsAtSynced };
    runs.push(run);
    return run;
  };

  before(async () => {
    h = await startKubeHarness();
    await applyDeployRbac(h);
    await h.kubectl(['create', 'namespace', 'team-a']);
    await h.kubectl(['create', 'namespace', 'team-b']);
    for (const ns of ['team-a', 'team-b']) {
      await h.apply(serviceYaml(ns, 'web', [{ name: 'http', port: 80 }]));
      await h.apply(endpointSliceYaml(ns, 'web', 'http', [{ address: '198.18.0.21', port: 8080 }]));
      await h.apply(ingressYaml(ns, 'site', '/'));
    }
    await h.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { namespace: 'team-a', name: 'tls' }, type: 'kubernetes.io/tls', data: { 'tls.crt': PEM_LIKE, 'tls.key': PEM_LIKE } }));
    await h.apply(JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { namespace: 'team-a', name: 'password' }, type: 'Opaque', stringData: { password: 'hunter2' } }));
    saKubeconfig = await h.serviceAccountKubeconfig('gatehouse', 'gatehouse');
  });

  after(async () => {
    for (const r of runs) await r.source.stop();
    await h?.stop();
  });

  it('lists every kind, emits synced once, and never reads a non-TLS Secret that no Ingress names', async () => {
    const run = await start();
    await eventually('synced', () => run.synced());
    assert.equal(run.changes.filter((c) => c.type === 'synced').length, 1);
    // Every kind was delivered as a complete list before synced.
    const syncedAt = run.changes.findIndex((c) => c.type === 'synced');
    const listedKinds = new Set(run.changes.slice(0, syncedAt).flatMap((c) => (c.type === 'replaceAll' ? c.kinds : [])));
    assert.deepEqual([...listedKinds].sort(), ['EndpointSlice', 'Ingress', 'IngressClass', 'Secret', 'Service']);
    const snap = run.store.snapshot();
    assert.deepEqual([...snap.ingresses.keys()].sort(), ['team-a/site', 'team-b/site']);
    assert.ok(snap.ingressClasses.has('gatehouse'));
    assert.ok(snap.endpointSlices.has('team-a/web-slice'));
    assert.ok(snap.services.has('team-b/web'));
    assert.deepEqual([...snap.secrets.keys()], ['team-a/tls']);
    const secret = snap.secrets.get('team-a/tls') as Secret;
    assert.equal(secret.type, 'kubernetes.io/tls');
    // No opaque Secret ever crossed the wire into a change.
    assert.ok(!JSON.stringify(run.changes).includes('hunter2'));
  });

  it('follows creates, updates and deletes live', async () => {
    const run = await start();
    await eventually('synced', () => run.synced());
    await h.apply(ingressYaml('team-a', 'live', '/one'));
    const created = await eventually('the new Ingress', () => run.store.snapshot().ingresses.get('team-a/live'));
    assert.equal(created.spec.rules?.[0]?.http?.paths[0]?.path, '/one');
    await h.apply(ingressYaml('team-a', 'live', '/two'));
    await eventually('the updated path', () => (run.store.snapshot().ingresses.get('team-a/live') as Ingress | undefined)?.spec.rules?.[0]?.http?.paths[0]?.path === '/two');
    await h.kubectl(['delete', 'ingress', 'live', '-n', 'team-a']);
    await eventually('the delete', () => !run.store.snapshot().ingresses.has('team-a/live'));
    assert.ok(run.changes.some((c) => c.type === 'delete' && c.kind === 'Ingress' && c.key === 'team-a/live'));
  });

  it('reads a non-TLS Secret only while an Ingress annotation names it, follows it live, and forgets it', async () => {
    // Named before the source starts: already in the store when synced arrives.
    await h.apply(opaqueSecretYaml('team-a', 'early-htpasswd', { auth: 'early:{PLAIN}one' }));
    await h.apply(basicAuthIngressYaml('team-a', 'early-guarded', 'early-htpasswd'));
    // An Ingress in team-b naming a Secret of team-a: not read without --allow-cross-namespace-secrets.
    await h.apply(opaqueSecretYaml('team-a', 'shared-htpasswd', { auth: 'shared:{PLAIN}cross-secret' }));
    await h.apply(basicAuthIngressYaml('team-b', 'cross', 'team-a/shared-htpasswd'));
    const run = await start();
    await eventually('synced', () => run.synced());
    assert.deepEqual(run.secretsAtSynced(), ['team-a/early-htpasswd', 'team-a/tls']);
    const secretOf = (key: string): Secret | undefined => run.store.snapshot().secrets.get(key) as Secret | undefined;
    assert.equal(secretOf('team-a/early-htpasswd')?.data.auth, 'early:{PLAIN}one');
    assert.equal(secretOf('team-a/early-htpasswd')?.type, 'Opaque');

    // Named before it exists: read when it is created, followed on change.
    await h.apply(basicAuthIngressYaml('team-a', 'guarded', 'htpasswd'));
    await h.apply(opaqueSecretYaml('team-a', 'htpasswd', { auth: 'alice:{PLAIN}first' }));
    await eventually('the named Secret read', () => secretOf('team-a/htpasswd')?.data.auth === 'alice:{PLAIN}first');
    await h.apply(opaqueSecretYaml('team-a', 'htpasswd', { auth: 'alice:{PLAIN}second' }));
    await eventually('the changed Secret read', () => secretOf('team-a/htpasswd')?.data.auth === 'alice:{PLAIN}second');
    // Deleted: gone from the store (the builder then refuses the Ingress).
    await h.kubectl(['delete', 'secret', 'htpasswd', '-n', 'team-a']);
    await eventually('the deleted Secret forgotten', () => !run.store.snapshot().secrets.has('team-a/htpasswd'));
    assert.ok(run.changes.some((c) => c.type === 'delete' && c.kind === 'Secret' && c.key === 'team-a/htpasswd'));
    // Re-created: read again. Then no Ingress names it any more: forgotten, although it exists.
    await h.apply(opaqueSecretYaml('team-a', 'htpasswd', { auth: 'alice:{PLAIN}third' }));
    await eventually('the re-created Secret read', () => secretOf('team-a/htpasswd')?.data.auth === 'alice:{PLAIN}third');
    await h.apply(basicAuthIngressYaml('team-a', 'guarded', undefined));
    await eventually('the unnamed Secret forgotten', () => !run.store.snapshot().secrets.has('team-a/htpasswd'));
    // Named again through the gatehouse.dev/ spelling of another Secret annotation.
    const viaGatehouse = JSON.parse(basicAuthIngressYaml('team-a', 'guarded', undefined)) as { metadata: { annotations?: Record<string, string> } };
    viaGatehouse.metadata.annotations = { 'gatehouse.dev/proxy-ssl-secret': 'htpasswd' };
    await h.apply(JSON.stringify(viaGatehouse));
    await eventually('the Secret named by gatehouse.dev/proxy-ssl-secret read', () => secretOf('team-a/htpasswd')?.data.auth === 'alice:{PLAIN}third');
    await h.kubectl(['delete', 'ingress', 'guarded', '-n', 'team-a']);
    await eventually('forgotten with its Ingress', () => !run.store.snapshot().secrets.has('team-a/htpasswd'));

    // Never read: the Secret no Ingress names, and the cross-namespace one.
    const everything = JSON.stringify(run.changes);
    assert.ok(!everything.includes('hunter2'));
    assert.ok(!everything.includes('cross-secret'));
    assert.ok(!run.store.snapshot().secrets.has('team-a/shared-htpasswd'));
    // With --allow-cross-namespace-secrets it is read.
    const allowed = await start({ allowCrossNamespaceSecrets: true });
    await eventually('synced', () => allowed.synced());
    assert.deepEqual(allowed.secretsAtSynced(), ['team-a/early-htpasswd', 'team-a/shared-htpasswd', 'team-a/tls']);
    assert.ok(!JSON.stringify(allowed.changes).includes('hunter2'));
    await h.kubectl(['delete', 'ingress', 'early-guarded', '-n', 'team-a']);
    await h.kubectl(['delete', 'ingress', 'cross', '-n', 'team-b']);
  });

  it('with --watch-namespace sees only those namespaces (and cluster-scoped IngressClasses)', async () => {
    const run = await start({ watchNamespaces: ['team-b'] });
    await eventually('synced', () => run.synced());
    const snap = run.store.snapshot();
    assert.deepEqual([...snap.ingresses.keys()], ['team-b/site']);
    assert.deepEqual([...snap.services.keys()], ['team-b/web']);
    assert.deepEqual([...snap.secrets.keys()], []);
    assert.ok(snap.ingressClasses.has('gatehouse'));
  });

  it('keeps everything while the API server is down, then converges on what changed meanwhile', async (t) => {
    const run = await start();
    await eventually('synced', () => run.synced());
    const before = run.store.snapshot();
    const mark = run.changes.length;

    await h.stopApiServer();
    // Long enough for every watch to notice and fail a few reconnects.
    await eventually('watch failures logged', () => run.logs.filter((l) => l.msg === 'list/watch failed; retrying').length >= 5, { timeoutMs: 30_000 });
    const during = run.changes.slice(mark);
    assert.deepEqual(during.filter((c) => c.type === 'delete' || c.type === 'replaceAll'), [], 'no deletes or relists while the API is away');
    assert.deepEqual([...run.store.snapshot().ingresses.keys()].sort(), [...before.ingresses.keys()].sort());

    await h.startApiServer();
    // Changes made before Gatehouse's watches are back (they are still backing off).
    await h.apply(ingressYaml('team-a', 'after-outage', '/new'));
    await h.kubectl(['delete', 'ingress', 'site', '-n', 'team-b']);
    await h.apply(endpointSliceYaml('team-a', 'web', 'http', [{ address: '198.18.0.21', port: 8080 }, { address: '198.18.0.22', port: 8080 }]));

    await eventually('convergence after the outage', () => {
      const snap = run.store.snapshot();
      const slice = snap.endpointSlices.get('team-a/web-slice');
      return snap.ingresses.has('team-a/after-outage') && !snap.ingresses.has('team-b/site') && slice?.endpoints.length === 2;
    }, { timeoutMs: 60_000 });
    assert.equal(run.changes.filter((c) => c.type === 'synced').length, 1, 'synced is emitted once per source lifetime');
    t.diagnostic(`after the restart: ${run.logs.filter((l) => l.msg === 'resource version expired; relisting').length} watches answered 410 Gone and relisted`);
  });
});
