// gatehouse_event_loop_lag_seconds: a stall of the event loop shows on the next scrape, and the
// window starts again after each scrape (so one old stall does not stay on the gauge forever).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetricsRegistry } from '../../src/observability/metrics.ts';
import { registerEventLoopLag } from '../../src/observability/event-loop-lag.ts';

function sample(text: string): number {
  const line = text.split('\n').find((l) => l.startsWith('gatehouse_event_loop_lag_seconds '));
  assert.ok(line !== undefined, 'the gauge is exported');
  return Number(line.split(' ')[1]);
}

test('a 400 ms stall is reported on the next scrape, and not on the one after', { timeout: 30_000 }, async () => {
  const registry = createMetricsRegistry();
  const lag = registerEventLoopLag(registry, { resolutionMs: 10 });
  try {
    await new Promise((r) => setTimeout(r, 200));
    registry.render(); // a new window
    await new Promise((r) => setTimeout(r, 50));
    const until = Date.now() + 400;
    while (Date.now() < until) {
      // a synchronous stall, as a flood parsed in one go would cause
    }
    await new Promise((r) => setTimeout(r, 100));
    const stalled = sample(registry.render());
    assert.ok(stalled >= 0.3, `the stall was reported as ${stalled} s`);
    await new Promise((r) => setTimeout(r, 300));
    const after = sample(registry.render());
    assert.ok(after < stalled, `the next window still reports ${after} s`);
  } finally {
    lag.stop();
  }
});
