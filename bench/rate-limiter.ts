// The per-request cost of the per-client limits in isolation (limit-rps, limit-rpm,
// limit-connections): RateLimiter.check as the rate-limit step calls it, over the tables every
// data-plane worker shares, timed in CPU nanoseconds per request of the thread that runs it. Cases:
// clients that are admitted (10,000 distinct addresses, a rate no one reaches), one client refused
// over and over, both request limits at once, and a connection count taken and released.
// `--threads N` runs the same cases in N worker threads at once over one pair of shared tables
// (the same clients in every thread: the contended case), each thread printing its own figures.
//
//   node bench/rate-limiter.ts [--requests 2000000] [--threads 1]
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { compileRateLimit, DEFAULT_RATE_LIMITER, RateLimiter } from '../src/dataplane/steps/rate-limits.ts';
import { createLimitTables, type LimitTables } from '../src/dataplane/workers/limit-tables.ts';

interface Run {
  requests: number;
  owner: number;
  tables?: LimitTables;
}

const clients = Array.from({ length: 10_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
const cases = [
  { name: 'limit-rps, admitted', limit: compileRateLimit('shop/a', { rps: 1_000_000, burstMultiplier: 5 }), many: true },
  { name: 'limit-rps, refused', limit: compileRateLimit('shop/b', { rps: 1, burstMultiplier: 1 }), many: false },
  { name: 'limit-rps + limit-rpm, admitted', limit: compileRateLimit('shop/c', { rps: 1_000_000, rpm: 60_000_000, burstMultiplier: 5 }), many: true },
  { name: 'limit-connections, acquire + release', limit: compileRateLimit('shop/d', { connections: 1_000, burstMultiplier: 1 }), many: true },
];

function measure(run: Run): string[] {
  const limiter = new RateLimiter(run.tables === undefined ? {} : { tables: run.tables, owner: run.owner });
  const out: string[] = [];
  for (const c of cases) {
    const limit = c.limit!;
    const loop = (count: number): number => {
      let refused = 0;
      for (let i = 0; i < count; i++) {
        const r = limiter.check(limit, c.many ? clients[i % clients.length]! : clients[0]!);
        if (r.refusal !== undefined) refused++;
        else r.release?.();
      }
      return refused;
    };
    loop(Math.min(run.requests, 200_000)); // warm-up: optimised code, tables populated
    const before = process.threadCpuUsage();
    const refused = loop(run.requests);
    const used = process.threadCpuUsage(before);
    const ns = ((used.user + used.system) * 1000) / run.requests;
    out.push(`${run.tables === undefined ? '' : `thread ${run.owner}: `}${c.name.padEnd(40)} ${ns.toFixed(0).padStart(5)} ns/request (CPU)   refused ${refused} of ${run.requests}`);
  }
  return out;
}

if (isMainThread) {
  const { values: args } = parseArgs({ options: { requests: { type: 'string', default: '2000000' }, threads: { type: 'string', default: '1' } } });
  const requests = Number(args.requests);
  const threads = Number(args.threads);
  if (threads <= 1) {
    for (const line of measure({ requests, owner: 1 })) console.log(line);
  } else {
    const tables = createLimitTables({ bucketSlots: DEFAULT_RATE_LIMITER.bucketSlots, connectionSlots: DEFAULT_RATE_LIMITER.connectionSlots, owners: threads, shared: true });
    const results = await Promise.all(
      Array.from({ length: threads }, (_, i) =>
        new Promise<string[]>((resolve, reject) => {
          const w = new Worker(new URL(import.meta.url), { workerData: { requests, owner: i + 1, tables } satisfies Run });
          w.once('message', resolve);
          w.once('error', reject);
        }),
      ),
    );
    for (const lines of results) for (const line of lines) console.log(line);
  }
} else {
  parentPort!.postMessage(measure(workerData as Run));
}
