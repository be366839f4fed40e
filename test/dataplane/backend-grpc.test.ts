// backend-protocol GRPC / GRPCS and gatehouse.dev/backend-protocol H2C through one real DataPlane:
// a real gRPC client (@grpc/grpc-js) over TLS (h2, the HTTPS listener) and over h2c reaches a real
// grpc-js server in GRPC (h2c with prior knowledge) and GRPCS (TLS, ALPN h2) mode — unary, server
// streaming, bidi streaming (each reply awaited before the next message is sent), an error status
// with its message and trailing metadata (HTTP/2 trailers), a deadline that expires (the server's
// call is cancelled), and a stream that outlives the read timeout while its data flows. A plain
// node:http2 backend behind H2C gets HTTP/2 and its trailers reach HTTP/2 and HTTP/1.1 clients.
// Messages are JSON in gRPC frames (grpc-js does not care what serialises them): no .proto needed.
import assert from 'node:assert/strict';
import { connect as h2connect, createServer as createH2Server, type Http2Server } from 'node:http2';
import { request as httpRequestRaw } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { collectPolicies } from '../../src/core/collect-policies.ts';
import type { Ingress } from '../../src/core/model.ts';
import { DataPlane } from '../../src/dataplane/data-plane.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { makeCa, makeLeaf, type TestCa } from '../support/certs.ts';
import { listenOnEveryTransport, waitFor, type TransportListeners } from '../support/data-plane-fixture.ts';
import { h2Get } from '../support/http-client.ts';
import { routeTable } from '../support/route-tables.ts';

type Msg = { text: string; n?: number; delayMs?: number };

const serialize = (v: Msg): Buffer => Buffer.from(JSON.stringify(v));
const deserialize = (b: Buffer): Msg => JSON.parse(b.toString('utf8')) as Msg;
const method = (name: string, requestStream: boolean, responseStream: boolean): grpc.MethodDefinition<Msg, Msg> => ({
  path: `/gatehouse.test.Echo/${name}`,
  requestStream,
  responseStream,
  requestSerialize: serialize,
  requestDeserialize: deserialize,
  responseSerialize: serialize,
  responseDeserialize: deserialize,
});
const SERVICE = {
  unary: method('Unary', false, false),
  fail: method('Fail', false, false),
  slow: method('Slow', false, false),
  serverStream: method('ServerStream', false, true),
  bidi: method('Bidi', true, true),
} satisfies grpc.ServiceDefinition;
const EchoClient = grpc.makeGenericClientConstructor(SERVICE, 'Echo');
type Client = InstanceType<typeof EchoClient>;

let ca: TestCa;
const grpcServers: grpc.Server[] = [];
let h2Backend: Http2Server;
let h2BackendVersion = '';
let h2BackendTe: string | undefined;
let listeners: TransportListeners;
let cancelledCalls = 0;
const lines: Record<string, unknown>[] = [];

function implementation(tag: string): grpc.UntypedServiceImplementation {
  return {
    unary: (call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
      cb(null, { text: `${tag}:${call.request.text}` });
    },
    fail: (_call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
      const trailer = new grpc.Metadata();
      trailer.set('x-detail', 'shelf-7');
      cb({ code: grpc.status.NOT_FOUND, details: 'no such book', metadata: trailer });
    },
    slow: (call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
      const timer = setTimeout(() => cb(null, { text: 'late' }), call.request.delayMs ?? 10_000);
      call.on('cancelled', () => {
        cancelledCalls++;
        clearTimeout(timer);
      });
    },
    serverStream: (call: grpc.ServerWritableStream<Msg, Msg>) => {
      const count = call.request.n ?? 3;
      let i = 0;
      const next = (): void => {
        if (i === count) {
          call.end();
          return;
        }
        call.write({ text: `${tag}:${call.request.text}#${i}`, n: i });
        i++;
        setTimeout(next, call.request.delayMs ?? 0);
      };
      next();
    },
    bidi: (call: grpc.ServerDuplexStream<Msg, Msg>) => {
      call.on('data', (m: Msg) => call.write({ text: `${tag}:${m.text}` }));
      call.on('end', () => call.end());
    },
  };
}

async function startGrpc(tag: string, credentials: grpc.ServerCredentials): Promise<number> {
  const server = new grpc.Server();
  server.addService(SERVICE, implementation(tag));
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))));
  grpcServers.push(server);
  return port;
}

