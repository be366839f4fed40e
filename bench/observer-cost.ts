// The per-request cost of metrics in isolation: the traffic observer (Prometheus series and live
// route statistics) called as the data plane calls it, on route targets of a real compiled table,
// timed in CPU nanoseconds per request. Compare with the proxy's CPU time per request (bench/run.ts
// --metrics-cost prints it): on a shared machine this is the figure that does not move with load.
//
//   node bench/observer-cost.ts [--requests 2000000]
import { parseArgs } from 'node:util';
import { DEFAULT_POLICY } from '../src/core/policy.ts';
import type { RouteTable } from '../src/core/route-table.ts';
import { compileTable } from '../src/dataplane/compile-table.ts';
import type { ObservedExchange } from '../src/dataplane/proxy/exchange-observer.ts';
import { propagateTrace } from '../src/dataplane/proxy/trace-context.ts';
import { TrafficObserver } from '../src/observability/traffic-observer.ts';

const { values: args } = parseArgs({ options: { requests: { type: 'string', default: '2000000' }, routes: { type: 'string', default: '50' } } });
const n = Number(args.requests);
const routeCount = Number(args.routes);

const table: RouteTable = { virtualHosts: [], backends: {}, policies: { 'default/ing': { ...DEFAULT_POLICY } }, certificates: {}, sni: [] };
for (let i = 0; i < routeCount; i++) {
  const backend = `default/svc-${i}:http`;
  table.backends[backend] = { id: backend, namespace: 'default', service: `svc-${i}`, servicePort: 'http', endpoints: [{ address: '127.0.0.2', port: 8000 + i, ready: true, serving: true, terminating: false }], sessionAffinity: 'None' };
  table.virtualHosts.push({ host: `h${i}.example.com`, routes: [{ id: `default/ing#r${i}.p0`, ingress: 'default/ing', path: '/', match: 'Prefix', pathType: 'Prefix', backend, policy: 'default/ing' }] });
}
table.virtualHosts.sort((a, b) => (a.host < b.host ? -1 : 1));
const compiled = compileTable(table);
const targets = Array.from({ length: routeCount }, (_, i) => compiled.lookup(`h${i}.example.com`, '/')!);

const observer = new TrafficObserver({ table: () => table });
const methods = ['GET', 'GET', 'GET', 'POST', 'HEAD'];
// One mutable stand-in exchange, as the data plane passes its own (the observer reads, never keeps).
const req: { method: string | undefined } = { method: 'GET' };
const x = {
  req,
  scheme: 'http' as const,
  host: '',
  path: '/',
  clientIp: '127.0.0.1',
  target: targets[0],
  startedAt: 0,
  bytesIn: 0,
  bytesOut: 1234,
  attempts: 1,
  upstreamStartedAt: 0,
  upstreamEndedAt: 0,
  upstreamLabel: '127.0.0.2:8000',
  error: undefined,
  trace: undefined,
  upgrade: false,
} satisfies { [K in keyof ObservedExchange]: ObservedExchange[K] } as { -readonly [K in keyof ObservedExchange]: ObservedExchange[K] };

function run(count: number): void {
  let now = performance.now();
  for (let i = 0; i < count; i++) {
    const r = i % routeCount;
    x.target = targets[r];
    x.host = `h${r}.example.com`;
    req.method = methods[i % methods.length];
    now += 0.01;
    x.startedAt = now;
    x.upstreamStartedAt = now + 0.05;
    x.upstreamEndedAt = now + 0.9;
    observer.exchangeEnded(x, i % 50 === 0 ? 503 : 200, 1 + (i % 7));
  }
}

run(200_000); // warm-up: JIT, handles resolved
const before = process.cpuUsage();
const wall = performance.now();
run(n);
const cpu = process.cpuUsage(before);
const ns = ((cpu.user + cpu.system) * 1000) / n;
console.log(`observer: ${n} requests over ${routeCount} routes: ${ns.toFixed(0)} ns CPU per request (${((performance.now() - wall) * 1e6 / n).toFixed(0)} ns wall)`);

// Trace-context propagation (always on, with or without metrics): parse, new span id, header rewrite.
function traces(count: number, headers: Record<string, string>): void {
  for (let i = 0; i < count; i++) propagateTrace(headers, ['host', 'h.example.com', 'user-agent', 'wrk', 'x-request-id', 'abc'], undefined);
}
for (const [label, headers] of [
  ['no traceparent (new trace)', {}],
  ['with traceparent and tracestate', { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'congo=t61rcWkgMzE' }],
] as const) {
  traces(100_000, headers);
  const t0 = process.cpuUsage();
  traces(n / 4, headers);
  const c = process.cpuUsage(t0);
  console.log(`trace context, ${label}: ${(((c.user + c.system) * 1000) / (n / 4)).toFixed(0)} ns CPU per request`);
}
