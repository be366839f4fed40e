// The fixed-size table behind rate limits (limit-rps, limit-rpm: steps/rate-limits.ts,
// steps/leaky-bucket.ts). One slot per client bucket, found by a 32-bit key hash in one of two
// candidate slots (2-way set associative), so memory is the table's size whatever the number of
// clients. A slot holds the key and the bucket's one number: the time at which it will be empty
// (leaky-bucket.ts).
//
// The table lies in one buffer that every data-plane worker thread attaches (a SharedArrayBuffer
// made once by the control plane; with one thread a private one), and every word is read and
// written with Atomics, so the threads agree on each bucket. Each slot is four Int32 words: a
// control word, the key, and the time (a float64, as two words). The control word is a version
// (bits 10-31, bumped by every write; 0 only for a slot never written) while the slot is at rest,
// and the version plus a lock bit (bit 0) and the writer's owner number (bits 1-9) while a thread
// writes it:
// - a writer swaps the control word from the version it computed from to locked-by-me with one
//   Atomics.compareExchange (failing if anyone wrote or is writing the slot since: the caller reads
//   again), writes the fields, then stores the next version, unlocked;
// - a reader never locks: it reads an unlocked control word, the fields, and the control word
//   again, and keeps what it read only if that did not change (a seqlock).
// The owner number lets the control plane release a slot whose writer died between locking and
// unlocking (recoverBucketStore, when a worker exits), as nginx's master force-unlocks a
// shared-memory mutex a dead worker held.

export interface BucketSlot {
  /** The control word at rest (0 for a slot never written). */
  version: number;
  /** The key hash (unsigned 32-bit) of the bucket in the slot. */
  key: number;
  /** Milliseconds (the limiter's clock) at which the bucket is empty again. */
  emptyAt: number;
}

export interface BucketStore {
  /** Number of slots (fixed). */
  readonly size: number;
  /**
   * Copies slot `index` into `into` (no allocation on the hot path). False when the slot stayed
   * in the middle of another thread's write for longer than a short bounded wait.
   */
  read(index: number, into: BucketSlot): boolean;
  /** Writes the slot if its control word is still `expectedVersion`; false when another writer won. */
  compareAndSwap(index: number, expectedVersion: number, key: number, emptyAt: number): boolean;
}

const CONTROL = 0;
const KEY = 1;
const EMPTY_AT = 2;
const WORDS = 4;
const LOCKED = 1;
const OWNER_SHIFT = 1;
/** Owner numbers fit in 9 bits (--workers is at most 256). */
export const MAX_BUCKET_OWNER = 511;
const VERSION_STEP = 1 << 10;
/**
 * A reader spins this many times on a slot being written, then sleeps in waits of 50 µs doubling
 * to 1 ms (a writer descheduled mid-write on a loaded machine resumes within a few ms), about 50 ms
 * in all: longer than that the writer has died and the control plane has not released its slot yet.
 */
const SPINS = 64;
const WAITS = 54;
const FIRST_WAIT_MS = 0.05;
const LONGEST_WAIT_MS = 1;

/** Bytes of the backing buffer of a store of `size` slots (16 per slot). */
export function bucketStoreBytes(size: number): number {
  return size * WORDS * Int32Array.BYTES_PER_ELEMENT;
}

// A float64 goes through these as two Int32 words (one pair per thread: module state is per isolate).
const f64 = new Float64Array(1);
const f64Words = new Int32Array(f64.buffer);

/** The control word after `version` (at rest, never 0 again: 0 means never written). */
function nextVersion(version: number): number {
  const next = ((version & ~(VERSION_STEP - 1)) + VERSION_STEP) | 0;
  return next === 0 ? VERSION_STEP : next;
}

function checkBuffer(size: number, buffer: ArrayBuffer | SharedArrayBuffer | undefined): void {
  if (!Number.isInteger(size) || size < 2) throw new RangeError(`a bucket store needs at least 2 slots, got ${size}`);
  if (buffer !== undefined && buffer.byteLength !== bucketStoreBytes(size)) {
    throw new RangeError(`a bucket store of ${size} slots needs a buffer of ${bucketStoreBytes(size)} bytes, got ${buffer.byteLength}`);
  }
}

