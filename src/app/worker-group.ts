// The control plane's side of --workers N: starts N data-plane worker threads on the same ports,
// hands each the route table of every build, asks them for metrics and /debug views, restarts one
// that dies (with backoff, while the others keep serving), and drains them all on shutdown.
//
// Threads rather than processes: one process to supervise and scrape, tables handed over by
// structured clone without a pipe, and state that must agree (the affinity cookie key; the
// per-client limit tables, workers/limit-tables.ts) shared in memory. Each worker accepts on its own
// SO_REUSEPORT socket, so the kernel spreads connections without a hand-off through this thread.

import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import type { Config } from '../config/config.ts';
import type { Secret } from '../core/model.ts';
import type { RouteTable } from '../core/route-table.ts';
import { createLimitTables, releaseLimitsOf } from '../dataplane/workers/limit-tables.ts';
import { DEFAULT_RATE_LIMITER } from '../dataplane/steps/rate-limits.ts';
import type { Logger } from '../observability/logger.ts';
import { effectiveSemiSpaceMb } from './runtime-flags.ts';
import type { DataPlaneViews } from './start-data-plane.ts';
import type { ApplyMessage, FromWorker, ToWorker, WorkerData } from './worker-messages.ts';

// The worker's file next to this one: .ts when run from source, .js from dist/.
const WORKER_URL = new URL(`./data-plane-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/**
 * V8 heap limits per worker: the old generation is what a leak or a flood grows; the young one is
 * what every request allocates in. V8 makes the young generation three semi-spaces (two, plus as
 * much for large young objects), so a worker gets the same semi-space bound as the main thread
 * (--max-semi-space-size, added by the CLI when the user sets none: runtime-flags.ts). A worker
 * reaching the old-generation limit dies (ERR_WORKER_OUT_OF_MEMORY) and is restarted: one worker's
 * connections are lost instead of the process.
 */
export const WORKER_RESOURCE_LIMITS = Object.freeze({ maxOldGenerationSizeMb: 192, maxYoungGenerationSizeMb: 3 * effectiveSemiSpaceMb() });
const ASK_TIMEOUT_MS = 5_000;
const RESTART_BASE_MS = 100;
const RESTART_MAX_MS = 10_000;
/** A worker that served this long before dying restarts without waiting (the backoff starts again). */
const STABLE_MS = 30_000;

export interface WorkerStatus {
  id: number;
  threadId: number | undefined;
  state: 'starting' | 'serving' | 'restarting' | 'stopping' | 'stopped';
  restarts: number;
  /** The last table generation the worker reported applied (0: none yet). */
  generation: number;
  startedAt: string | undefined;
}

export interface WorkerGroup {
  readonly size: number;
  /** Starts every worker; resolves with the bound ports once all listen, rejects if one cannot. */
  start(): Promise<{ http: number; https: number }>;
  /** Hands a build's table to every worker (and to workers started later). */
  apply(table: RouteTable, secrets: ReadonlyMap<string, Secret>): void;
  /** At least one worker serves, and every serving worker has a table (a restarted one gets the latest before it listens). */
  applied(): boolean;
  /** Each live worker's metrics text (a worker that does not answer in time is left out). */
  metrics(): Promise<string[]>;
  /** Each live worker's /debug views, with its id. */
  views(): Promise<{ id: number; views: DataPlaneViews }[]>;
  status(): WorkerStatus[];
  /** Restarts so far, all workers together. */
  readonly restarts: number;
  /** Ends one worker as a crash would (tests): it is restarted like one. */
  terminate(id: number): Promise<void>;
  /** Drains every worker (each bounded by drainMs), then ends them. Resolves with requests served. */
  stop(drainMs: number): Promise<number>;
}

interface Slot {
  id: number;
  worker: Worker | undefined;
  status: WorkerStatus;
  failures: number;
  /** When the current worker was started (a restart that fails at once counts as a short run). */
  startedAtMs: number;
  /** A worker of this slot listened once: from then on every exit is restarted. */
  served: boolean;
  timer: NodeJS.Timeout | undefined;
}

interface Pending {
  worker: Worker;
  resolve(answer: Extract<FromWorker, { type: 'answer' }> | undefined): void;
  timer: NodeJS.Timeout;
}

export function createWorkerGroup(config: Config, logger: Logger, version: string): WorkerGroup {
  const log = logger.child({ component: 'workers' });
  const size = config.workers;
  // One key for every worker: a cookie issued by one is honoured by all (written once, read at each start).
  const keyBytes = config.sessionAffinityKey ?? randomBytes(32);
  const affinityKey = new SharedArrayBuffer(keyBytes.length);
  new Uint8Array(affinityKey).set(keyBytes);
  const { sessionAffinityKey: _key, ...sharedConfig } = config; // Buffers do not clone as Buffers
  // --listen-sockets is per port: each worker binds its share (the kernel spreads over them all).
  const plainConfig = { ...sharedConfig, listenSockets: Math.max(1, Math.ceil(config.listenSockets / size)) };
  // One set of per-client limit tables for every worker, for the process's life: a client's requests
  // count together whichever worker accepted them, and a restarted worker attaches the same counts.
  const limits = createLimitTables({ bucketSlots: DEFAULT_RATE_LIMITER.bucketSlots, connectionSlots: DEFAULT_RATE_LIMITER.connectionSlots, owners: size, shared: true });
  // Each worker accepts on its own socket: --max-connections is shared out between them.
  const maxConnections = config.limits.maxConnections === undefined ? undefined : Math.max(1, Math.ceil(config.limits.maxConnections / size));

  const slots: Slot[] = Array.from({ length: size }, (_, i) => ({
    id: i + 1,
    worker: undefined,
    status: { id: i + 1, threadId: undefined, state: 'starting', restarts: 0, generation: 0, startedAt: undefined },
    failures: 0,
    startedAtMs: 0,
    served: false,
    timer: undefined,
  }));
  let ports = { http: config.httpPort, https: config.httpsPort };
  let latest: ApplyMessage | undefined;
  let generation = 0;
  let restarts = 0;
  let stopping = false;
  let nextAsk = 1;
  const pending = new Map<number, Pending>();
  const stopped = new Map<Worker, (requests: number) => void>();

  const post = (slot: Slot, message: ToWorker): void => {
    try {
      slot.worker?.postMessage(message);
    } catch (err) {
      log.warn('could not message a data-plane worker', { worker: slot.id, err });
    }
  };

  /** Starts the slot's worker; resolves once it listens, rejects if it fails before. */
  const spawn = (slot: Slot): Promise<void> =>
    new Promise((resolve, reject) => {
      const data: WorkerData = {
        id: slot.id,
        config: plainConfig,
        affinityKey,
        limits,
        version,
        ports,
        ...(maxConnections === undefined ? {} : { maxConnections }),
        ...(latest === undefined ? {} : { initial: latest }),
      };
      const worker = new Worker(WORKER_URL, { workerData: data, resourceLimits: WORKER_RESOURCE_LIMITS, stdout: false, stderr: false });
      slot.worker = worker;
      slot.startedAtMs = Date.now();
      slot.status = { ...slot.status, threadId: worker.threadId, state: 'starting', generation: 0, startedAt: undefined };
      let listening = false;
      let failure: Error | undefined;
      worker.on('message', (m: FromWorker) => {
        switch (m.type) {
          case 'listening':
            listening = true;
            slot.served = true;
            ports = m.ports;
            slot.status = { ...slot.status, state: 'serving', startedAt: new Date().toISOString() };
            resolve();
            return;
          case 'failed':
            failure = Object.assign(new Error(m.message), { code: m.code });
            return;
          case 'applied':
            slot.status.generation = m.generation;
            return;
          case 'answer': {
            const p = pending.get(m.id);
            if (p === undefined) return;
            pending.delete(m.id);
            clearTimeout(p.timer);
            p.resolve(m);
            return;
          }
          case 'stopped':
            stopped.get(worker)?.(m.requestsTotal);
            return;
        }
      });
      worker.on('error', (err) => {
        failure ??= err;
        log.error('data-plane worker failed', { worker: slot.id, err, code: (err as { code?: string }).code ?? 'ERR_WORKER' });
      });
      worker.on('exit', (code) => {
        if (slot.worker === worker) slot.worker = undefined;
        // Its requests in progress died with it, and it may have died inside a bucket write: its
        // share comes off the shared tables before anything (its replacement) attaches as its owner.
        const released = releaseLimitsOf(limits, slot.id);
        if (released.requests > 0 || released.buckets > 0) log.info('released the limit counts of an exited data-plane worker', { worker: slot.id, ...released });
        // Its unanswered questions are answered now (left out) rather than after the timeout.
        for (const [id, p] of pending) {
          if (p.worker !== worker) continue;
          pending.delete(id);
          clearTimeout(p.timer);
          p.resolve(undefined);
        }
        const done = stopped.get(worker);
        if (done !== undefined) {
          stopped.delete(worker);
          done(0);
        }
        if (!listening) {
          reject(failure ?? Object.assign(new Error(`data-plane worker ${slot.id} exited (code ${code}) before listening`), { code: 'ERR_WORKER_START' }));
          // At start, the failure is Gatehouse's (start() rejects); after that, the next attempt waits longer.
          if (!stopping && slot.served) scheduleRestart(slot, code);
          return;
        }
        if (stopping) return;
        scheduleRestart(slot, code);
      });
    });

  const scheduleRestart = (slot: Slot, code: number): void => {
    const ranMs = Date.now() - slot.startedAtMs;
    slot.failures = ranMs >= STABLE_MS ? 0 : slot.failures + 1;
    const delayMs = slot.failures === 0 ? 0 : Math.min(RESTART_MAX_MS, RESTART_BASE_MS * 2 ** (slot.failures - 1));
    slot.status = { ...slot.status, state: 'restarting', threadId: undefined, generation: 0 };
    log.error('data-plane worker exited; the others keep serving and it is restarted', { worker: slot.id, exitCode: code, delayMs, code: 'ERR_WORKER_EXIT' });
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      if (stopping) return;
      restarts++;
      slot.status.restarts++;
      spawn(slot).then(
        () => log.info('data-plane worker restarted', { worker: slot.id, generation: latest?.generation ?? 0 }),
        (err: unknown) => {
          log.error('data-plane worker could not restart', { worker: slot.id, err, code: 'ERR_WORKER_START' });
          // Its 'exit' handler scheduled the next attempt (with a longer delay).
        },
      );
    }, delayMs);
  };

  const ask = (slot: Slot, what: 'metrics' | 'views'): Promise<Extract<FromWorker, { type: 'answer' }> | undefined> => {
    if (slot.worker === undefined || slot.status.state !== 'serving') return Promise.resolve(undefined);
    const id = nextAsk++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve(undefined);
      }, ASK_TIMEOUT_MS);
      pending.set(id, { worker: slot.worker!, resolve, timer });
      post(slot, { type: 'ask', id, what });
    });
  };

  return {
    size,
    get restarts() {
      return restarts;
    },
    async start() {
      // The first one alone: with port 0 the others must bind the port it got.
      try {
        await spawn(slots[0]!);
        await Promise.all(slots.slice(1).map((s) => spawn(s)));
      } catch (err) {
        stopping = true;
        await Promise.all(slots.map((s) => s.worker?.terminate()));
        throw err;
      }
      log.info('data-plane workers serving', { workers: size, ...ports });
      return ports;
    },
    apply(table, secrets) {
      generation++;
      latest = { type: 'apply', generation, table, secrets: [...secrets] };
      for (const slot of slots) post(slot, latest);
    },
    applied() {
      const live = slots.filter((s) => s.status.state === 'serving');
      if (live.length === 0) return false;
      return live.every((s) => s.status.generation > 0);
    },
    async metrics() {
      const answers = await Promise.all(slots.map((s) => ask(s, 'metrics')));
      return answers.flatMap((a) => (a?.metrics === undefined ? [] : [a.metrics]));
    },
    async views() {
      const answers = await Promise.all(slots.map(async (s) => ({ id: s.id, a: await ask(s, 'views') })));
      return answers.flatMap(({ id, a }) => (a?.views === undefined ? [] : [{ id, views: a.views }]));
    },
    status: () => slots.map((s) => ({ ...s.status })),
    async terminate(id) {
      const slot = slots.find((s) => s.id === id);
      if (slot?.worker === undefined) throw new Error(`no live worker ${id}`);
      await slot.worker.terminate();
    },
    async stop(drainMs) {
      stopping = true;
      for (const slot of slots) {
        if (slot.timer !== undefined) clearTimeout(slot.timer);
        slot.status.state = slot.worker === undefined ? 'stopped' : 'stopping';
      }
      const served = await Promise.all(
        slots.map(async (slot) => {
          const worker = slot.worker;
          if (worker === undefined) return 0;
          const requests = await new Promise<number>((resolve) => {
            stopped.set(worker, resolve);
            post(slot, { type: 'stop', drainMs });
            // A worker that does not finish its drain in time (plus a margin) is ended.
            setTimeout(() => resolve(0), drainMs + 5_000).unref();
          });
          await worker.terminate();
          slot.status.state = 'stopped';
          return requests;
        }),
      );
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.resolve(undefined);
      }
      pending.clear();
      return served.reduce((a, b) => a + b, 0);
    },
  };
}
