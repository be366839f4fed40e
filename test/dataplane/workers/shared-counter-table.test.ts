// SharedCounterTable: the per-client counts every worker thread sees alike. Real threads add to
// the same keys at once; every increment is counted exactly once and no key gets two slots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { SharedCounterTable } from '../../../src/dataplane/workers/shared-counter-table.ts';

test('counts per key and window; an older window starts again; counts at or below 0 free the slot', () => {
  const t = SharedCounterTable.create({ slots: 64 });
  assert.equal(t.add('10.0.0.1', 5, 1), 1);
  assert.equal(t.add('10.0.0.1', 5, 2), 3);
  assert.equal(t.add('10.0.0.2', 5, 1), 1);
  assert.equal(t.get('10.0.0.1', 5), 3);
  assert.equal(t.get('10.0.0.1', 4), 0, 'another window');
  assert.equal(t.add('10.0.0.1', 6, 1), 1, 'a new window starts from 0');
  assert.equal(t.get('10.0.0.1', 5), 0, 'the old window is gone');
  // Connections: window 0 forever, +1 on open, -1 on close.
  assert.equal(t.add(new Uint8Array([192, 168, 0, 1]), 0, 1), 1);
  assert.equal(t.add(new Uint8Array([192, 168, 0, 1]), 0, 1), 2);
  assert.equal(t.add(new Uint8Array([192, 168, 0, 1]), 0, -2), 0);
  assert.equal(t.used(0), 0);
  assert.throws(() => t.add('', 0, 1), RangeError);
  assert.throws(() => t.add('x'.repeat(33), 0, 1), RangeError);
  assert.throws(() => SharedCounterTable.create({ slots: 0 }), RangeError);
});

test('a full neighbourhood refuses a new key (undefined) until a window passes; live keys keep counting', () => {
  const t = SharedCounterTable.create({ slots: 4, probe: 4 });
  for (const k of ['a', 'b', 'c', 'd']) assert.equal(t.add(k, 1, 1), 1);
  assert.equal(t.add('e', 1, 1), undefined, 'no room within the window');
  assert.equal(t.add('a', 1, 1), 2, 'a live key still counts');
  assert.equal(t.used(1), 4);
  assert.equal(t.add('e', 2, 1), 1, 'stale slots are reused in a later window');
});

test('keys that collide on their home slot keep separate counts', () => {
  const t = SharedCounterTable.create({ slots: 1, probe: 1 });
  assert.equal(t.add('a', 0, 1), 1);
  assert.equal(t.add('b', 0, 1), undefined);
  const t2 = SharedCounterTable.create({ slots: 3, probe: 3 });
  const counts = new Map<string, number>();
  for (let i = 0; i < 30; i++) {
    const k = ['x', 'y', 'z'][i % 3]!;
    counts.set(k, t2.add(k, 0, 1)!);
  }
  assert.deepEqual([...counts.values()], [10, 10, 10]);
});

test('four threads adding to the same keys at once: every increment counted once, one slot per key', async () => {
  const table = SharedCounterTable.create({ slots: 256 });
  const keys = Array.from({ length: 40 }, (_, i) => `client-${i}`);
  const rounds = 2_000;
  const answers = await Promise.all(
    Array.from({ length: 4 }, () =>
      new Promise<{ refused: number }>((resolve, reject) => {
        const w = new Worker(new URL('./shared-counter-table-worker.ts', import.meta.url), { workerData: { buffer: table.buffer, keys, rounds, window: 7 } });
        w.once('message', resolve);
        w.once('error', reject);
      }),
    ),
  );
  assert.deepEqual(answers.map((a) => a.refused), [0, 0, 0, 0]);
  for (const k of keys) assert.equal(table.get(k, 7), 4 * rounds, k);
  assert.equal(table.used(7), keys.length, 'no key was given two slots');
});
