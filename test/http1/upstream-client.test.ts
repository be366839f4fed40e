// The engine's upstream HTTP/1.1 client (src/dataplane/upstream/) against a raw backend that
// writes exact bytes: good responses (length, chunked, read-to-close) and keep-alive reuse; every
// malformed response of test/security/backend-responses.test.ts refused (502) with its connection
// destroyed; bytes after a response (HEAD, 204, 304, an extra response) make the connection
// unusable; a backend dying mid-body is an aborted response; refused connects, read timeouts, the
// bounded queue, a streamed chunked request body, response back-pressure.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { UpstreamPool, type UpstreamPoolOptions } from '../../src/dataplane/upstream/upstream-pool.ts';
import type { UpstreamCall, UpstreamHandler, UpstreamRequest } from '../../src/dataplane/upstream/upstream-connection.ts';
import type { UpstreamError } from '../../src/dataplane/upstream/upstream-error.ts';
import type { ResponseHead } from '../../src/dataplane/upstream/response-head-parser.ts';
import { waitUntil } from '../support/raw-http.ts';
import { MALFORMED_RESPONSES } from '../security/malformed-responses.ts';

/** Path → exact response bytes, or a function that writes them. Anything else: a good answer naming the connection. */
const RESPONSES: Record<string, string | ((socket: Socket) => void)> = {
  ...MALFORMED_RESPONSES,
  '/chunked': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=1\r\n world\r\n0\r\nX-T: 1\r\n\r\n',
  '/to-close': (s) => s.end('HTTP/1.1 200 OK\r\n\r\nuntil the end'),
  '/die-mid-length': (s) => {
    s.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
    setTimeout(() => s.destroy(), 20);
  },
  '/die-mid-chunked': (s) => {
    s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\npartial\r\n');
    setTimeout(() => s.destroy(), 20);
  },
  '/close-before-answer': (s) => s.destroy(),
  '/keep-alive-1s': 'HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1\r\nContent-Length: 2\r\n\r\nk1',
  '/keep-alive-3s': 'HTTP/1.1 200 OK\r\nKeep-Alive: timeout=3, max=100\r\nContent-Length: 2\r\n\r\nk3',
  '/never': () => {},
  '/big': (s) => {
    const body = Buffer.alloc(4 * 1024 * 1024, 0x61);
    s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
    s.write(body);
  },
};

let server: Server;
let port = 0;
let connectionIds = 0;
const requestsByConnection = new Map<number, string[]>();

