// The per-client limit tables shared by data-plane worker threads (workers/limit-tables.ts), with
// real threads attached to one SharedArrayBuffer each, through the real RateLimiter: concurrent
// requests of the same clients are counted exactly once across threads, limit-connections is never
// exceeded at any moment, a thread that dies gives back exactly its requests in progress, its
// replacement sees the counts it left, and a bucket slot a dead writer left locked is released.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { compileRateLimit, RateLimiter } from '../../../src/dataplane/steps/rate-limits.ts';
import { createLimitTables, releaseLimitsOf, type LimitTables } from '../../../src/dataplane/workers/limit-tables.ts';

const WORKER = new URL('./limit-tables-worker.ts', import.meta.url);
const clients = (n: number): string[] => Array.from({ length: n }, (_, i) => `10.1.${i}.7`);

interface Started {
  worker: Worker;
  /** The thread's first message (ready, or its result when it does not wait for the start). */
  first: Promise<Record<string, unknown>>;
  /** Its last message before it exits. */
  result: Promise<Record<string, unknown>>;
}

function startThread(tables: LimitTables, owner: number, names: string[], start: SharedArrayBuffer, task: unknown): Started {
  const worker = new Worker(WORKER, { workerData: { tables, owner, clients: names, start, task } });
  const messages: Record<string, unknown>[] = [];
  let onFirst: (m: Record<string, unknown>) => void = () => {};
  const first = new Promise<Record<string, unknown>>((resolve) => (onFirst = resolve));
  const result = new Promise<Record<string, unknown>>((resolve, reject) => {
    worker.on('message', (m: Record<string, unknown>) => {
      messages.push(m);
      if (messages.length === 1) onFirst(m);
    });
    worker.once('error', reject);
    worker.once('exit', () => resolve(messages.at(-1) ?? {}));
  });
  return { worker, first, result };
}

/** Starts the threads, waits until all are ready, then releases them at once. */
async function runTogether(tables: LimitTables, names: string[], tasks: unknown[]): Promise<Record<string, unknown>[]> {
  const start = new SharedArrayBuffer(4);
  const threads = tasks.map((task, i) => startThread(tables, i + 1, names, start, task));
  await Promise.all(threads.map((t) => t.first));
  Atomics.store(new Int32Array(start), 0, 1);
  Atomics.notify(new Int32Array(start), 0);
  return Promise.all(threads.map((t) => t.result));
}

test('four threads asking for the same clients at once: each client gets exactly 1 + burst, all threads together', async () => {
  const tables = createLimitTables({ bucketSlots: 4096, connectionSlots: 64, owners: 4, shared: true });
  const names = clients(8);
  // A frozen clock: nothing refills, so exactly 1 + 1 × 500 of the 4 × 3000 requests of each client pass.
  const answers = await runTogether(tables, names, Array.from({ length: 4 }, () => ({ kind: 'requests', rounds: 3000, burstMultiplier: 500 })));
  const perClient = names.map((_, c) => answers.reduce((sum, a) => sum + (a.admitted as number[])[c]!, 0));
  assert.deepEqual(perClient, names.map(() => 501));
  assert.ok(answers.filter((a) => (a.admitted as number[])[0]! > 0).length >= 1);
});

test('four threads taking and ending limit-connections requests of the same clients: never over the limit, nothing left counted', async () => {
  const tables = createLimitTables({ bucketSlots: 64, connectionSlots: 256, owners: 4, shared: true });
  const names = clients(4);
  const inUse = new SharedArrayBuffer(4 * names.length);
  const rounds = 2000;
  // Each thread holds two requests of a client at once, so four threads could hold eight: the limit of 3 must hold them back.
  const answers = await runTogether(tables, names, Array.from({ length: 4 }, () => ({ kind: 'connections', rounds, limit: 3, inUse })));
  for (const a of answers) {
    assert.equal(a.over, 0, `a thread saw more than 3 requests of one client in progress: ${JSON.stringify(answers)}`);
    assert.equal((a.admitted as number) + (a.refused as number), rounds * names.length * 2);
  }
  const view = new RateLimiter({ tables, owner: 1 });
  assert.equal(view.connections.inProgress(), 0, 'every request ended, every count released');
});

