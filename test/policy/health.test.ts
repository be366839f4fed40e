// Passive health, retries and the retry budget through a real DataPlane on real sockets: a backend
// killed under bounded load is ejected with zero client errors and returns when it is back; the
// budget caps retries in an outage; resets are retried only for idempotent methods.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend.ts';
import { closedPort, waitFor } from '../support/data-plane-fixture.ts';
import { endpointOf, policyFrom, pool, send, startBackends, startPolicyPlane, tableFor } from './plane.ts';
import { tally } from './support.ts';

const backends: EchoBackend[] = [];
const servers: Server[] = [];
after(async () => {
  await Promise.all(backends.map((b) => b.close()));
  for (const s of servers) s.close();
});

/** A backend that accepts and resets every connection as soon as the request arrives. Counts connections. */
async function resetServer(address: string): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket: Socket) => {
    connections++;
    socket.on('error', () => {});
    socket.once('data', () => socket.resetAndDestroy());
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen({ host: address, port: 0 }, resolve));
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

test('a backend killed under bounded load is ejected, nobody sees an error, and it returns when it is back', async (t) => {
  const [b2, b3, b4] = await startBackends(3, 2);
  backends.push(b2!, b4!);
  const address = b3!.address;
  const port = b3!.port;
  const plane = await startPolicyPlane(tableFor([b2!, b3!, b4!].map((b) => endpointOf(b)), policyFrom({})), {
    health: { consecutiveFailures: 3, baseEjectionMs: 300, maxEjectionMs: 1200 },
  });
  const key = `${address}:${port}`;
  const health = (): { ejected: boolean; failures: number; ejections: number } => {
    const e = plane.state.snapshot().endpoints.find((x) => x.endpoint === key);
    return { ejected: e?.ejected ?? false, failures: e?.failures ?? 0, ejections: e?.ejections ?? 0 };
  };
  let stop = false;
  let sent = 0;
  const errors: string[] = [];
  const statuses: number[] = [];
  // Four clients in a loop, each waiting for its answer before the next request: bounded load.
  const load = Promise.all(
    Array.from({ length: 4 }, async () => {
      while (!stop && sent < 20_000) {
        sent++;
        try {
          const answer = await send(plane.port, { path: `/n/${sent}` });
          statuses.push(answer.status);
          if (answer.status !== 200) errors.push(`status ${answer.status}`);
        } catch (err) {
          errors.push(String(err));
        }
      }
    }),
  );
  let revived: EchoBackend | undefined;
  try {
    await waitFor(() => b3!.count() >= 50, 20_000, 'traffic on the victim');
    await b3!.close(); // killed: its connections reset, new ones refused
    const killedAt = sent;
    await waitFor(() => health().ejected, 20_000, 'the dead endpoint to be ejected');
    const ejectedAt = sent;
    // While it is dead it keeps being tried after each (growing) interval, and keeps being ejected.
    await waitFor(() => health().ejections >= 3, 20_000, 'repeated ejections');
    revived = await startEchoBackend({ address, port, name: 'b3-revived', keep: 10 });
    backends.push(revived);
    await waitFor(() => revived!.count() >= 20, 20_000, 'the revived endpoint to get traffic again');
    stop = true;
    await load;
    const h = health();
    const budget = plane.state.snapshot().backends.find((b) => b.backend === 'shop/web:80')!.retryBudget;
    assert.deepEqual(errors, [], 'zero client errors');
    assert.ok(!h.ejected, 'the endpoint is back in service');
    assert.equal(budget.refusedTotal, 0, 'the budget never had to refuse a retry here');
    assert.ok(budget.retriesTotal >= h.failures, 'every failure on the victim was retried elsewhere');
    t.diagnostic(
      `${statuses.length} requests by 4 clients, ${errors.length} errors; victim killed after request ${killedAt}, ejected by request ${ejectedAt}; ` +
        `victim failures ${h.failures}, ejections ${h.ejections}, retries ${budget.retriesTotal} (refused ${budget.refusedTotal}); ` +
        `revived victim served ${revived.count()}; statuses ${JSON.stringify(tally(statuses.map(String)))}`,
    );
  } finally {
    stop = true;
    await load;
    await plane.stop();
  }
});

