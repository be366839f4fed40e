// A watch that goes silent without closing (a stuck load balancer, a half-dead connection) is the
// failure client-node's informer never notices. Here a TCP relay in front of a real API server
// freezes every open connection: nothing more flows, nothing closes. The source must notice the
// silence after its stall timeout, restart the watch on a fresh connection, and catch up.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '../../src/observability/logger.ts';
import { createKubeSource } from '../../src/sources/kube/create-kube-source.ts';
import type { ClusterStateSource } from '../../src/sources/object-change.ts';
import { createObjectStore } from '../../src/store/object-store.ts';
import { startKubeHarness, type KubeHarness } from '../support/kube-harness.ts';
import { applyDeployRbac, eventually } from './kube-fixtures.ts';

interface Relay {
  port: number;
  /** Stops forwarding on every connection open now, leaving them open; new connections still flow. */
  freeze(): number;
  close(): Promise<void>;
}

function startRelay(targetPort: number): Promise<Relay> {
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.pipe(upstream);
    upstream.pipe(client);
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        port,
        freeze() {
          const frozen = [...pairs];
          for (const pair of frozen) {
            const [client, upstream] = pair;
            client.unpipe(upstream);
            upstream.unpipe(client);
            client.pause();
            upstream.pause();
          }
          return frozen.length;
        },
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const [c, u] of pairs) {
              c.destroy();
              u.destroy();
            }
          }),
      });
    });
  });
}

describe('a silent watch is restarted (real API server behind a freezing relay)', () => {
  let h: KubeHarness;
  let relay: Relay;
  let source: ClusterStateSource | undefined;

  before(async () => {
    h = await startKubeHarness();
    await applyDeployRbac(h);
    relay = await startRelay(Number(new URL(h.server).port));
  });

  after(async () => {
    await source?.stop();
    await relay?.close();
    await h?.stop();
  });

  it('notices the silence, reconnects and delivers what happened meanwhile', async () => {
    const saKubeconfig = await h.serviceAccountKubeconfig('gatehouse', 'gatehouse');
    const viaRelay = JSON.parse(readFileSync(saKubeconfig, 'utf8')) as { clusters: { cluster: { server: string } }[] };
    viaRelay.clusters[0]!.cluster.server = `https://127.0.0.1:${relay.port}`;
    const kubeconfig = `${saKubeconfig}.relay`;
    writeFileSync(kubeconfig, JSON.stringify(viaRelay));

    const logs: Record<string, unknown>[] = [];
    const store = createObjectStore();
    let synced = false;
    source = createKubeSource({
      logger: createLogger({ level: 'debug', write: (line) => void logs.push(JSON.parse(line) as Record<string, unknown>) }),
      kubeconfig,
      watchStallTimeoutMs: 3_000,
      backoff: { initialMs: 200, maxMs: 1_000 },
    });
    await source.start((change) => {
      if (change.type === 'synced') synced = true;
      store.apply(change);
    });
    await eventually('synced', () => synced);

    const frozen = relay.freeze();
    assert.ok(frozen >= 5, `every watch connection frozen (${frozen})`);
    const stallsBefore = logs.filter((l) => l.msg === 'watch stalled; restarting it').length;
    await h.apply(JSON.stringify({
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { namespace: 'default', name: 'during-the-stall' },
      spec: { ingressClassName: 'gatehouse', defaultBackend: { service: { name: 'web', port: { number: 80 } } } },
    }));
    await eventually('the Ingress created while the watch was frozen', () => store.snapshot().ingresses.has('default/during-the-stall'), { timeoutMs: 30_000 });
    assert.ok(logs.filter((l) => l.msg === 'watch stalled; restarting it').length > stallsBefore, 'delivered because the stalled watch was restarted');
  });
});
