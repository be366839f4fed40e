// `gatehouse serve --workers 2`, the built CLI: per-client limits count a client's requests on both
// data-plane workers together. Requests come on separate connections, which SO_REUSEPORT spreads
// over the two workers (checked per worker in /debug/workers); limit-rps admits 1 + burst of them
// all together (plus what refills while the test runs, computed from the time it took), the rest
// are 503; limit-connections counts requests held open on both workers, and a worker that holds
// none still refuses the client over its limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend.ts';
import { manifestYaml, webIngress, webService } from '../support/manifest-docs.ts';
import { httpRequest, json } from '../support/http-client.ts';
import { RawConnection } from '../support/raw-http.ts';
import { startGatehouseProcess, waitFor, type StartedGatehouse } from '../support/spawn-gatehouse.ts';

interface WorkerRow {
  id: number;
  state: string;
  requestsTotal?: number;
  inFlightRequests?: number;
}

function manifests(backend: EchoBackend): string {
  return manifestYaml([
    ...webService(backend),
    // 1 + 30 at once, then one a second.
    webIngress('rps', { 'nginx.ingress.kubernetes.io/limit-rps': '1', 'nginx.ingress.kubernetes.io/limit-burst-multiplier': '30' }),
    webIngress('conn', { 'nginx.ingress.kubernetes.io/limit-connections': '3' }),
  ]);
}

test('--workers 2: limit-rps and limit-connections count one client on both workers together', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-workers-limits-'));
  const backend = await startEchoBackend({ address: '127.0.0.2', name: 'pod' });
  let g: StartedGatehouse | undefined;
  const held: RawConnection[] = [];
  t.after(async () => {
    for (const c of held) c.destroy();
    await g?.stop();
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(join(dir, 'app.yaml'), manifests(backend));
  g = await startGatehouseProcess(['--manifests', dir, '--workers', '2', '--access-log', 'off']);
  const gh = g;
  const workers = async (): Promise<WorkerRow[]> => json<{ list: WorkerRow[] }>(await httpRequest(gh.ports.admin, { path: '/debug/workers' })).list;
  const served = async (): Promise<number[]> => (await workers()).map((w) => w.requestsTotal ?? 0);
  await waitFor('readiness', async () => (await httpRequest(gh.ports.admin, { path: '/readyz' })).status === 200, 30_000);
  assert.deepEqual((await workers()).map((w) => [w.id, w.state]), [[1, 'serving'], [2, 'serving']]);
  // Every request on a new connection: the kernel picks the worker per connection.
  const get = async (host: string, path = '/'): Promise<number> => (await httpRequest(gh.ports.http, { host, path, headers: { connection: 'close' } })).status;

  await t.test('limit-rps: 1 + burst admitted over both workers together, the rest 503', async () => {
    const before = await served();
    const started = Date.now();
    const statuses: number[] = [];
    // Batches of 10 at once until each worker has answered at least 40 of them: more than one
    // worker alone could admit (31 plus refill), so per-worker buckets would admit far more.
    for (let batch = 0; batch < 60; batch++) {
      statuses.push(...(await Promise.all(Array.from({ length: 10 }, () => get('rps.example.com')))));
      const now = await served();
      if (now.every((n, i) => n - before[i]! >= 40)) break;
    }
    const seconds = (Date.now() - started) / 1000;
    const perWorker = (await served()).map((n, i) => n - before[i]!);
    assert.ok(perWorker.every((n) => n >= 40), `both workers answered at least 40: ${perWorker.join(', ')}`);
    assert.equal(perWorker[0]! + perWorker[1]!, statuses.length);
    const ok = statuses.filter((s) => s === 200).length;
    assert.equal(ok + statuses.filter((s) => s === 503).length, statuses.length, 'every answer is 200 or 503');
    // The burst, plus at most one request per second the test ran (the bucket refills at 1/s).
    assert.ok(ok >= 31, `${ok} admitted of ${statuses.length}`);
    assert.ok(ok <= 31 + Math.ceil(seconds), `${ok} admitted of ${statuses.length} in ${seconds} s: more than 31 + ${Math.ceil(seconds)}`);
    // The first three batches fit in the burst (the fourth's order within the batch is the kernel's).
    assert.deepEqual(statuses.slice(0, 30), Array(30).fill(200), 'the burst comes first');
  });

  await t.test('limit-connections: requests held open on either worker count for both', async () => {
    // Requests held open (the backend answers after 60 s), each on its own connection, until three are in progress.
    const inFlight = async (): Promise<number[]> => (await workers()).map((w) => w.inFlightRequests ?? 0);
    for (let i = 0; i < 3; i++) {
      const c = await RawConnection.connect({ port: gh.ports.http, timeoutMs: 90_000 });
      held.push(c);
      await c.send('GET /?echo-delay-ms=60000 HTTP/1.1\r\nHost: conn.example.com\r\n\r\n');
      await waitFor(`request ${i + 1} in progress`, async () => (await inFlight()).reduce((a, b) => a + b, 0) === i + 1, 10_000);
    }
    const holding = await inFlight();
    // However the three are spread (one worker may hold all of them), probes on new connections
    // until both workers answered some: every one is refused, by a worker holding fewer than 3 too.
    const before = await served();
    const probes: number[] = [];
    for (let round = 0; round < 40; round++) {
      probes.push(...(await Promise.all(Array.from({ length: 4 }, () => get('conn.example.com')))));
      if ((await served()).every((n, i) => n - before[i]! >= 2)) break;
    }
    const perWorker = (await served()).map((n, i) => n - before[i]!);
    assert.ok(perWorker.every((n) => n >= 2), `both workers answered probes: ${perWorker.join(', ')}`);
    assert.deepEqual(probes, Array(probes.length).fill(503), `held per worker: ${holding.join(', ')}; every probe over the limit of 3`);
    assert.ok(holding.some((n) => n < 3), 'a worker holding fewer than 3 itself refused too');
    assert.deepEqual(await inFlight(), holding, 'the held requests are still in progress');

    // The client goes away: its requests end and their counts are released on both workers.
    for (const c of held.splice(0)) c.destroy();
    await waitFor('held requests ended', async () => (await inFlight()).every((n) => n === 0), 10_000);
    const after = await Promise.all(Array.from({ length: 3 }, () => get('conn.example.com')));
    assert.deepEqual(after, [200, 200, 200]);
  });
});
