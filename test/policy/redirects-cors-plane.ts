// The socket-level fixture of the redirect and CORS tests: one real DataPlane with its plain HTTP/1
// listener and a cleartext HTTP/2 server attached, an echo backend, policies from real annotations
// through the real parser, and curl as the client (`curl -i`, `--http2-prior-knowledge` for h2c).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer as createH2Server, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { parseIngressPolicy } from '../../src/core/annotations/parse-ingress-policy.ts';
import type { RoutePolicy } from '../../src/core/policy.ts';
import type { RouteTable } from '../../src/core/route-table.ts';
import { DataPlane } from '../../src/dataplane/data-plane.ts';
import { createLogger } from '../../src/observability/logger.ts';

export type Transport = 'http1' | 'h2c';
export const TRANSPORTS: readonly Transport[] = ['http1', 'h2c'];

/** The policy the annotations give, through the real parser; `clean` asserts no diagnostic. */
export function policyOf(annotations: Record<string, string>, clean = true): RoutePolicy {
  const { policy, diagnostics } = parseIngressPolicy({ kind: 'Ingress', metadata: { namespace: 'shop', name: 'web', labels: {}, annotations }, spec: {} });
  if (clean) assert.deepEqual(diagnostics, [], JSON.stringify(annotations));
  return policy;
}

export interface CurlAnswer {
  status: number;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  body: string;
  httpVersion: string;
}

export interface Plane {
  ports: Record<Transport, number>;
  lines: Record<string, unknown>[];
  curl(transport: Transport, host: string, path: string, args?: string[]): Promise<CurlAnswer>;
  stop(): Promise<void>;
}

export async function startPlane(table: RouteTable): Promise<Plane> {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'debug', write: (line) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const dp = new DataPlane({ logger });
  dp.apply(table);
  const http1 = (await dp.listenHttp('127.0.0.1', 0)).port;
  const h2c: Http2Server = createH2Server();
  dp.attach(h2c, 'http');
  await new Promise<void>((resolve) => h2c.listen(0, '127.0.0.1', () => resolve()));
  const ports = { http1, h2c: (h2c.address() as AddressInfo).port };
  return {
    ports,
    lines,
    curl: (transport, host, path, args = []) => curl(transport, ports[transport], host, path, args),
    async stop() {
      await new Promise<void>((resolve) => h2c.close(() => resolve()));
      await dp.stop(1000);
    },
  };
}

/** curl -i against 127.0.0.1 with a Host header; never follows redirects. */
function curl(transport: Transport, port: number, host: string, path: string, args: string[]): Promise<CurlAnswer> {
  const argv = ['-sS', '-i', '--max-time', '30', transport === 'h2c' ? '--http2-prior-knowledge' : '--http1.1', '-H', `Host: ${host}`, ...args, `http://127.0.0.1:${port}${path}`];
  return new Promise((resolve, reject) => {
    execFile('curl', argv, { encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`curl ${argv.join(' ')}: ${stderr || err.message}`));
      const end = stdout.indexOf('\r\n\r\n');
      const head = stdout.slice(0, end).split('\r\n');
      const [version = '', code = ''] = head[0]!.split(' ');
      const headers: Record<string, string> = {};
      for (const line of head.slice(1)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).toLowerCase();
        const value = line.slice(colon + 1).trim();
        headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
      }
      resolve({ status: Number(code), headers, body: stdout.slice(end + 4), httpVersion: version });
    });
  });
}
