// A DataPlane with its plain-HTTP listener and the HTTPS listener attached, on 127.0.0.1:0, with
// a logger whose raw lines the test can read (to prove no key material is ever written).

import type { Secret } from '../../src/core/model.ts';
import type { RouteTable } from '../../src/core/route-table.ts';
import { DataPlane } from '../../src/dataplane/data-plane.ts';
import { createHttpsListener } from '../../src/dataplane/tls/https-listener.ts';
import type { HttpsListener, HttpsListenerOptions } from '../../src/dataplane/tls/https-listener.ts';
import { createLogger } from '../../src/observability/logger.ts';

export interface TlsFixture {
  dataPlane: DataPlane;
  https: HttpsListener;
  httpsPort: number;
  httpPort: number;
  /** Every raw log line. */
  lines: string[];
  logs(): Record<string, unknown>[];
  /** Applies to both, as the app does. */
  apply(table: RouteTable, secrets?: ReadonlyMap<string, Secret>): void;
  stop(): Promise<void>;
}

export async function startTlsFixture(
  table: RouteTable,
  o: { secrets?: ReadonlyMap<string, Secret>; listener?: Partial<Omit<HttpsListenerOptions, 'dataPlane'>>; redirectPort?: number } = {},
): Promise<TlsFixture> {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => void lines.push(line) });
  const dataPlane = new DataPlane({ logger, httpsPort: o.redirectPort ?? 8443, accessLog: true });
  const https = createHttpsListener({ logger, ...o.listener, dataPlane });
  const apply = (t: RouteTable, secrets?: ReadonlyMap<string, Secret>): void => {
    dataPlane.apply(t);
    https.apply(t, secrets);
  };
  apply(table, o.secrets);
  const httpsPort = await https.listen('127.0.0.1', 0);
  const httpPort = (await dataPlane.listenHttp('127.0.0.1', 0)).port;
  return {
    dataPlane,
    https,
    httpsPort,
    httpPort,
    lines,
    logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    apply,
    stop: async () => {
      await dataPlane.stop(1000);
      await https.close();
    },
  };
}

export function tlsSecret(namespace: string, name: string, data: Record<string, string>, type = 'kubernetes.io/tls'): Secret {
  return { kind: 'Secret', metadata: { namespace, name, labels: {}, annotations: {} }, type, data };
}
