// A worker thread for limit-tables.test.ts: attaches the shared limit tables as its owner number
// and does what it is told through the real RateLimiter, as a data-plane worker's rate-limit step does.
import { parentPort, workerData } from 'node:worker_threads';
import { compileRateLimit, RateLimiter } from '../../../src/dataplane/steps/rate-limits.ts';
import type { LimitTables } from '../../../src/dataplane/workers/limit-tables.ts';

type Task =
  /** Asks `rounds` times per client (clients interleaved) against limit-rps with a frozen clock. */
  | { kind: 'requests'; rounds: number; burstMultiplier: number }
  /** Takes two limit-connections requests per client at once, then ends both, `rounds` times. */
  | { kind: 'connections'; rounds: number; limit: number; inUse: SharedArrayBuffer }
  /** Takes `count` requests of each client and holds them until the thread is ended. */
  | { kind: 'hold'; limit: number; count: number };

const { tables, owner, clients, start, task } = workerData as { tables: LimitTables; owner: number; clients: string[]; start: SharedArrayBuffer; task: Task };
const port = parentPort!;
const limiter = new RateLimiter({ tables, owner, now: () => 1_000_000 });
const go = new Int32Array(start);

/** Every thread starts at once (the test releases them together), so their updates overlap. */
function waitForStart(): void {
  port.postMessage({ ready: true });
  while (Atomics.load(go, 0) === 0) Atomics.wait(go, 0, 0, 1_000);
}

if (task.kind === 'requests') {
  const limit = compileRateLimit('shop/web', { rps: 1, burstMultiplier: task.burstMultiplier })!;
  const admitted = clients.map(() => 0);
  waitForStart();
  for (let r = 0; r < task.rounds; r++) {
    for (let c = 0; c < clients.length; c++) if (limiter.check(limit, clients[c]!).refusal === undefined) admitted[c]!++;
  }
  port.postMessage({ admitted });
} else if (task.kind === 'connections') {
  const limit = compileRateLimit('shop/web', { connections: task.limit, burstMultiplier: 1 })!;
  const inUse = new Int32Array(task.inUse);
  let admitted = 0;
  let refused = 0;
  let over = 0;
  waitForStart();
  for (let r = 0; r < task.rounds; r++) {
    for (let c = 0; c < clients.length; c++) {
      const releases: (() => void)[] = [];
      for (let i = 0; i < 2; i++) {
        const result = limiter.check(limit, clients[c]!);
        if (result.refusal !== undefined) {
          refused++;
          continue;
        }
        admitted++;
        // What the table admitted, counted independently: never more than the limit at once.
        if (Atomics.add(inUse, c, 1) + 1 > task.limit) over++;
        releases.push(() => {
          Atomics.sub(inUse, c, 1);
          result.release!();
        });
      }
      for (const release of releases) release();
    }
  }
  port.postMessage({ admitted, refused, over });
} else {
  const limit = compileRateLimit('shop/web', { connections: task.limit, burstMultiplier: 1 })!;
  let held = 0;
  for (const client of clients) for (let i = 0; i < task.count; i++) if (limiter.check(limit, client).refusal === undefined) held++;
  port.postMessage({ held });
  setInterval(() => {}, 60_000); // held until the test ends this thread, as a crash would
}