function ingress(name: string, annotations: Record<string, string>): Ingress {
  return { kind: 'Ingress', metadata: { namespace: 'shop', name, labels: {}, annotations }, spec: {} };
}

before(async () => {
  ca = makeCa({ name: 'gRPC backend CA', keyType: 'ec' });
  const leaf = makeLeaf(ca, { names: ['grpcs.internal'], keyType: 'ec' });
  const h2cPort = await startGrpc('h2c', grpc.ServerCredentials.createInsecure());
  const tlsPort = await startGrpc('tls', grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(leaf.certPem), private_key: Buffer.from(leaf.keyPem) }], false));

  h2Backend = createH2Server();
  h2Backend.on('request', (req, res) => {
    h2BackendVersion = req.httpVersion;
    h2BackendTe = req.headers.te as string | undefined;
    res.setHeader('content-type', 'text/plain');
    res.addTrailers({ 'x-checksum': 'abc123' });
    res.end(`h2c says hi to ${req.headers[':authority']}`);
  });
  await new Promise<void>((resolve) => h2Backend.listen(0, '127.0.0.1', () => resolve()));
  const h2Port = (h2Backend.address() as AddressInfo).port;

  const ingresses: [Ingress, number][] = [
    [ingress('grpc', { 'nginx.ingress.kubernetes.io/backend-protocol': 'GRPC', 'nginx.ingress.kubernetes.io/proxy-read-timeout': '1' }), h2cPort],
    [ingress('grpcs', { 'nginx.ingress.kubernetes.io/backend-protocol': 'GRPCS', 'nginx.ingress.kubernetes.io/proxy-read-timeout': '1' }), tlsPort],
    [ingress('h2c', { 'gatehouse.dev/backend-protocol': 'H2C' }), h2Port],
    // gRPC spoken as HTTP/1.1 to a gRPC server: what Gatehouse did before; the client gets an error status.
    [ingress('http1', {}), h2cPort],
  ];
  const { policies, diagnostics } = collectPolicies(ingresses.map(([i]) => i), new Map(), { allowCrossNamespaceSecrets: false });
  assert.deepEqual(diagnostics, []);
  const table = routeTable({
    hosts: Object.fromEntries(ingresses.map(([i]) => [`${i.metadata.name}.example.com`, { routes: [{ path: '/', backend: `shop/${i.metadata.name}:50051`, policy: `shop/${i.metadata.name}` }] }])),
    backends: Object.fromEntries(ingresses.map(([i, port]) => [`shop/${i.metadata.name}:50051`, [`127.0.0.1:${port}`]])),
    policies: Object.fromEntries(policies),
  });
  const logger = createLogger({ level: 'debug', write: (line) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const dp = new DataPlane({ logger });
  dp.apply(table);
  listeners = await listenOnEveryTransport(dp, table, logger);
});

after(async () => {
  for (const c of clients) c.close();
  await listeners.close();
  for (const s of grpcServers) s.forceShutdown();
  await new Promise<void>((resolve) => h2Backend.close(() => resolve()));
  ca.dispose();
});

const clients: Client[] = [];

/** A gRPC client to Gatehouse: over TLS (h2 by ALPN on the HTTPS listener) or h2c, for `host`. */
function client(host: string, transport: 'tls' | 'h2c' = 'tls'): Client {
  const options = { 'grpc.default_authority': host, 'grpc.ssl_target_name_override': host };
  const c =
    transport === 'tls'
      ? new EchoClient(`127.0.0.1:${listeners.https}`, grpc.credentials.createSsl(null, null, null, { rejectUnauthorized: false }), options)
      : new EchoClient(`127.0.0.1:${listeners.h2c}`, grpc.credentials.createInsecure(), options);
  clients.push(c);
  return c;
}

function deadline(ms: number): Date {
  return new Date(Date.now() + ms);
}

function unary(c: Client, name: 'unary' | 'fail' | 'slow', msg: Msg, ms = 20_000): Promise<{ err: grpc.ServiceError | null; reply: Msg | undefined }> {
  return new Promise((resolve) => {
    const call = c[name] as (m: Msg, md: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r?: Msg) => void) => grpc.ClientUnaryCall;
    call.call(c, msg, new grpc.Metadata(), { deadline: deadline(ms) }, (err, reply) => resolve({ err, reply }));
  });
}

