// The architecture's ceiling, for `npm run bench -- --baseline`: Node's HTTP server with an undici
// Pool dispatch upstream and nothing else (no routing, checks, header hygiene, log or metrics).
// Usage: node bench/minimal-proxy.ts PORT BACKEND_PORT
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { Pool, type Dispatcher } from 'undici';

const [port, backendPort] = process.argv.slice(2).map(Number);
const pool = new Pool(`http://127.0.0.2:${backendPort}`, { connections: 256, pipelining: 1 });
createServer((req, res) => {
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart() {},
    onResponseStart(_c, status: number, headers: IncomingHttpHeaders) {
      res.writeHead(status, ['content-type', String(headers['content-type']), 'content-length', String(headers['content-length'])]);
    },
    onResponseData(_c, chunk: Buffer) {
      res.write(chunk);
    },
    onResponseEnd() {
      res.end();
    },
    onResponseError(_c, err: Error) {
      if (process.env['BENCH_DEBUG']) console.error(err);
      res.statusCode = 502;
      res.end();
    },
  };
  pool.dispatch({ method: req.method as Dispatcher.HttpMethod, path: req.url ?? '/', headers: ['host', req.headers.host ?? ''], body: null }, handler);
}).listen(port, '127.0.0.1');
