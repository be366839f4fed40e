// An error-pages backend as ingress-nginx's custom-error-pages image behaves for custom-http-errors:
// it answers with the status X-Code asks for (200 without one) and, here, a JSON page of what it got
// (method, URL, headers, body size), so tests can assert the request Gatehouse sent it. A request
// whose X-Original-URI contains "hang" is never answered (a stuck error backend).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PageRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  bodyBytes: number;
}

export interface ErrorPagesBackend {
  address: string;
  port: number;
  /** Every answered request, in arrival order. */
  requests: PageRequest[];
  close(): Promise<void>;
}

export async function startErrorPagesBackend(address: string): Promise<ErrorPagesBackend> {
  const requests: PageRequest[] = [];
  const server: Server = createServer((req, res) => {
    let bodyBytes = 0;
    req.on('data', (c: Buffer) => (bodyBytes += c.length));
    req.on('end', () => {
      if (String(req.headers['x-original-uri']).includes('hang')) return;
      const got: PageRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyBytes };
      requests.push(got);
      const code = Number(req.headers['x-code'] ?? 200);
      const body = Buffer.from(JSON.stringify({ page: 'custom', ...got }));
      // A hop-by-hop header named in Connection: a proxy must drop it.
      res.writeHead(code, { 'content-type': 'application/json', 'content-length': body.length, 'x-error-page': 'yes', connection: 'x-hop', 'x-hop': 'dropped' });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, address, () => resolve()));
  return {
    address,
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
