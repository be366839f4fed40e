// A bounded pool of worker threads for password hash checks (bcrypt, sha-crypt and MD5 crypt cost
// up to ~100 ms of CPU each): the event loop never hashes, so a client guessing passwords slows
// only other basic-auth checks, never routing or proxying. Each worker takes one check at a time;
// waiting checks queue up to `maxQueue`, beyond which `check` refuses at once (the caller answers
// 503) rather than queueing without bound. A check whose client went away is dropped when its turn
// comes. A worker that dies fails its check (never a match) and is replaced on the next check.
// Idle workers are unref'd: an idle pool never keeps the process alive.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { PasswordHash } from '../../core/password-hash.ts';
import type { PasswordCheckAnswer, PasswordCheckJob } from './password-check-worker.ts';

export type PasswordCheckResult = 'match' | 'mismatch' | 'failed';

export interface PasswordCheckPool {
  /**
   * Queues a check; false when the queue is full (nothing was queued, `done` is never called).
   * `cancelled` is asked when the check's turn comes: true drops it without hashing or calling `done`.
   */
  check(hash: PasswordHash, password: Uint8Array, cancelled: () => boolean, done: (result: PasswordCheckResult) => void): boolean;
  /** Checks running and waiting (for tests and /debug). */
  stats(): { running: number; queued: number };
  close(): Promise<void>;
}

export interface PasswordCheckPoolOptions {
  workers: number;
  maxQueue: number;
}

interface Pending {
  hash: PasswordHash;
  password: Uint8Array;
  cancelled: () => boolean;
  done: (result: PasswordCheckResult) => void;
}

interface Slot {
  worker: Worker | undefined;
  job: (Pending & { id: number }) | undefined;
}

// The worker's file next to this one: .ts when run from source, .js from dist/.
const WORKER_URL = new URL(`./password-check-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export function createPasswordCheckPool(options: PasswordCheckPoolOptions): PasswordCheckPool {
  const slots: Slot[] = Array.from({ length: Math.max(1, options.workers) }, () => ({ worker: undefined, job: undefined }));
  const queue: Pending[] = [];
  let nextId = 1;
  let closed = false;

  const finish = (slot: Slot, result: PasswordCheckResult): void => {
    const job = slot.job;
    slot.job = undefined;
    slot.worker?.unref(); // idle: it must not keep the process alive
    if (job !== undefined) job.done(result);
    pump();
  };

  const spawn = (slot: Slot): Worker => {
    const worker = new Worker(WORKER_URL);
    worker.on('message', (answer: PasswordCheckAnswer) => {
      if (slot.job?.id === answer.id) finish(slot, answer.match ? 'match' : 'mismatch');
    });
    const lost = (): void => {
      if (slot.worker !== worker) return;
      slot.worker = undefined;
      finish(slot, 'failed');
    };
    worker.on('error', lost);
    worker.on('exit', lost);
    slot.worker = worker;
    return worker;
  };

  const pump = (): void => {
    for (const slot of slots) {
      if (slot.job !== undefined || closed) continue;
      let next = queue.shift();
      while (next !== undefined && next.cancelled()) next = queue.shift();
      if (next === undefined) return;
      const job = { ...next, id: nextId++ };
      slot.job = job;
      // A copy: the caller's bytes may be a view into a larger (pooled) buffer, which must not travel.
      const message: PasswordCheckJob = { id: job.id, hash: job.hash, password: new Uint8Array(job.password) };
      const worker = slot.worker ?? spawn(slot);
      worker.ref(); // busy: its answer is awaited
      worker.postMessage(message);
    }
  };

  return {
    check(hash, password, cancelled, done) {
      if (closed) return false;
      const idle = slots.some((s) => s.job === undefined);
      if (!idle && queue.length >= options.maxQueue) return false;
      queue.push({ hash, password, cancelled, done });
      pump();
      return true;
    },
    stats() {
      return { running: slots.filter((s) => s.job !== undefined).length, queued: queue.length };
    },
    async close() {
      closed = true;
      queue.length = 0;
      await Promise.all(
        slots.map(async (slot) => {
          const worker = slot.worker;
          slot.worker = undefined;
          if (worker !== undefined) await worker.terminate();
        }),
      );
    },
  };
}

let shared: PasswordCheckPool | undefined;

/** The process's pool: two workers at most (the machine is shared), 64 checks waiting at most. */
export function sharedPasswordCheckPool(): PasswordCheckPool {
  shared ??= createPasswordCheckPool({ workers: Math.min(2, availableParallelism()), maxQueue: 64 });
  return shared;
}
