// The Kubernetes StatusSink against a real API server, in process, under the deploy/ ServiceAccount
// (so the Role for Leases and the ClusterRole for ingresses/status and events are proven enough):
// Lease election with exactly one writer and a takeover, the published address (fixed or from a
// Service), clearing it from Ingresses that stop being ours without touching anyone else's
// entries, repairing an externally changed status, and diagnostics as deduplicated Events.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Diagnostic } from '../../src/core/diagnostics.ts';
import type { IngressStatusIntent } from '../../src/core/route-table.ts';
import { createLogger, type Logger } from '../../src/observability/logger.ts';
import { createKubeStatusSink, type KubeStatusSink, type KubeStatusSinkOptions } from '../../src/status/create-kube-status-sink.ts';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';
import { applyDeployRbac, eventually, ingressAddresses, setIngressAddresses } from './kube-fixtures.ts';

function ingressYaml(name: string, className = 'gatehouse'): string {
  return JSON.stringify({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { namespace: 'default', name },
    spec: { ingressClassName: className, defaultBackend: { service: { name: 'web', port: { number: 80 } } } },
  });
}

const addressesOf = (entries: { ip?: string; hostname?: string }[]): string[] => entries.map((e) => e.ip ?? e.hostname ?? '?').sort();

interface SinkRun {
  sink: KubeStatusSink;
  logs: Record<string, unknown>[];
}

