// The reconcile loop with the real store, debouncer and builder, fed by a source the test drives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReconciler } from '../../src/app/reconciler.ts';
import { buildRouteTable } from '../../src/core/build-route-table.ts';
import type { Diagnostic } from '../../src/core/diagnostics.ts';
import type { Ingress, KubeObject } from '../../src/core/model.ts';
import type { BuildResult, IngressStatusIntent, RouteTable } from '../../src/core/route-table.ts';
import type { BuildOptions, Snapshot } from '../../src/core/snapshot.ts';
import { createGatehouseMetrics } from '../../src/observability/gatehouse-metrics.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { ClusterStateSource, ObjectChange } from '../../src/sources/object-change.ts';
import { normalizeObject } from '../../src/sources/normalize-object.ts';

function obj(raw: unknown): KubeObject {
  const { object, diagnostics } = normalizeObject(raw, 'test');
  assert.ok(object, JSON.stringify(diagnostics));
  return object;
}

function ingress(name: string, host: string, extra: Record<string, unknown> = {}): Ingress {
  return obj({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, resourceVersion: '1', ...extra },
    spec: { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'svc', port: { number: 80 } } } }] } }] },
  }) as Ingress;
}

const service = obj({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc' }, spec: { ports: [{ port: 80 }] } });

function setup(options: { build?: (s: Snapshot, o: BuildOptions) => BuildResult; apply?: (t: RouteTable) => void } = {}) {
  let emit: (c: ObjectChange) => void = () => {};
  const source: ClusterStateSource = {
    async start(onChange) {
      emit = onChange;
    },
    async stop() {},
  };
  const logLines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => void logLines.push(JSON.parse(line)) });
  const metrics = createGatehouseMetrics();
  const builds: Snapshot[] = [];
  const applied: RouteTable[] = [];
  const statusUpdates: IngressStatusIntent[][] = [];
  const reconciler = createReconciler({
    source,
    build: (snapshot, o) => {
      builds.push(snapshot);
      return (options.build ?? buildRouteTable)(snapshot, o);
    },
    buildOptions: () => ({ controllerName: 'gatehouse.dev/ingress-controller', watchIngressWithoutClass: true, inspectCertificate: () => ({ ok: false, code: 'TLSSecretInvalid', reason: 'test' }), now: '2025-01-01T00:00:00Z' }),
    apply: (table) => {
      options.apply?.(table);
      applied.push(table);
    },
    statusSink: { update: (r) => void statusUpdates.push(r.status), stop: async () => {} },
    logger,
    metrics,
    holdOffMs: 20,
    maxDelayMs: 100,
    resyncIntervalMs: 0,
  });
  return { reconciler, emit: (c: ObjectChange) => emit(c), builds, applied, statusUpdates, logLines, metrics };
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Long enough for any pending debounced build (hold-off 20 ms, cap 100 ms) to have run. */
const settle = () => new Promise((r) => setTimeout(r, 300));

/** Started, synced with one Service and Ingress 'a', first table applied; returns that table. */
async function serveOneIngress(h: ReturnType<typeof setup>): Promise<RouteTable | undefined> {
  await h.reconciler.start();
  h.emit({ type: 'upsert', object: service });
  h.emit({ type: 'upsert', object: ingress('a', 'a.example.com') });
  h.emit({ type: 'synced' });
  await h.reconciler.firstApplied();
  return h.reconciler.table();
}

test('no build before synced; the first build runs at synced and is applied', async () => {
  const h = setup();
  await h.reconciler.start();
  h.emit({ type: 'upsert', object: service });
  h.emit({ type: 'upsert', object: ingress('a', 'a.example.com') });
  await settle();
  assert.equal(h.builds.length, 0);
  assert.equal(h.reconciler.table(), undefined);
  h.emit({ type: 'synced' });
  await h.reconciler.firstApplied();
  assert.equal(h.builds.length, 1);
  assert.deepEqual(h.applied[0]?.virtualHosts.map((v) => v.host), ['a.example.com']);
  assert.deepEqual(h.statusUpdates[0], [{ ingress: 'default/a', admitted: true }]);
  assert.equal(h.metrics.builds.get(), 1);
});

test('bursts coalesce; status-only and no-op updates never rebuild', async () => {
  const h = setup();
  await h.reconciler.start();
  h.emit({ type: 'upsert', object: service });
  h.emit({ type: 'synced' });
  await h.reconciler.firstApplied();
  for (let i = 0; i < 10; i++) h.emit({ type: 'upsert', object: ingress(`i${i}`, `h${i}.example.com`) });
  await until('the burst build', () => h.applied.at(-1)?.virtualHosts.length === 10);
  await settle();
  const builds = h.builds.length;
  assert.ok(builds <= 3, `a burst of 10 changes ran ${builds - 1} builds`);
  // Our own status write coming back through the watch: a new resourceVersion and a status.
  const withStatus = { ...ingress('i0', 'h0.example.com', { resourceVersion: '2' }), status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } } };
  h.emit({ type: 'upsert', object: withStatus });
  h.emit({ type: 'upsert', object: ingress('i1', 'h1.example.com') });
  h.emit({ type: 'replaceAll', kinds: ['Service'], objects: [service] });
  await settle();
  assert.equal(h.builds.length, builds);
  h.emit({ type: 'delete', kind: 'Ingress', key: 'default/i9' });
  await until('the delete build', () => h.applied.at(-1)?.virtualHosts.length === 9);
});

