// The rate-limit core (nginx limit_req with burst and nodelay, as ingress-nginx configures it) over
// the fixed-size bucket table, with the clock passed in: bursts, refill, refused requests not
// charged, and a table that stays its size with many clients.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hash32 } from '../../src/dataplane/proxy/balancers.ts';
import { LeakyBucketLimiter } from '../../src/dataplane/steps/leaky-bucket.ts';
import { createBucketStore, type BucketStore } from '../../src/dataplane/steps/rate-limit-store.ts';

const rps = (rate: number, multiplier = 5) => ({ ratePerSecond: rate, burst: rate * multiplier });

function admitted(limiter: LeakyBucketLimiter, key: number, rule: ReturnType<typeof rps>, at: number, n: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) if (limiter.admit(key, rule, at)) ok++;
  return ok;
}

test('a burst: 1 + rate × multiplier requests pass at once, the rest are refused', () => {
  const limiter = new LeakyBucketLimiter(createBucketStore(64));
  assert.equal(admitted(limiter, hash32('10.0.0.1'), rps(5), 1_000, 100), 26);
  assert.equal(admitted(limiter, hash32('10.0.0.1'), rps(2, 1), 1_000, 10), 0, 'the same key is still over');
  const other = new LeakyBucketLimiter(createBucketStore(64));
  assert.equal(admitted(other, hash32('10.0.0.1'), rps(1, 1), 0, 10), 2);
  // Intervals that are no exact float (1/3 s, 1/7 s...): the sums land on the boundary, not a hair past it.
  for (const rate of [3, 7, 9, 11, 13, 1_000_000]) {
    for (const multiplier of [1, 3, 1000]) {
      const at = 123_456_789.123; // a monotonic clock some days after boot
      assert.equal(admitted(new LeakyBucketLimiter(createBucketStore(8)), 42, rps(rate, multiplier), at, Math.min(2 * rate * multiplier + 2, 50_000)), Math.min(1 + rate * multiplier, 50_000), `${rate}/s × ${multiplier}`);
    }
  }
});

test('the bucket drains at the rate; refused requests are not charged', () => {
  const limiter = new LeakyBucketLimiter(createBucketStore(64));
  const key = hash32('client');
  const rule = rps(10, 1); // burst 10
  assert.equal(admitted(limiter, key, rule, 0, 50), 11);
  assert.equal(admitted(limiter, key, rule, 99, 5), 0, 'less than one request drained');
  assert.equal(admitted(limiter, key, rule, 100, 5), 1, 'one request drained after 100 ms');
  assert.equal(admitted(limiter, key, rule, 600, 50), 5, 'five more after another 500 ms (refused ones cost nothing)');
  assert.equal(admitted(limiter, key, rule, 60_000, 50), 11, 'a long pause empties the bucket: 1 + burst again');
});

test('requests per minute', () => {
  const limiter = new LeakyBucketLimiter(createBucketStore(64));
  const rule = { ratePerSecond: 6 / 60, burst: 6 * 5 };
  const key = hash32('rpm');
  assert.equal(admitted(limiter, key, rule, 0, 100), 31);
  assert.equal(admitted(limiter, key, rule, 9_999, 5), 0);
  assert.equal(admitted(limiter, key, rule, 10_000, 5), 1, 'one request per 10 s');
});

test('many distinct clients: the table keeps its size, evicts the bucket empty soonest, and a busy client keeps its bucket', () => {
  let writes = 0;
  const base = createBucketStore(1024);
  const store: BucketStore = { size: base.size, read: base.read, compareAndSwap: (...a) => (writes++, base.compareAndSwap(...a)) };
  const limiter = new LeakyBucketLimiter(store);
  // One request per 1000 s: nothing drains during the run (the clock advances 1 ms a client).
  const rule = { ratePerSecond: 0.001, burst: 1 };
  const hot = hash32('hot');
  assert.equal(admitted(limiter, hot, rule, 0, 5), 2);
  let hotAdmitted = 0;
  for (let i = 0; i < 100_000; i++) {
    assert.ok(limiter.admit(hash32(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`), rule, i), 'a new client is admitted');
    // The hot client keeps asking and stays refused: a new client never evicts its full bucket
    // (the other candidate is empty sooner), so it never gets a fresh one.
    if (i % 64 === 0 && limiter.admit(hot, rule, i)) hotAdmitted++;
  }
  assert.equal(hotAdmitted, 0);
  assert.equal(store.size, 1024);
  assert.ok(writes >= 100_000);
});

test('a lost compare-and-swap is retried on fresh state', () => {
  const base = createBucketStore(16);
  let lose = 1;
  const store: BucketStore = {
    size: base.size,
    read: base.read,
    compareAndSwap: (...a) => (lose-- > 0 ? false : base.compareAndSwap(...a)),
  };
  const limiter = new LeakyBucketLimiter(store);
  assert.equal(admitted(limiter, hash32('x'), rps(1, 1), 0, 5), 2);
});

test('limit-burst-multiplier 0: one request at a time, then one per interval (nginx burst=0)', () => {
  const limiter = new LeakyBucketLimiter(createBucketStore(64));
  const key = hash32('no-burst');
  const rule = rps(10, 0);
  assert.equal(admitted(limiter, key, rule, 1_000, 20), 1);
  assert.equal(admitted(limiter, key, rule, 1_099, 5), 0, 'less than one interval later');
  assert.equal(admitted(limiter, key, rule, 1_100, 5), 1, 'one interval (100 ms) later');
});
