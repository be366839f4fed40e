// A fixed-size table of counters in a SharedArrayBuffer, updated with Atomics, so that every
// data-plane worker thread sees the same count for a key: the store a per-client limit needs when
// `--workers N` spreads one client's connections over N threads (requests per window, connections
// open). Nothing here allocates per operation beyond the key's encoding, and memory is fixed at
// creation: a flood of distinct clients cannot grow it.
//
// Layout (Int32Array over the buffer):
//   [0] slots  [1] key words  [2] probe length  [3] reserved
//   home locks: `slots` words (one per home bucket)
//   per slot:   lock, hash, window, count, key length in bytes, key words…
// A key lives in one of `probe` slots from its home bucket (open addressing, linear probing). Every
// operation on a key holds its home bucket's lock, so two threads can never give one key two slots;
// each slot is also locked while read or written, so keys of other homes that probe into it do not
// tear it. Locks are taken home → slot, never the other way, and never two slots at once: no
// deadlock. A slot whose window is older than the caller's, or whose count fell to 0 or below, is
// free for another key.
//
// `add` returns undefined when every slot of the key's neighbourhood holds a live count of another
// key: more distinct clients than the table was sized for within one window. The caller decides
// (a limit should then fall back to its own per-worker count, never to "no limit").

const HEADER = 4;
const SLOT_FIELDS = 5; // lock, hash, window, count, key length
const SPINS_BEFORE_WAIT = 64;

export interface SharedCounterTableOptions {
  /** Number of slots (distinct live keys it can hold). */
  slots: number;
  /** Longest key in bytes (e.g. 16 for an IPv6 address, plus a few for the limit it belongs to). Default 32. */
  maxKeyBytes?: number;
  /** Slots probed per key. Default 16. */
  probe?: number;
}

const encoder = new TextEncoder();

export class SharedCounterTable {
  readonly buffer: SharedArrayBuffer;
  readonly #i32: Int32Array;
  readonly #slots: number;
  readonly #keyWords: number;
  readonly #probe: number;
  readonly #slotWords: number;
  readonly #slotsAt: number;
  /** Scratch for the key being looked up, as words (one thread owns this object). */
  readonly #keyBuf: Uint8Array;
  readonly #keyI32: Int32Array;

  /** A new, empty table. */
  static create(options: SharedCounterTableOptions): SharedCounterTable {
    const slots = options.slots;
    const maxKeyBytes = options.maxKeyBytes ?? 32;
    const probe = Math.min(options.probe ?? 16, slots);
    if (!Number.isInteger(slots) || slots < 1 || slots > 1 << 24) throw new RangeError('slots must be a whole number from 1 to 16777216');
    if (!Number.isInteger(maxKeyBytes) || maxKeyBytes < 1 || maxKeyBytes > 1024) throw new RangeError('maxKeyBytes must be from 1 to 1024');
    const keyWords = Math.ceil(maxKeyBytes / 4);
    const words = HEADER + slots + slots * (SLOT_FIELDS + keyWords);
    const buffer = new SharedArrayBuffer(words * 4);
    const header = new Int32Array(buffer, 0, HEADER);
    header[0] = slots;
    header[1] = keyWords;
    header[2] = probe;
    return new SharedCounterTable(buffer);
  }