for (const mode of ['grpc', 'grpcs'] as const) {
  const tag = mode === 'grpc' ? 'h2c' : 'tls';
  const host = `${mode}.example.com`;

  test(`${mode.toUpperCase()}: a unary call through the HTTPS listener (h2) and the h2c listener`, async () => {
    for (const transport of ['tls', 'h2c'] as const) {
      const { err, reply } = await unary(client(host, transport), 'unary', { text: 'hello' });
      assert.equal(err, null, `${transport}: ${err?.message}`);
      assert.equal(reply?.text, `${tag}:hello`);
    }
  });

  test(`${mode.toUpperCase()}: an error status, its message and trailing metadata come through as trailers`, async () => {
    const { err } = await unary(client(host), 'fail', { text: 'x' });
    assert.equal(err?.code, grpc.status.NOT_FOUND);
    assert.equal(err?.details, 'no such book');
    assert.deepEqual(err?.metadata.get('x-detail'), ['shelf-7']);
  });

  test(`${mode.toUpperCase()}: server streaming, longer than the read timeout (1 s) while messages flow`, async () => {
    const stream = client(host).serverStream!({ text: 'tick', n: 8, delayMs: 300 }, { deadline: deadline(30_000) });
    const got: string[] = [];
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (m: Msg) => got.push(m.text));
      stream.on('error', reject);
      stream.on('end', () => resolve());
    });
    assert.deepEqual(got, Array.from({ length: 8 }, (_, i) => `${tag}:tick#${i}`));
  });

  test(`${mode.toUpperCase()}: bidi streaming, each reply before the next message is sent`, async () => {
    const call = client(host).bidi!({ deadline: deadline(30_000) });
    const replies: Msg[] = [];
    let waiting: ((m: Msg) => void) | undefined;
    call.on('data', (m: Msg) => {
      replies.push(m);
      waiting?.(m);
    });
    const ended = new Promise<void>((resolve, reject) => {
      call.on('end', () => resolve());
      call.on('error', reject);
    });
    for (const word of ['one', 'two', 'three']) {
      const reply = new Promise<Msg>((resolve) => (waiting = resolve));
      call.write({ text: word });
      assert.equal((await reply).text, `${tag}:${word}`);
    }
    call.end();
    await ended;
    assert.equal(replies.length, 3);
  });

  test(`${mode.toUpperCase()}: a deadline that expires answers DEADLINE_EXCEEDED and cancels the server's call`, async () => {
    const before = cancelledCalls;
    const { err } = await unary(client(host), 'slow', { text: 'wait', delayMs: 15_000 }, 500);
    assert.equal(err?.code, grpc.status.DEADLINE_EXCEEDED);
    await waitFor(() => cancelledCalls > before, 10_000, 'the backend call to be cancelled');
  });
}

test('without backend-protocol, gRPC reaches the gRPC server as HTTP/1.1 and fails with an error status', async () => {
  const { err } = await unary(client('http1.example.com'), 'unary', { text: 'hello' });
  assert.notEqual(err, null);
  assert.notEqual(err?.code, grpc.status.OK);
});

test('H2C: a plain node:http2 backend gets HTTP/2 with prior knowledge; its trailers reach an HTTP/2 client', async () => {
  const session = h2connect(`http://127.0.0.1:${listeners.h2c}`);
  try {
    const result = await h2Get(session, { ':path': '/', ':authority': 'h2c.example.com', te: 'trailers' });
    assert.equal(result.status, 200);
    assert.equal(result.body, 'h2c says hi to h2c.example.com');
    assert.equal(result.trailers['x-checksum'], 'abc123');
    assert.equal(h2BackendVersion, '2.0');
    assert.equal(h2BackendTe, 'trailers', 'te: trailers is forwarded');
  } finally {
    session.close();
  }
});

test('H2C: an HTTP/1.1 client gets the backend\'s trailers as chunked trailers', async () => {
  const result = await new Promise<{ status: number; body: string; trailers: NodeJS.Dict<string> }>((resolve, reject) => {
    const req = httpRequestRaw({ host: '127.0.0.1', port: listeners.http, path: '/', headers: { host: 'h2c.example.com', te: 'trailers' }, agent: false });
    req.setTimeout(20_000, () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), trailers: res.trailers }));
    });
    req.end();
  });
  assert.equal(result.status, 200);
  assert.equal(result.body, 'h2c says hi to h2c.example.com');
  assert.equal(result.trailers['x-checksum'], 'abc123');
});
