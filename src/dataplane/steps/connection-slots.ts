// The fixed-size table behind limit-connections (nginx limit_conn): requests in progress per key
// (a 32-bit hash of the Ingress and the client address). One 64-bit word per slot packs the key
// (high 32 bits, never 0) and the count (low 32 bits), so every change is one Atomics
// compare-and-swap: the same code is correct over a SharedArrayBuffer shared by worker threads.
//
// A key lives in one of PROBES consecutive slots from its hash. A slot whose count is 0 is free
// and may be taken by any key; a slot with requests in progress is never taken, so a release
// always finds its count. When all of a key's candidates are busy with other keys the request is
// refused, as nginx's limit_conn refuses when its zone has no room: memory stays the table's size
// whatever the number of clients, and a full table never serves a client unlimited.
//
// Each thread sharing the table (an `owner`, 1..owners) also keeps, in the same buffer, how many of
// each slot's requests are its own: when a worker dies its requests are gone, and the control
// plane takes exactly its share off the shared counts (recoverConnectionSlots) so they do not stay
// counted forever; the other workers' counts are untouched.

const PROBES = 8;
const MAX_SWAPS = 64;
const LOW = 0xffff_ffffn;

/** acquire(): the request is over the limit. */
export const OVER_LIMIT = -1;
/** acquire(): every candidate slot holds requests of other keys. */
export const TABLE_FULL = -2;

export class ConnectionSlots {
  readonly size: number;
  readonly #words: BigUint64Array;
  /** This owner's requests per slot (its part of the counts in #words). */
  readonly #mine: Int32Array;

  /**
   * `buffer`: exactly connectionSlotsBytes(size, owners) bytes, zero-filled when new (shared by
   * worker threads when a SharedArrayBuffer); `owner` (1..owners) names this thread's share.
   */
  constructor(size: number, buffer?: ArrayBuffer | SharedArrayBuffer, owner = 1, owners = 1) {
    const bytes = checkTable(size, owners, buffer);
    if (!Number.isInteger(owner) || owner < 1 || owner > owners) throw new RangeError(`a connection table owner is a whole number from 1 to ${owners}, got ${owner}`);
    const memory = buffer ?? new ArrayBuffer(bytes);
    this.size = size;
    this.#words = new BigUint64Array(memory, 0, size);
    this.#mine = new Int32Array(memory, size * BigUint64Array.BYTES_PER_ELEMENT + (owner - 1) * size * Int32Array.BYTES_PER_ELEMENT, size);
  }

  /**
   * Counts one more request of `key` (unsigned 32-bit) if fewer than `limit` are in progress.
   * Returns the slot to pass to release(), or OVER_LIMIT, or TABLE_FULL.
   */
  acquire(key: number, limit: number): number {
    const tag = BigInt((key >>> 0) || 1) << 32n;
    const words = this.#words;
    const start = (key >>> 0) % this.size;
    for (let attempt = 0; attempt < MAX_SWAPS; attempt++) {
      let free = -1;
      let freeWord = 0n;
      let found = -1;
      let foundWord = 0n;
      for (let p = 0; p < PROBES; p++) {
        const index = (start + p) % this.size;
        const word = Atomics.load(words, index);
        if ((word & ~LOW) === tag) {
          found = index;
          foundWord = word;
          break;
        }
        if (free === -1 && (word & LOW) === 0n) {
          free = index;
          freeWord = word;
        }
      }
      if (found !== -1) {
        if (Number(foundWord & LOW) >= limit) return OVER_LIMIT;
        if (Atomics.compareExchange(words, found, foundWord, foundWord + 1n) === foundWord) {
          Atomics.add(this.#mine, found, 1);
          return found;
        }
        continue;
      }
      if (free === -1) return TABLE_FULL;
      if (limit < 1) return OVER_LIMIT;
      if (Atomics.compareExchange(words, free, freeWord, tag | 1n) === freeWord) {
        Atomics.add(this.#mine, free, 1);
        return free;
      }
    }
    // Contention beyond reason (shared table only): refuse rather than count wrongly.
    return TABLE_FULL;
  }

  /** Ends one request of `key` counted in `slot` by acquire(). */
  release(slot: number, key: number): void {
    const tag = BigInt((key >>> 0) || 1) << 32n;
    const words = this.#words;
    for (;;) {
      const word = Atomics.load(words, slot);
      // Busy slots are never taken by another key, so this only fails on a double release (a bug).
      if ((word & ~LOW) !== tag || (word & LOW) === 0n) return;
      if (Atomics.compareExchange(words, slot, word, word - 1n) === word) {
        Atomics.sub(this.#mine, slot, 1);
        return;
      }
    }
  }

  /** Requests in progress over the whole table (for stats and tests; walks every slot). */
  inProgress(): number {
    let total = 0;
    for (let i = 0; i < this.size; i++) total += Number(Atomics.load(this.#words, i) & LOW);
    return total;
  }
}

/** Bytes of the backing buffer of a table of `size` slots shared by `owners` threads (8 + 4 × owners per slot). */
export function connectionSlotsBytes(size: number, owners = 1): number {
  return size * (BigUint64Array.BYTES_PER_ELEMENT + owners * Int32Array.BYTES_PER_ELEMENT);
}

function checkTable(size: number, owners: number, buffer: ArrayBuffer | SharedArrayBuffer | undefined): number {
  if (!Number.isInteger(size) || size < PROBES) throw new RangeError(`a connection table needs at least ${PROBES} slots, got ${size}`);
  if (!Number.isInteger(owners) || owners < 1) throw new RangeError(`a connection table needs at least 1 owner, got ${owners}`);
  const bytes = connectionSlotsBytes(size, owners);
  if (buffer !== undefined && buffer.byteLength !== bytes) {
    throw new RangeError(`a connection table of ${size} slots for ${owners} owners needs a buffer of ${bytes} bytes, got ${buffer.byteLength}`);
  }
  return bytes;
}

/**
 * Takes off the shared counts every request `owner` still held when its thread died (the control
 * plane calls this when a worker exits, before its replacement attaches the table as the same
 * owner). Returns the number of requests released.
 */
export function recoverConnectionSlots(size: number, buffer: ArrayBuffer | SharedArrayBuffer, owner: number, owners: number): number {
  checkTable(size, owners, buffer);
  if (!Number.isInteger(owner) || owner < 1 || owner > owners) throw new RangeError(`a connection table owner is a whole number from 1 to ${owners}, got ${owner}`);
  const words = new BigUint64Array(buffer, 0, size);
  const mine = new Int32Array(buffer, size * BigUint64Array.BYTES_PER_ELEMENT + (owner - 1) * size * Int32Array.BYTES_PER_ELEMENT, size);
  let released = 0;
  for (let slot = 0; slot < size; slot++) {
    const held = Atomics.exchange(mine, slot, 0);
    if (held <= 0) continue;
    for (;;) {
      const word = Atomics.load(words, slot);
      // Never below 0: the slot's count includes every owner's requests of its key, this one's too.
      const take = BigInt(Math.min(held, Number(word & LOW)));
      if (Atomics.compareExchange(words, slot, word, word - take) === word) {
        released += Number(take);
        break;
      }
    }
  }
  return released;
}
