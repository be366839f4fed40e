// The fixed-size table behind rate limits (issue 12 item 6, not yet wired: the limit-* annotations
// still refuse their Ingress). One slot per client bucket, found by a 32-bit key hash in one of two
// candidate slots (2-way set associative), so memory is the table's size whatever the number of clients. A new key takes the candidate seen
// least recently (refused requests count as seen, as nginx moves a refused state to the front of
// its LRU queue too), and an evicted client only starts
// over with a fresh bucket (nginx's limit_req evicts its least recently used states the same way).
//
// Writers go through compareAndSwap on a per-slot version, so a SharedArrayBuffer-backed store can
// drop in for --workers and let every worker agree on one bucket: read a slot, compute, swap; on a
// lost race, read again.

export interface BucketSlot {
  /** Bumped by every successful swap; 0 for a slot never written. */
  version: number;
  /** The key hash (unsigned 32-bit) of the bucket in the slot. */
  key: number;
  /** nginx's `excess`: requests over the rate, in thousandths. */
  excess: number;
  /** Milliseconds (the limiter's clock) of the last admitted request. */
  stamp: number;
  /** Milliseconds of the last request, admitted or refused: eviction takes the least recently seen. */
  seen: number;
}

export interface BucketStore {
  /** Number of slots (fixed). */
  readonly size: number;
  /** Copies slot `index` into `into` (no allocation on the hot path). */
  read(index: number, into: BucketSlot): void;
  /** Writes the slot if its version is still `expectedVersion`; false when another writer won. */
  compareAndSwap(index: number, expectedVersion: number, key: number, excess: number, stamp: number, seen: number): boolean;
}

const WORDS = 5;

/** The in-process store: one Float64Array of size × 5 numbers, allocated once. */
export function createLocalBucketStore(size: number): BucketStore {
  if (!Number.isInteger(size) || size < 2) throw new RangeError(`a bucket store needs at least 2 slots, got ${size}`);
  const words = new Float64Array(size * WORDS);
  return {
    size,
    read(index: number, into: BucketSlot): void {
      const at = index * WORDS;
      into.version = words[at]!;
      into.key = words[at + 1]!;
      into.excess = words[at + 2]!;
      into.stamp = words[at + 3]!;
      into.seen = words[at + 4]!;
    },
    compareAndSwap(index: number, expectedVersion: number, key: number, excess: number, stamp: number, seen: number): boolean {
      const at = index * WORDS;
      if (words[at] !== expectedVersion) return false;
      words[at] = expectedVersion + 1;
      words[at + 1] = key;
      words[at + 2] = excess;
      words[at + 3] = stamp;
      words[at + 4] = seen;
      return true;
    },
  };
}