test('a thread that dies gives back exactly its requests in progress; the others keep theirs', async () => {
  const tables = createLimitTables({ bucketSlots: 64, connectionSlots: 256, owners: 3, shared: true });
  const names = clients(2);
  const start = new SharedArrayBuffer(4);
  const a = startThread(tables, 1, names, start, { kind: 'hold', limit: 5, count: 3 });
  assert.deepEqual(await a.first, { held: 6 });
  const b = startThread(tables, 2, names, start, { kind: 'hold', limit: 5, count: 2 });
  assert.deepEqual(await b.first, { held: 4 });
  const mine = new RateLimiter({ tables, owner: 3 });
  const limit = compileRateLimit('shop/web', { connections: 5, burstMultiplier: 1 })!;
  assert.equal(mine.check(limit, names[0]!).refusal?.limit, 'limit-connections', 'both threads hold 5 of this client');

  await a.worker.terminate();
  assert.deepEqual(releaseLimitsOf(tables, 1), { buckets: 0, requests: 6 });
  assert.deepEqual(releaseLimitsOf(tables, 1), { buckets: 0, requests: 0 }, 'released once');
  const held: (() => void)[] = [];
  for (let i = 0; i < 3; i++) {
    const r = mine.check(limit, names[0]!);
    assert.equal(r.refusal, undefined, `request ${i + 1} of 3 freed by the dead thread`);
    held.push(r.release!);
  }
  assert.equal(mine.check(limit, names[0]!).refusal?.limit, 'limit-connections', 'the live thread still holds its 2');
  assert.equal(mine.connections.inProgress(), 4 + 3);

  await b.worker.terminate();
  assert.deepEqual(releaseLimitsOf(tables, 2), { buckets: 0, requests: 4 });
  for (const release of held) release();
  assert.equal(mine.connections.inProgress(), 0);
});

test('a restarted thread attaches the same tables: the requests counted before its crash still count', async () => {
  const tables = createLimitTables({ bucketSlots: 1024, connectionSlots: 64, owners: 2, shared: true });
  const names = clients(3);
  const start = new SharedArrayBuffer(4);
  Atomics.store(new Int32Array(start), 0, 1);
  const first = startThread(tables, 1, names, start, { kind: 'requests', rounds: 20, burstMultiplier: 9 });
  assert.deepEqual((await first.result).admitted, [10, 10, 10]);
  releaseLimitsOf(tables, 1); // what the control plane does on every exit
  const replacement = startThread(tables, 1, names, start, { kind: 'requests', rounds: 20, burstMultiplier: 9 });
  assert.deepEqual((await replacement.result).admitted, [0, 0, 0], 'still over: the same clock, the same buckets');
});

test('a bucket slot left locked by a writer that died refuses its clients (never unlimited) until the control plane releases it', () => {
  const tables = createLimitTables({ bucketSlots: 16, connectionSlots: 64, owners: 2, shared: true });
  const limiter = new RateLimiter({ tables, owner: 1, now: () => 5_000 });
  const limit = compileRateLimit('shop/web', { rps: 1, burstMultiplier: 1 })!;
  // Owner 2 "dies" inside a write of every slot: each control word says locked by owner 2
  // (bit 0 locked, bits 1-9 the owner; rate-limit-store.ts).
  const words = new Int32Array(tables.buckets);
  for (let slot = 0; slot < 16; slot++) words[slot * 4] = (2 << 1) | 1;
  assert.equal(limiter.check(limit, '10.2.0.1').refusal?.limit, 'limit-rps');
  assert.deepEqual(releaseLimitsOf(tables, 1), { buckets: 0, requests: 0 }, 'only the dead owner\'s locks are released');
  assert.deepEqual(releaseLimitsOf(tables, 2), { buckets: 16, requests: 0 });
  assert.equal(limiter.check(limit, '10.2.0.1').refusal, undefined);
  assert.equal(limiter.check(limit, '10.2.0.1').refusal, undefined);
  assert.equal(limiter.check(limit, '10.2.0.1').refusal?.limit, 'limit-rps', '1 + burst 1, then refused');
});
