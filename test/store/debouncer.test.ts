import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDebouncer } from '../../src/store/debouncer.ts';

// Virtual time (node:test mock timers): the assertions are about the schedule, not the machine.
test('a burst coalesces into one run after the hold-off', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const runs: number[] = [];
  const d = createDebouncer({ holdOffMs: 100, maxDelayMs: 500, run: () => runs.push(Date.now()) });
  d.trigger();
  t.mock.timers.tick(50);
  d.trigger();
  t.mock.timers.tick(50);
  d.trigger();
  assert.deepEqual(runs, []);
  t.mock.timers.tick(99);
  assert.deepEqual(runs, []);
  t.mock.timers.tick(1);
  assert.deepEqual(runs, [200]);
  assert.equal(d.pending(), false);
});

test('a steady stream still runs by the cap, then starts a new burst', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const runs: number[] = [];
  const d = createDebouncer({ holdOffMs: 100, maxDelayMs: 500, run: () => runs.push(Date.now()) });
  // Time advances in 10 ms steps (the mock clock reads the end of a tick inside callbacks).
  for (let ms = 0; ms < 720; ms += 10) {
    if (ms % 60 === 0) d.trigger();
    t.mock.timers.tick(10);
  }
  // Triggers every 60 ms from 0 to 660: the first burst runs at its 500 ms cap.
  assert.equal(runs[0], 500);
  for (let i = 0; i < 100; i++) t.mock.timers.tick(10);
  assert.deepEqual(runs, [500, 760]);
});

test('flush runs a pending build now; cancel drops it', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  let runs = 0;
  const d = createDebouncer({ holdOffMs: 100, maxDelayMs: 500, run: () => runs++ });
  d.flush();
  assert.equal(runs, 0, 'nothing pending');
  d.flush(true);
  assert.equal(runs, 1, 'forced');
  d.trigger();
  d.flush();
  assert.equal(runs, 2);
  t.mock.timers.tick(1000);
  assert.equal(runs, 2, 'the timer was cleared');
  d.trigger();
  d.cancel();
  t.mock.timers.tick(1000);
  assert.equal(runs, 2);
});
