// The fixed-size table behind rate limits (limit-rps, limit-rpm: steps/rate-limits.ts). One slot per client bucket, found by a 32-bit key hash in one of two
// candidate slots (2-way set associative), so memory is the table's size whatever the number of clients. A new key takes the candidate seen
// least recently (refused requests count as seen, as nginx moves a refused state to the front of
// its LRU queue too), and an evicted client only starts
// over with a fresh bucket (nginx's limit_req evicts its least recently used states the same way).
//
// Writers go through compareAndSwap on a per-slot version, so a SharedArrayBuffer-backed store can
// drop in for --workers and let every worker agree on one bucket: read a slot, compute, swap; on a
// lost race, read again. The backing buffer can be passed in (an ArrayBuffer or a SharedArrayBuffer
// of bucketStoreBytes(size)): the typed-array code is the same, but this store's compare-and-swap
// is a plain read-then-write, atomic within one thread only; a store shared by worker threads must
// make the swap atomic across threads (a per-slot lock or seqlock word) behind the same interface.

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

/** Bytes of the backing buffer of a store of `size` slots. */
export function bucketStoreBytes(size: number): number {
  return size * WORDS * Float64Array.BYTES_PER_ELEMENT;
}

/**
 * The in-process store: one Float64Array of size × 5 numbers, allocated once, or laid over `buffer`
 * (exactly bucketStoreBytes(size) bytes, zero-filled when new).
 */
export function createLocalBucketStore(size: number, buffer?: ArrayBuffer | SharedArrayBuffer): BucketStore {
  if (!Number.isInteger(size) || size < 2) throw new RangeError(`a bucket store needs at least 2 slots, got ${size}`);
  if (buffer !== undefined && buffer.byteLength !== bucketStoreBytes(size)) {
    throw new RangeError(`a bucket store of ${size} slots needs a buffer of ${bucketStoreBytes(size)} bytes, got ${buffer.byteLength}`);
  }
  const words = buffer === undefined ? new Float64Array(size * WORDS) : new Float64Array(buffer);
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