describe('Kubernetes status sink (real API server)', () => {
  let h: KubeHarness;
  let saKubeconfig: string;
  const sinks: KubeStatusSink[] = [];

  const startSink = (identity: string, extra: Partial<KubeStatusSinkOptions> = {}): SinkRun => {
    const logs: Record<string, unknown>[] = [];
    const logger: Logger = createLogger({ level: 'debug', write: (line) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
    const sink = createKubeStatusSink({
      logger,
      kubeconfig: saKubeconfig,
      identity,
      leaderElectionNamespace: 'gatehouse',
      // Short timings keep the takeover test quick; the defaults are 15 s / 10 s / 2 s.
      leaseDurationMs: 4_000,
      renewDeadlineMs: 3_000,
      retryPeriodMs: 500,
      ...extra,
    });
    sinks.push(sink);
    return { sink, logs };
  };

  const writesBy = (run: SinkRun): number => run.logs.filter((l) => l.msg === 'ingress status updated').length;

  before(async () => {
    h = await startKubeHarness();
    await applyDeployRbac(h);
    for (const name of ['ours', 'leaving', 'foreign']) await h.apply(ingressYaml(name, name === 'foreign' ? 'other' : 'gatehouse'));
    // Another controller's address on an Ingress of another class, and on one we are about to leave.
    await setIngressAddresses(h, 'default', 'foreign', [{ ip: '203.0.113.9' }]);
    saKubeconfig = await h.serviceAccountKubeconfig('gatehouse', 'gatehouse');
  });

  after(async () => {
    for (const s of sinks) await s.stop();
    await h?.stop();
  });

  const intents: IngressStatusIntent[] = [
    { ingress: 'default/ours', admitted: true },
    { ingress: 'default/leaving', admitted: true },
    { ingress: 'default/foreign', admitted: false },
  ];

  it('elects one leader that publishes the address; the other replica writes nothing; takeover on stop', async () => {
    const a = startSink('replica-a', { publishAddresses: ['198.51.100.7', 'lb.example.com'] });
    const b = startSink('replica-b', { publishAddresses: ['198.51.100.7', 'lb.example.com'] });
    a.sink.update({ status: intents, diagnostics: [] });
    b.sink.update({ status: intents, diagnostics: [] });

    await eventually('a leader', () => a.sink.isLeader || b.sink.isLeader);
    const [leader, follower] = a.sink.isLeader ? [a, b] : [b, a];
    assert.equal(follower.sink.isLeader, false);
    const lease = await h.kubectlJson<{ spec: { holderIdentity: string } }>(['get', 'lease', 'gatehouse-leader', '-n', 'gatehouse']);
    assert.equal(lease.spec.holderIdentity, leader.sink.identity);

    for (const name of ['ours', 'leaving']) {
      await eventually(`address on ${name}`, async () => addressesOf(await ingressAddresses(h, 'default', name)).join() === '198.51.100.7,lb.example.com');
    }
    // The Ingress of another class keeps exactly what its own controller wrote.
    assert.deepEqual(await ingressAddresses(h, 'default', 'foreign'), [{ ip: '203.0.113.9' }]);
    assert.ok(writesBy(leader) >= 2);
    assert.equal(writesBy(follower), 0, 'only the leader writes status');

    // No-ops are skipped: the same intents again cause no write.
    const before = writesBy(leader);
    leader.sink.update({ status: intents, diagnostics: [] });
    // Someone clears the address behind our back: the leader notices through its watch and repairs it.
    await setIngressAddresses(h, 'default', 'ours', []);
    await eventually('repaired status', async () => addressesOf(await ingressAddresses(h, 'default', 'ours')).length === 2);
    assert.equal(writesBy(leader), before + 1, 'exactly one write: the repair');

    // The leader stops (releasing the Lease): the follower takes over and is now the one writing.
    await leader.sink.stop();
    await eventually('takeover', () => follower.sink.isLeader, { timeoutMs: 10_000 });
    await setIngressAddresses(h, 'default', 'ours', [{ ip: '192.0.2.200' }]);
    await eventually('repair by the new leader', async () => addressesOf(await ingressAddresses(h, 'default', 'ours')).join() === '198.51.100.7,lb.example.com');
    assert.ok(writesBy(follower) >= 1);
    const lease2 = await h.kubectlJson<{ spec: { holderIdentity: string; leaseTransitions: number } }>(['get', 'lease', 'gatehouse-leader', '-n', 'gatehouse']);
    assert.equal(lease2.spec.holderIdentity, follower.sink.identity);
    assert.ok(lease2.spec.leaseTransitions >= 1);

    // An Ingress that stops being ours loses our address, and only ours.
    follower.sink.update({ status: intents.map((i) => (i.ingress === 'default/leaving' ? { ...i, admitted: false } : i)), diagnostics: [] });
    await eventually('address cleared from leaving', async () => (await ingressAddresses(h, 'default', 'leaving')).length === 0);
    // Another controller now publishes there too (alongside a stale copy of ours): only ours goes.
    await setIngressAddresses(h, 'default', 'leaving', [{ ip: '198.51.100.7' }, { hostname: 'lb.example.com' }, { ip: '203.0.113.50' }]);
    await eventually('only our address removed', async () => addressesOf(await ingressAddresses(h, 'default', 'leaving')).join() === '203.0.113.50');
    assert.deepEqual(await ingressAddresses(h, 'default', 'foreign'), [{ ip: '203.0.113.9' }]);
    await follower.sink.stop();
  });

  it('publishes the load-balancer address of --publish-service, else its external IPs, following changes', async () => {
    await h.apply(JSON.stringify({
      apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'gatehouse', name: 'gatehouse' },
      spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, targetPort: 8080 }], externalIPs: ['198.51.100.20'] },
    }));
    const run = startSink('replica-svc', { publishService: 'gatehouse/gatehouse', leaderElect: false });
    run.sink.update({ status: [{ ingress: 'default/ours', admitted: true }], diagnostics: [] });
    // No load balancer yet: the external IP is published.
    await eventually('external IP published', async () => addressesOf(await ingressAddresses(h, 'default', 'ours')).join() === '198.51.100.20');
    // A cloud controller fills in the load balancer: it wins over the external IP.
    await h.kubectl(['patch', 'service', 'gatehouse', '-n', 'gatehouse', '--subresource=status', '--type=merge',
      '-p', JSON.stringify({ status: { loadBalancer: { ingress: [{ hostname: 'gatehouse-lb.example.net' }] } } })]);
    await eventually('load balancer hostname published', async () => addressesOf(await ingressAddresses(h, 'default', 'ours')).join() === 'gatehouse-lb.example.net');
    await run.sink.stop();
  });

  it('--publish-service with no address yet, or no such Service: one warning each, not one per update', async () => {
    await h.apply(JSON.stringify({
      apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'gatehouse', name: 'pending' },
      spec: { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
    }));
    const noAddress = (run: SinkRun) => run.logs.filter((l) => l.level === 'warn' && /has no address yet/.test(String(l.msg)));
    const pending = startSink('replica-pending', { publishService: 'gatehouse/pending', leaderElect: false });
    pending.sink.update({ status: [{ ingress: 'default/ours', admitted: true }], diagnostics: [] });
    await eventually('the warning', () => noAddress(pending).length === 1);
    assert.equal(noAddress(pending)[0]!.publishService, 'gatehouse/pending');
    assert.equal(noAddress(pending)[0]!.service, undefined, "the logger's own field is not overwritten");
    // The Service changes, still without an address: no second warning.
    await h.kubectl(['label', 'service', 'pending', '-n', 'gatehouse', 'touched=yes']);
    await h.kubectl(['label', 'service', 'pending', '-n', 'gatehouse', 'touched=again', '--overwrite']);
    const after = await h.kubectlJson<{ metadata: { labels: Record<string, string> } }>(['get', 'service', 'pending', '-n', 'gatehouse']);
    assert.equal(after.metadata.labels.touched, 'again');
    // Then it gets one: an info line with the address.
    await h.kubectl(['patch', 'service', 'pending', '-n', 'gatehouse', '--subresource=status', '--type=merge',
      '-p', JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: '198.51.100.77' }] } } })]);
    await eventually('the address line', () => pending.logs.some((l) => l.msg === 'publish address' && l.publishService === 'gatehouse/pending'));
    assert.equal(noAddress(pending).length, 1);
    await pending.sink.stop();

    const missing = startSink('replica-missing', { publishService: 'gatehouse/nonexistent', leaderElect: false });
    await eventually('the missing-Service warning', () => missing.logs.some((l) => l.level === 'warn' && /Service does not exist/.test(String(l.msg))));
    await missing.sink.stop();
  });

  it('records diagnostics about Ingresses as Events, once per appearance, visible in kubectl describe', async () => {
    const run = startSink('replica-events', { leaderElect: false });
    const pathDiag: Diagnostic = {
      code: 'PathInvalid', severity: 'error', object: { kind: 'Ingress', namespace: 'default', name: 'ours' },
      field: 'spec.rules[0].http.paths[0].path', message: 'path must start with "/"',
    };
    const tlsDiag: Diagnostic = {
      code: 'TLSSecretNotFound', severity: 'warning', object: { kind: 'Ingress', namespace: 'default', name: 'ours' },
      field: 'spec.tls[0].secretName', message: 'Secret default/missing does not exist',
    };
    const serviceDiag: Diagnostic = { code: 'SomethingAboutAService', severity: 'warning', object: { kind: 'Service', namespace: 'default', name: 'web' }, message: 'not about an Ingress' };
    // Why Gatehouse skipped someone else's Ingress: an info diagnostic, never an Event on it.
    const foreignDiag: Diagnostic = {
      code: 'IngressClassNotFound', severity: 'info', object: { kind: 'Ingress', namespace: 'default', name: 'foreign' },
      field: 'spec.ingressClassName', message: 'no IngressClass "other" exists',
    };
    const status: IngressStatusIntent[] = [{ ingress: 'default/ours', admitted: true }, { ingress: 'default/foreign', admitted: false }];
    // The same diagnostic on three consecutive builds is one Event.
    for (let i = 0; i < 3; i++) run.sink.update({ status, diagnostics: [pathDiag, serviceDiag, foreignDiag] });
    run.sink.update({ status, diagnostics: [pathDiag, tlsDiag, serviceDiag, foreignDiag] });

    type EventList = { items: { reason: string; message: string; type: string; count: number; involvedObject: { kind: string; name: string; uid?: string } }[] };
    const events = await eventually('two events', async () => {
      const list = await h.kubectlJson<EventList>(['get', 'events', '-n', 'default', '--field-selector', 'involvedObject.kind=Ingress,involvedObject.name=ours']);
      return list.items.length >= 2 ? list : undefined;
    });
    assert.deepEqual(events.items.map((e) => e.reason).sort(), ['PathInvalid', 'TLSSecretNotFound']);
    const pathEvent = events.items.find((e) => e.reason === 'PathInvalid')!;
    assert.equal(pathEvent.count, 1);
    assert.equal(pathEvent.type, 'Warning');
    const ing = await h.kubectlJson<{ metadata: { uid: string } }>(['get', 'ingress', 'ours', '-n', 'default']);
    assert.equal(pathEvent.involvedObject.uid, ing.metadata.uid);
    const allEvents = await h.kubectlJson<EventList>(['get', 'events', '-A']);
    assert.ok(!allEvents.items.some((e) => e.reason === 'SomethingAboutAService'), 'only Ingress diagnostics become Events');
    assert.ok(!allEvents.items.some((e) => e.involvedObject.name === 'foreign'), "no Event on an Ingress that is not ours");

    const describe = await h.kubectl(['describe', 'ingress', 'ours', '-n', 'default']);
    assert.match(describe.stdout, /PathInvalid/);
    assert.match(describe.stdout, /spec\.rules\[0\]\.http\.paths\[0\]\.path: path must start with "\/"/);

    // Gone, then back: the existing Event's count goes up instead of a new Event.
    run.sink.update({ status, diagnostics: [tlsDiag] });
    run.sink.update({ status, diagnostics: [pathDiag, tlsDiag] });
    await eventually('count 2', async () => {
      const list = await h.kubectlJson<EventList>(['get', 'events', '-n', 'default', '--field-selector', 'involvedObject.name=ours,reason=PathInvalid']);
      return list.items.length === 1 && list.items[0]!.count === 2;
    });
    await run.sink.stop();
  });
});