before(async () => {
  server = createServer((socket) => {
    const id = ++connectionIds;
    requestsByConnection.set(id, []);
    let buf = '';
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        const head = buf.slice(0, end);
        let rest = buf.slice(end + 4);
        if (/transfer-encoding: chunked/i.test(head)) {
          const last = rest.indexOf('0\r\n\r\n');
          if (last === -1) return;
          const body = rest.slice(0, last + 5);
          rest = rest.slice(last + 5);
          buf = rest;
          requestsByConnection.get(id)!.push(head.split(' ')[1] ?? '');
          socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
          continue;
        }
        buf = rest;
        const path = head.split(' ')[1] ?? '';
        requestsByConnection.get(id)!.push(path);
        const r = RESPONSES[path];
        if (r === undefined) socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${String(id).length}\r\n\r\n${id}`);
        else if (typeof r === 'string') socket.write(r);
        else r(socket);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
  port = (server.address() as AddressInfo).port;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

interface Outcome {
  head?: ResponseHead;
  body: Buffer;
  ended: boolean;
  error?: UpstreamError;
}

class Collect implements UpstreamHandler {
  readonly out: Outcome = { body: Buffer.alloc(0), ended: false };
  private readonly resolve: (o: Outcome) => void;
  pauseEvery = 0;
  pauses = 0;
  constructor(resolve: (o: Outcome) => void) {
    this.resolve = resolve;
  }
  onResponseStart(_c: UpstreamCall, head: ResponseHead): void {
    this.out.head = head;
  }
  onResponseData(c: UpstreamCall, chunk: Buffer): boolean {
    this.out.body = Buffer.concat([this.out.body, chunk]);
    if (this.pauseEvery > 0 && ++this.pauses % this.pauseEvery === 0) {
      setTimeout(() => c.resume(), 1);
      return false;
    }
    return true;
  }
  onResponseEnd(): void {
    this.out.ended = true;
    this.resolve(this.out);
  }
  onResponseError(_c: UpstreamCall, err: UpstreamError): void {
    this.out.error = err;
    this.resolve(this.out);
  }
}

function send(pool: UpstreamPool, request: Partial<UpstreamRequest> & { path: string }, setup?: (h: Collect, call: UpstreamCall) => void): Promise<Outcome> {
  return new Promise((resolve) => {
    const h = new Collect(resolve);
    const call = pool.request({ method: 'GET', headers: ['host', 'backend.example'], ...request }, h);
    setup?.(h, call);
  });
}

function newPool(o: Partial<UpstreamPoolOptions> = {}): UpstreamPool {
  return new UpstreamPool('127.0.0.2', port, { readTimeoutMs: 3000, ...o });
}

test('good responses: Content-Length, chunked (extensions and trailers dropped), read to close; keep-alive reuse', async () => {
  const pool = newPool();
  try {
    const a = await send(pool, { path: '/one' });
    const b = await send(pool, { path: '/two' });
    assert.equal(a.head?.status, 200);
    assert.equal(a.body.toString(), b.body.toString(), 'the second request went over the same connection');
    const c = await send(pool, { path: '/chunked' });
    assert.equal(c.body.toString(), 'hello world');
    assert.equal(c.head?.chunked, true);
    const d = await send(pool, { path: '/after-chunked' });
    assert.equal(d.body.toString(), a.body.toString(), 'a chunked response leaves the connection reusable');
    const e = await send(pool, { path: '/to-close' });
    assert.equal(e.ended, true);
    assert.equal(e.body.toString(), 'until the end');
  } finally {
    pool.close();
  }
});

const MALFORMED = ['/cl-te', '/te-cl', '/cl-cl-different', '/cl-cl-same', '/cl-list', '/cl-negative', '/te-not-chunked', '/bad-chunk-size', '/chunk-overflow', '/unsolicited-101', '/unsolicited-100-then-junk', '/bad-status-line', '/no-status-line', '/http09-response', '/nul-in-header', '/bare-lf-header', '/obs-fold', '/space-before-colon', '/header-too-big'];

for (const path of MALFORMED) {
  test(`malformed response ${path}: 502, the connection destroyed, the next request on a new one`, async () => {
    const pool = newPool();
    try {
      const first = await send(pool, { path: '/warm' });
      const r = await send(pool, { path });
      if (path === '/bad-chunk-size' || path === '/chunk-overflow') {
        // The head was fine and the handler had it: the failure is in the body (the data plane's
        // held head turns this into a 502 before anything reaches the client).
        assert.equal(r.error?.code, 'aborted');
      } else {
        assert.equal(r.error?.code, 'malformed-response', `${path}: ${r.error?.message ?? 'accepted'}`);
        assert.equal(r.head, undefined);
      }
      assert.equal(r.error?.status, 502);
      assert.equal(r.error?.retryable, false);
      const next = await send(pool, { path: '/next' });
      assert.notEqual(next.body.toString(), first.body.toString(), 'the connection that carried it was not reused');
    } finally {
      pool.close();
    }
  });
}

for (const [path, method] of [['/body-on-204', 'GET'], ['/body-on-304', 'GET'], ['/body-on-head', 'HEAD'], ['/extra-after-body', 'GET']] as const) {
  test(`bytes after the end of a response (${path}): the response stands, the connection is never reused`, async () => {
    const pool = newPool();
    try {
      const first = await send(pool, { path: '/warm' });
      const r = await send(pool, { path, method });
      assert.equal(r.ended, true);
      assert.ok(r.head !== undefined && r.head.status < 400);
      assert.ok(!r.body.toString().includes('SMUGGLED'));
      const next = await send(pool, { path: '/next' });
      assert.equal(next.ended, true);
      assert.notEqual(next.body.toString(), first.body.toString(), 'a new connection');
    } finally {
      pool.close();
    }
  });
}

test('a backend that dies mid-body (length or chunked): an aborted response, never a complete one', async () => {
  const pool = newPool();
  try {
    for (const path of ['/die-mid-length', '/die-mid-chunked']) {
      const r = await send(pool, { path });
      assert.equal(r.head?.status, 200);
      assert.equal(r.ended, false);
      assert.equal(r.error?.code, 'aborted');
    }
  } finally {
    pool.close();
  }
});

test('a backend that closes before answering: 502, retryable; a refused connect: ECONNREFUSED, retryable', async () => {
  const pool = newPool();
  try {
    const r = await send(pool, { path: '/close-before-answer' });
    assert.equal(r.error?.status, 502);
    assert.equal(r.error?.retryable, true);
  } finally {
    pool.close();
  }
  const dead = new UpstreamPool('127.0.0.2', 1, {});
  const r = await send(dead, { path: '/' });
  assert.equal(r.error?.code, 'ECONNREFUSED');
  assert.equal(r.error?.retryable, true);
});

test('read timeout: 504', async () => {
  const pool = newPool({ readTimeoutMs: 200 });
  try {
    const r = await send(pool, { path: '/never' });
    assert.equal(r.error?.code, 'read-timeout');
    assert.equal(r.error?.status, 504);
  } finally {
    pool.close();
  }
});

test('send timeout: a streamed request body that stalls is cut (504), the connection not reused', async () => {
  const pool = newPool({ sendTimeoutMs: 200 });
  try {
    const r = await send(pool, { method: 'POST', path: '/stall', contentLength: -1 }, (_h, call) => {
      call.write(Buffer.from('start')); // and then nothing more
    });
    assert.equal(r.error?.code, 'send-timeout');
    assert.equal(r.error?.status, 504);
    await waitUntil(() => pool.size === 0, 'the connection to be gone');
  } finally {
    pool.close();
  }
});

test('the wait queue is bounded: beyond maxQueue a request is refused at once (503)', async () => {
  const pool = newPool({ maxConnections: 1, maxQueue: 1, readTimeoutMs: 300 });
  try {
    await send(pool, { path: '/warm' }); // one idle connection, so the held request is not queued
    const held = send(pool, { path: '/never' });
    const queued = send(pool, { path: '/q' });
    const refused = await send(pool, { path: '/refused' });
    assert.equal(refused.error?.code, 'queue-full');
    assert.equal(refused.error?.status, 503);
    assert.equal((await held).error?.code, 'read-timeout');
    const q = await queued;
    assert.equal(q.ended, true, `the queued request ran once a connection was free (${q.error?.code})`);
  } finally {
    pool.close();
  }
});

test('a streamed (chunked) request body reaches the backend whole; head and body in one write when given whole', async () => {
  const pool = newPool();
  try {
    const streamed = await send(pool, { method: 'POST', path: '/stream', contentLength: -1 }, (_h, call) => {
      call.write(Buffer.from('hello '));
      setTimeout(() => {
        call.write(Buffer.from('world'));
        call.end();
      }, 10);
    });
    assert.equal(streamed.body.toString(), '6\r\nhello \r\n5\r\nworld\r\n0\r\n\r\n');
    const whole = await send(pool, { method: 'POST', path: '/whole', body: Buffer.from('abc') });
    assert.equal(whole.ended, true);
  } finally {
    pool.close();
  }
});

test('response back-pressure: a handler that pauses gets every byte once it resumes', async () => {
  const pool = newPool();
  try {
    let collector: Collect | undefined;
    const r = await send(pool, { path: '/big' }, (h) => {
      h.pauseEvery = 3;
      collector = h;
    });
    assert.equal(r.body.length, 4 * 1024 * 1024);
    assert.ok((collector?.pauses ?? 0) >= 3);
  } finally {
    pool.close();
  }
});

test('an idle connection closed by the backend is dropped from the pool, not handed out', async () => {
  const pool = newPool({ keepAliveTimeoutMs: 100 });
  try {
    await send(pool, { path: '/a' });
    assert.equal(pool.idleCount, 1);
    await waitUntil(() => pool.size === 0, 'the idle connection to time out');
    const r = await send(pool, { path: '/b' });
    assert.equal(r.ended, true);
  } finally {
    pool.close();
  }
});

/** The connection (its number) that served `path`. */
function connectionOf(path: string): number {
  for (const [id, paths] of requestsByConnection) if (paths.includes(path)) return id;
  return -1;
}

test("the backend's Keep-Alive timeout hint: a connection is not reused within a second of it", async () => {
  const pool = newPool({ keepAliveTimeoutMs: 60_000 });
  try {
    // timeout=1: nothing left after the margin, so that connection is never reused.
    assert.equal((await send(pool, { path: '/keep-alive-1s' })).ended, true);
    const short = connectionOf('/keep-alive-1s');
    const next = await send(pool, { path: '/after-1s-hint' });
    assert.notEqual(Number(next.body.toString()), short, 'a connection the backend keeps idle 1 s is not reused');
    // timeout=3: reused at once, but not after 2 s idle (3 s less the margin) however long the pool's own timeout.
    assert.equal((await send(pool, { path: '/keep-alive-3s' })).ended, true);
    const hinted = connectionOf('/keep-alive-3s');
    const soon = await send(pool, { path: '/soon-after-3s-hint' });
    assert.equal(Number(soon.body.toString()), hinted, 'reused within the hint');
    assert.equal((await send(pool, { path: '/keep-alive-3s' })).ended, true, 'the hint again (the body read as the connection number above)');
    await new Promise((r) => setTimeout(r, 2_100));
    const late = await send(pool, { path: '/late-after-3s-hint' });
    assert.notEqual(Number(late.body.toString()), hinted, 'not reused past the hint less its margin');
  } finally {
    pool.close();
  }
});

test('a handler that aborts inside onResponseData of a chunked body read whole: no further callback, the pool serves on', async () => {
  const pool = newPool();
  try {
    let calls = 0;
    const aborted = new Promise<void>((resolve) => {
      pool.request({ method: 'GET', path: '/chunked', headers: ['host', 'backend.example'] }, {
        onResponseStart: () => void calls++,
        onResponseData: (call) => {
          calls++;
          call.abort();
          setTimeout(resolve, 50);
          return true;
        },
        onResponseEnd: () => void calls++,
        onResponseError: () => void calls++,
      });
    });
    await aborted;
    assert.equal(calls, 2, 'the head and one chunk, then nothing');
    assert.equal((await send(pool, { path: '/after-abort' })).ended, true);
  } finally {
    pool.close();
  }
});