  /** The same table in another thread (the buffer came through postMessage or workerData). */
  static attach(buffer: SharedArrayBuffer): SharedCounterTable {
    return new SharedCounterTable(buffer);
  }

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.#i32 = new Int32Array(buffer);
    this.#slots = this.#i32[0]!;
    this.#keyWords = this.#i32[1]!;
    this.#probe = this.#i32[2]!;
    if (!(this.#slots > 0 && this.#keyWords > 0 && this.#probe > 0)) throw new TypeError('not a SharedCounterTable buffer');
    this.#slotWords = SLOT_FIELDS + this.#keyWords;
    this.#slotsAt = HEADER + this.#slots;
    this.#keyBuf = new Uint8Array(this.#keyWords * 4);
    this.#keyI32 = new Int32Array(this.#keyBuf.buffer);
  }

  get slots(): number {
    return this.#slots;
  }

  get maxKeyBytes(): number {
    return this.#keyWords * 4;
  }

  /**
   * Adds `delta` to the key's count in `window` (a caller-defined window number, such as
   * floor(now / windowMs); use 0 for a count that never expires, such as open connections) and
   * returns the new count. A count from an older window starts again from 0. Undefined when the
   * table has no room for the key.
   */
  add(key: Uint8Array | string, window: number, delta: number): number | undefined {
    const len = this.#load(key);
    const hash = this.#hash(len);
    const home = (hash >>> 0) % this.#slots;
    const i32 = this.#i32;
    const homeLock = HEADER + home;
    lock(i32, homeLock);
    try {
      let free = -1;
      for (let p = 0; p < this.#probe; p++) {
        const at = this.#slotsAt + ((home + p) % this.#slots) * this.#slotWords;
        lock(i32, at);
        const owned = i32[at + 4]! === len && i32[at + 1]! === hash && this.#sameKey(at);
        if (owned) {
          const current = i32[at + 2]! === window ? i32[at + 3]! : 0;
          const next = current + delta;
          i32[at + 2] = window;
          Atomics.store(i32, at + 3, next);
          unlock(i32, at);
          return next;
        }
        if (free < 0 && this.#reusable(at, window)) free = at;
        unlock(i32, at);
      }
      if (free < 0) return undefined;
      lock(i32, free);
      // Re-checked under its lock: a key of another home may have taken it since.
      if (!this.#reusable(free, window)) {
        unlock(i32, free);
        return this.#claimAny(home, hash, len, window, delta);
      }
      this.#write(free, hash, len, window, delta);
      unlock(i32, free);
      return delta;
    } finally {
      unlock(i32, homeLock);
    }
  }

  /** The key's count in `window` (0 when absent or from an older window). */
  get(key: Uint8Array | string, window: number): number {
    const len = this.#load(key);
    const hash = this.#hash(len);
    const home = (hash >>> 0) % this.#slots;
    const i32 = this.#i32;
    for (let p = 0; p < this.#probe; p++) {
      const at = this.#slotsAt + ((home + p) % this.#slots) * this.#slotWords;
      lock(i32, at);
      const owned = i32[at + 4]! === len && i32[at + 1]! === hash && this.#sameKey(at);
      const value = owned && i32[at + 2]! === window ? i32[at + 3]! : 0;
      unlock(i32, at);
      if (owned) return value;
    }
    return 0;
  }

  /** Slots holding a live count in `window` (for /debug and tests). */
  used(window: number): number {
    const i32 = this.#i32;
    let n = 0;
    for (let s = 0; s < this.#slots; s++) {
      const at = this.#slotsAt + s * this.#slotWords;
      if (Atomics.load(i32, at + 4) > 0 && Atomics.load(i32, at + 2) === window && Atomics.load(i32, at + 3) > 0) n++;
    }
    return n;
  }

  /** Called with the home lock held, when the free slot found was taken meanwhile: one more pass. */
  #claimAny(home: number, hash: number, len: number, window: number, delta: number): number | undefined {
    const i32 = this.#i32;
    for (let p = 0; p < this.#probe; p++) {
      const at = this.#slotsAt + ((home + p) % this.#slots) * this.#slotWords;
      lock(i32, at);
      if (this.#reusable(at, window)) {
        this.#write(at, hash, len, window, delta);
        unlock(i32, at);
        return delta;
      }
      unlock(i32, at);
    }
    return undefined;
  }

  #reusable(at: number, window: number): boolean {
    const i32 = this.#i32;
    return i32[at + 4]! === 0 || i32[at + 2]! !== window || i32[at + 3]! <= 0;
  }

  #write(at: number, hash: number, len: number, window: number, count: number): void {
    const i32 = this.#i32;
    i32[at + 1] = hash;
    i32[at + 2] = window;
    i32[at + 3] = count;
    const base = at + SLOT_FIELDS;
    for (let w = 0; w < this.#keyWords; w++) i32[base + w] = this.#keyI32[w]!;
    i32[at + 4] = len;
  }

  #sameKey(at: number): boolean {
    const i32 = this.#i32;
    const base = at + SLOT_FIELDS;
    for (let w = 0; w < this.#keyWords; w++) if (i32[base + w]! !== this.#keyI32[w]!) return false;
    return true;
  }

  /** Copies the key into the scratch words (zero-padded); returns its length in bytes (≥ 1). */
  #load(key: Uint8Array | string): number {
    const buf = this.#keyBuf;
    buf.fill(0);
    let len: number;
    if (typeof key === 'string') {
      const r = encoder.encodeInto(key, buf);
      if (r.read < key.length) throw new RangeError(`key longer than ${buf.length} bytes`);
      len = r.written;
    } else {
      if (key.length > buf.length) throw new RangeError(`key longer than ${buf.length} bytes`);
      buf.set(key);
      len = key.length;
    }
    if (len === 0) throw new RangeError('empty key');
    return len;
  }

  /** FNV-1a over the padded key words and the length. */
  #hash(len: number): number {
    let h = 0x811c9dc5 ^ len;
    const buf = this.#keyBuf;
    for (let i = 0; i < len; i++) {
      h ^= buf[i]!;
      h = Math.imul(h, 0x01000193);
    }
    return h | 0;
  }
}

function lock(i32: Int32Array, index: number): void {
  let spins = 0;
  while (Atomics.compareExchange(i32, index, 0, 1) !== 0) {
    // Held by another thread for a few instructions; if it was descheduled, sleep instead of burning the core.
    if (++spins > SPINS_BEFORE_WAIT) Atomics.wait(i32, index, 1, 1);
  }
}

function unlock(i32: Int32Array, index: number): void {
  Atomics.store(i32, index, 0);
  Atomics.notify(i32, index, 1);
}
