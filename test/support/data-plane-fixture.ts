// Starts a DataPlane on 127.0.0.1:0 with a logger whose lines the test can read, and helpers that
// tests of the data plane share (a free-but-closed port for "connection refused", log polling, the
// same plane behind HTTP/1.1, h2c and HTTPS).
import { createServer as createH2Server, type Http2Server } from 'node:http2';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { DataPlane } from '../../src/dataplane/data-plane.ts';
import type { DataPlaneOptions } from '../../src/dataplane/data-plane-options.ts';
import { createHttpsListener, type HttpsListener } from '../../src/dataplane/tls/https-listener.ts';
import type { RouteTable } from '../../src/core/route-table.ts';
import { createLogger, type Logger } from '../../src/observability/logger.ts';

export interface DataPlaneFixture {
  dataPlane: DataPlane;
  port: number;
  /** Every log line written so far, parsed. */
  logs: Record<string, unknown>[];
  /** Access-log lines only. */
  accessLogs(): Record<string, unknown>[];
  stop(): Promise<void>;
}

export async function startDataPlane(table: RouteTable, options: DataPlaneOptions = {}): Promise<DataPlaneFixture> {
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => void logs.push(JSON.parse(line) as Record<string, unknown>) });
  const dataPlane = new DataPlane({ logger, ...options });
  dataPlane.apply(table);
  const address = await dataPlane.listenHttp('127.0.0.1', 0);
  return {
    dataPlane,
    port: address.port,
    logs,
    accessLogs: () => logs.filter((l) => l.msg === 'access'),
    stop: () => dataPlane.stop(2000),
  };
}

/** A port on `address` that nothing listens on (bound, then released). */
export async function closedPort(address = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ host: address, port: 0 }, () => resolve()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `condition` every 20 ms until it holds, or throws after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One DataPlane behind every client transport: HTTP/1.1, cleartext HTTP/2 (h2c) and the HTTPS listener (h2 or HTTP/1.1 by ALPN). */
export interface TransportListeners {
  http: number;
  h2c: number;
  https: number;
  /** Closes the three listeners and drains the data plane. */
  close(): Promise<void>;
}

export async function listenOnEveryTransport(dataPlane: DataPlane, table: RouteTable, logger: Logger): Promise<TransportListeners> {
  const http = (await dataPlane.listenHttp('127.0.0.1', 0)).port;
  const h2c: Http2Server = createH2Server();
  dataPlane.attach(h2c, 'http');
  await new Promise<void>((resolve) => h2c.listen(0, '127.0.0.1', () => resolve()));
  const https: HttpsListener = createHttpsListener({ logger, dataPlane });
  https.apply(table);
  const httpsPort = await https.listen('127.0.0.1', 0);
  return {
    http,
    h2c: (h2c.address() as AddressInfo).port,
    https: httpsPort,
    async close() {
      await new Promise<void>((resolve) => h2c.close(() => resolve()));
      await dataPlane.stop(1000);
      await https.close();
    },
  };
}