/**
 * The store over `buffer` (exactly bucketStoreBytes(size) bytes, zero-filled when new; shared by
 * worker threads when it is a SharedArrayBuffer), or over a private buffer. `owner` (1 to 511,
 * distinct per thread sharing the buffer) is written in the control word while this thread writes.
 */
export function createBucketStore(size: number, buffer?: ArrayBuffer | SharedArrayBuffer, owner = 1): BucketStore {
  checkBuffer(size, buffer);
  if (!Number.isInteger(owner) || owner < 1 || owner > MAX_BUCKET_OWNER) throw new RangeError(`a bucket store owner is a whole number from 1 to ${MAX_BUCKET_OWNER}, got ${owner}`);
  const words = new Int32Array(buffer ?? new ArrayBuffer(bucketStoreBytes(size)));
  const lockedByMe = (owner << OWNER_SHIFT) | LOCKED;
  // Only a shared buffer can be seen mid-write by this thread, and only there may it wait.
  const canWait = words.buffer instanceof SharedArrayBuffer;
  return {
    size,
    read(index: number, into: BucketSlot): boolean {
      const at = index * WORDS;
      for (let tries = 0; ; tries++) {
        const control = Atomics.load(words, at + CONTROL);
        if ((control & LOCKED) === 0) {
          const key = Atomics.load(words, at + KEY);
          f64Words[0] = Atomics.load(words, at + EMPTY_AT);
          f64Words[1] = Atomics.load(words, at + EMPTY_AT + 1);
          if (Atomics.load(words, at + CONTROL) === control) {
            into.version = control;
            into.key = key >>> 0;
            into.emptyAt = f64[0]!;
            return true;
          }
          continue; // written meanwhile: read again
        }
        // Another thread is writing it (a few instructions), or was descheduled or died doing so
        // (the control plane releases a dead writer's slot): spin, then yield the core briefly.
        if (tries < SPINS) continue;
        if (!canWait || tries >= SPINS + WAITS) return false;
        Atomics.wait(words, at + CONTROL, control, Math.min(LONGEST_WAIT_MS, FIRST_WAIT_MS * 2 ** (tries - SPINS)));
      }
    },
    compareAndSwap(index: number, expectedVersion: number, key: number, emptyAt: number): boolean {
      const at = index * WORDS;
      if (Atomics.compareExchange(words, at + CONTROL, expectedVersion, expectedVersion | lockedByMe) !== expectedVersion) return false;
      f64[0] = emptyAt;
      Atomics.store(words, at + KEY, key | 0);
      Atomics.store(words, at + EMPTY_AT, f64Words[0]!);
      Atomics.store(words, at + EMPTY_AT + 1, f64Words[1]!);
      Atomics.store(words, at + CONTROL, nextVersion(expectedVersion));
      return true;
    },
  };
}

/**
 * Releases the slots `owner` held locked when its thread died (the control plane calls this when a
 * worker exits, before its replacement attaches as the same owner). The fields of such a slot may
 * be half-written, so it is emptied: its client starts over with a fresh bucket. Returns the
 * number of slots released (0 unless the worker died inside a write).
 */
export function recoverBucketStore(size: number, buffer: ArrayBuffer | SharedArrayBuffer, owner: number): number {
  checkBuffer(size, buffer);
  const words = new Int32Array(buffer);
  const mask = (MAX_BUCKET_OWNER << OWNER_SHIFT) | LOCKED;
  const lockedByOwner = (owner << OWNER_SHIFT) | LOCKED;
  let released = 0;
  for (let at = 0; at < size * WORDS; at += WORDS) {
    const control = Atomics.load(words, at + CONTROL);
    if ((control & mask) !== lockedByOwner) continue;
    // No one else can write it meanwhile: the lock is the dead owner's.
    Atomics.store(words, at + KEY, 0);
    Atomics.store(words, at + EMPTY_AT, 0);
    Atomics.store(words, at + EMPTY_AT + 1, 0);
    Atomics.store(words, at + CONTROL, nextVersion(control));
    released++;
  }
  return released;
}
