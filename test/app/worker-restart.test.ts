// A data-plane worker that dies (here: its thread ended as a crash would end it) is restarted with
// the current route table, while the other worker keeps serving on the same port. Threads cannot be
// killed from outside the process, so this runs Gatehouse in-process with --workers 2.
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
import { waitFor } from '../support/spawn-gatehouse.ts';


test('a worker that dies is restarted with the table; the other keeps serving meanwhile', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-worker-restart-'));
  const backend = await startEchoBackend({ address: '127.0.0.2', name: 'pod' });
  let gh: RunningGatehouse | undefined;
  t.after(async () => {
    await gh?.shutdown('test over');
    await backend.close();
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(join(dir, 'app.yaml'), manifestYaml([...webService(backend), webIngress('web', {}, 'web.example.com')]));
  const started = await startInProcessWorkers(dir);
  gh = started.gh;
  const running = gh;
  const lines = started.lines;
  const workers = started.workers;
  const get = (): Promise<number> => httpRequest(running.ports.http, { host: 'web.example.com', headers: { connection: 'close' } }).then((r) => r.status, () => 0);

  for (let i = 0; i < 10; i++) assert.equal(await get(), 200);
  const before = await workers();
  const survivor = before.find((w) => w.id === 2)!;

  await running.workers!.terminate(1);
  // Meanwhile the other worker serves every request: connections reach only live sockets.
  await waitFor('worker 1 restarting', async () => (await workers()).find((w) => w.id === 1)!.state !== 'serving', 10_000);
  const during: number[] = [];
  for (let i = 0; i < 20; i++) during.push(await get());
  assert.deepEqual(during, during.map(() => 200), 'requests while worker 1 is away');
  const mid = await workers();
  assert.ok((mid.find((w) => w.id === 2)!.requestsTotal ?? 0) >= (survivor.requestsTotal ?? 0) + 20, 'worker 2 took them');

  await waitFor('worker 1 serving again', async () => {
    const w1 = (await workers()).find((w) => w.id === 1)!;
    return w1.state === 'serving' && w1.restarts === 1 && w1.generation > 0;
  }, 30_000);
  assert.equal(running.workers!.restarts, 1);
  assert.ok(lines.some((l) => l['msg'] === 'data-plane worker exited; the others keep serving and it is restarted' && l['worker'] === 1 && l['level'] === 'error'));

  // The new worker 1 serves with the table it was handed before listening.
  const w1Before = (await workers()).find((w) => w.id === 1)!.requestsTotal ?? 0;
  for (let round = 0; round < 40; round++) {
    for (let i = 0; i < 10; i++) assert.equal(await get(), 200);
    if (((await workers()).find((w) => w.id === 1)!.requestsTotal ?? 0) > w1Before) break;
  }
  assert.ok(((await workers()).find((w) => w.id === 1)!.requestsTotal ?? 0) > w1Before, 'the restarted worker serves');
  const metrics = (await httpRequest(running.ports.admin, { path: '/metrics' })).body.toString();
  assert.match(metrics, /^gatehouse_worker_restarts_total 1$/m);
});
