// The limit-connections table: counts per key up to the limit, releases, never takes a busy slot
// (a full neighbourhood refuses, as nginx limit_conn does when its zone is full), and works the same
// over a SharedArrayBuffer (what worker threads share) and a private buffer, with each owner's share taken off when it dies.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hash32 } from '../../src/dataplane/proxy/balancers.ts';
import { ConnectionSlots, connectionSlotsBytes, OVER_LIMIT, recoverConnectionSlots, TABLE_FULL } from '../../src/dataplane/steps/connection-slots.ts';
import { bucketStoreBytes, createBucketStore } from '../../src/dataplane/steps/rate-limit-store.ts';

test('counts up to the limit, then refuses; a release lets one more in', () => {
  const slots = new ConnectionSlots(64);
  const key = hash32('10.0.0.1'); // any 32-bit key, high bit included
  const held = [slots.acquire(key, 2), slots.acquire(key, 2)];
  assert.ok(held.every((s) => s >= 0));
  assert.equal(slots.acquire(key, 2), OVER_LIMIT);
  assert.equal(slots.inProgress(), 2);
  slots.release(held[0]!, key);
  assert.equal(slots.inProgress(), 1);
  assert.ok(slots.acquire(key, 2) >= 0);
  assert.equal(slots.acquire(0xffff_ffff, 1) >= 0, true, 'the largest key');
});

test('a busy slot is never taken: a full neighbourhood refuses; freed slots are reused by other keys', () => {
  const slots = new ConnectionSlots(8); // every key shares the same 8 candidates
  const keys = Array.from({ length: 8 }, (_, i) => i + 1);
  const held = keys.map((k) => slots.acquire(k, 1));
  assert.ok(held.every((s) => s >= 0));
  assert.equal(slots.acquire(1000, 1), TABLE_FULL);
  slots.release(held[3]!, keys[3]!);
  assert.equal(slots.acquire(1000, 1), held[3]);
  assert.equal(slots.inProgress(), 8);
});

test('the tables lie over a given buffer, SharedArrayBuffer included, and refuse one of the wrong size', () => {
  const shared = new SharedArrayBuffer(connectionSlotsBytes(16));
  const a = new ConnectionSlots(16, shared);
  const b = new ConnectionSlots(16, shared); // a second view, as another worker would have
  const slot = a.acquire(42, 1);
  assert.equal(b.acquire(42, 1), OVER_LIMIT, 'the count is shared');
  b.release(slot, 42);
  assert.equal(a.inProgress(), 0);
  assert.throws(() => new ConnectionSlots(16, new ArrayBuffer(8)), RangeError);
  const buckets = new SharedArrayBuffer(bucketStoreBytes(16));
  const s1 = createBucketStore(16, buckets);
  assert.ok(s1.compareAndSwap(3, 0, 0xffff_fff7, 1234.5));
  const into = { version: 0, key: 0, emptyAt: 0 };
  assert.ok(createBucketStore(16, buckets, 2).read(3, into));
  assert.deepEqual(into, { version: 1024, key: 0xffff_fff7, emptyAt: 1234.5 });
  assert.equal(s1.compareAndSwap(3, 0, 7, 1), false, 'an old version loses');
  assert.throws(() => createBucketStore(16, new ArrayBuffer(10)), RangeError);
});

test('each owner counts its own share: a dead owner\'s requests come off, the others\' stay', () => {
  const buffer = new SharedArrayBuffer(connectionSlotsBytes(16, 3));
  const one = new ConnectionSlots(16, buffer, 1, 3);
  const two = new ConnectionSlots(16, buffer, 2, 3);
  const a = hash32('10.0.0.1');
  const b = hash32('10.0.0.2');
  const held = [one.acquire(a, 4), one.acquire(a, 4), one.acquire(b, 4), two.acquire(a, 4)];
  assert.ok(held.every((s) => s >= 0));
  assert.equal(one.acquire(a, 3), OVER_LIMIT, 'three of a in progress, from two owners');
  one.release(held[2]!, b);
  assert.equal(recoverConnectionSlots(16, buffer, 1, 3), 2, 'owner 1 still held two of a');
  assert.equal(recoverConnectionSlots(16, buffer, 1, 3), 0, 'and only once');
  assert.equal(two.inProgress(), 1, 'owner 2\'s request of a stays counted');
  assert.ok(two.acquire(a, 2) >= 0);
  assert.equal(two.acquire(a, 2), OVER_LIMIT);
  assert.equal(recoverConnectionSlots(16, buffer, 2, 3), 2);
  assert.equal(one.inProgress(), 0);
  assert.throws(() => new ConnectionSlots(16, buffer, 4, 3), RangeError);
  assert.throws(() => new ConnectionSlots(16, buffer, 1, 2), RangeError, 'a buffer sized for another number of owners');
});
