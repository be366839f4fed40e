// Counts answered client requests by listener and status class, from outside the data plane:
// a second 'request' listener that only watches the response finish.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AnyServer } from '../dataplane/http/server-limits.ts';
import { statusClass, type GatehouseMetrics } from '../observability/gatehouse-metrics.ts';

export function countRequests(server: AnyServer, listener: 'http' | 'https', metrics: GatehouseMetrics): void {
  (server as unknown as { on(event: 'request', fn: (req: IncomingMessage, res: ServerResponse) => void): void }).on('request', (_req, res) => {
    res.once('finish', () => metrics.requests.inc({ listener, class: statusClass(res.statusCode) }));
  });
}
