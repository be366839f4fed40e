// /debug/explain: the same explanation as `gatehouse explain -f`, over the table this process
// serves, with the live passive-health state of every endpoint and the process's own flags.

import type { Config } from '../config/config.ts';
import type { Diagnostic } from '../core/diagnostics.ts';
import { explainRequest, type EndpointHealthState } from '../core/explain-request.ts';
import type { RouteTable } from '../core/route-table.ts';
import type { TrafficState } from '../dataplane/proxy/traffic-state.ts';
import type { AdminAnswer } from '../observability/admin-server.ts';
import { explainInput, ExplainInputError } from './explain-input.ts';
import { admitsSource } from './admits-source.ts';

export interface LiveExplainSources {
  config: Pick<Config, 'timeouts' | 'limits'>;
  table(): RouteTable | undefined;
  diagnostics(): readonly Diagnostic[];
  traffic: TrafficState;
  /** The bound HTTPS port (known only after listen with --https-port 0). */
  httpsPort(): number;
}

export function createLiveExplain(sources: LiveExplainSources): (query: URLSearchParams) => AdminAnswer {
  return (query) => {
    const url = query.get('url');
    if (url === null || url === '') return { status: 400, body: { error: 'missing the url parameter: /debug/explain?url=http://HOST/PATH' } };
    let input;
    try {
      input = explainInput(url, query.getAll('header'), query.get('clientIp') ?? undefined);
    } catch (err) {
      if (err instanceof ExplainInputError) return { status: 400, body: { error: err.message } };
      throw err;
    }
    const table = sources.table();
    if (table === undefined) return { status: 503, body: { error: 'no route table applied yet' } };
    const health = new Map<string, EndpointHealthState>();
    for (const e of sources.traffic.snapshot().endpoints) {
      const state: EndpointHealthState = { ejected: e.ejected, inFlight: e.inFlight };
      if (e.ejectedForMs !== undefined) state.ejectedForMs = e.ejectedForMs;
      health.set(e.endpoint, state);
    }
    const { timeouts, limits } = sources.config;
    const defaults = { ...timeouts, ...(limits.maxBodySize === undefined ? {} : { maxBodySize: limits.maxBodySize }) };
    return { status: 200, body: explainRequest(table, input, { httpsPort: sources.httpsPort(), defaults, diagnostics: sources.diagnostics(), health, admitsSource }) };
  };
}
