// Socket-level fixture of the traffic-policy tests: echo backends on loopback aliases, a route table
// whose policy comes from real annotations through the real parser, and a real DataPlane whose
// picker runs over a TrafficState the test owns (short ejection intervals, readable counters).
import assert from 'node:assert/strict';
import type { Agent } from 'node:http';
import { parseIngressPolicy } from '../../src/core/annotations/parse-ingress-policy.ts';
import type { Ingress } from '../../src/core/model.ts';
import type { RoutePolicy } from '../../src/core/policy.ts';
import type { Endpoint, RouteTable } from '../../src/core/route-table.ts';
import type { DataPlaneOptions } from '../../src/dataplane/data-plane-options.ts';
import { createEndpointPickerFactory } from '../../src/dataplane/proxy/endpoint-picker.ts';
import { TrafficState, type TrafficStateOptions } from '../../src/dataplane/proxy/traffic-state.ts';
import { startDataPlane, type DataPlaneFixture } from '../support/data-plane-fixture.ts';
import { startEchoBackend, type EchoBackend } from '../support/echo-backend.ts';
import { httpRequest, type HttpRequestOptions } from '../support/http-client.ts';
import { routeTable } from '../support/route-tables.ts';

export const HOST = 'shop.example.com';
export const BACKEND = 'shop/web:80';
export const POLICY = 'shop/web';

/** The policy real annotations produce; the test fails if the parser reports anything. */
export function policyFrom(annotations: Record<string, string>): RoutePolicy {
  const ingress: Ingress = { kind: 'Ingress', metadata: { namespace: 'shop', name: 'web', labels: {}, annotations }, spec: {} };
  const { policy, diagnostics } = parseIngressPolicy(ingress);
  assert.deepEqual(diagnostics, [], 'the annotations parse cleanly');
  return policy;
}

/** Echo backends named b2, b3, ... on 127.0.0.2, 127.0.0.3, ... */
export async function startBackends(count: number, first = 2): Promise<EchoBackend[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => startEchoBackend({ address: `127.0.0.${first + i}`, name: `b${first + i}`, keep: 10 })));
}

export function endpointOf(b: EchoBackend, state: Partial<Endpoint> = {}): Endpoint {
  return { address: b.address, port: b.port, ready: true, serving: true, terminating: false, ...state };
}

/** One host, one route '/', one backend with these endpoints, one policy. */
export function tableFor(endpoints: Endpoint[], policy: RoutePolicy, sessionAffinity: 'None' | 'ClientIP' = 'None'): RouteTable {
  const table = routeTable({
    hosts: { [HOST]: { routes: [{ path: '/', backend: BACKEND, policy: POLICY }] } },
    backends: { [BACKEND]: endpoints },
    policies: { [POLICY]: policy },
  });
  table.backends[BACKEND]!.sessionAffinity = sessionAffinity;
  return table;
}

export interface PolicyPlane {
  fx: DataPlaneFixture;
  state: TrafficState;
  port: number;
  apply(table: RouteTable): void;
  stop(): Promise<void>;
}

export async function startPolicyPlane(table: RouteTable, traffic: TrafficStateOptions = {}, options: DataPlaneOptions = {}): Promise<PolicyPlane> {
  const state = new TrafficState(traffic);
  const fx = await startDataPlane(table, { createEndpointPicker: createEndpointPickerFactory(state), ...options });
  return { fx, state, port: fx.port, apply: (t) => void fx.dataPlane.apply(t), stop: () => fx.stop() };
}

export interface Answer {
  status: number;
  /** The echo backend that answered (its x-backend header), or '' for answers of Gatehouse itself. */
  backend: string;
  setCookie: string[];
  body: string;
}

export async function send(port: number, o: HttpRequestOptions = {}): Promise<Answer> {
  const r = await httpRequest(port, { host: HOST, ...o });
  const backend = r.headers['x-backend'];
  return { status: r.status, backend: typeof backend === 'string' ? backend : '', setCookie: r.headers['set-cookie'] ?? [], body: r.body.toString('utf8') };
}

/** A client that keeps cookies as a browser would (name=value only), over its own keep-alive agent. */
export class CookieClient {
  readonly jar = new Map<string, string>();
  readonly agent: Agent | undefined;
  constructor(agent?: Agent) {
    this.agent = agent;
  }
  async get(port: number, path = '/', extra: HttpRequestOptions = {}): Promise<Answer> {
    const cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const answer = await send(port, { path, ...extra, ...(this.agent ? { agent: this.agent } : {}), headers: { ...(cookie ? { cookie } : {}), ...(extra.headers ?? {}) } });
    for (const line of answer.setCookie) {
      const pair = line.split(';')[0]!;
      const eq = pair.indexOf('=');
      this.jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return answer;
  }
}

/** Runs `fn` for 0..count-1 with at most `concurrency` in flight; resolves with the results in order. */
export async function pool<T>(count: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      results[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}
