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

  /** `buffer`: exactly connectionSlotsBytes(size) bytes, zero-filled when new (may be shared). */
  constructor(size: number, buffer?: ArrayBuffer | SharedArrayBuffer) {
    if (!Number.isInteger(size) || size < PROBES) throw new RangeError(`a connection table needs at least ${PROBES} slots, got ${size}`);
    if (buffer !== undefined && buffer.byteLength !== connectionSlotsBytes(size)) {
      throw new RangeError(`a connection table of ${size} slots needs a buffer of ${connectionSlotsBytes(size)} bytes, got ${buffer.byteLength}`);
    }
    this.size = size;
    this.#words = buffer === undefined ? new BigUint64Array(size) : new BigUint64Array(buffer);
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
        if (Atomics.compareExchange(words, found, foundWord, foundWord + 1n) === foundWord) return found;
        continue;
      }
      if (free === -1) return TABLE_FULL;
      if (limit < 1) return OVER_LIMIT;
      if (Atomics.compareExchange(words, free, freeWord, tag | 1n) === freeWord) return free;
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
      if (Atomics.compareExchange(words, slot, word, word - 1n) === word) return;
    }
  }

  /** Requests in progress over the whole table (for stats and tests; walks every slot). */
  inProgress(): number {
    let total = 0;
    for (let i = 0; i < this.size; i++) total += Number(Atomics.load(this.#words, i) & LOW);
    return total;
  }
}

/** Bytes of the backing buffer of a table of `size` slots. */
export function connectionSlotsBytes(size: number): number {
  return size * BigUint64Array.BYTES_PER_ELEMENT;
}
