// The per-request cost of the per-client limits in isolation (limit-rps, limit-rpm,
// limit-connections): RateLimiter.check as the rate-limit step calls it, over the tables every
// data-plane worker shares, timed in CPU nanoseconds per request on this thread. Cases: clients
// that are admitted (10,000 distinct addresses, a rate no one reaches), one client refused over
// and over, both request limits at once, and a connection count taken and released.
//
//   node bench/rate-limiter.ts [--requests 2000000]
import { parseArgs } from 'node:util';
import { compileRateLimit, RateLimiter } from '../src/dataplane/steps/rate-limits.ts';

const { values: args } = parseArgs({ options: { requests: { type: 'string', default: '2000000' } } });
const n = Number(args.requests);
const clients = Array.from({ length: 10_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);

const cases = [
  { name: 'limit-rps, admitted', limit: compileRateLimit('shop/a', { rps: 1_000_000, burstMultiplier: 5 }), many: true },
  { name: 'limit-rps, refused', limit: compileRateLimit('shop/b', { rps: 1, burstMultiplier: 1 }), many: false },
  { name: 'limit-rps + limit-rpm, admitted', limit: compileRateLimit('shop/c', { rps: 1_000_000, rpm: 60_000_000, burstMultiplier: 5 }), many: true },
  { name: 'limit-connections, acquire + release', limit: compileRateLimit('shop/d', { connections: 1_000, burstMultiplier: 1 }), many: true },
];

const limiter = new RateLimiter();
for (const c of cases) {
  const limit = c.limit!;
  const run = (count: number): number => {
    let refused = 0;
    for (let i = 0; i < count; i++) {
      const r = limiter.check(limit, c.many ? clients[i % clients.length]! : clients[0]!);
      if (r.refusal !== undefined) refused++;
      else r.release?.();
    }
    return refused;
  };
  run(Math.min(n, 200_000)); // warm-up: optimised code, tables populated
  const before = process.cpuUsage();
  const refused = run(n);
  const used = process.cpuUsage(before);
  const ns = ((used.user + used.system) * 1000) / n;
  console.log(`${c.name.padEnd(40)} ${ns.toFixed(0).padStart(5)} ns/request (CPU)   refused ${refused} of ${n}`);
}
