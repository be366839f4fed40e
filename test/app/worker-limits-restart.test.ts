// Per-client limits when a data-plane worker dies (--workers 2, in-process: a thread cannot be ended
// from outside the process). The request it held open stops counting against limit-connections the
// moment it is gone (otherwise that client would be refused for good), and the buckets it charged
// stay charged: its replacement attaches the same tables and refuses the client over its limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningGatehouse } from '../../src/app/start-gatehouse.ts';
import { startEchoBackend } from '../support/echo-backend.ts';
import { startInProcessWorkers } from '../support/in-process-gatehouse.ts';
import { manifestYaml, webIngress, webService } from '../support/manifest-docs.ts';
import { httpRequest } from '../support/http-client.ts';
import { RawConnection } from '../support/raw-http.ts';
import { waitFor } from '../support/spawn-gatehouse.ts';


test('a worker that dies: its held request stops counting, the buckets it charged stay charged for its replacement', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-worker-limits-'));
  const backend = await startEchoBackend({ address: '127.0.0.2', name: 'pod' });
  let gh: RunningGatehouse | undefined;
  let held: RawConnection | undefined;
  t.after(async () => {
    held?.destroy();
    await gh?.shutdown('test over');
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(
    join(dir, 'app.yaml'),
    manifestYaml([
      ...webService(backend),
      webIngress('conn', { 'nginx.ingress.kubernetes.io/limit-connections': '1' }),
      // 1 + 5 at once, then one a minute: nothing refills while the test runs.
      webIngress('rpm', { 'nginx.ingress.kubernetes.io/limit-rpm': '1', 'nginx.ingress.kubernetes.io/limit-burst-multiplier': '5' }),
    ]),
  );
  const started = await startInProcessWorkers(dir);
  gh = started.gh;
  const running = gh;
  const lines = started.lines;
  const workers = started.workers;
  const get = (host: string): Promise<number> => httpRequest(running.ports.http, { host, headers: { connection: 'close' } }).then((r) => r.status);

  const burstAt = Date.now();
  const burst: number[] = [];
  for (let i = 0; i < 8; i++) burst.push(await get('rpm.example.com'));
  assert.deepEqual(burst, [200, 200, 200, 200, 200, 200, 503, 503]);

  held = await RawConnection.connect({ port: running.ports.http, timeoutMs: 90_000 });
  await held.send('GET /?echo-delay-ms=60000 HTTP/1.1\r\nHost: conn.example.com\r\n\r\n');
  await waitFor('the held request in progress', async () => (await workers()).some((w) => w.inFlightRequests === 1), 10_000);
  const holder = (await workers()).find((w) => w.inFlightRequests === 1)!.id;
  assert.equal(await get('conn.example.com'), 503, 'limit-connections 1 is held');

  await running.workers!.terminate(holder);
  // Its request died with it; the other worker serves at once, and the client is not refused.
  await waitFor('the dead worker\'s request released', async () => (await get('conn.example.com')) === 200, 10_000);
  assert.ok(lines.some((l) => l['msg'] === 'released the limit counts of an exited data-plane worker' && l['worker'] === holder && l['requests'] === 1));

  await waitFor('the worker serving again', async () => {
    const w = (await workers()).find((r) => r.id === holder)!;
    return w.state === 'serving' && w.restarts === 1 && w.generation > 0;
  }, 30_000);
  // The replacement attached the same buckets: the client is still over its limit there.
  const before = (await workers()).find((w) => w.id === holder)!.requestsTotal ?? 0;
  const after: number[] = [];
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 5; i++) after.push(await get('rpm.example.com'));
    if (((await workers()).find((w) => w.id === holder)!.requestsTotal ?? 0) >= before + 3) break;
  }
  assert.ok(((await workers()).find((w) => w.id === holder)!.requestsTotal ?? 0) >= before + 3, 'the restarted worker answered some');
  // One request a minute refills: none unless this machine made the test last that long.
  const refilled = Math.floor((Date.now() - burstAt) / 60_000);
  assert.ok(after.filter((s) => s === 200).length <= refilled, `admitted after the restart: ${after.join(', ')} (${refilled} refilled)`);
  assert.equal(after.filter((s) => s !== 200 && s !== 503).length, 0);
});