test('a build that throws keeps the last good table, is logged and metered; the next good build applies', async () => {
  let fail = false;
  const h = setup({
    build: (s, o) => {
      if (fail) throw new Error('boom');
      return buildRouteTable(s, o);
    },
  });
  const good = await serveOneIngress(h);
  fail = true;
  h.emit({ type: 'upsert', object: ingress('b', 'b.example.com') });
  await until('the failed build', () => h.metrics.buildErrors.get() === 1);
  assert.equal(h.reconciler.table(), good);
  assert.equal(h.applied.length, 1);
  const logged = h.logLines.find((l) => l['code'] === 'ERR_BUILD_FAILED');
  assert.ok(logged);
  assert.equal(logged['level'], 'error');
  fail = false;
  h.emit({ type: 'upsert', object: ingress('c', 'c.example.com') });
  await until('recovery', () => h.reconciler.table()?.virtualHosts.length === 3);
});

test('an apply that throws (the data plane refusing a table) also keeps the last good table', async () => {
  let refuse = false;
  const h = setup({
    apply: () => {
      if (refuse) throw new Error('compile failed');
    },
  });
  const good = await serveOneIngress(h);
  refuse = true;
  h.emit({ type: 'upsert', object: ingress('b', 'b.example.com') });
  await until('the refused apply', () => h.metrics.buildErrors.get() === 1);
  assert.equal(h.reconciler.table(), good);
  assert.ok(h.logLines.some((l) => l['code'] === 'ERR_APPLY_FAILED'));
});

test('diagnostics: builder and source ones together, logged once when new and once when resolved', async () => {
  const h = setup();
  await h.reconciler.start();
  h.emit({ type: 'upsert', object: ingress('a', 'a.example.com') }); // its Service is missing
  const sourceDiagnostic: Diagnostic = { code: 'UnknownKind', severity: 'info', object: { kind: 'Widget', namespace: 'default', name: 'w' }, message: 'x.yaml:1: ignored' };
  h.emit({ type: 'sourceDiagnostics', origin: 'manifests', diagnostics: [sourceDiagnostic] });
  h.emit({ type: 'synced' });
  await h.reconciler.firstApplied();
  const codes = () => h.reconciler.diagnostics().map((d) => d.code).sort();
  assert.deepEqual(codes(), ['BackendServiceNotFound', 'UnknownKind']);
  assert.equal(h.metrics.diagnostics.get({ code: 'BackendServiceNotFound', severity: 'error' }), 1);
  // Rebuilds for unrelated changes do not log the same diagnostic again.
  h.emit({ type: 'upsert', object: ingress('b', 'b.example.com') });
  h.emit({ type: 'upsert', object: ingress('c', 'c.example.com') });
  await until('another build', () => h.builds.length >= 2);
  await settle();
  assert.equal(h.reconciler.diagnostics().filter((d) => d.code === 'BackendServiceNotFound').length, 3);
  const logged = (code: string, msg = 'diagnostic') => h.logLines.filter((l) => l['msg'] === msg && l['code'] === code && l['object'] === 'Ingress/default/a').length;
  assert.equal(logged('BackendServiceNotFound'), 1);
  h.emit({ type: 'upsert', object: service });
  await until('the fix', () => !h.reconciler.diagnostics().some((d) => d.code === 'BackendServiceNotFound'));
  assert.equal(logged('BackendServiceNotFound', 'diagnostic resolved'), 1);
  h.emit({ type: 'sourceDiagnostics', origin: 'manifests', diagnostics: [] });
  assert.deepEqual(codes(), []);
});

test('stop() stops building', async () => {
  const h = setup();
  await h.reconciler.start();
  h.emit({ type: 'synced' });
  await h.reconciler.firstApplied();
  await h.reconciler.stop();
  h.emit({ type: 'upsert', object: ingress('a', 'a.example.com') });
  await settle();
  assert.equal(h.builds.length, 1);
});
