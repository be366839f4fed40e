// Shared helpers of the traffic-policy tests: endpoints, backends and a PickContext made of plain
// data (the picker's input is data, not a socket), and a manual clock.
import type { IncomingHttpHeaders } from 'node:http';
import { parseCookies } from '../../src/dataplane/proxy/proxy-exchange.ts';
import type { PickContext } from '../../src/dataplane/proxy/endpoint-picker.ts';
import type { Backend, Endpoint } from '../../src/core/route-table.ts';

export function ep(address: string, port = 8080, state: Partial<Endpoint> = {}): Endpoint {
  return { address, port, ready: true, serving: true, terminating: false, ...state };
}

export function backendOf(endpoints: Endpoint[], sessionAffinity: 'None' | 'ClientIP' = 'None', id = 'shop/web:80'): Backend {
  return { id, namespace: 'shop', service: 'web', servicePort: 80, endpoints, sessionAffinity };
}

export interface TestContext extends PickContext {
  failed: Endpoint[];
  responseHeaders: string[];
}

export function context(o: { clientIp?: string; scheme?: 'http' | 'https'; headers?: IncomingHttpHeaders; cookie?: string } = {}): TestContext {
  const headers: IncomingHttpHeaders = { ...(o.headers ?? {}) };
  if (o.cookie !== undefined) headers.cookie = o.cookie;
  const cookies = parseCookies(headers.cookie);
  return {
    clientIp: o.clientIp ?? '192.0.2.1',
    scheme: o.scheme ?? 'http',
    headers,
    cookie: (name) => cookies.get(name),
    failed: [],
    responseHeaders: [],
  };
}

/** A clock the test moves by hand. */
export class ManualClock {
  t = 1_000_000;
  readonly now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Count of each key in a list, as a plain object sorted by key (for messages and reports). */
export function tally(keys: Iterable<string>): Record<string, number> {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return Object.fromEntries([...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** max/min share of a distribution: 1.0 is perfectly even. */
export function spread(counts: Record<string, number>): number {
  const values = Object.values(counts);
  return Math.max(...values) / Math.min(...values);
}