test('the retry budget: in an outage retries stay within 20% of requests plus the floor', async (t) => {
  const a = await resetServer('127.0.0.20');
  const b = await resetServer('127.0.0.21');
  const endpoints = [
    { address: '127.0.0.20', port: a.port, ready: true, serving: true, terminating: false },
    { address: '127.0.0.21', port: b.port, ready: true, serving: true, terminating: false },
  ];
  const plane = await startPolicyPlane(tableFor(endpoints, policyFrom({ 'gatehouse.dev/retries': '3' })), { retryBudget: { minRetries: 5, ratio: 0.2 } });
  try {
    const answers = await pool(200, 4, () => send(plane.port));
    assert.deepEqual(tally(answers.map((x) => String(x.status))), { '502': 200 });
    const attempts = a.connections() + b.connections();
    const retries = attempts - 200;
    const budget = plane.state.snapshot().backends[0]!.retryBudget;
    // Without a budget every request would have been tried on both endpoints: 200 retries.
    assert.ok(retries >= 5 && retries <= 5 + 0.2 * 200, `retries ${retries}`);
    assert.equal(budget.retriesTotal, retries);
    assert.equal(budget.refusedTotal, 200 - retries);
    t.diagnostic(`200 requests to 2 endpoints that reset everything (retries: 3): ${attempts} connection attempts, ${retries} retries (cap 5 + 20% = 45; without a budget 200), ${budget.refusedTotal} refused`);
  } finally {
    await plane.stop();
  }
});

test('resets are retried for idempotent methods only; refused connections for any bodiless request; bodies never', async () => {
  const reset = await resetServer('127.0.0.22');
  const [live] = await startBackends(1, 23);
  backends.push(live!);
  const dead = await closedPort('127.0.0.24');
  const resetEndpoint = { address: '127.0.0.22', port: reset.port, ready: true, serving: true, terminating: false };
  const deadEndpoint = { address: '127.0.0.24', port: dead, ready: true, serving: true, terminating: false };
  // A fresh plane per case: round-robin sends its first request to the first endpoint.
  const firstRequest = async (first: typeof resetEndpoint, o: Parameters<typeof send>[1]): Promise<{ status: number; resets: number; lives: number }> => {
    const plane = await startPolicyPlane(tableFor([first, endpointOf(live!)], policyFrom({})));
    const [r0, l0] = [reset.connections(), live!.count()];
    try {
      const answer = await send(plane.port, o);
      return { status: answer.status, resets: reset.connections() - r0, lives: live!.count() - l0 };
    } finally {
      await plane.stop();
    }
  };
  assert.deepEqual(await firstRequest(resetEndpoint, { method: 'GET' }), { status: 200, resets: 1, lives: 1 }, 'GET: reset, retried elsewhere');
  assert.deepEqual(await firstRequest(resetEndpoint, { method: 'DELETE' }), { status: 200, resets: 1, lives: 1 }, 'DELETE is idempotent');
  assert.deepEqual(await firstRequest(resetEndpoint, { method: 'POST', headers: { 'content-length': '0' } }), { status: 502, resets: 1, lives: 0 }, 'POST reset: not retried');
  assert.deepEqual(await firstRequest(resetEndpoint, { method: 'PATCH' }), { status: 502, resets: 1, lives: 0 }, 'PATCH reset: not retried');
  assert.deepEqual(await firstRequest(resetEndpoint, { method: 'PUT', body: 'payload' }), { status: 502, resets: 1, lives: 0 }, 'a body: never retried');
  assert.deepEqual(await firstRequest(deadEndpoint, { method: 'POST', headers: { 'content-length': '0' } }), { status: 200, resets: 0, lives: 1 }, 'POST refused: retried');
  assert.deepEqual(await firstRequest(deadEndpoint, { method: 'PUT', body: 'payload' }), { status: 502, resets: 0, lives: 0 }, 'a body: never retried');
});
