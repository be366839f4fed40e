// A client that goes away aborts its upstream request, on HTTP/2 exactly as on HTTP/1: the backend
// sees its request aborted, the access log says 499 (or the relayed status, aborted, once the head
// went out), and the pool has nothing left running, so pools.close(false) — what stop() awaits —
// resolves at once instead of waiting on a backend that never answers. HTTP/2 clients cancel with
// RST_STREAM CANCEL (`stream.close(8)` in Node's client), over cleartext HTTP/2 attached to the data
// plane and over TLS through the HTTPS listener.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, request as httpRequest, type Server as HttpServer, type ServerResponse } from 'node:http';
import { connect, constants, createServer as createH2Server, type ClientHttp2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { DataPlane } from '../../src/dataplane/data-plane.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { makeCa, makeLeaf, type TestCa, type TestLeaf } from '../support/certs.ts';
import { routeTable } from '../support/route-tables.ts';
import { waitFor } from '../support/data-plane-fixture.ts';
import { h2Session } from '../tls/tls-client.ts';
import { startTlsFixture } from '../tls/tls-fixture.ts';
import { tlsTable } from '../tls/tls-tables.ts';

const HOST = 'cancel.example.com';

/**
 * A backend that never finishes: `/hang` never answers, `/trickle` sends its head and one body byte
 * and then nothing. It records, per path, whether the proxy aborted the request.
 */
interface HangingBackend {
  port: number;
  seen: Map<string, 'open' | 'aborted'>;
  close(): Promise<void>;
}

async function startHangingBackend(): Promise<HangingBackend> {
  const seen = new Map<string, 'open' | 'aborted'>();
  const open = new Set<ServerResponse>();
  const server: HttpServer = createHttpServer((req, res) => {
    const path = req.url ?? '';
    seen.set(path, 'open');
    open.add(res);
    res.on('close', () => {
      open.delete(res);
      if (!res.writableFinished) seen.set(path, 'aborted');
    });
    req.resume();
    if (path.startsWith('/trickle')) {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '1000' });
      res.write('x');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Rejects when `promise` has not settled after `ms`: a bounded wait, so a hang fails the test instead of stalling it. */
async function settlesWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Forced: when the test failed, a hung upstream request must not hold the run for a read timeout. */
async function shutDown(dataPlane: DataPlane): Promise<void> {
  await dataPlane.pools.close(true);
  await dataPlane.stop(0);
}

type Access = Record<string, unknown>;

/** What every client kind must produce once it has gone away mid-request. */
async function assertCancelled(o: {
  backend: HangingBackend;
  path: string;
  accessLines: () => Access[];
  dataPlane: DataPlane;
  status: number;
}): Promise<void> {
  await waitFor(() => o.backend.seen.get(o.path) === 'aborted', 5000, `the backend to see ${o.path} aborted`);
  await waitFor(() => o.accessLines().some((l) => l.path === o.path), 5000, `the access-log line of ${o.path}`);
  const line = o.accessLines().find((l) => l.path === o.path)!;
  assert.equal(line.status, o.status, `access-log status of ${o.path}`);
  assert.equal(line.aborted, true);
  assert.equal(o.dataPlane.inFlightRequests, 0);
  // Nothing is left running on the pool: a graceful close has nothing to wait for.
  await settlesWithin(o.dataPlane.pools.close(false), 5000, 'pools.close(false) after the client went away');
}

function tableFor(backend: HangingBackend, tls?: string): ReturnType<typeof routeTable> {
  return routeTable({
    hosts: { [HOST]: { routes: [{ path: '/', backend: 'default/hang:80', policy: 'default/no-redirect' }], ...(tls ? { tls } : {}) } },
    backends: { 'default/hang:80': [`127.0.0.2:${backend.port}`] },
    policies: { 'default/no-redirect': { sslRedirect: false } },
  });
}

/** Sends a request on an HTTP/2 session and cancels its stream once the backend has it (and, for /trickle, once the head arrived). */
async function cancelH2(session: ClientHttp2Session, backend: HangingBackend, path: string, method = 'GET'): Promise<void> {
  const stream = session.request({ ':method': method, ':path': path, ':authority': HOST }, { endStream: method === 'GET' });
  stream.on('error', () => {});
  let head = false;
  stream.on('response', () => (head = true));
  stream.resume();
  if (method !== 'GET') stream.write('partial body');
  await waitFor(() => backend.seen.get(path) === 'open', 5000, `the backend to receive ${path}`);
  if (path.startsWith('/trickle')) await waitFor(() => head, 5000, 'the response head');
  stream.close(constants.NGHTTP2_CANCEL);
}

describe('a client that goes away aborts the upstream request', () => {
  let backend: HangingBackend;
  before(async () => {
    backend = await startHangingBackend();
  });
  after(() => backend.close());

  test('HTTP/1.1: the client closes its connection before the response', async () => {
    const lines: Access[] = [];
    const dataPlane = new DataPlane({ logger: createLogger({ level: 'info', write: (l) => void lines.push(JSON.parse(l) as Access) }) });
    dataPlane.apply(tableFor(backend));
    const { port } = await dataPlane.listenHttp('127.0.0.1', 0);
    try {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/hang/h1', headers: { host: HOST } });
      req.on('error', () => {});
      req.end();
      await waitFor(() => backend.seen.get('/hang/h1') === 'open', 5000, 'the backend to receive /hang/h1');
      req.destroy();
      await assertCancelled({ backend, path: '/hang/h1', accessLines: () => lines.filter((l) => l.msg === 'access'), dataPlane, status: 499 });
    } finally {
      await shutDown(dataPlane);
    }
  });

  test('cleartext HTTP/2: RST_STREAM CANCEL before the response head, mid-upload, and after it; the session keeps serving', async () => {
    const lines: Access[] = [];
    const dataPlane = new DataPlane({ logger: createLogger({ level: 'info', write: (l) => void lines.push(JSON.parse(l) as Access) }) });
    dataPlane.apply(tableFor(backend));
    const server = createH2Server();
    dataPlane.attach(server, 'https');
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const session = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    session.on('error', () => {});
    const access = (): Access[] => lines.filter((l) => l.msg === 'access');
    try {
      await cancelH2(session, backend, '/hang/h2c');
      await cancelH2(session, backend, '/hang/h2c-upload', 'POST');
      await cancelH2(session, backend, '/trickle/h2c');
      for (const path of ['/hang/h2c', '/hang/h2c-upload']) {
        await waitFor(() => backend.seen.get(path) === 'aborted', 5000, `the backend to see ${path} aborted`);
        await waitFor(() => access().some((l) => l.path === path), 5000, `the access-log line of ${path}`);
        const line = access().find((l) => l.path === path)!;
        assert.equal(line.status, 499, path);
        assert.equal(line.aborted, true, path);
      }
      assert.equal(session.closed || session.destroyed, false, 'cancelling a stream leaves the session open');
      await assertCancelled({ backend, path: '/trickle/h2c', accessLines: access, dataPlane, status: 200 });
    } finally {
      session.destroy();
      await shutDown(dataPlane);
    }
  });

  describe('HTTP/2 over TLS through the HTTPS listener', () => {
    let ca: TestCa;
    let leaf: TestLeaf;
    before(() => {
      ca = makeCa();
      leaf = makeLeaf(ca, { names: [HOST], keyType: 'ec' });
    });
    after(() => ca.dispose());

    test('RST_STREAM CANCEL while the backend has not answered', async () => {
      const f = await startTlsFixture(tlsTable([{ id: 'default/cancel-tls', certPem: leaf.chainPem, keyPem: leaf.keyPem, hosts: [HOST] }], tableFor(backend, 'default/cancel-tls')));
      const session = await h2Session(f.httpsPort, { servername: HOST, ca: ca.certPem });
      session.on('error', () => {});
      try {
        await cancelH2(session, backend, '/hang/h2');
        await assertCancelled({ backend, path: '/hang/h2', accessLines: () => f.logs().filter((l) => l.msg === 'access'), dataPlane: f.dataPlane, status: 499 });
      } finally {
        session.destroy();
        await f.dataPlane.pools.close(true);
        await f.stop();
      }
    });
  });
});
